#!/usr/bin/env node
// The package's command: `opencode-chatgpt-wasm [install|uninstall|doctor|usage|accounts] [options]`. Parses arguments,
// runs the command from install.js / doctor.js and maps failures to exit codes (1: failed, 2: bad input).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { catalogModels } from "./request/catalog.js";
import { checkOpencode, minOpencodeVersion, runDoctor } from "./install/doctor.js";
import { EXIT_BAD_INPUT, InstallError, PACKAGE_NAME, dataRoot, packageInfo } from "./install/files.js";
import { readConfigFile, resolveEntry } from "./install/files.js";
import { locateConfig, parseConfig, runInstall, runUninstall, sweepPackageCopies } from "./install/install.js";
import { applyTuiInstall, prepareTuiInstall, runTuiUninstall } from "./install/tui.js";
import { runUsage } from "./tui/command.js";
import { runAccounts } from "./accounts/cli.js";
import { configureKeychain, restoreAuthJson } from "./accounts/keychain.js";

const USAGE = `Usage: ${PACKAGE_NAME} [install|uninstall|doctor|usage|accounts] [options]

  install     add the plugin to OpenCode's config (the default command)
  uninstall   remove exactly what install added
  doctor      check OpenCode, the plugin, the stored ChatGPT login, the callback port, the network
              and whether a newer version is on the npm registry
  usage       print the 5-hour and weekly usage of the ChatGPT login (asks the usage endpoint)
  accounts    list and choose ChatGPT accounts (${PACKAGE_NAME} accounts --help)

Options:
  --project           use ./opencode.json(c) in this directory instead of the global config
  --config PATH       use this config file (default: $OPENCODE_CONFIG, else
                      \${XDG_CONFIG_HOME:-~/.config}/opencode/opencode.jsonc or opencode.json)
  --dry-run           print the diff that would be applied, write nothing
  --models            also list the ChatGPT models with their reasoning-effort variants under provider.openai
  --entry file|npm    file (default): a stable copy in \${XDG_DATA_HOME:-~/.local/share}/${PACKAGE_NAME}/<version>/;
                      npm: "${PACKAGE_NAME}@<version>", installed by OpenCode from the registry
  --remove-conflicts  remove other ChatGPT/Codex login plugins from the plugin list
  --no-tui            install: leave tui.json alone (no usage status in the TUI)
  --offline           doctor: skip the network checks (login issuer, Codex backend, npm registry)
  --json              usage: print the figures as JSON
  -v, --version       print the version
  -h, --help          print this help
`;

const OPTIONS = {
  project: { type: "boolean" },
  config: { type: "string" },
  "dry-run": { type: "boolean" },
  models: { type: "boolean" },
  entry: { type: "string" },
  "remove-conflicts": { type: "boolean" },
  offline: { type: "boolean" },
  "no-tui": { type: "boolean" },
  json: { type: "boolean" },
  version: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
};

function usageError(message) {
  process.stderr.write(`error: ${message}\nrun ${PACKAGE_NAME} --help for the usage\n`);
  return EXIT_BAD_INPUT;
}

async function main(argv, env) {
  configureKeychain({ notice: (m) => process.stderr.write(`note: ${m}\n`) }); // OPENCODE_CODEX_KEYCHAIN decides
  if (argv[0] === "accounts") {
    const { resolveConfig } = await import("./config.js");
    const { revokeLogin } = await import("./auth/revoke.js");
    const cfg = resolveConfig({}, env);
    return runAccounts({ argv: argv.slice(1), env, cwd: process.cwd(), out: (line) => process.stdout.write(`${line}\n`), revoke: (login) => revokeLogin(cfg, login) });
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError(error.message);
  }
  const { values, positionals } = parsed;
  const pkgDir = path.dirname(fileURLToPath(import.meta.url));
  const out = (line) => process.stdout.write(`${line}\n`);
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (positionals.length > 1) return usageError(`unexpected argument ${positionals[1]}`);
  const command = positionals[0] ?? "install";
  const entryKind = values.entry ?? "file";
  if (!["file", "npm"].includes(entryKind)) return usageError(`--entry must be file or npm, not ${entryKind}`);
  const common = { cwd: process.cwd(), env, configPath: values.config, project: values.project ?? false, dryRun: values["dry-run"] ?? false, pkgDir, out };

  try {
    if (values.version) {
      out(packageInfo(pkgDir).version);
      return 0;
    }
    switch (command) {
      case "install": {
        const models = values.models ? await catalogModels() : null;
        // tui.json is read and planned first: a file we cannot parse stops the install before anything is written.
        const main = readConfigFile(locateConfig(common).file);
        parseConfig(main.text, main.target); // its errors come first, as before tui.json existed
        const tui = values["no-tui"] ? null : prepareTuiInstall(common, resolveEntry({ pkg: packageInfo(pkgDir), env, entryKind }).entry);
        // With a TUI entry, the old package copy is swept once tui.json no longer points into it either.
        const code = runInstall({ ...common, models, entryKind, removeConflicts: values["remove-conflicts"] ?? false, sweep: !tui });
        if (tui && code === 0) {
          applyTuiInstall({ ...common, version: packageInfo(pkgDir).version }, tui);
          sweepPackageCopies(env, out);
        }
        const opencode = checkOpencode({ env, cwd: common.cwd, minVersion: minOpencodeVersion(packageInfo(pkgDir).manifest) });
        if (opencode.status !== "ok") out(`warning: ${opencode.detail}; ${opencode.fix}`);
        return code;
      }
      case "uninstall": {
        // The catalog only helps recognize model entries written without a record; a broken one must not block uninstall.
        const catalog = await Promise.resolve()
          .then(catalogModels)
          .catch(() => []);
        // OpenCode's built-in login cannot read a keychain reference: auth.json gets its refresh token back first (or nothing changes).
        const restored = await restoreAuthJson(path.join(dataRoot(env), "opencode", "auth.json"), { dryRun: common.dryRun });
        if (restored.state === "unreadable") {
          process.stderr.write(`error: ${restored.message}\n`);
          return 1;
        }
        if (restored.state === "would-restore") out("auth.json: its refresh token would be moved back from the keychain (OpenCode's built-in login cannot read the reference)");
        if (restored.state === "restored") out("auth.json holds the ChatGPT login's refresh token again (it was in the keychain), so OpenCode's built-in login can use it; the account pool and its keychain items are kept");
        runTuiUninstall(common); // first: the package copy goes with the last record pointing into it
        return runUninstall({ ...common, catalog });
      }
      case "usage":
        return await runUsage({ env, json: values.json ?? false, out, err: (line) => process.stderr.write(`${line}\n`) });
      case "doctor":
        return await runDoctor({ ...common, offline: values.offline ?? false });
      default:
        return usageError(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof InstallError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`error: unexpected failure, please report it: ${error?.stack ?? error}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);

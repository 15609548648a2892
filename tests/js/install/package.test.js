// The published package as npm sees it (dist/, built by scripts/build): `npm pack --dry-run` lists README.md, LICENSE
// and the types and nothing from the source tree; `npm publish --dry-run` runs without a warning; package.json
// carries what a registry page shows; and index.d.ts type-checks with `tsc --noEmit` against @opencode-ai/plugin's
// own types (PluginModule, Plugin, Config) and declares exactly what index.js exports.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { NODE, ROOT } from "../../helpers/installer.js";

const DIST = path.join(ROOT, "dist");
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
const REPOSITORY = "https://github.com/opencode-chatgpt-wasm/opencode-chatgpt-wasm";

const temps = [];
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-package-"));
  temps.push(dir);
  return dir;
}
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

/** npm run in dist/ with its own cache and user config, and a registry on a closed port (no network). */
function npm(args) {
  const home = tempDir();
  const npmrc = path.join(home, ".npmrc");
  fs.writeFileSync(npmrc, "//127.0.0.1:9/:_authToken=dry-run-token\n");
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    npm_config_userconfig: npmrc,
    npm_config_cache: path.join(home, "npm-cache"),
    npm_config_registry: "http://127.0.0.1:9/",
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_fetch_retries: "0",
  };
  return spawnSync("npm", args, { cwd: DIST, env, encoding: "utf8", timeout: 120_000 });
}

test("npm pack --dry-run lists the package files, README.md, LICENSE and the types, and nothing else", { timeout: 120_000 }, () => {
  const result = npm(["pack", "--dry-run", "--json"]);
  assert.equal(result.status, 0, result.stderr);
  const [info] = JSON.parse(result.stdout);
  const files = info.files.map((f) => f.path).filter((p) => !p.startsWith("node_modules/")).sort();
  const expected = [
    "LICENSE",
    "README.md",
    "index.d.ts",
    "package.json",
    ...fs.readdirSync(path.join(ROOT, "js"), { recursive: true }).filter((f) => /\.(js|tsx)$/.test(f)).map((f) => f.split(path.sep).join("/")),
    "wasm/opencode_chatgpt_wasm.d.ts",
    "wasm/opencode_chatgpt_wasm.js",
    "wasm/opencode_chatgpt_wasm_bg.wasm",
    "wasm/opencode_chatgpt_wasm_startup.d.ts",
    "wasm/opencode_chatgpt_wasm_startup.js",
    "wasm/opencode_chatgpt_wasm_startup_bg.wasm",
  ].sort();
  assert.deepEqual(files, expected);
  assert.deepEqual(info.bundled, ["jsonc-parser"]);
  assert.equal(fs.readFileSync(path.join(DIST, "LICENSE"), "utf8"), fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8"));
  assert.match(fs.readFileSync(path.join(DIST, "LICENSE"), "utf8"), /^MIT License\n\nCopyright \(c\) 2026 opencode-chatgpt-wasm contributors\n/);
});

test("npm publish --dry-run is clean: exit 0, no warning", { timeout: 120_000 }, () => {
  const result = npm(["publish", "--dry-run"]);
  assert.equal(result.status, 0, result.stderr);
  const warnings = result.stderr.split("\n").filter((line) => /\b(warn|WARN|ERR)\b/.test(line));
  assert.deepEqual(warnings, []);
  assert.match(result.stdout + result.stderr, /opencode-chatgpt-wasm@\d+\.\d+\.\d+/);
});

test("package.json names the repository, homepage, bugs, license and types a registry page shows", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(DIST, "package.json"), "utf8"));
  assert.deepEqual(
    { license: manifest.license, repository: manifest.repository, homepage: manifest.homepage, bugs: manifest.bugs, types: manifest.types, exports: manifest.exports["."] },
    {
      license: "MIT",
      repository: { type: "git", url: `git+${REPOSITORY}.git` },
      homepage: `${REPOSITORY}#readme`,
      bugs: { url: `${REPOSITORY}/issues` },
      types: "index.d.ts",
      exports: { types: "./index.d.ts", default: "./index.js" },
    },
  );
  const cargo = fs.readFileSync(path.join(ROOT, "Cargo.toml"), "utf8");
  assert.equal(/^repository = "(.*)"$/m.exec(cargo)?.[1], REPOSITORY, "package.json and Cargo.toml name different repositories");
  const readme = fs.readFileSync(path.join(DIST, "README.md"), "utf8");
  for (const section of ["## Install", "## Log in", "## Use", "## Troubleshooting"]) assert.ok(readme.includes(`\n${section}\n`), `README.md lacks ${section}`);
});

test("index.d.ts declares exactly the exports of index.js", async () => {
  const declared = [...fs.readFileSync(path.join(DIST, "index.d.ts"), "utf8").matchAll(/^export (?:declare )?(?:const|function) (\w+)|^export (default)\b/gm)]
    .map((m) => m[1] ?? m[2])
    .sort();
  const mod = await import(pathToFileURL(path.join(DIST, "index.js")).href);
  assert.deepEqual(declared, Object.keys(mod).sort());
});

test("tsc --noEmit: the types fit @opencode-ai/plugin's PluginModule, Plugin and Config, and reject wrong options", { timeout: 180_000 }, () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(DIST, path.join(dir, "node_modules", "opencode-chatgpt-wasm"));
  fs.symlinkSync(path.join(ROOT, "node_modules", "@opencode-ai"), path.join(dir, "node_modules", "@opencode-ai"));
  // @opencode-ai/plugin's shell types name Buffer: Node's types, as a plugin author's project has them.
  fs.symlinkSync(path.join(ROOT, "node_modules", "@types"), path.join(dir, "node_modules", "@types"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, skipLibCheck: false, types: ["node"] },
      files: ["check.ts", "node_modules/opencode-chatgpt-wasm/index.d.ts"],
    }),
  );
  fs.writeFileSync(
    path.join(dir, "check.ts"),
    `import type { Config, Hooks, Plugin, PluginModule } from "@opencode-ai/plugin";
import plugin, { OAUTH_DUMMY_KEY, latestRateLimits, selfTest, showNotice, type ChatgptPluginOptions, type RateLimits } from "opencode-chatgpt-wasm";

const asModule: PluginModule = plugin;
const server: Plugin = plugin.server;
const hooks: Promise<Hooks> = plugin.server({} as Parameters<Plugin>[0], { stallSeconds: 600 });
const options: ChatgptPluginOptions = { endpoint: "http://127.0.0.1:1/backend-api/codex", callbackPort: 1455, debug: true };
const config: Config = { plugin: [["opencode-chatgpt-wasm@0.1.0", options], "opencode-chatgpt-wasm@0.1.0"] };
const key: "chatgpt-oauth" = OAUTH_DUMMY_KEY;
const limits: RateLimits | null = latestRateLimits();
const used: number | undefined = limits?.primary?.usedPercent;
const ok: Promise<{ ok: boolean }> = selfTest();
showNotice(undefined, "hello", "warning");
// @ts-expect-error stallSeconds is a number of seconds
const wrongType: ChatgptPluginOptions = { stallSeconds: "600" };
// @ts-expect-error a misspelled option is caught
const misspelled: ChatgptPluginOptions = { endpont: "http://127.0.0.1:1" };
// @ts-expect-error a toast variant OpenCode does not have
showNotice(undefined, "hello", "loud");
// @ts-expect-error the plugin id is fixed
const otherId: "another-plugin" = plugin.id;
export { asModule, server, hooks, config, key, used, ok, wrongType, misspelled, otherId };
`,
  );
  const result = spawnSync(NODE, [TSC, "--noEmit", "-p", dir], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  // Each @ts-expect-error line fails the run when its error is missing: the check also proves tsc saw real types.
  assert.equal(result.status, 0, `tsc found errors:\n${result.stdout}${result.stderr}`);
});

// Installing the way users will, through a real npm registry (verdaccio on 127.0.0.1, its own storage, no uplinks):
// `npm publish` of the built package, then as a new user `npx opencode-chatgpt-wasm install` (the default `file`
// entry, and `--entry npm`, which the real OpenCode installs itself at start from the registry it is told to use);
// a turn reaches the mock backend through the published package. Then 0.1.1 is published: `install` again moves the
// entry to it (file: a new copy, the old one removed; npm: the pinned version), OpenCode loads 0.1.1, doctor saw
// the newer version first, and `uninstall` leaves the user's config byte for byte as it was before the first install.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startMockBackend } from "../helpers/mock-backend.js";
import { makeSandbox, runProcess } from "../helpers/sandbox.js";
import { startRegistry, stageVersion } from "../helpers/registry.js";
import { chatgptToken } from "../helpers/jwt.js";

const NAME = "opencode-chatgpt-wasm";
/** The user's own config before any install: a comment, their settings, their formatting. */
const USER_CONFIG = `{
  // my OpenCode settings
  "$schema": "https://opencode.ai/config.json",
  "autoupdate": false,
    "share": "disabled"
}
`;

let backend;
let registry;
const published = new Set();
const sandboxes = [];
before(async () => {
  backend = await startMockBackend({ defaultText: "Hello from the published package." });
  registry = await startRegistry();
});
after(async () => {
  for (const s of sandboxes) s.cleanup();
  await backend?.close();
  await registry?.close();
});

async function publish(version) {
  if (published.has(version)) return;
  const result = await registry.publish(stageVersion(registry.dir, version));
  assert.equal(result.code, 0, `npm publish ${version} failed:\n${result.stdout}\n${result.stderr}`);
  published.add(version);
}

/** A new user: empty HOME/XDG dirs, their own config, npm pointed at the registry by .npmrc and environment. */
function newUser() {
  const s = makeSandbox({ plugin: null });
  sandboxes.push(s);
  const npmrc = path.join(s.dir, ".npmrc");
  fs.writeFileSync(npmrc, `registry=${registry.url}\n`);
  const npmEnv = {
    npm_config_userconfig: npmrc,
    npm_config_cache: path.join(s.dir, "npm-cache"),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    // as a user behind a mirror: npm and OpenCode's own plugin install both read it
    NPM_CONFIG_REGISTRY: registry.url,
  };
  const configPath = path.join(s.configDir, "opencode.jsonc");
  fs.writeFileSync(configPath, USER_CONFIG);
  const access = chatgptToken({ accountId: "acc-registry" });
  s.writeAuth({ openai: { type: "oauth", refresh: "rt-registry", access, expires: Date.now() + 3600_000, accountId: "acc-registry" } });
  return {
    s,
    configPath,
    config: () => fs.readFileSync(configPath, "utf8"),
    npx(spec, args) {
      return runProcess("npx", ["--yes", spec, ...args], { cwd: s.work, env: { ...s.env, ...npmEnv }, timeoutMs: 180_000 });
    },
    async turn(prompt) {
      const before = backend.responses().length;
      const run = await s.run(["run", "-m", "openai/gpt-5.4", prompt], { extraEnv: { ...npmEnv, OPENCODE_CODEX_ENDPOINT: backend.endpoint }, timeoutMs: 180_000 });
      assert.equal(run.code, 0, `opencode run failed:\n${run.stdout}\n${run.stderr.slice(-3000)}`);
      assert.match(run.stdout, /Hello from the published package\./);
      const calls = backend.responses().slice(before);
      assert.ok(calls.length >= 1, "no request reached the mock backend");
      return calls;
    },
  };
}

/** The plugin version that made a request: our user-agent names it. */
function pluginVersionOf(call) {
  return new RegExp(`${NAME}/(\\S+)`).exec(call.headers["user-agent"] ?? "")?.[1];
}

function pluginEntries(text) {
  return [...text.matchAll(/"([^"]*opencode-chatgpt-wasm[^"]*)"/g)].map((m) => m[1]);
}

test("--entry npm: npx installs from the registry, OpenCode installs and loads the package itself, upgrade, uninstall", { timeout: 900_000 }, async () => {
  await publish("0.1.0");
  const user = newUser();

  const install = await user.npx(`${NAME}@0.1.0`, ["install", "--entry", "npm"]);
  assert.equal(install.code, 0, `install failed:\n${install.stdout}\n${install.stderr}`);
  assert.deepEqual(pluginEntries(user.config()), [`${NAME}@0.1.0`]);
  assert.ok(user.config().startsWith("{\n  // my OpenCode settings\n"), "the user's comment was lost");

  const calls = await user.turn("hello from npm entry");
  assert.deepEqual(calls.map(pluginVersionOf), calls.map(() => "0.1.0"));
  assert.equal(calls.at(-1).headers["chatgpt-account-id"], "acc-registry");
  // OpenCode fetched the package from our registry into its own cache
  const cached = path.join(user.s.env.XDG_CACHE_HOME, "opencode", "packages", `${NAME}@0.1.0`);
  assert.ok(fs.existsSync(cached), `OpenCode did not install ${NAME}@0.1.0 into ${cached}`);

  // a newer version appears on the registry: doctor says so, and install moves the pinned version
  await publish("0.1.1");
  const doctor = await user.npx(`${NAME}@0.1.0`, ["doctor"]);
  assert.ok(doctor.stdout.includes(`! a newer ${NAME} is on ${registry.url}: 0.1.1 (the plugin entry has 0.1.0)\n    fix: upgrade: npx ${NAME}@latest install --entry npm\n`), doctor.stdout);
  const upgrade = await user.npx(`${NAME}@latest`, ["install", "--entry", "npm"]);
  assert.equal(upgrade.code, 0, `upgrade failed:\n${upgrade.stdout}\n${upgrade.stderr}`);
  assert.match(upgrade.stdout, new RegExp(`replace plugin entry ${NAME}@0\\.1\\.0 with ${NAME}@0\\.1\\.1`));
  assert.deepEqual(pluginEntries(user.config()), [`${NAME}@0.1.1`]);
  const after = await user.turn("hello after the upgrade");
  assert.deepEqual(after.map(pluginVersionOf), after.map(() => "0.1.1"));
  const doctorAfter = await user.npx(`${NAME}@latest`, ["doctor"]);
  assert.ok(doctorAfter.stdout.includes(`✓ ${NAME} 0.1.1 is the latest on ${registry.url}\n`), doctorAfter.stdout);

  const uninstall = await user.npx(`${NAME}@latest`, ["uninstall"]);
  assert.equal(uninstall.code, 0, `uninstall failed:\n${uninstall.stdout}\n${uninstall.stderr}`);
  assert.equal(user.config(), USER_CONFIG);
});

test("default file entry through npx: a copy in the data dir, upgrade to a new copy, the old one removed, uninstall", { timeout: 900_000 }, async () => {
  await publish("0.1.0");
  await publish("0.1.1");
  const user = newUser();
  const copies = path.join(user.s.env.XDG_DATA_HOME, NAME);

  const install = await user.npx(`${NAME}@0.1.0`, ["install"]);
  assert.equal(install.code, 0, `install failed:\n${install.stdout}\n${install.stderr}`);
  const copy010 = path.join(copies, "0.1.0");
  assert.deepEqual(pluginEntries(user.config()), [`file://${copy010}/index.js`]);
  const calls = await user.turn("hello from file entry");
  assert.deepEqual(calls.map(pluginVersionOf), calls.map(() => "0.1.0"));

  const upgrade = await user.npx(`${NAME}@latest`, ["install"]);
  assert.equal(upgrade.code, 0, `upgrade failed:\n${upgrade.stdout}\n${upgrade.stderr}`);
  const copy011 = path.join(copies, "0.1.1");
  assert.deepEqual(pluginEntries(user.config()), [`file://${copy011}/index.js`]);
  // the OpenCode that loaded 0.1.0 has exited, so its copy goes now
  assert.ok(upgrade.stdout.includes(`removed the package copy ${copy010}\n`), upgrade.stdout);
  assert.deepEqual(fs.readdirSync(copies).filter((n) => /^\d/.test(n)), ["0.1.1"]);
  const after = await user.turn("hello after the upgrade");
  assert.deepEqual(after.map(pluginVersionOf), after.map(() => "0.1.1"));

  const uninstall = await user.npx(`${NAME}@latest`, ["uninstall"]);
  assert.equal(uninstall.code, 0, `uninstall failed:\n${uninstall.stdout}\n${uninstall.stderr}`);
  assert.equal(user.config(), USER_CONFIG);
  // The package copies and the installer's records go; the account pool the plugin kept for the login stays
  // (account data is never deleted by uninstall: `opencode auth logout` / `accounts remove` are for that).
  const left = fs.existsSync(copies) ? fs.readdirSync(copies).sort() : [];
  assert.deepEqual(left.filter((n) => !["accounts.json", "accounts.json.lock", "logins"].includes(n)), [], `${copies} still holds package files: ${left}`);
});

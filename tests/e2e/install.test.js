// End to end for the installer: `npm pack` of the built package, `npm exec` of that tarball runs
// `opencode-chatgpt-wasm install --models` into an isolated OpenCode config, then the real OpenCode
// lists our models and `opencode run` reaches the mock backend through the installed copy.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startMockBackend } from "../helpers/mock-backend.js";
import { makeSandbox, runProcess, DIST } from "../helpers/sandbox.js";
import { chatgptToken } from "../helpers/jwt.js";

let backend;
let sandbox;
before(async () => {
  backend = await startMockBackend({ defaultText: "Installed plugin says hello." });
  sandbox = makeSandbox({ plugin: null });
});
after(async () => {
  await backend?.close();
  sandbox?.cleanup();
});

test("npm exec of the packed tarball installs a working plugin into OpenCode", async () => {
  const packDir = path.join(sandbox.dir, "pack");
  fs.mkdirSync(packDir);
  const env = { ...sandbox.env, npm_config_cache: path.join(sandbox.dir, "npm-cache"), npm_config_update_notifier: "false" };
  const pack = await runProcess("npm", ["pack", "--pack-destination", packDir, DIST], { cwd: sandbox.work, env });
  assert.equal(pack.code, 0, pack.stderr);
  const [tgz] = fs.readdirSync(packDir).filter((f) => f.endsWith(".tgz"));
  assert.ok(tgz, "npm pack produced no tarball");

  const install = await runProcess("npm", ["exec", "--yes", "--package", path.join(packDir, tgz), "--", "opencode-chatgpt-wasm", "install", "--models"], { cwd: sandbox.work, env, timeoutMs: 120_000 });
  assert.equal(install.code, 0, `install failed:\n${install.stdout}\n${install.stderr}`);
  const configPath = path.join(sandbox.configDir, "opencode.json");
  const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
  const entry = config.plugin.find((p) => String(p).includes("opencode-chatgpt-wasm"));
  assert.ok(entry, "no plugin entry written");
  assert.ok(entry.startsWith("file://") && entry.includes(sandbox.env.XDG_DATA_HOME), "entry does not point at the stable copy in the data dir");

  const again = await runProcess("npm", ["exec", "--yes", "--package", path.join(packDir, tgz), "--", "opencode-chatgpt-wasm", "install", "--models"], { cwd: sandbox.work, env, timeoutMs: 120_000 });
  assert.equal(again.code, 0);
  assert.match(again.stdout, /nothing changed/);

  const models = await sandbox.run(["models", "openai"]);
  assert.equal(models.code, 0, models.stderr);
  assert.match(models.stdout, /openai\/gpt-5\.4\b/);

  const access = chatgptToken({ accountId: "acc-installed" });
  sandbox.writeAuth({ openai: { type: "oauth", refresh: "rt-installed", access, expires: Date.now() + 3600_000 } });
  const run = await sandbox.run(["run", "-m", "openai/gpt-5.4", "hello"], { extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint } });
  assert.equal(run.code, 0, run.stderr.slice(-2000));
  assert.match(run.stdout, /Installed plugin says hello\./);
  const calls = backend.responses();
  assert.ok(calls.length >= 1);
  assert.equal(calls.at(-1).headers["chatgpt-account-id"], "acc-installed");
  assert.equal(calls.at(-1).json.store, false);
});

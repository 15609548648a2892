// Issue 18, load: server() returns the plugin's hooks without compiling any wasm, and a broken
// install still fails loudly: with a wasm module missing or damaged (in a temp copy of dist/), the
// first use that needs it (the auth loader, a login, the self test) and doctor's plugin check say
// which file is broken and to reinstall. Runs under Node (`node --test`) and Bun (scripts/bun-test-each).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { checkLoadable } from "../../dist/install/doctor.js";
import { chatgptToken } from "../helpers/jwt.js";

const DIST = fileURLToPath(new URL("../../dist/", import.meta.url));
const HOT = "wasm/opencode_chatgpt_wasm_bg.wasm";
const COLD = "wasm/opencode_chatgpt_wasm_cold_bg.wasm";
const LOGIN = { type: "oauth", access: chatgptToken({ accountId: "acc-broken" }), refresh: "r-broken", expires: Date.now() + 3600_000 };

/** A copy of dist/ in a temp dir with `breakIt(dir)` applied; the test imports the copy (a module instance of its own). */
function brokenCopy(t, breakIt) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "occw-broken-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, "opencode-chatgpt-wasm");
  fs.cpSync(DIST, dir, { recursive: true });
  breakIt(dir);
  return { dir, index: pathToFileURL(path.join(dir, "index.js")).href };
}

const missing = (file) => (dir) => fs.rmSync(path.join(dir, file));
const damaged = (file) => (dir) => fs.writeFileSync(path.join(dir, file), Buffer.from("\0asm\x01\0\0\0 this is not a module"));

/** The loud failure: a CoreError "core-missing" naming the file, what is wrong with it, and the reinstall command. */
function assertBroken(err, file, what) {
  assert.equal(err?.code, "core-missing", `expected core-missing, got ${err?.code}: ${err?.message}`);
  assert.ok(err.message.includes(file), `names the file: ${err.message}`);
  assert.match(err.message, what);
  assert.match(err.message, /this install of opencode-chatgpt-wasm is broken\. Reinstall it: npx opencode-chatgpt-wasm install$/);
}

const rejection = (promise) => promise.then((v) => assert.fail(`resolved: ${JSON.stringify(v)}`), (e) => e);

async function hooksOf(index) {
  const plugin = (await import(index)).default;
  // Nothing may leave the machine: the endpoint and issuer are a closed local port.
  const hooks = await plugin.server({ client: {}, directory: os.tmpdir(), worktree: os.tmpdir() }, { endpoint: "http://127.0.0.1:1", issuer: "http://127.0.0.1:1" });
  // Plugin load needs no wasm: the hooks are all there.
  assert.equal(hooks.auth.provider, "openai");
  assert.equal(typeof hooks.auth.loader, "function");
  assert.deepEqual(hooks.auth.methods.map((m) => m.type), ["oauth", "oauth", "oauth", "api"]);
  assert.deepEqual(Object.keys(hooks.tool).sort(), ["chatgpt_accounts", "chatgpt_use_account"]);
  return hooks;
}

test("startup module missing: server() still returns the hooks; the loader, selfTest and doctor say the file is missing", async (t) => {
  const { dir, index } = brokenCopy(t, missing(HOT));
  const file = path.join(dir, HOT);
  const hooks = await hooksOf(index);
  // An API key needs no core: it still works.
  assert.deepEqual(await hooks.auth.loader(async () => ({ type: "api", key: "sk-x" })), {});
  assertBroken(await rejection(hooks.auth.loader(async () => LOGIN)), file, /is missing/);
  // every later use says it again (nothing cached as working)
  assertBroken(await rejection(hooks.auth.loader(async () => LOGIN)), file, /is missing/);
  const { selfTest } = await import(index);
  assertBroken(await rejection(selfTest()), file, /is missing/);
  const check = await checkLoadable(index, "plugin");
  assert.equal(check.status, "fail");
  assert.match(check.detail, new RegExp(`^plugin does not load: .*${path.basename(file).replace(".", "\\.")} is missing`));
  assert.equal(check.fix, "reinstall: npx opencode-chatgpt-wasm install");
});

test("startup module damaged: the loader and doctor say the file is damaged", async (t) => {
  const { dir, index } = brokenCopy(t, damaged(HOT));
  const file = path.join(dir, HOT);
  const hooks = await hooksOf(index);
  assertBroken(await rejection(hooks.auth.loader(async () => LOGIN)), file, /is damaged \(/);
  const check = await checkLoadable(index, "plugin");
  assert.equal(check.status, "fail");
  assert.match(check.detail, /opencode_chatgpt_wasm_bg\.wasm is damaged/);
});

test("cold module damaged: requests still load; the first login, selfTest and doctor say the cold file is damaged", async (t) => {
  const { dir, index } = brokenCopy(t, damaged(COLD));
  const file = path.join(dir, COLD);
  const hooks = await hooksOf(index);
  // The startup module is intact: the loader gives OpenCode its fetch.
  const opts = await hooks.auth.loader(async () => LOGIN);
  assert.equal(typeof opts.fetch, "function");
  // The paste login needs the cold module at once (PKCE): its authorize() fails with the file named.
  const paste = hooks.auth.methods[2];
  assertBroken(await rejection(paste.authorize()), file, /is damaged \(/);
  const { selfTest } = await import(index);
  assertBroken(await rejection(selfTest()), file, /is damaged/);
  const check = await checkLoadable(index, "plugin");
  assert.equal(check.status, "fail");
  assert.match(check.detail, /opencode_chatgpt_wasm_cold_bg\.wasm is damaged/);
});

test("cold module missing: the accounts tool says the cold file is missing", async (t) => {
  const { dir, index } = brokenCopy(t, missing(COLD));
  const file = path.join(dir, COLD);
  const hooks = await hooksOf(index);
  assertBroken(await rejection(hooks.tool.chatgpt_accounts.execute({}, { directory: os.tmpdir(), worktree: os.tmpdir() })), file, /is missing/);
});

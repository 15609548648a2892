// Issue 18, load: server() returns the plugin's hooks without compiling any wasm; OpenCode's startup
// (the provider's models, the auth loader) compiles only the small startup module and the first
// request the core; and a broken install still fails loudly: with a wasm module missing or damaged (in
// a temp copy of dist/), the first use that needs it (the auth loader, a request, a login, the self
// test) and doctor's plugin check say which file is broken and to reinstall. Runs under Node
// (`node --test`) and Bun (scripts/bun-test-each).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { checkLoadable } from "../../dist/install/doctor.js";
import { chatgptToken } from "../helpers/jwt.js";

const DIST = fileURLToPath(new URL("../../dist/", import.meta.url));
const STARTUP = "wasm/opencode_chatgpt_wasm_startup_bg.wasm";
const CORE = "wasm/opencode_chatgpt_wasm_bg.wasm";
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

async function hooksOf(index, endpoint = "http://127.0.0.1:1") {
  const plugin = (await import(index)).default;
  // Nothing may leave the machine: the endpoint and issuer are a closed local port (or a local server).
  const hooks = await plugin.server({ client: {}, directory: os.tmpdir(), worktree: os.tmpdir() }, { endpoint, issuer: "http://127.0.0.1:1" });
  // Plugin load needs no wasm: the hooks are all there.
  assert.equal(hooks.auth.provider, "openai");
  assert.equal(typeof hooks.auth.loader, "function");
  assert.deepEqual(hooks.auth.methods.map((m) => m.type), ["oauth", "oauth", "oauth", "api"]);
  assert.deepEqual(Object.keys(hooks.tool).sort(), ["chatgpt_accounts", "chatgpt_use_account"]);
  return hooks;
}

/** A local backend that refuses every request with a 400 (not retried): `{url, requests, close}`. */
async function refusingBackend(t) {
  const requests = [];
  const srv = http.createServer((req, res) => {
    requests.push(req.url);
    req.resume();
    res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "refused by the test" } }));
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => srv.close(r)));
  return { url: `http://127.0.0.1:${srv.address().port}`, requests };
}

/** One Codex request through the loader's fetch, as OpenCode's OpenAI client sends it: its status and text. */
async function request(opts) {
  const res = await opts.fetch(`${opts.baseURL}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-5.4", input: [{ role: "user", content: [{ type: "input_text", text: "hi" }] }], stream: true }) });
  return { status: res.status, text: await res.text() };
}

test("OpenCode's startup compiles only the startup module; the first request compiles the core", async (t) => {
  const { dir, index } = brokenCopy(t, () => {});
  const { loadedModules } = await import(pathToFileURL(path.join(dir, "core.js")).href);
  const backend = await refusingBackend(t);
  const hooks = await hooksOf(index, backend.url);
  assert.deepEqual(loadedModules(), [], "plugin load compiles nothing");
  const models = await hooks.provider.models({ models: {} }, { auth: LOGIN });
  assert.ok(Object.keys(models).includes("gpt-5.4"), "the provider's models come from the catalog");
  const opts = await hooks.auth.loader(async () => LOGIN);
  assert.equal(typeof opts.fetch, "function");
  // the loader's background refresh of the model list (sign-in state, the list's reply) needs no more
  for (let i = 0; i < 200 && !backend.requests.some((u) => u.includes("/models")); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(backend.requests.some((u) => u.includes("/models?client_version=")), "the model list was asked for");
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(loadedModules(), ["startup"], "the models and the loader need only the startup module");
  const res = await request(opts);
  assert.equal(res.status, 400);
  assert.match(res.text, /refused by the test/);
  assert.deepEqual(loadedModules(), ["startup", "core"], "the request compiled the core");
  assert.ok(backend.requests.some((u) => u.endsWith("/responses")), "the request reached the backend");
});

test("startup module missing: server() still returns the hooks; the loader, selfTest and doctor say the file is missing", async (t) => {
  const { dir, index } = brokenCopy(t, missing(STARTUP));
  const file = path.join(dir, STARTUP);
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
  const { dir, index } = brokenCopy(t, damaged(STARTUP));
  const file = path.join(dir, STARTUP);
  const hooks = await hooksOf(index);
  assertBroken(await rejection(hooks.auth.loader(async () => LOGIN)), file, /is damaged \(/);
  const check = await checkLoadable(index, "plugin");
  assert.equal(check.status, "fail");
  assert.match(check.detail, /opencode_chatgpt_wasm_startup_bg\.wasm is damaged/);
});

test("core damaged: the loader still hands OpenCode its fetch; the first request, a login, selfTest and doctor say the core file is damaged", async (t) => {
  const { dir, index } = brokenCopy(t, damaged(CORE));
  const file = path.join(dir, CORE);
  const backend = await refusingBackend(t);
  const hooks = await hooksOf(index, backend.url);
  // The startup module is intact: the loader gives OpenCode its fetch.
  const opts = await hooks.auth.loader(async () => LOGIN);
  assert.equal(typeof opts.fetch, "function");
  // The first request needs the core: it fails, naming the file, and nothing is sent.
  const failed = await request(opts).then((r) => r.text, (e) => e.message);
  assert.ok(failed.includes(file), `names the file: ${failed}`);
  assert.match(failed, /is damaged/);
  assert.ok(!backend.requests.some((u) => u.endsWith("/responses")), "nothing was sent");
  // The paste login needs the core at once (PKCE): its authorize() fails with the file named.
  const paste = hooks.auth.methods[2];
  assertBroken(await rejection(paste.authorize()), file, /is damaged \(/);
  const { selfTest } = await import(index);
  assertBroken(await rejection(selfTest()), file, /is damaged/);
  const check = await checkLoadable(index, "plugin");
  assert.equal(check.status, "fail");
  assert.match(check.detail, /opencode_chatgpt_wasm_bg\.wasm is damaged/);
});

test("core missing: the accounts tool says the core file is missing", async (t) => {
  const { dir, index } = brokenCopy(t, missing(CORE));
  const file = path.join(dir, CORE);
  const hooks = await hooksOf(index);
  assertBroken(await rejection(hooks.tool.chatgpt_accounts.execute({}, { directory: os.tmpdir(), worktree: os.tmpdir() })), file, /is missing/);
});

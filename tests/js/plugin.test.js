// The built package (dist/) as OpenCode sees it, under Node (`node --test`) and Bun (`bun test`):
// module shape, auth loader result, and the fetch wrapper against a mock backend on 127.0.0.1.
import { test } from "node:test";
import assert from "node:assert/strict";
import plugin, { selfTest } from "../../dist/index.js";
import { startMockBackend } from "../helpers/mock-backend.js";
import { chatgptToken } from "../helpers/jwt.js";

const fakeInput = { client: {}, directory: process.cwd(), worktree: process.cwd() };

test("default export is an OpenCode V1 plugin module", () => {
  assert.equal(plugin.id, "opencode-chatgpt-wasm");
  assert.equal(typeof plugin.server, "function");
});

test("the wasm core instantiates and answers", async () => {
  assert.deepEqual(await selfTest(), { ok: true });
});

test("auth loader ignores non-oauth logins", async () => {
  const hooks = await plugin.server(fakeInput, {});
  assert.equal(hooks.auth.provider, "openai");
  assert.deepEqual(await hooks.auth.loader(async () => ({ type: "api", key: "sk-x" })), {});
});

test("loader fetch transforms the body and sets the Codex headers", async () => {
  const backend = await startMockBackend();
  try {
    const access = chatgptToken({ accountId: "acc-js-1" });
    const hooks = await plugin.server(fakeInput, { endpoint: backend.endpoint });
    const opts = await hooks.auth.loader(async () => ({ type: "oauth", access, refresh: "r", expires: Date.now() + 3600_000 }));
    assert.equal(opts.baseURL, backend.endpoint);
    assert.equal(typeof opts.apiKey, "string");
    const body = JSON.stringify({ stream: true, model: "gpt-5.4", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }], temperature: 0.2, max_output_tokens: 100, store: true, instructions: "x" });
    const res = await opts.fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { authorization: "Bearer chatgpt-oauth", "content-type": "application/json", "session-id": "ses_1" }, body });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /response\.completed/);
    const [call] = backend.responses();
    assert.equal(call.headers.authorization, `Bearer ${access}`);
    assert.equal(call.headers["chatgpt-account-id"], "acc-js-1");
    assert.equal(call.headers.session_id, "ses_1");
    assert.equal(call.json.store, false);
    assert.equal(call.json.stream, true);
    assert.equal("temperature" in call.json, false);
    assert.equal("max_output_tokens" in call.json, false);
  } finally {
    await backend.close();
  }
});

test("the login methods listed at plugin load are loginMethods()'s, in order and shape (their code loads on first authorize)", async () => {
  const { loginMethods } = await import("../../dist/auth/login.js");
  const { joiningMethods } = await import("../../dist/accounts/pool.js");
  const hooks = await plugin.server(fakeInput, {});
  const shape = (methods) => methods.map((m) => ({ keys: Object.keys(m).sort(), type: m.type, label: m.label, authorize: typeof m.authorize }));
  assert.deepEqual(shape(hooks.auth.methods), shape(joiningMethods(loginMethods({}))));
});

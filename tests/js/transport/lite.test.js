// Responses-lite through the whole request path (the wasm transform and the Codex fetch) into the
// mock backend: the switch, and what happens when the backend refuses a lite request.
import { test, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { loadCore } from "../../../dist/core.js";
import { resolveConfig, withClientIdentity } from "../../../dist/config.js";
import { createCodexFetch, resetLiteFallback, LITE_HEADER } from "../../../dist/transport/fetch.js";
import { startMockBackend } from "../../helpers/mock-backend.js";

const core = await loadCore();
const credentials = { current: async () => ({ access: "Access Token", accountId: "account_id" }) };
const tools = [{ type: "function", name: "read", parameters: { type: "object" } }];
const backends = [];
after(() => Promise.all(backends.map((b) => b.close())));
beforeEach(() => resetLiteFallback());

async function setup(mockOptions = {}, options = {}, env = {}) {
  const backend = await startMockBackend(mockOptions);
  backends.push(backend);
  const cfg = withClientIdentity(resolveConfig({ endpoint: backend.endpoint, ...options }, env), core);
  const logs = [];
  const codexFetch = createCodexFetch({ credentials, cfg, log: (line) => logs.push(line) });
  const send = async (model = "gpt-5.6-sol") => {
    const res = await codexFetch(`${backend.endpoint}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", [LITE_HEADER]: "true" },
      body: JSON.stringify({ stream: true, model, instructions: "be helpful", tools, input: [{ role: "user", content: "hi" }] }),
    });
    return { status: res.status, text: await res.text() };
  };
  return { backend, send, logs };
}

const isLite = (r) => r.headers[LITE_HEADER] === "true" && r.json.input[0].type === "additional_tools" && !("tools" in r.json);
const isFull = (r) => r.headers[LITE_HEADER] === undefined && r.json.instructions === "be helpful" && Array.isArray(r.json.tools);

test("lite models are sent lite and pass the strict mock; other models never carry the header, even when the caller sets it", async () => {
  const { backend, send } = await setup();
  assert.equal((await send("gpt-5.6-sol")).status, 200);
  assert.equal((await send("gpt-5.4")).status, 200);
  const [lite, full] = backend.responses();
  assert.ok(isLite(lite), JSON.stringify(lite.json));
  assert.ok(isFull(full), JSON.stringify(full.json));
});

test("the switch: responsesLite false (option) or OPENCODE_CODEX_RESPONSES_LITE=0 sends the full shape", async () => {
  for (const [options, env] of [[{ responsesLite: false }, {}], [{}, { OPENCODE_CODEX_RESPONSES_LITE: "0" }]]) {
    const { backend, send } = await setup({}, options, env);
    assert.equal((await send()).status, 200);
    assert.ok(isFull(backend.responses()[0]));
  }
});

test("a refused lite request is sent once more in the full shape, and the process keeps the full shape (said once in debug)", async () => {
  const { backend, send, logs } = await setup({ refuseLite: true });
  const first = await send();
  assert.equal(first.status, 200, first.text);
  assert.match(first.text, /Hello from the mock backend/);
  assert.equal((await send()).status, 200);
  const [refused, resent, next] = backend.responses();
  assert.ok(isLite(refused));
  assert.ok(isFull(resent));
  assert.ok(isFull(next), "later requests skip the refused lane");
  assert.equal(backend.responses().length, 3);
  assert.equal(logs.length, 1);
  assert.match(logs[0], /refused a responses-lite request \(HTTP 400: .*\); the full Responses shape is used for the rest of this process/);
  assert.doesNotMatch(logs[0], /Access Token/);
});

test("a 400 the full shape gets too is shown as it is, and lite stays on", async () => {
  const handler = (req, record) => (record.json?.model === "gpt-5.6-sol" ? { status: 400, body: JSON.stringify({ error: { message: "Invalid 'input[2]': bad item." } }) } : undefined);
  const { backend, send, logs } = await setup({ handler });
  const res = await send();
  assert.equal(res.status, 400);
  assert.match(res.text, /Invalid 'input\[2\]': bad item/);
  assert.deepEqual(backend.responses().map(isLite), [true, false]);
  assert.deepEqual(logs, []);
  await send();
  assert.equal(isLite(backend.responses()[2]), true, "lite was not given up for an unrelated error");
});

test("a known refusal (context too long) is not retried in the full shape", async () => {
  const handler = () => ({ status: 400, body: JSON.stringify({ error: { code: "context_length_exceeded", message: "Your input exceeds the context window of this model." } }) });
  const { backend, send } = await setup({ handler });
  assert.equal((await send()).status, 400);
  assert.equal(backend.responses().length, 1);
});

test("a lite re-send after a dropped stream keeps the lite body", async () => {
  const { backend, send } = await setup({ drops: { times: 1, after: "headers" } });
  const res = await send();
  assert.equal(res.status, 200);
  assert.match(res.text, /Hello from the mock backend/);
  const [dropped, again] = backend.responses();
  assert.ok(dropped.dropped && isLite(dropped) && isLite(again));
  assert.equal(again.raw, dropped.raw);
});


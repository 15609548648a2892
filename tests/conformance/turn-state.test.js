// Conformance with the reference client (codex-rs), `x-codex-turn-state` (codex-findings.md §4):
// core/src/client.rs X_CODEX_TURN_STATE_HEADER; ModelClientSession (one per turn) owns
// `turn_state: OnceLock<String>`: set from the first reply that carries the header, sent on every
// later request of that turn, and a new turn starts without it.
import { test } from "node:test";
import assert from "node:assert/strict";
import plugin from "../../dist/index.js";
import { startMockIssuer } from "../helpers/mock-issuer.js";
import { startMockBackend, textStream } from "../helpers/mock-backend.js";
import { chatgptToken } from "../helpers/jwt.js";

const user = (text) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const call = { type: "function_call", call_id: "c1", name: "shell", arguments: "{}" };
const out = { type: "function_call_output", call_id: "c1", output: "ok" };
const answer = { type: "message", role: "assistant", content: [{ type: "output_text", text: "done" }] };

async function session(tokens, fn) {
  let n = 0;
  const backend = await startMockBackend({
    handler: (req) => {
      if (req.method !== "POST") return undefined;
      const token = tokens[n++];
      return { status: 200, headers: { "content-type": "text/event-stream", ...(token ? { "x-codex-turn-state": token } : {}) }, body: textStream("ok") };
    },
  });
  const issuer = await startMockIssuer();
  try {
    const hooks = await plugin.server({ client: {} }, { endpoint: backend.endpoint, issuer: issuer.url });
    const opts = await hooks.auth.loader(async () => ({ type: "oauth", access: chatgptToken({ accountId: "acc-t" }), refresh: "r", expires: Date.now() + 3600_000 }));
    const send = async (input, sessionId = "ses_conf") =>
      (await opts.fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json", session_id: sessionId }, body: JSON.stringify({ stream: true, model: "gpt-5.4", instructions: "x", input }) })).text();
    await fn(send);
    return backend.responses().map((r) => r.headers["x-codex-turn-state"] ?? null);
  } finally {
    await backend.close();
    await issuer.close();
  }
}

test("the first token of a turn is replayed on every later request of that turn (OnceLock: first value wins)", async () => {
  const sent = await session(["ts-A", "ts-B", "ts-C"], async (send) => {
    await send([user("go")]);
    await send([user("go"), call, out]);
    await send([user("go"), call, out, call, out]);
  });
  assert.deepEqual(sent, [null, "ts-A", "ts-A"]);
});

test("a turn whose first reply has no token picks up the first one that comes", async () => {
  const sent = await session([null, "ts-late", "ts-other"], async (send) => {
    await send([user("go")]);
    await send([user("go"), call, out]);
    await send([user("go"), call, out, call, out]);
  });
  assert.deepEqual(sent, [null, null, "ts-late"]);
});

test("a new turn (a new user message) and another session start without a token", async () => {
  const sent = await session(["ts-1", "ts-x", "ts-2", "ts-y", "ts-z"], async (send) => {
    await send([user("one")]);
    await send([user("one"), call, out]);
    await send([user("one"), call, out, answer, user("two")]);
    await send([user("one"), call, out, answer, user("two"), call, out]);
    await send([user("one"), call, out], "ses_other");
  });
  assert.deepEqual(sent, [null, "ts-1", null, "ts-2", null]);
});

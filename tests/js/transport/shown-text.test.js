// Backend text the user reads (an HTTP error's message, a failed stream's error) through the built plugin's
// fetch (dist/), under Node and Bun: no escape sequences, bells, NULs, C1 controls, bidi overrides or
// zero-width characters reach a terminal or a toast, and a token the backend echoed is redacted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCodexFetch } from "../../../dist/transport/fetch.js";
import { startMockBackend, sseEvent } from "../../helpers/mock-backend.js";
import { chatgptToken } from "../../helpers/jwt.js";

const JWT = chatgptToken({ accountId: "acc-echoed" });
const EVIL = `bad\u001b[31m red\u0007 \u0000 nul\r\nline2 \u009bcsi \u202ertl\u200bzw\u2066iso ${JWT}`;
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;
const credentials = { current: async () => ({ access: "tok-shown", accountId: "acc-shown" }) };
const BODY = JSON.stringify({ stream: true, model: "gpt-5.4", input: [], instructions: "x" });

async function call(handler) {
  const backend = await startMockBackend({ handler });
  try {
    const f = createCodexFetch({ credentials, cfg: { endpoint: backend.endpoint, originator: "o", userAgent: "u", stallSeconds: 30 }, transform: async (t) => ({ body: t }) });
    const res = await f(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
    if (!res.ok) return (await res.json()).error.message;
    return await res.text().then(() => "", (err) => err.message);
  } finally {
    await backend.close();
  }
}

function assertShown(message) {
  assert.match(message, /bad .*red .*line2/, "the words are kept");
  assert.equal(HIDDEN.test(message), false, `a control or format character in ${JSON.stringify(message)}`);
  assert.equal(message.includes(JWT), false, "the echoed token is redacted");
}

test("an HTTP error's backend message is shown without controls or tokens", async () => {
  for (const status of [400, 403, 404]) {
    assertShown(await call(() => ({ status, body: JSON.stringify({ error: { message: EVIL, code: "x" } }) })));
  }
});

/** The first output event of an answer: from here on a failure reaches the user instead of a re-send. */
const OUTPUT = sseEvent("response.output_item.added", { output_index: 0, item: { id: "msg_1", type: "message", role: "assistant", status: "in_progress", content: [] } });

test("a failed stream's backend message is shown without controls or tokens", async () => {
  // After output started (before it, a server_error is re-sent unseen: js/transport/resend.js).
  const failed = OUTPUT + sseEvent("response.failed", { response: { id: "r", status: "failed", error: { code: "server_error", message: EVIL } } });
  assertShown(await call(() => ({ status: 200, headers: { "content-type": "text/event-stream" }, body: failed })));
});

test("a connection reset mid-stream reads as a broken connection, not as the runtime's socket message", async () => {
  const head = sseEvent("response.created", { response: { id: "r", object: "response", status: "in_progress", output: [] } });
  const message = await call((req) => ({ status: 200, headers: { "content-type": "text/event-stream" }, stream: (async function* () {
    yield head + OUTPUT; // after output started (before it, a broken connection is re-sent unseen)
    await new Promise((r) => setTimeout(r, 50));
    req.socket.destroy();
  })() }));
  assert.match(message, /^the connection to the ChatGPT backend broke before the response completed \(.+\); try again$/);
});

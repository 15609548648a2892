// End to end: the real OpenCode when the connection to the backend breaks (the faults a real network
// throws). The mock backend answers title requests normally; the main turn (the request with tools) gets:
// - "reset": a few deltas, then the TCP connection is destroyed mid-stream;
// - "trickle": a whole answer in 7-byte pieces with pauses (slow, but never stalled);
// - "before-headers": the connection is destroyed before any response header.
// What must hold: a broken stream is reported as broken (never shown as a finished answer), a slow one
// completes with every word, the run ends in bounded time, and the turn is not sent without end.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startMockBackend, sseEvent, textStream } from "../helpers/mock-backend.js";
import { makeSandbox, OTHER_OPENCODE } from "../helpers/sandbox.js";
import { chatgptToken } from "../helpers/jwt.js";
import { isMainTurn } from "../helpers/codex-body.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const head = [
  sseEvent("response.created", { response: { id: "resp_conn", object: "response", status: "in_progress", output: [] } }),
  sseEvent("response.output_item.added", { output_index: 0, item: { id: "msg_conn", type: "message", role: "assistant", status: "in_progress", content: [] } }),
  sseEvent("response.content_part.added", { item_id: "msg_conn", output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }),
  sseEvent("response.output_text.delta", { item_id: "msg_conn", output_index: 0, content_index: 0, delta: "Partial ans" }),
].join("");
const TRICKLED = "A slow but complete answer arrives in the end.";

let mode = "reset";
let backend;
let sandbox;
before(async () => {
  backend = await startMockBackend({
    handler: (req, record) => {
      if (!(req.method === "POST" && req.url.startsWith("/backend-api/codex/responses"))) return undefined;
      const isMain = isMainTurn(record.json);
      if (!isMain) return textStream("E2E title");
      if (mode === "before-headers") {
        req.socket.destroy();
        return new Promise(() => {}); // never answers: the socket is gone
      }
      if (mode === "reset") {
        return { status: 200, headers: { "content-type": "text/event-stream" }, stream: (async function* () {
          yield head;
          await sleep(100);
          req.socket.destroy(); // a reset mid-stream
        })() };
      }
      const full = textStream(TRICKLED);
      return { status: 200, headers: { "content-type": "text/event-stream" }, stream: (async function* () {
        for (let i = 0; i < full.length; i += 7) {
          yield full.slice(i, i + 7);
          await sleep(i % 700 === 0 ? 300 : 2);
        }
      })() };
    },
  });
  sandbox = makeSandbox();
  sandbox.writeAuth({ openai: { type: "oauth", refresh: "rt-e2e-not-used", access: chatgptToken({ accountId: "acc-e2e-conn" }), expires: Date.now() + 3600_000 } });
});
after(async () => {
  await backend?.close();
  sandbox?.cleanup();
});

async function runTurn() {
  const before = backend.responses().length;
  const res = await sandbox.run(["run", "-m", "openai/gpt-5.4", "say hi"], { extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint }, timeoutMs: 150_000 });
  assert.equal(res.timedOut, false, `opencode run hung:\n${res.stderr.slice(-2000)}`);
  const main = backend.responses().slice(before).filter((c) => isMainTurn(c.json));
  return { out: `${res.stdout}\n${res.stderr}`, mainSends: main.length, code: res.code };
}

test("a reset mid-stream is reported as a broken stream, not as a finished answer", { timeout: 180_000 }, async () => {
  mode = "reset";
  const { out, mainSends } = await runTurn();
  assert.match(out, /the connection to the ChatGPT backend broke before the response completed/, out.slice(-3000));
  assert.ok(mainSends >= 1 && mainSends <= 24, `the main turn was sent ${mainSends} times`);
});

test("a slow trickle completes: every word arrives", { timeout: 180_000 }, async () => {
  mode = "trickle";
  const { out, mainSends } = await runTurn();
  assert.ok(out.includes(TRICKLED), out.slice(-3000));
  assert.equal(mainSends, 1);
});

// Skipped (and counted as skipped) against an older OpenCode: 1.17.0 keeps re-sending a turn whose connection closes
// before the headers past this test's bound (its own retry policy, not ours: the plugin answers 502 after its 4 tries).
const OLDER_RETRIES = OTHER_OPENCODE && "OpenCode other than the pinned one: its own re-send policy outlasts this test's bound";
test("a connection closed before the headers is reported as unreachable, after bounded retries", { timeout: 180_000, skip: OLDER_RETRIES }, async () => {
  mode = "before-headers";
  const { out, mainSends } = await runTurn();
  assert.match(out, /could not reach the ChatGPT backend/, out.slice(-3000));
  // Our 4 tries per request times OpenCode's re-sends of a 502: the same bound as codex-rs (4 request
  // retries x 6 turn attempts).
  assert.ok(mainSends >= 1 && mainSends <= 24, `the main turn was sent ${mainSends} times`);
});

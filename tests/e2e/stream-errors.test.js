// End to end: the real OpenCode reading streams that go wrong after they started. The mock backend
// sends a few text deltas of the main turn, then either a `response.failed` (context window
// exceeded) or nothing more (the connection ends before `response.completed`). OpenCode must show
// our readable message for each, and the run must end in bounded time. Title requests (no tools)
// get a normal answer.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startMockBackend, sseEvent, textStream } from "../helpers/mock-backend.js";
import { makeSandbox } from "../helpers/sandbox.js";
import { chatgptToken } from "../helpers/jwt.js";
import { isMainTurn } from "../helpers/codex-body.js";

const head = (id) => [
  sseEvent("response.created", { response: { id, object: "response", status: "in_progress", output: [] } }),
  sseEvent("response.output_item.added", { output_index: 0, item: { id: "msg_e2e", type: "message", role: "assistant", status: "in_progress", content: [] } }),
  sseEvent("response.content_part.added", { item_id: "msg_e2e", output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }),
  sseEvent("response.output_text.delta", { item_id: "msg_e2e", output_index: 0, content_index: 0, delta: "Partial ans" }),
].join("");

let mode = "failed";
let backend;
let sandbox;
before(async () => {
  backend = await startMockBackend({
    handler: (req, record) => {
      if (!(req.method === "POST" && req.url.startsWith("/backend-api/codex/responses"))) return undefined;
      const isMain = isMainTurn(record.json);
      if (!isMain) return textStream("E2E title");
      if (mode === "failed") {
        return head("resp_failed") + sseEvent("response.failed", { response: { id: "resp_failed", status: "failed", error: { code: "context_length_exceeded", message: "Your input exceeds the context window of this model." } } });
      }
      return head("resp_cut"); // the body ends here: no response.completed
    },
  });
  sandbox = makeSandbox();
  sandbox.writeAuth({ openai: { type: "oauth", refresh: "rt-e2e-not-used", access: chatgptToken({ accountId: "acc-e2e-stream" }), expires: Date.now() + 3600_000 } });
});
after(async () => {
  await backend?.close();
  sandbox?.cleanup();
});

async function runTurn() {
  const before = backend.responses().length;
  const t0 = Date.now();
  const res = await sandbox.run(["run", "-m", "openai/gpt-5.4", "say hi"], { extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint }, timeoutMs: 90_000 });
  assert.equal(res.timedOut, false, `opencode run hung:\n${res.stderr.slice(-2000)}`);
  const main = backend.responses().slice(before).filter((c) => isMainTurn(c.json));
  console.log(`${mode}: opencode run took ${Date.now() - t0} ms, main turn sent ${main.length} time(s)`);
  return { out: `${res.stdout}\n${res.stderr}`, ms: Date.now() - t0, mainSends: main.length };
}

test("a response.failed mid-stream reaches the user as our readable message", async () => {
  mode = "failed";
  const { out, ms, mainSends } = await runTurn();
  assert.match(out, /the conversation is too long for this model's context window; compact it \(\/compact\) or start a new session/, out.slice(-3000));
  assert.ok(ms < 90_000);
  assert.equal(mainSends, 1, "a context-window failure is not retried");
});

test("a stream cut before response.completed is reported as ended early, not as a finished answer", async () => {
  mode = "cut";
  const { out, ms, mainSends } = await runTurn();
  assert.match(out, /the ChatGPT stream ended before the response completed; try again/, out.slice(-3000));
  assert.ok(ms < 90_000);
  assert.ok(mainSends >= 1 && mainSends <= 3, `the main turn was sent ${mainSends} times`);
});

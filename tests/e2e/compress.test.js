// End to end with the real OpenCode (its own Bun, which has zstd): a session whose `read` tool call brings a
// large file into the conversation sends its `/responses` bodies `Content-Encoding: zstd`; the mock decodes
// each and finds a valid Codex request holding the file. OPENCODE_CODEX_COMPRESS=0 sends them plain. A
// backend that refuses zstd gets the refused request again plain, every later one plain, and the turn
// succeeds; with OPENCODE_CODEX_DEBUG=1 the plugin says so on stderr.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startMockBackend, sseEvent, textStream } from "../helpers/mock-backend.js";
import { makeSandbox } from "../helpers/sandbox.js";
import { chatgptToken } from "../helpers/jwt.js";

const isMain = (json) => Array.isArray(json?.tools) && json.tools.length > 0;
const hasOutput = (json) => json?.input?.some((i) => i.type === "function_call_output");
/** Ten files of ~45 KB of source-like text (under OpenCode's read limits: 2000 lines, 50 KB): read in one
 * step, ~450 KB of tool output, the long session's bulk, as real tool output is. */
const FILES = Array.from({ length: 10 }, (_, f) => `big${f}.js`);
const fileText = (f) => Array.from({ length: 500 }, (_, i) => `export function step${f}_${i}(input, options) { return transform(input, "${(i * 7919 + f) % 10007}"); }`).join("\n");

let sandbox;
const cleanups = [];
before(() => {
  sandbox = makeSandbox();
  FILES.forEach((name, f) => fs.writeFileSync(path.join(sandbox.work, name), fileText(f)));
  sandbox.writeAuth({ openai: { type: "oauth", refresh: "rt-zstd", access: chatgptToken(), expires: Date.now() + 3600_000 } });
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
  sandbox?.cleanup();
});

/** One step that reads every file (parallel tool calls). */
function readCallStream() {
  const items = FILES.map((name, i) => ({ id: `fc_${i}`, type: "function_call", status: "completed", call_id: `call_big${i}`, name: "read", arguments: JSON.stringify({ filePath: path.join(sandbox.work, name) }) }));
  return [
    sseEvent("response.created", { response: { id: "resp_1", status: "in_progress", output: [] } }),
    ...items.flatMap((item, i) => [
      sseEvent("response.output_item.added", { output_index: i, item: { ...item, arguments: "" } }),
      sseEvent("response.function_call_arguments.delta", { item_id: item.id, output_index: i, delta: item.arguments }),
      sseEvent("response.output_item.done", { output_index: i, item }),
    ]),
    sseEvent("response.completed", { response: { id: "resp_1", status: "completed", output: items, usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } } }),
  ].join("");
}

/** A mock that asks for a read of big.txt, then answers; `opts` are startMockBackend's. */
async function backendFor(opts = {}) {
  const backend = await startMockBackend({
    ...opts,
    handler: (req, rec) => {
      if (req.method !== "POST" || !req.url.endsWith("/responses")) return undefined;
      if (!isMain(rec.json)) return textStream("Session title");
      return hasOutput(rec.json) ? textStream("The big files define steps.") : readCallStream();
    },
  });
  cleanups.push(() => backend.close());
  return backend;
}

async function runTurn(backend, env = {}) {
  const res = await sandbox.run(["run", "-m", "openai/gpt-5.5", "read the big files and tell me what they define"], { extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint, ...env } });
  assert.equal(res.timedOut, false, "opencode run timed out");
  assert.equal(res.code, 0, `opencode run failed:\n${res.stderr.slice(-2000)}`);
  assert.match(res.stdout, /The big files define steps\./);
  return res;
}

/** The main requests that came whole (not refused); the follow-up carries the file. */
function mainRequests(backend) {
  const mains = backend.responses().filter((r) => !r.refused && isMain(r.json));
  assert.equal(mains.length, 2, "the turn with the read call, then the follow-up");
  const followUp = mains[1];
  FILES.forEach((name, f) => {
    const out = followUp.json.input.find((i) => i.type === "function_call_output" && i.call_id === `call_big${f}`);
    assert.ok(out, `the follow-up carries the read of ${name}`);
    assert.ok(JSON.stringify(out.output).includes(`export function step${f}_42(input, options)`), `with ${name}'s text`);
  });
  assert.ok(followUp.raw.length > 400_000, `the follow-up body is the long session (${followUp.raw.length} bytes)`);
  for (const r of mains) {
    assert.equal(r.json.store, false);
    assert.equal(r.json.stream, true);
    assert.equal(r.json.model, "gpt-5.5");
    assert.ok(r.json.input.every((i) => !("id" in i)), "the transform ran: no item ids");
  }
  return mains;
}

test("a long session's requests reach the backend zstd-encoded and decode to valid Codex requests", async () => {
  const backend = await backendFor();
  await runTurn(backend);
  const mains = mainRequests(backend);
  for (const r of mains) {
    assert.equal(r.encoding, "zstd");
    assert.equal(r.headers["content-encoding"], "zstd");
    assert.equal(Number(r.headers["content-length"]), r.wireBytes, "Content-Length counts the compressed bytes");
  }
  const followUp = mains[1];
  assert.ok(followUp.wireBytes * 5 < Buffer.byteLength(followUp.raw), `${followUp.wireBytes} bytes sent for ${Buffer.byteLength(followUp.raw)}`);
});

test("OPENCODE_CODEX_COMPRESS=0: the same session goes as plain JSON", async () => {
  const backend = await backendFor();
  await runTurn(backend, { OPENCODE_CODEX_COMPRESS: "0" });
  for (const r of backend.responses()) {
    assert.equal(r.encoding, "identity");
    assert.equal(r.headers["content-encoding"], undefined);
  }
  mainRequests(backend);
});

test("a backend that refuses zstd: the plugin re-sends plain, stays plain, and the turn succeeds", async () => {
  const backend = await backendFor({ refuseZstd: 415 });
  const res = await runTurn(backend, { OPENCODE_CODEX_DEBUG: "1" });
  const all = backend.responses();
  const refused = all.filter((r) => r.refused);
  assert.ok(refused.length >= 1, "the first compressed request was refused");
  assert.ok(refused.every((r) => r.encoding === "zstd" && r.refused === 415));
  // Requests already on their way when the first refusal came (the title and the turn go together) may each be
  // refused once; every request that came whole came plain, and the follow-up (sent after the refusal) went
  // plain at once.
  assert.deepEqual(all.filter((r) => !r.refused).map((r) => r.encoding), all.filter((r) => !r.refused).map(() => "identity"));
  assert.equal(refused.filter((r) => hasOutput(r.json)).length, 0, "the follow-up was never sent compressed");
  for (const r of mainRequests(backend)) assert.equal(r.encoding, "identity");
  assert.match(res.stderr, /the backend refused Content-Encoding: zstd \(HTTP 415\); re-sending plain/);
});

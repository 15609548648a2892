// Load (issue 8): 200 concurrent streamed requests through ONE plugin instance against the mock
// backend on 127.0.0.1. Each request carries its own marker; the mock streams a text made of that
// marker in small delayed chunks. All must complete, each with exactly its own text (no cross-talk),
// ending with response.completed, in bounded time and memory, twice over. Prints each round's duration and peak RSS growth.
import { test } from "node:test";
import assert from "node:assert/strict";
import plugin from "../../dist/index.js";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startMockBackend } from "../helpers/mock-backend.js";
import { loadHandler, marker, textFor } from "../helpers/load-common.js";
import { chatgptToken } from "../helpers/jwt.js";

const N = 200;
// RSS is compared with the same rounds read by the runtime's own fetch, no plugin, in a fresh process
// (tests/helpers/load-bare.js): Bun 1.3 allocates a 256 KB buffer per read of a fetch body and frees
// them late, so there 200 bare streams already peak near +190 MB and round 2 adds ~85 MB more (Node:
// ~+63 MB, then ~+5). What the plugin adds over that baseline must stay under this, in each round;
// a leak of 1 MB per stream would add 200 MB a round.
const PLUGIN_MB = 128;
const TIME_LIMIT_MS = 60_000;

/** {first, second}: the bare runtime's peak RSS growth (MB) after each round, from a fresh process. */
function bareBaseline() {
  const script = fileURLToPath(new URL("../helpers/load-bare.js", import.meta.url));
  const args = globalThis.Bun ? [script, String(N)] : ["--expose-gc", script, String(N)];
  const run = spawnSync(process.execPath, args, { encoding: "utf8", timeout: TIME_LIMIT_MS });
  assert.equal(run.status, 0, `bare baseline failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1));
}
/** The concatenated output_text deltas and the event types of one SSE body. */
function readSse(body) {
  let text = "";
  const types = [];
  for (const block of body.split("\n\n")) {
    const data = block.split("\n").find((l) => l.startsWith("data: "));
    if (!data) continue;
    const ev = JSON.parse(data.slice(6));
    types.push(ev.type);
    if (ev.type === "response.output_text.delta") text += ev.delta;
  }
  return { text, types };
}

test(`${N} concurrent streamed requests through one plugin instance: all complete, no cross-talk, bounded memory`, async () => {
  const bare = bareBaseline();
  const backend = await startMockBackend({ handler: loadHandler });
  let timer;
  try {
    const hooks = await plugin.server({ client: {} }, { endpoint: backend.endpoint });
    const access = chatgptToken({ accountId: "acc-load" });
    const opts = await hooks.auth.loader(async () => ({ type: "oauth", access, refresh: "r-load", expires: Date.now() + 3600_000 }));

    globalThis.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);

    const one = async (i) => {
      const body = JSON.stringify({ stream: true, model: "gpt-5.4", instructions: "x", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: `load ${i}` }] }] });
      const res = await opts.fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json", "session-id": `ses_load_${i}` }, body });
      return { i, status: res.status, body: await res.text() };
    };
    /** One round of N at once; returns its duration and the peak RSS growth so far (MB). */
    const round = async (r) => {
      const t0 = performance.now();
      let limit;
      const late = new Promise((_, reject) => (limit = setTimeout(() => reject(new Error(`not done within ${TIME_LIMIT_MS} ms`)), TIME_LIMIT_MS)));
      const results = await Promise.race([Promise.all(Array.from({ length: N }, (_, i) => one(i))), late]).finally(() => clearTimeout(limit));
      const ms = performance.now() - t0;
      peak = Math.max(peak, process.memoryUsage().rss);
      const deltaMb = (peak - rss0) / 2 ** 20;
      console.log(`load round ${r}: ${N} concurrent streams in ${ms.toFixed(0)} ms; rss ${(rss0 / 2 ** 20).toFixed(1)} MB before, peak +${deltaMb.toFixed(1)} MB`);
      assert.equal(results.length, N);
      for (const { i, status, body } of results) {
        assert.equal(status, 200, `request ${i}: ${body.slice(0, 200)}`);
        const { text, types } = readSse(body);
        assert.equal(text, textFor(i), `request ${i} got another stream's text`);
        // No other request's marker anywhere in the body (ids, done events, the final item).
        assert.deepEqual([...new Set(body.match(/M\d{3}Z/g))], [marker(i)], `request ${i}: cross-talk`);
        assert.ok(body.includes(`"id":"resp_${i}"`), `request ${i}: its own response id`);
        assert.equal(types.at(-1), "response.completed", `request ${i} did not end with response.completed`);
      }
      assert.ok(ms < TIME_LIMIT_MS);
      return deltaMb;
    };
    // Two rounds: the first bounds the cost of 200 live streams, the second shows it does not pile up.
    const first = await round(1);
    globalThis.Bun?.gc(true); // collect round 1's garbage: what stays is what leaked
    globalThis.gc?.();
    const second = await round(2);
    clearInterval(timer);
    console.log(`load baseline (bare fetch, no plugin, fresh process): peak +${bare.first.toFixed(1)} MB after round 1, +${bare.second.toFixed(1)} MB after round 2`);
    assert.ok(first - bare.first < PLUGIN_MB, `the plugin added ${(first - bare.first).toFixed(1)} MB over the bare runtime in round 1`);
    assert.ok(second - bare.second < PLUGIN_MB, `the plugin added ${(second - bare.second).toFixed(1)} MB over the bare runtime after round 2`);
    const calls = backend.responses();
    assert.equal(calls.length, 2 * N);
    assert.deepEqual(calls.map((c) => c.json.input[0].content[0].text).sort(), Array.from({ length: 2 * N }, (_, i) => `load ${i % N}`).sort());
    assert.ok(calls.every((c) => c.headers.authorization === `Bearer ${access}`));
  } finally {
    clearInterval(timer);
    await backend.close();
  }
});

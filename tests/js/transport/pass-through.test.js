// The guarded SSE body (dist/transport/stream.js) against the core's own full parse: the same stream,
// split at every possible chunk edge and at random ones, with failure and completion markers inside
// the model's text, must forward the same bytes and end the same way (completed, the failure's kind
// and words, or "ended early") as one StreamRewriter fed the whole stream at once. Also checks that
// the fast way (no copy into wasm) is what ran after the first output event.
import { test } from "node:test";
import assert from "node:assert/strict";
import { guardStream, guardStats, plainHead, lastBoundary, ENDED_EARLY, FALLBACK_BYTES } from "../../../dist/transport/stream.js";
import { loadCore } from "../../../dist/core.js";

const enc = new TextEncoder();
const core = await loadCore();

/** A small deterministic PRNG (mulberry32): every failure names its seed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ev = (type, data, { eventLine = true } = {}) => `${eventLine ? `event: ${type}\n` : ""}data: ${JSON.stringify({ type, ...data })}\n\n`;

// Model text that carries every marker the guard might trip over (JSON escapes the line ends).
const TRICKY = [
  "response.failed",
  "event: error",
  '"type":"error"',
  "\n\nevent: response.completed\ndata: {}\n\n",
  "error",
  "completed",
  "response.incomplete",
  "data: ",
  "event:",
  "héllo wörld 😀",
  "\r\n\r\n",
  "plain words",
];

const PREAMBLE = ev("response.created", { response: { id: "resp_1", status: "in_progress", error: null } }) + ev("response.in_progress", { response: { id: "resp_1" } });

/** The endings a stream can have, each with what the core must report (checked against the core itself). */
const ENDINGS = {
  completed: (big) => ev("response.completed", { response: { id: "resp_1", status: "completed", output: [{ type: "message", content: [{ type: "output_text", text: big }] }] } }),
  completedThenComment: () => ev("response.completed", { response: { status: "completed" } }) + ": done\n\n",
  completedDataOnly: () => ev("response.completed", { response: { status: "completed" } }, { eventLine: false }),
  failed: () => ev("response.failed", { response: { error: { code: "server_error", message: "The model crashed: error completed" } } }),
  failedContext: () => ev("response.failed", { response: { error: { code: "context_length_exceeded", message: "Your input exceeds the context window" } } }),
  errorEvent: () => ev("error", { error: { type: "server_error", code: "weird", message: "boom" } }),
  errorDataOnly: () => ev("error", { code: "rate_limit_exceeded", message: "Please try again in 2.5s" }, { eventLine: false }),
  errorThenBlank: () => ev("error", { error: { code: "x", message: "late" } }) + "\n\n\n",
  incomplete: () => ev("response.incomplete", { response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } } }),
  endedEarly: () => "",
  // Two terminal events back to back: the first failure is the one reported, as in one parse.
  errorThenFailed: () => ev("error", { error: { code: "first", message: "the first one" } }) + ev("response.failed", { response: { error: { code: "second", message: "the second one" } } }),
  completedThenError: () => ev("response.completed", { response: { status: "completed" } }) + ": x\n\n" + ev("error", { error: { code: "late", message: "after completion" } }),
  cutMidEvent: () => 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"cut',
};

/** One stream: preamble, `items` output items with deltas (tricky text, long deltas, comments, data-only events), an ending. */
function makeStream(seed, ending, { items = 3, deltas = 12, longDelta = 0 } = {}) {
  const r = rng(seed);
  let s = PREAMBLE;
  for (let i = 0; i < items; i++) {
    s += ev("response.output_item.added", { output_index: i, item: { id: `msg_${i}`, type: "message", status: "in_progress" } });
    for (let d = 0; d < deltas; d++) {
      let text = TRICKY[Math.floor(r() * TRICKY.length)];
      if (r() < 0.3) text = text.repeat(1 + Math.floor(r() * 20));
      if (longDelta && d === 1) text = "x".repeat(longDelta);
      const roll = r();
      if (roll < 0.08) s += ": keep-alive\n\n";
      if (roll > 0.92) s += ev("response.output_text.delta", { item_id: `msg_${i}`, delta: text }, { eventLine: false });
      else if (roll > 0.85) s += `id: ${d}\n` + ev("response.output_text.delta", { item_id: `msg_${i}`, delta: text });
      else s += ev(d % 3 ? "response.output_text.delta" : "response.reasoning_summary_text.delta", { item_id: `msg_${i}`, delta: text });
    }
    s += ev("response.output_item.done", { output_index: i, item: { id: `msg_${i}`, type: "message", status: "completed" } });
  }
  return enc.encode(s + ENDINGS[ending]("final text ".repeat(1 + Math.floor(r() * 400))));
}

/** What the core says about the whole stream fed at once: the bytes it forwards and how it ends. */
function coreVerdict(bytes, hold) {
  const rw = new core.StreamRewriter(hold);
  try {
    const n = rw.push(bytes) + rw.finish();
    const end = rw.failed ? { kind: rw.errorKind(), message: rw.errorMessage() } : rw.completed ? "completed" : { kind: "incomplete", message: ENDED_EARLY };
    return { forwarded: bytes.length === n ? "all" : n, end };
  } finally {
    rw.free();
  }
}

function bodyOf(chunks) {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.close();
    },
  }, { highWaterMark: 0 });
}

/** The guarded body over `chunks`: the bytes OpenCode reads and how the body ends. */
async function guardVerdict(bytes, chunks, hold) {
  const res = await guardStream(new Response(bodyOf(chunks)), { hold, stallSeconds: 60 });
  const reader = res.body.getReader();
  const got = [];
  let end = "completed";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got.push(value);
    }
  } catch (err) {
    end = { kind: err.kind, message: err.message };
  }
  const out = Buffer.concat(got);
  const n = out.length;
  // The forwarded bytes are a prefix of the stream, byte-identical.
  assert.ok(Buffer.from(bytes.subarray(0, n)).equals(out), "forwarded bytes differ from the stream");
  return { verdict: { forwarded: n === bytes.length ? "all" : n, end }, stats: guardStats(res) };
}

const splitAt = (bytes, cuts) => {
  const chunks = [];
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    chunks.push(bytes.subarray(prev, c));
    prev = c;
  }
  chunks.push(bytes.subarray(prev));
  return chunks.filter((c) => c.length);
};

test("every ending, split at every chunk edge (two chunks), reads as the core reads it", { timeout: 60_000 }, async () => {
  for (const [ending, hold] of [["completed", true], ["failed", true], ["errorEvent", false], ["errorDataOnly", true], ["incomplete", false], ["endedEarly", true], ["completedThenComment", true], ["errorThenBlank", false], ["cutMidEvent", true], ["errorThenFailed", true], ["completedThenError", false]]) {
    const bytes = makeStream(7, ending, { items: 1, deltas: 6 });
    const want = coreVerdict(bytes, hold);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { verdict } = await guardVerdict(bytes, splitAt(bytes, [cut]), hold);
      assert.deepEqual(verdict, want, `${ending}, hold ${hold}, cut at ${cut}`);
    }
  }
});

test("three chunks: the second edge at every position past the first output event", async () => {
  for (const ending of ["failedContext", "completedDataOnly", "errorEvent"]) {
    const bytes = makeStream(11, ending, { items: 1, deltas: 4 });
    const want = coreVerdict(bytes, true);
    const first = Buffer.from(bytes).indexOf("event: response.output_item.added") + 40; // the core sees the first output here
    let fast = 0;
    for (let cut = first + 1; cut <= bytes.length; cut++) {
      const { verdict, stats } = await guardVerdict(bytes, splitAt(bytes, [first, cut]), true);
      assert.deepEqual(verdict, want, `${ending}, cuts ${first} and ${cut}`);
      fast += stats.fast;
    }
    assert.ok(fast > 0, "the fast way never ran");
  }
});

// Four tests of 30 seeds each: each stays well inside Bun's default 5 s per test.
for (let first = 1; first <= 120; first += 30) {
  test(`random splits of long streams with marker text in the deltas read as the core reads them (seeds ${first}–${first + 29})`, { timeout: 60_000 }, async () => {
    const endings = Object.keys(ENDINGS);
    for (let seed = first; seed < first + 30; seed++) {
      const r = rng(seed * 7919);
      const ending = endings[seed % endings.length];
      const hold = seed % 2 === 0;
      const bytes = makeStream(seed, ending, { items: 2 + (seed % 4), deltas: 20, longDelta: seed % 5 === 0 ? 40_000 : 0 });
      const want = coreVerdict(bytes, hold);
      const maxChunk = [3, 40, 700, 5000, 20_000][seed % 5];
      const cuts = [];
      for (let at = 0; at < bytes.length; ) cuts.push((at += 1 + Math.floor(r() * maxChunk)));
      const { verdict, stats } = await guardVerdict(bytes, splitAt(bytes, cuts.filter((c) => c < bytes.length)), hold);
      assert.deepEqual(verdict, want, `seed ${seed}: ${ending}, hold ${hold}, chunks ≤ ${maxChunk}`);
      if (maxChunk >= 40 && bytes.length > 3 * maxChunk) assert.ok(stats.fast > 0, `seed ${seed}: the fast way never ran`);
    }
  });
}

test("one byte at a time", async () => {
  for (const ending of ["completed", "errorEvent", "endedEarly"]) {
    const bytes = makeStream(3, ending, { items: 2, deltas: 5 });
    const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    assert.deepEqual((await guardVerdict(bytes, chunks, true)).verdict, coreVerdict(bytes, true), ending);
  }
});

test("an event longer than the fast way keeps hands the rest of the stream to the core", async () => {
  for (const ending of ["completed", "failed", "endedEarly"]) {
    const bytes = makeStream(5, ending, { items: 1, deltas: 3, longDelta: 2 * FALLBACK_BYTES });
    const chunks = splitAt(bytes, Array.from({ length: Math.floor(bytes.length / 65536) }, (_, i) => (i + 1) * 65536));
    const { verdict, stats } = await guardVerdict(bytes, chunks, true);
    assert.deepEqual(verdict, coreVerdict(bytes, true), ending);
    assert.deepEqual([stats.fast > 0, stats.fallback], [true, 1], `the core did not take over (${JSON.stringify(stats)})`);
  }
});

test("a long completion is judged from its head only when nothing after the head can change what it is", { timeout: 60_000 }, async () => {
  const long = "z".repeat(20_000);
  const done = (extra = {}) => JSON.stringify({ type: "response.completed", response: { id: "resp_1", status: "completed", output: [{ type: "message", content: [{ type: "output_text", text: long }] }] }, ...extra });
  // [the ending, whether the core may judge it from its head]
  const endings = {
    oneLine: [`event: response.completed\ndata: ${done()}\n\n`, true],
    dataOnly: [`data: ${done()}\n\n`, true],
    // A second line after the head: the whole event is read (the last `event:` field wins).
    thenFailedLine: [`event: response.completed\ndata: ${done()}\nevent: response.failed\n\n`, false],
    thenDataLine: [`event: response.completed\ndata: ${done()}\ndata: more\n\n`, false],
    crThenError: [`event: response.completed\ndata: ${done()}\revent: error\n\n`, false],
    // A CR pair in the head ends a failure before the completion: the failure wins, as in one parse.
    errorBeforeInHead: [`event: error\ndata: {"type":"error","error":{"code":"server_error","message":"boom"}}\r\rdata: ${done()}\n\n`, false],
    longFailure: [`event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", response: { error: { code: "server_error", message: `boom ${long}` } } })}\n\n`, false],
  };
  for (const [name, [ending, fromHead]] of Object.entries(endings)) {
    const bytes = enc.encode(new TextDecoder().decode(makeStream(21, "endedEarly", { items: 1, deltas: 8 })) + ending);
    const want = coreVerdict(bytes, true);
    const evStart = bytes.length - enc.encode(ending).length;
    const splits = [
      ...[1000, 4096, 16384, 70_000].map((size) => [`every ${size} B`, Array.from({ length: Math.floor(bytes.length / size) }, (_, i) => (i + 1) * size)]),
      // The edge anywhere in the event's head, and the rest of it in one more chunk.
      ...Array.from({ length: 60 }, (_, i) => [`edges at ${evStart + i * 11} and ${evStart + 3000}`, [evStart + i * 11, evStart + 3000]]),
    ];
    let headOnly = 0;
    for (const [how, cuts] of splits) {
      const { verdict, stats } = await guardVerdict(bytes, splitAt(bytes, cuts.filter((c) => c > 0 && c < bytes.length)), true);
      assert.deepEqual(verdict, want, `${name}, ${how}`);
      headOnly += stats.headOnly;
    }
    assert.equal(headOnly > 0, fromHead, `${name}: judged from its head ${headOnly} times`);
  }
});

test("CRLF line ends: before the first output the stream stays with the core; a switch after it is still read right at the end", async () => {
  for (const ending of ["completed", "errorEvent", "endedEarly"]) {
    const lf = new TextDecoder().decode(makeStream(9, ending, { items: 2, deltas: 8 }));
    const crlf = enc.encode(lf.replaceAll("\n", "\r\n"));
    const chunks = splitAt(crlf, Array.from({ length: 30 }, (_, i) => Math.floor(((i + 1) * crlf.length) / 31)));
    const { verdict, stats } = await guardVerdict(crlf, chunks, true);
    assert.deepEqual(verdict, coreVerdict(crlf, true), `crlf ${ending}`);
    assert.equal(stats.fast, 0, "a CRLF stream went the fast way");
    // LF before the first output, CRLF after it: ends are still right (the core reads the last event).
    const at = lf.indexOf("event: response.output_text.delta");
    const mixed = enc.encode(lf.slice(0, at) + lf.slice(at).replaceAll("\n", "\r\n"));
    const { verdict: v2 } = await guardVerdict(mixed, splitAt(mixed, [at + 10, at + 500, mixed.length - 40]), true);
    assert.deepEqual(v2.end, coreVerdict(mixed, true).end, `mixed ${ending}`);
  }
});

test("plainHead and lastBoundary: the event heads forwarded unread, the blank lines found", () => {
  const head = (s) => plainHead(enc.encode(s), 0);
  assert.deepEqual(
    [
      "event: response.output_text.delta\ndata: {}",
      "event:response.output_item.added\n",
      "event: response.completed\n",
      "event: response.failed\n",
      "event: response.incomplete\n",
      "event: error\n",
      "event: message\n",
      "event:\n",
      "event: response.output_text.delta\r\n",
      "data: {\"type\":\"response.output_text.delta\"}\n",
      ": comment\n",
      "event: response.output_te",
      "eve",
      "evX",
    ].map(head),
    [true, true, false, false, false, false, false, false, false, false, false, undefined, undefined, false],
  );
  const b = enc.encode("a\n\nb\n\nc");
  assert.deepEqual([lastBoundary(b, b.length, false), lastBoundary(b, 5, false), lastBoundary(b, 2, false), lastBoundary(enc.encode("\nx"), 2, true), lastBoundary(enc.encode("\nx"), 2, false)], [6, 3, -1, 1, -1]);
});

test("the stall watch arms a few timers per stream, not one per chunk, and still stops a stalled stream", async () => {
  const bytes = makeStream(13, "completed", { items: 4, deltas: 40 });
  const chunks = splitAt(bytes, Array.from({ length: 299 }, (_, i) => Math.floor(((i + 1) * bytes.length) / 300)));
  const real = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = (...a) => (timers++, real(...a));
  try {
    assert.deepEqual((await guardVerdict(bytes, chunks, true)).verdict, { forwarded: "all", end: "completed" });
  } finally {
    globalThis.setTimeout = real;
  }
  assert.ok(timers <= 3, `${timers} timers for ${chunks.length} chunks`);
  // A body that sends its first output and then nothing: stopped as a stall, with the bytes before it delivered.
  const head = makeStream(13, "endedEarly", { items: 1, deltas: 2 });
  let sent = false;
  const body = new ReadableStream({
    pull(c) {
      if (!sent) c.enqueue(head);
      sent = true;
      return new Promise(() => {}); // never more
    },
  }, { highWaterMark: 0 });
  const res = await guardStream(new Response(body), { hold: true, stallSeconds: 0.05 });
  const reader = res.body.getReader();
  const got = [];
  const alive = setInterval(() => {}, 1000); // the guard's timer is unref'd: a socket keeps a real process alive
  const err = await (async () => {
    try {
      for (;;) {
        const { value } = await reader.read();
        got.push(value);
      }
    } catch (e) {
      return e;
    } finally {
      clearInterval(alive);
    }
  })();
  assert.deepEqual([err.kind, err.message, err.outputStarted], ["stall", "no data from the ChatGPT backend for 0.05 s; the stream was stopped, try again", true]);
  assert.ok(Buffer.from(head).equals(Buffer.concat(got)), "the bytes before the stall were not all delivered");
});

// One benchmark case inside one runtime (Node or Bun), started by scripts/bench-run.js; prints one JSON
// line on stdout. Implementations compared on the same inputs in the same process, interleaved round by
// round (so background load hits all of them alike): the floor (what any JS plugin pays), the anchor
// (opencode-openai-codex-auth 4.4.0, network stubbed: see docs/benchmarks.md) and ours (dist/, the wasm core).
// Usage: <node|bun> scripts/bench-worker.js CASE FIXTURE_DIR [--quick] [--impl NAME]
//   CASE: transform | sse | stream | cold | memory
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { spread } from "./bench-stats.js";

const [kase, fixDir, ...flags] = process.argv.slice(2);
const quick = flags.includes("--quick");
const implArg = flags.includes("--impl") ? flags[flags.indexOf("--impl") + 1] : undefined;
const DIST = new URL("../dist/", import.meta.url);
const ANCHOR = new URL("../node_modules/opencode-openai-codex-auth/dist/", import.meta.url);
const now = () => performance.now();
const gc = globalThis.Bun ? () => globalThis.Bun.gc(true) : (globalThis.gc ?? (() => {}));
const runtime = globalThis.Bun ? `bun ${globalThis.Bun.version}` : `node ${process.versions.node}`;
const CHUNK = 16 * 1024;
const RESPONSES_URL = "https://api.openai.com/v1/responses";

// The anchor must never reach the network: its prompts come from the stub cache under $HOME (written by
// bench-run.js) and any fetch it still attempts fails here and is counted (reported; must stay 0).
let anchorFetches = 0;
const blockedFetch = async (url) => {
  anchorFetches += 1;
  throw new Error(`bench: network disabled (${url})`);
};
globalThis.fetch = blockedFetch;

// ---------------------------------------------------------------- inputs
const readFixture = (name) => readFileSync(join(fixDir, name), "utf8");
function sseChunks() {
  const bytes = new Uint8Array(readFileSync(join(fixDir, "stream.sse")));
  const chunks = [];
  for (let at = 0; at < bytes.length; at += CHUNK) chunks.push(bytes.slice(at, at + CHUNK));
  return { bytes, chunks };
}
/** A fresh body stream over the same chunks, like a fetch body: one chunk per pull. */
function source(chunks) {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.close();
    },
  }, { highWaterMark: 0 });
}
async function* read(stream) {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

// ---------------------------------------------------------------- the three implementations
/** The anchor's modules and its inputs: the Codex instructions string it would have fetched from GitHub. */
async function loadAnchor() {
  const stub = join(homedir(), ".opencode", "cache", "opencode-codex.txt");
  if (!existsSync(stub)) throw new Error(`anchor prompt stub missing (${stub}); run through scripts/bench`);
  const transformer = await import(new URL("lib/request/request-transformer.js", ANCHOR).href);
  const helpers = await import(new URL("lib/request/fetch-helpers.js", ANCHOR).href);
  const responses = await import(new URL("lib/request/response-handler.js", ANCHOR).href);
  const instructions = readFileSync(join(homedir(), ".opencode", "cache", "gpt-5.1-instructions.md"), "utf8");
  const userConfig = { global: {}, models: {} };
  return {
    /** Its exported transform, string in → string out, with codexMode off: pure CPU, no file reads. */
    transformCpu: async (text) => JSON.stringify(await transformer.transformRequestBody(JSON.parse(text), instructions, userConfig, false)),
    /** The same in its default codexMode, which reads the cached OpenCode prompt (mkdir + 2 file reads) per call. */
    transform: async (text) => JSON.stringify(await transformer.transformRequestBody(JSON.parse(text), instructions, userConfig, true)),
    /** Its fetch path: index.js parses the body for `stream`, then transformRequestForCodex parses it again. */
    fetchPath: async (text) => {
      const init = { method: "POST", body: text };
      if (JSON.parse(init.body).stream !== true) throw new Error("not streaming");
      const out = await helpers.transformRequestForCodex(init, "https://chatgpt.com/backend-api/codex/responses", userConfig, true);
      return out.updatedInit.body;
    },
    sseToJson: (stream) => responses.convertSseToJson(new Response(stream), new Headers({ "content-type": "text/event-stream" })),
    passThrough: (res) => helpers.handleSuccessResponse(res, true),
  };
}

/** Our core as built in dist/; every adapter reports `na` with a reason when its export is missing. */
async function loadOurs() {
  const { loadCore } = await import(new URL("core.js", DIST).href);
  const core = await loadCore();
  return { core, transform: ourTransform(core), SseCollector: core.SseCollector, StreamRewriter: core.StreamRewriter };
}

/** `transformRequest(body)` (first slice) or `transformRequest(body, catalog, opts) -> {body, ...}` with a Catalog. */
function ourTransform(core) {
  if (typeof core.transformRequest !== "function") return { na: "export transformRequest missing" };
  if (typeof core.Catalog !== "function") return { api: "transformRequest(body) -> string", fn: (t) => core.transformRequest(t) };
  let catalog;
  const tried = [];
  for (const name of ["bundled", "builtin", "default", "snapshot", "fromBundled"]) {
    if (typeof core.Catalog[name] !== "function") continue;
    tried.push(`Catalog.${name}()`);
    try {
      catalog = core.Catalog[name]();
      break;
    } catch {}
  }
  if (!catalog) {
    tried.push("new Catalog()");
    try {
      catalog = new core.Catalog();
    } catch (err) {
      return { na: `could not build a Catalog (tried ${tried.join(", ")}: ${err.message})` };
    }
  }
  const opts = { nowMs: 1767225600000 };
  const api = `transformRequest(body, ${tried.at(-1)}, {nowMs}) -> {body}`;
  return { api, fn: (t) => {
    const out = core.transformRequest(t, catalog, opts);
    return typeof out === "string" ? out : out.body;
  } };
}

const floorTransform = (text) => JSON.stringify(JSON.parse(text));
// What crossing into wasm and back costs at least, timed apart: a string written as UTF-8 into wasm memory
// (wasm-bindgen uses encodeInto; here a reused buffer) and UTF-8 bytes read back into a string.
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
let scratchBuf = new Uint8Array(0);
const scratch = (n) => (scratchBuf.length >= n ? scratchBuf : (scratchBuf = new Uint8Array(n)));
async function floorLines(stream) {
  const decoder = new TextDecoder();
  let rest = "";
  let lines = 0;
  for await (const chunk of read(stream)) {
    const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = parts.pop();
    lines += parts.length;
  }
  rest += decoder.decode();
  return lines + (rest ? 1 : 0);
}
async function ourSseToJson(Collector, stream) {
  const collector = new Collector();
  try {
    for await (const chunk of read(stream)) collector.push(chunk);
    return collector.finish();
  } finally {
    collector.free?.();
  }
}
async function ourRewrite(Rewriter, stream) {
  const rw = new Rewriter();
  let bytes = 0;
  try {
    for await (const chunk of read(stream)) bytes += rw.push(chunk)?.byteLength ?? 0;
    const tail = rw.finish();
    return bytes + (tail?.byteLength ?? 0);
  } finally {
    rw.free?.();
  }
}
/** Our fetch wrapper (dist/transport/fetch.js) over a mocked backend; the body transform is the identity so only the
 * response path is measured. `respond(src)` is what the mocked fetch answers. */
async function ourWrapper() {
  const { createCodexFetch } = await import(new URL("transport/fetch.js", DIST).href);
  const { resolveConfig } = await import(new URL("config.js", DIST).href);
  const cfg = resolveConfig({ endpoint: "http://127.0.0.1:9/backend-api/codex" }, {});
  const credentials = { current: async () => ({ access: "bench-access-token", accountId: "bench-account" }) };
  const codexFetch = createCodexFetch({ credentials, cfg, transform: (text) => text });
  const body = JSON.stringify({ model: "gpt-5.4", input: [], stream: true });
  return async (src) => {
    globalThis.fetch = async () => new Response(src, { status: 200, headers: { "content-type": "text/event-stream" } });
    try {
      return await codexFetch(RESPONSES_URL, { method: "POST", headers: { "content-type": "application/json" }, body });
    } finally {
      globalThis.fetch = blockedFetch;
    }
  };
}

// ---------------------------------------------------------------- measurement
const stats = spread;

/** Interleaved rounds: each round times every implementation once (a batch of k calls, k chosen so a batch
 * lasts ≥ batchMs), rotating the order; stops after `budgetMs` (and at least minRounds). Milliseconds per call.
 * A `selfTimed` implementation returns the milliseconds of the part it measures itself. */
async function compare(impls, { budgetMs, minRounds = 7, maxRounds = 400, batchMs = 5 }) {
  const live = impls.filter((i) => i.fn);
  for (const i of live) {
    for (let w = 0; w < 3; w++) await i.fn();
    for (i.k = 1; i.k < 512; i.k *= 2) {
      const t = now();
      for (let j = 0; j < i.k; j++) await i.fn();
      if (now() - t >= batchMs) break;
    }
    i.samples = [];
  }
  const start = now();
  for (let round = 0; round < maxRounds && (round < minRounds || now() - start < budgetMs); round++) {
    for (let x = 0; x < live.length; x++) {
      const i = live[(x + round) % live.length];
      gc();
      const t = now();
      let own = 0;
      for (let j = 0; j < i.k; j++) {
        const ms = await i.fn();
        if (i.selfTimed) own += ms;
      }
      i.samples.push((i.selfTimed ? own : now() - t) / i.k);
    }
  }
  return Object.fromEntries(impls.map((i) => [i.name, i.fn ? { ...stats(i.samples), batch: i.k, ...i.info } : { na: i.na }]));
}

/** Wraps an adapter: runs it once, checks its output, and returns an implementation for compare(). */
async function impl(name, fn, check, info = {}) {
  if (typeof fn !== "function") return { name, na: fn?.na ?? "n/a" };
  try {
    const out = await fn();
    return { name, fn, info: { ...info, ...(await check(out)) } };
  } catch (err) {
    return { name, na: `failed: ${String(err?.message ?? err).slice(0, 200)}` };
  }
}

const checkRequest = (out) => {
  // ours hands fetch the UTF-8 bytes it produced (no string decode on the hot path); decode only to check
  if (out instanceof Uint8Array) out = new TextDecoder().decode(out);
  const v = JSON.parse(out);
  if (v.store !== false || v.stream !== true || !Array.isArray(v.input)) throw new Error("output is not a Codex request");
  return { outBytes: Buffer.byteLength(out), outItems: v.input.length };
};

// ---------------------------------------------------------------- cases
async function transformCase() {
  const anchor = await loadAnchor();
  const ours = await loadOurs();
  const result = { runtime, oursApi: ours.transform.api ?? null, exports: Object.keys(ours.core).sort() };
  for (const [label, file, budget] of [["small", "small.json", quick ? 800 : 5000], ["session", "session.json", quick ? 1500 : 9000]]) {
    const text = readFixture(file);
    const utf8 = utf8Encoder.encode(text);
    const impls = [
      await impl("floor", () => floorTransform(text), (o) => ({ outBytes: Buffer.byteLength(o) })),
      await impl("toWasm", () => utf8Encoder.encodeInto(text, scratch(text.length * 3)), (o) => ({ outBytes: o.written })),
      await impl("fromWasm", () => utf8Decoder.decode(utf8), (o) => ({ outBytes: Buffer.byteLength(o) })),
      await impl("anchor", () => anchor.transformCpu(text), checkRequest),
      await impl("anchorCodexMode", () => anchor.transform(text), checkRequest),
      await impl("anchorFetch", () => anchor.fetchPath(text), checkRequest),
      await impl("ours", ours.transform.fn ? () => ours.transform.fn(text) : ours.transform, checkRequest),
    ];
    result[label] = { inBytes: Buffer.byteLength(text), ...(await compare(impls, { budgetMs: budget })) };
  }
  result.anchorFetches = anchorFetches;
  return result;
}

async function sseCase() {
  const anchor = await loadAnchor();
  const ours = await loadOurs();
  const { bytes, chunks } = sseChunks();
  const completed = (o) => {
    const v = JSON.parse(o);
    const r = v.response ?? v;
    if (r.status !== "completed") throw new Error(`final response status ${r.status}`);
    return { outBytes: Buffer.byteLength(o), outItems: r.output?.length };
  };
  const impls = [
    await impl("floor", () => floorLines(source(chunks)), (lines) => ({ lines })),
    await impl("anchor", () => anchor.sseToJson(source(chunks)), async (res) => completed(await res.clone().text())),
    await impl("ours", ours.SseCollector ? () => ourSseToJson(ours.SseCollector, source(chunks)) : { na: "export SseCollector missing" }, completed),
    await impl("oursRewrite", ours.StreamRewriter ? () => ourRewrite(ours.StreamRewriter, source(chunks)) : { na: "export StreamRewriter missing" }, (n) => ({ outBytes: n })),
  ];
  const res = await compare(impls, { budgetMs: quick ? 2000 : 12000, minRounds: quick ? 5 : 15 });
  return { runtime, inBytes: bytes.length, chunks: chunks.length, ...res, anchorFetches };
}

/** Sends `events` one at a time into a live body and waits until each has come out the other side
 * (counted by its blank-line terminator); returns the round-trip time of each, in ms. */
async function pingPong(respond, events, stallMs) {
  let ctrl;
  const src = new ReadableStream({ start(c) { ctrl = c; } });
  const res = await respond(src);
  const reader = res.body.getReader();
  let stalled = false;
  const watchdog = setTimeout(() => { stalled = true; reader.cancel().catch(() => {}); }, stallMs);
  const lat = [];
  let seen = 0;
  let prev = 0;
  let want = 0; // events sent so far (a chunk may carry several)
  try {
    for (let e = 0; e < events.length; e++) {
      const t = now();
      ctrl.enqueue(events[e]);
      for (let i = 1; i < events[e].length; i++) if (events[e][i] === 10 && events[e][i - 1] === 10) want += 1;
      while (seen < want) {
        const { done, value } = await reader.read();
        if (done || stalled) throw new Error(`event ${e} did not come out within ${stallMs} ms (held back)`);
        for (const b of value) {
          if (b === 10 && prev === 10) seen += 1;
          prev = b;
        }
      }
      lat.push(now() - t);
    }
  } finally {
    clearTimeout(watchdog);
    try { ctrl.close(); } catch {}
    reader.cancel().catch(() => {});
  }
  return lat;
}

async function streamCase() {
  const anchor = await loadAnchor();
  await loadOurs();
  const { bytes, chunks } = sseChunks();
  let wrapper;
  try {
    wrapper = await ourWrapper();
  } catch (err) {
    wrapper = { na: `fetch wrapper failed to load: ${err.message}` };
  }
  const drain = async (res) => {
    let n = 0;
    for await (const c of read(res.body)) n += c.byteLength;
    return n;
  };
  // Only the drain is timed: the Response each wrapper returns is made first (its per-request cost is
  // reported apart as `wrapperCall`), then its body is read to the end.
  const timedDrain = async (res) => {
    const t = now();
    const n = await drain(res);
    if (n !== bytes.length) throw new Error(`drained ${n} bytes of ${bytes.length}`);
    return now() - t;
  };
  const sseResponse = (src) => new Response(src, { headers: { "content-type": "text/event-stream" } });
  const selfTimed = (i) => (i.fn ? { ...i, selfTimed: true } : i);
  const ok = () => ({ identical: true });
  const impls = [
    selfTimed(await impl("floor", async () => timedDrain(sseResponse(source(chunks))), ok)),
    selfTimed(await impl("anchor", async () => timedDrain(await anchor.passThrough(sseResponse(source(chunks)))), ok)),
    selfTimed(await impl("ours", typeof wrapper === "function" ? async () => timedDrain(await wrapper(source(chunks))) : wrapper, ok)),
  ];
  const drainRes = await compare(impls, { budgetMs: quick ? 1200 : 9000 });
  const callOnly = (respond) => async () => {
    const t = now();
    const res = await respond(source(chunks));
    const ms = now() - t;
    await res.body.cancel();
    return ms;
  };
  const wrapperCall = await compare([
    selfTimed(await impl("anchor", callOnly((src) => anchor.passThrough(sseResponse(src))), ok)),
    selfTimed(await impl("ours", typeof wrapper === "function" ? callOnly(wrapper) : wrapper, ok)),
  ], { budgetMs: quick ? 300 : 1000 });

  // Per-event latency: the first N events of the stream, one event per chunk, each awaited at the far end.
  const text = new TextDecoder().decode(bytes);
  const enc = new TextEncoder();
  const count = quick ? 300 : 2000;
  const events = text.split("\n\n").slice(0, count).map((e) => e + "\n\n");
  // The plugin holds the events before the first output back (a stream that fails there is re-sent
  // unseen: js/transport/resend.js): the preamble goes out with the first output event, as one chunk.
  events.splice(0, 3, events.slice(0, 3).join(""));
  for (let e = 0; e < events.length; e++) events[e] = enc.encode(events[e]);
  const responders = {
    floor: async (src) => new Response(src),
    anchor: (src) => anchor.passThrough(new Response(src, { headers: { "content-type": "text/event-stream" } })),
    ours: typeof wrapper === "function" ? wrapper : null,
  };
  const lat = { floor: [], anchor: [], ours: [] };
  const latNa = {};
  const names = Object.keys(responders);
  for (let round = 0; round <= (quick ? 2 : 5); round++) {
    for (let x = 0; x < names.length; x++) {
      const name = names[(x + round) % names.length];
      if (!responders[name] || latNa[name]) continue;
      gc();
      try {
        const ms = await pingPong(responders[name], events, 5000);
        if (round > 0) lat[name].push(...ms); // round 0 warms up
      } catch (err) {
        latNa[name] = `failed: ${err.message}`;
      }
    }
  }
  const perEvent = Object.fromEntries(Object.keys(responders).map((name) =>
    [name, !responders[name] ? { na: wrapper.na ?? "n/a" } : latNa[name] ? { na: latNa[name] } : stats(lat[name])]));
  return { runtime, inBytes: bytes.length, events: text.split("\n\n").length - 1, drain: drainRes, wrapperCall, perEvent: { events: count, ...perEvent }, anchorFetches };
}

/** Fresh process: import + server() (load), then the startup wasm + first call; nothing loaded before t0 but node:fs and the input. */
async function coldCase() {
  const text = readFixture("small.json");
  // The runtime's first dynamic import sets up its module loader (~10 ms in Node), a cost every plugin
  // shares and OpenCode has paid before it loads plugins: paid here, before the clock starts.
  await import("data:text/javascript,export default 0");
  const t0 = now();
  if (implArg === "anchor") {
    await import(new URL("index.js", ANCHOR).href); // its plugin entry (pulls in its whole lib)
    const anchor = await loadAnchor();
    const t1 = now();
    checkRequest(await anchor.fetchPath(text));
    const t2 = now();
    return { runtime, impl: implArg, importMs: t1 - t0, instantiateMs: 0, loadMs: t1 - t0, firstCallMs: t2 - t1, totalMs: t2 - t0, anchorFetches };
  }
  // Load = what OpenCode waits for: the plugin entry imported and server() resolved with its hooks
  // (the wasm compiles after that, on first use; issue 18). Then the startup module (what the provider's
  // models and the auth loader wait for), the core (what the first request waits for) and one transform.
  const plugin = await import(new URL("index.js", DIST).href);
  const ti = now();
  const hooks = await plugin.default.server({ client: {}, directory: tmpdir(), worktree: tmpdir() }, {});
  if (typeof hooks?.auth?.loader !== "function") throw new Error("server() returned no auth loader");
  const t1 = now();
  const { loadCore, loadStartup } = await import(new URL("core.js", DIST).href);
  if (loadStartup) await loadStartup();
  const ts = now();
  const core = await loadCore();
  const t2 = now();
  const transform = ourTransform(core);
  if (!transform.fn) throw new Error(transform.na);
  checkRequest(transform.fn(text));
  const t3 = now();
  return { runtime, impl: implArg, importMs: ti - t0, serverMs: t1 - ti, loadMs: t1 - t0, startupMs: ts - t1, instantiateMs: t2 - ts, firstCallMs: t3 - t2, totalMs: t3 - t0 };
}

/** Fresh process: peak RSS above the baseline while one SSE→JSON of the whole stream runs (Linux VmHWM,
 * reset through /proc/self/clear_refs after the inputs and modules are loaded). */
async function memoryCase() {
  const { bytes, chunks } = sseChunks();
  let run;
  if (implArg === "floor") run = () => floorLines(source(chunks));
  else if (implArg === "anchor") {
    const anchor = await loadAnchor();
    run = async () => (await anchor.sseToJson(source(chunks))).text();
  } else {
    const ours = await loadOurs();
    if (!ours.SseCollector) return { runtime, impl: implArg, na: "export SseCollector missing" };
    run = () => ourSseToJson(ours.SseCollector, source(chunks));
  }
  const status = () => readFileSync("/proc/self/status", "utf8");
  const kb = (s, field) => Number(s.match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? NaN);
  gc();
  gc();
  writeFileSync("/proc/self/clear_refs", "5");
  const base = kb(status(), "VmRSS");
  const out = await run();
  const s = status();
  if (out === undefined || out === null) throw new Error("no output");
  return { runtime, impl: implArg, inBytes: bytes.length, baseMB: base / 1024, peakMB: kb(s, "VmHWM") / 1024, peakDeltaMB: (kb(s, "VmHWM") - base) / 1024 };
}

export { ourTransform, ourSseToJson, ourRewrite, source };
const cases = { transform: transformCase, sse: sseCase, stream: streamCase, cold: coldCase, memory: memoryCase };
if (import.meta.url !== pathToFileURL(process.argv[1] ?? "").href) {
  // imported (adapter checks): run nothing
} else if (!cases[kase] || !fixDir) {
  console.error("usage: <node|bun> scripts/bench-worker.js transform|sse|stream|cold|memory FIXTURE_DIR [--quick] [--impl NAME]");
  process.exit(2);
} else {
  try {
    process.stdout.write(JSON.stringify(await cases[kase]()) + "\n");
    process.exit(0);
  } catch (err) {
    process.stdout.write(JSON.stringify({ runtime, error: String(err?.stack ?? err) }) + "\n");
    process.exit(1);
  }
}

// Guards the SSE body OpenCode reads: ends it with an Error a person can read when the backend
// reports a failure (`response.failed`, `error`, `response.incomplete`), when the stream ends before
// `response.completed`, stalls, or sends an oversize event; re-sends it (resend.js decides) while it
// stopped before any output. Also SSE → JSON for non-streaming callers.
//
// Two ways through, one stream:
// - core: until the first output event, every chunk goes through the wasm StreamRewriter, which
//   says how many held bytes form whole events to forward (holding mode: none before output).
// - fast (after output started): the chunks are not copied into wasm. The failure and completion
//   events are terminal: they are the stream's last events, so only the end of each chunk is read
//   (in JS, back from its end over blank lines): an event whose `event:` line names an ordinary
//   type (a delta, an item, …) is forwarded as it arrives; the events after a chunk's last ordinary
//   one, and any event that starts without such a line (a terminal type, `message`, no `event:`
//   line, a head cut by the chunk edge: held until its blank line), are read by the core, which
//   decides on the parsed events (marker text inside a delta is never a failure). A long one
//   (over LONG_EVENT) that is one line after its first HEAD_BYTES (no LF or CR before its blank
//   line) is given to the core by its head only (`headCompletes`: the core says whether it is a
//   completion whatever that line holds; if not, it reads the whole event). Not read: events
//   before an ordinary one in the same chunk (a failure followed by more ordinary events is not
//   caught), and a second `event:` line inside an event whose first one named an ordinary type. A
//   stream with a CR line end before output stays with the core; one event longer than
//   FALLBACK_BYTES hands the rest of the stream back to it; a stream that ends without a completion
//   has its last event read by the core.
// What it never decides: whether an event is a failure (the core does), whether to re-send (the
// core, through resend.js).
import { callLoaded, loadCore } from "../core.js";

export const ENDED_EARLY = "the ChatGPT stream ended before the response completed; try again";

/** The error a guarded body ends with; `kind` as in classifyHttpError (or "stall", "incomplete"). */
export class ChatGPTStreamError extends Error {
  constructor(message, kind = "other") {
    super(message);
    this.name = "ChatGPTStreamError";
    this.kind = kind;
  }
}

// Bun's fetch hands out small views of a 256 KB buffer per read: forwarding such a view would pin
// that buffer in every consumer that keeps chunks (res.text() keeps all of them). Copy those.
const compact = (c) => (c.buffer.byteLength > 2 * c.byteLength + 4096 ? c.slice() : c);

// The stall timer must not keep a process alive by itself (a pending read's socket does).
const unref = (t) => (t?.unref?.(), t);

/** An unfinished event longer than this in the fast way hands the rest of the stream to the core. */
export const FALLBACK_BYTES = 1 << 20;

const STALL_TICKS = 4;
const LF = 10;
const CR = 13;
/** Event types the core must read: the terminal ones, and `message` (the data's `"type"` decides). */
const CORE_TYPES = new Set(["response.completed", "response.incomplete", "response.failed", "error", "message"]); // 18, 19, 15, 5, 7 bytes

const EVENT_COLON = [101, 118, 101, 110, 116, 58]; // "event:"
const MAX_HEAD = 200;

/**
 * Whether the event starting at `c[p]` may be forwarded unread: its first line is `event:` naming a
 * type other than CORE_TYPES, ended by LF. false: the core reads it (a comment or `data:` first, a
 * CR, a core type); undefined: the line is not all in `c` yet.
 */
export function plainHead(c, p, len = c.length) {
  const have = len - p;
  if (have < 7 || c[p] !== 101 || c[p + 1] !== 118 || c[p + 2] !== 101 || c[p + 3] !== 110 || c[p + 4] !== 116 || c[p + 5] !== 58) {
    for (let k = 0; k < 6 && k < have; k++) if (c[p + k] !== EVENT_COLON[k]) return false;
    return undefined; // "event:" so far, cut by the chunk end
  }
  const s = c[p + 6] === 32 ? p + 7 : p + 6;
  // The line end, by a JS loop: the name is short, a native search costs more to call than this.
  const lim = Math.min(len, s + MAX_HEAD + 1);
  let e = s;
  while (e < lim && c[e] !== LF) e++;
  if (e === lim) return lim === len && have <= MAX_HEAD ? undefined : false;
  const n = e - s;
  if (n === 0 || c[e - 1] === CR) return false;
  // Only names as long as a core type are compared (the deltas, 26 bytes and more, are not).
  if (n !== 5 && n !== 7 && n !== 15 && n !== 18 && n !== 19) return true;
  return !CORE_TYPES.has(String.fromCharCode.apply(null, c.subarray(s, e)));
}

const headScratch = new Uint8Array(MAX_HEAD + 8);
/**
 * plainHead of the held bytes (`pieces`, the first from `off`) followed by `c`: the held bytes and
 * `c`'s first line are copied into one scratch array by native copies (this runs for ~1 chunk in
 * 10, too rarely for a byte loop to get compiled).
 */
function plainHeadAcross(pieces, off, c) {
  const head = headScratch;
  let n = 0;
  for (let k = 0; k < pieces.length && n < head.length; k++) {
    const p = pieces[k];
    const from = k ? 0 : off;
    const take = Math.min(p.length - from, head.length - n);
    head.set(from || take < p.length ? p.subarray(from, from + take) : p, n);
    n += take;
  }
  if (n < head.length) {
    const w = c.length > head.length - n ? c.subarray(0, head.length - n) : c; // the search stays short
    const e = w.indexOf(LF);
    const take = e < 0 ? w.length : e + 1;
    head.set(take < w.length ? w.subarray(0, take) : w, n);
    n += take;
  }
  return plainHead(head, 0, n);
}

// The byte searches below are native calls: Node's Buffer (memchr/memmem) over a view of the chunk,
// Bun's typed-array indexOf/lastIndexOf (SIMD); a JS loop over the bytes is slower in both (also
// over the few hundred bytes back to a chunk's last blank line). The event name, at most MAX_HEAD
// bytes, is read by a JS loop.
const NodeBuffer = typeof globalThis.Bun === "undefined" ? globalThis.Buffer : undefined;
const NL2 = new Uint8Array([LF, LF]);
/** What the searches run on: a Buffer view of `c` (no copy) in Node, `c` itself elsewhere. */
const searchable = NodeBuffer ? (c) => NodeBuffer.from(c.buffer, c.byteOffset, c.byteLength) : (c) => c;

/**
 * Offset just past the last blank line ("\n\n") that ends at or before `end` in `c`, or -1. `lf`:
 * the byte before `c` was LF (a pair split across the chunk edge ends at 1). `b`: searchable(c).
 */
export function lastBoundary(c, end, lf, b = searchable(c)) {
  if (NodeBuffer) {
    const i = end >= 2 ? b.lastIndexOf(NL2, end - 2) : -1;
    if (i >= 0) return i + 2;
  } else {
    let i = end - 1;
    while (i >= 1) {
      if (c[i] !== LF) i = c.lastIndexOf(LF, i - 1); // no call when c[i] is LF (the walk starts on one)
      if (i < 1) break;
      if (c[i - 1] === LF) return i + 1;
      i -= 2;
    }
  }
  return lf && end >= 1 && c[0] === LF ? 1 : -1;
}

/** Offset just past the first blank line in `c`, or -1. */
function firstBoundary(c, lf, b = searchable(c)) {
  if (lf && c[0] === LF) return 1;
  if (NodeBuffer) {
    const i = b.indexOf(NL2);
    return i < 0 ? -1 : i + 2;
  }
  let i = 0;
  for (;;) {
    i = c.indexOf(LF, i);
    if (i < 0 || i + 1 >= c.length) return -1;
    if (c[i + 1] === LF) return i + 2;
    i += 1;
  }
}

/** A held event longer than this is judged from its first HEAD_BYTES when the rest is one line. */
const LONG_EVENT = 4096;
const HEAD_BYTES = 512;

/** Whether the bytes [from, to) of the concatenated `pieces` hold no LF and no CR (native searches). */
function oneLine(pieces, from, to) {
  let at = 0; // offset of pieces[k] in the event
  for (const p of pieces) {
    const len = p.byteLength;
    const s = Math.max(from - at, 0);
    const e = Math.min(to - at, len);
    if (s < e) {
      const v = s || e < len ? p.subarray(s, e) : p;
      const q = searchable(v);
      if (q.indexOf(LF) >= 0 || q.indexOf(CR) >= 0) return false;
    }
    at += len;
    if (at >= to) break;
  }
  return true;
}

/** The first `n` bytes of the concatenated `pieces` (a copy: the core reads it). */
function headOf(pieces, n) {
  const head = new Uint8Array(n);
  let at = 0;
  for (const p of pieces) {
    const take = Math.min(p.byteLength, n - at);
    head.set(take === p.byteLength ? p : p.subarray(0, take), at);
    at += take;
    if (at === n) break;
  }
  return at === n ? head : head.subarray(0, at);
}

const statsOf = new WeakMap();
/** How a guarded body's chunks went (tests): chunks read by the `core` and the `fast` way, events `inspected` by the core, long completions judged from their head (`headOnly`), `fallback`s to the core. */
export const guardStats = (res) => statsOf.get(res);

/**
 * A Response with the same status/headers whose body is the guarded stream. Upstream chunks are
 * forwarded as they are (views, no copy). Stall and abort are watched by one timer and one
 * listener per stream, not per chunk.
 * @param {object} [opts]
 * @param {boolean} [opts.hold]  nothing is forwarded before the first output event
 * @param {(err: Error, cancelled: () => boolean) => Promise<Response|null>} [opts.restart]  a stream
 *   that stopped with `err` before any byte went out: the re-sent reply to read instead (2xx, with
 *   a body), or null: report `err`. May throw the error to report instead.
 */
export async function guardStream(res, { stallSeconds = 300, signal, hold = false, restart } = {}) {
  const core = await loadCore();
  const stats = { core: 0, fast: 0, inspected: 0, headOnly: 0, fallback: 0 };
  const stallMs = Math.max(1, stallSeconds * 1000);
  let reader;
  let rewriter; // core way: the wasm StreamRewriter; undefined in the fast way
  let held; // core way: chunks (or their tails) read but not forwarded yet
  let skip; // core way: bytes the core will release that already went out (after a fallback)
  let noFast; // this stream stays in the core way
  let sawCr;
  let completed;
  // fast way: the unfinished event since the last blank line, its byte count, whether it goes out
  // as it arrives (undefined: its head has not arrived yet), and whether the last byte was LF.
  let open;
  let openOff; // where the event starts in open[0]
  let openBytes;
  let openPlain;
  let lastLf;
  let closed = false;
  let sentAny = false; // a byte reached the consumer (no re-send after that)
  let stopped; // why the pending read was cancelled: a stall error or the abort reason
  // The stall watch samples instead of timing each read (no clock call per chunk): every quarter
  // of the stall time it looks whether a read is pending and whether one completed since it last
  // looked. A read pending through STALL_TICKS whole samples is a stall (it reports after the stall
  // time, at most a quarter later).
  let pending = false; // a read is pending
  let reads = 0; // reads completed
  let seen = -1; // `reads` at the last sample
  let idleTicks = 0;
  let timer;

  const begin = (r) => {
    reader = r.body.getReader();
    rewriter = callLoaded(core, () => new core.StreamRewriter(hold));
    held = [];
    skip = 0;
    noFast = false;
    sawCr = false;
    completed = false;
    open = [];
    openOff = 0;
    openBytes = 0;
    openPlain = undefined;
    lastLf = false;
    stopped = undefined;
    seen = -1;
    idleTicks = 0;
  };
  const freeRewriter = () => {
    try {
      rewriter?.free();
    } catch {}
    rewriter = undefined;
  };
  const stop = (why) => {
    stopped ??= why;
    reader.cancel().catch(() => {});
  };
  const tickMs = stallMs / STALL_TICKS;
  const arm = () => {
    seen = -1;
    timer = unref(setTimeout(watch, tickMs));
  };
  const watch = () => {
    // No read pending: the consumer is not pulling. Disarm; the next pull arms the timer again.
    if (!pending) return void (timer = undefined);
    if (reads !== seen) {
      seen = reads;
      idleTicks = 0;
    } else if (++idleTicks >= STALL_TICKS) {
      return void stop(new ChatGPTStreamError(`no data from the ChatGPT backend for ${stallMs / 1000} s; the stream was stopped, try again`, "stall"));
    }
    timer = unref(setTimeout(watch, tickMs));
  };
  const onAbort = () => stop(signal.reason ?? new DOMException("Aborted", "AbortError"));
  let sentNow = false; // bytes were enqueued during the current pull
  let pendingError; // an error that waits until the bytes enqueued before it were read
  const outputStarted = () => (rewriter && !noFast ? rewriter.outputStarted : true); // the fast way runs only after output
  const finalize = (controller, err) => {
    closed = true;
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    held = open = [];
    freeRewriter();
    // controller.error() would discard what this pull enqueued: deliver that first.
    if (err && sentNow) pendingError = err;
    else if (err) controller.error(err);
    else controller.close();
  };
  /** Ends the body (err: with that error), or re-sends a stream that stopped before any output. */
  const end = async (controller, err) => {
    // The core knew whether an output event passed (resend.js re-sends only streams without one).
    if (err && typeof err === "object" && err.outputStarted === undefined) {
      try {
        err.outputStarted = outputStarted();
      } catch {}
    }
    if (!err || !restart || sentAny || err.outputStarted || closed || signal?.aborted || err?.name === "AbortError") return finalize(controller, err);
    freeRewriter();
    let next;
    try {
      next = await restart(err, () => closed);
    } catch (e) {
      next = null;
      err = e;
    }
    if (closed) {
      await next?.body?.cancel().catch(() => {});
      return;
    }
    if (!next) return finalize(controller, err);
    begin(next);
    return "restarted";
  };
  const enqueue = (controller, c) => {
    if (!c.byteLength) return;
    sentNow = sentAny = true;
    controller.enqueue(compact(c));
  };
  /** enqueue of a view of a chunk the fast way already copied if it had to (no second look). */
  const send = (controller, c) => {
    if (!c.byteLength) return;
    sentNow = sentAny = true;
    controller.enqueue(c);
  };
  /** Core way: enqueues the first `n` held bytes: whole chunks as they are, a split chunk as two views. */
  const forward = (controller, n) => {
    const gone = Math.min(skip, n);
    skip -= gone;
    let drop = gone; // already sent: leave them out
    n -= gone;
    while ((n > 0 || drop > 0) && held.length) {
      let c = held[0];
      if (drop) {
        const d = Math.min(drop, c.byteLength);
        c = c.subarray(d);
        drop -= d;
        if (!c.byteLength) {
          held.shift();
          continue;
        }
        held[0] = c;
        if (drop) continue;
      }
      if (c.byteLength <= n) {
        enqueue(controller, c);
        held.shift();
        n -= c.byteLength;
      } else {
        enqueue(controller, c.subarray(0, n));
        held[0] = c.slice(n); // a copy: the rest may wait for more chunks, the buffer need not
        n = 0;
      }
    }
  };
  const failureOf = (rw) => Object.assign(new ChatGPTStreamError(rw.errorMessage(), rw.errorKind() ?? "other"), { retryAfterMs: rw.retryAfterMs, outputStarted: true });
  const failure = () => Object.assign(new ChatGPTStreamError(rewriter.errorMessage(), rewriter.errorKind() ?? "other"), { retryAfterMs: rewriter.retryAfterMs });

  /** Core way → fast way, at the core's last blank line: the held bytes are the unfinished event. */
  const toFast = (controller) => {
    completed = rewriter.completed;
    freeRewriter();
    open = held;
    openOff = 0;
    held = [];
    openBytes = 0;
    for (const c of open) openBytes += c.byteLength;
    openPlain = open.length ? plainHead(open[0], 0) : undefined;
    if (openPlain) for (const p of open) enqueue(controller, p);
  };
  /** Fast way → core way for the rest of the stream, from the start of the unfinished event. */
  const toCore = (controller) => {
    stats.fallback += 1;
    rewriter = callLoaded(core, () => new core.StreamRewriter(false));
    noFast = true;
    skip = openPlain ? openBytes : 0; // a plain event's bytes went out as they came
    const pieces = openPieces();
    open = [];
    held = [];
    for (const c of pieces) {
      held.push(c);
      forward(controller, callLoaded(core, () => rewriter.push(c)));
      if (rewriter.failed) return failure();
    }
  };
  /** The core reads one event (or a few) held in `pieces`: `{n, completed, err}`; n: bytes before a failure. */
  const inspect = (pieces) => {
    stats.inspected += 1;
    const rw = callLoaded(core, () => new core.StreamRewriter(false));
    try {
      let n = 0;
      for (const p of pieces) n += callLoaded(core, () => rw.push(p));
      n += callLoaded(core, () => rw.finish());
      if (rw.failed) return { n, err: failureOf(rw) };
      return { n, completed: rw.completed };
    } finally {
      try {
        rw.free();
      } catch {}
    }
  };

  /**
   * A held event whose blank line arrived: `pieces`, `total` bytes. A long one that is one line
   * after its head (no LF or CR but the blank line at its end) is judged by the core from its head
   * alone: a completion (the whole response, hundreds of KB) is not copied in. Anything else, or a
   * head the core cannot judge, the core reads whole (inspect).
   */
  const judge = (pieces, total) => {
    if (total > LONG_EVENT && oneLine(pieces, HEAD_BYTES, total - 2)) {
      const head = headOf(pieces, HEAD_BYTES);
      if (callLoaded(core, () => core.headCompletes(head))) {
        stats.headOnly += 1;
        return { n: total, completed: true };
      }
    }
    return inspect(pieces);
  };
  /** The unfinished event's bytes (fast way) as views. */
  const openPieces = () => (open.length ? (openOff ? [open[0].subarray(openOff), ...open.slice(1)] : open.slice()) : []);
  /** Fast way, one chunk: returns an error to end with, or undefined. */
  const fast = (controller, c) => {
    stats.fast += 1;
    // A view into a larger buffer (Bun's fetch reads into 256 KB ones) is copied once here: what is
    // forwarded or kept past this chunk then pins only this chunk's bytes.
    if (c.buffer.byteLength > 2 * c.byteLength + 4096) c = c.slice();
    const len = c.byteLength;
    const lf = lastLf;
    lastLf = c[len - 1] === LF;
    const b = searchable(c);
    if (openPlain === undefined) {
      // The unfinished event's head was cut by the chunk edge (or starts here): read it now.
      openPlain = openBytes ? plainHeadAcross(open, openOff, c) : plainHead(c, 0);
      if (openPlain) for (const p of openPieces()) enqueue(controller, p);
    }
    const B = lastBoundary(c, len, lf, b);
    if (B < 0) {
      // No blank line: the unfinished event goes on.
      if (openPlain) send(controller, c);
      if (!open.length) openOff = 0;
      open.push(c);
      openBytes += len;
      if (openBytes > FALLBACK_BYTES) return toCore(controller);
      return;
    }
    let from = 0; // c[..from] went out or was judged
    // The event held from earlier chunks ends at the first blank line: the core reads it.
    if (!openPlain) {
      const b1 = firstBoundary(c, lf, b);
      const pieces = openPieces();
      pieces.push(c.subarray(0, b1));
      const r = judge(pieces, openBytes + b1);
      if (r.err) {
        forwardPieces(controller, pieces, r.n);
        return r.err;
      }
      if (r.completed) completed = true;
      forwardPieces(controller, pieces, Infinity);
      from = b1;
    }
    // The events that end the chunk, back to the last plain one (or the one just read): the core
    // reads them together, in order (the first failure among them wins, as in one parse).
    let start = B;
    let walk = 0;
    for (; walk < 16 && start > from; walk++) {
      const S = Math.max(lastBoundary(c, start - 1, lf, b), from);
      if ((S === 0 && openPlain) || plainHead(c, S)) break; // S === 0: the plain event from earlier chunks
      start = S;
    }
    if (start < B) {
      const r = walk === 1 ? judge([c.subarray(start, B)], B - start) : inspect([c.subarray(start, B)]);
      if (r.err) {
        send(controller, c.subarray(from, start + r.n));
        return r.err;
      }
      if (r.completed) completed = true;
    }
    // The unfinished event at the end: plain ones go out now, others wait for their blank line.
    openOff = B;
    if (B === len) open.length = 0;
    else if (open.length === 1) open[0] = c; // the usual case: no array length change
    else {
      open.length = 0;
      open.push(c);
    }
    openBytes = len - B;
    openPlain = B < len ? plainHead(c, B) : undefined;
    if (B === len || openPlain) send(controller, from ? c.subarray(from) : c);
    else send(controller, c.subarray(from, B));
  };
  const forwardPieces = (controller, pieces, n) => {
    for (const p of pieces) {
      if (n <= 0) break;
      enqueue(controller, p.byteLength <= n ? p : p.subarray(0, n));
      n -= p.byteLength;
    }
  };

  /** Ends the body with `err`, or reads on from the re-sent reply. */
  const stopWith = async (controller, err) => ((await end(controller, err)) === "restarted" ? next() : undefined);
  /** A read that failed or a chunk that threw (a broken connection, an oversize event). */
  const caught = (controller, err) => {
    pending = false;
    reader.cancel().catch(() => {});
    return stopWith(controller, stopped ?? (err instanceof ChatGPTStreamError || err?.name === "AbortError" || signal?.aborted ? err : brokenConnection(err)));
  };
  /**
   * The next read, until something went out (or the body ended). A fast-way chunk is handled in the
   * read's own callback, without an async function per chunk; the rest goes through `slow`.
   */
  let ctl; // the body's controller (one per stream): the read callbacks below are made once
  const next = () => {
    if (closed) return;
    pending = true;
    if (!timer) arm();
    return reader.read().then(onRead, onReadError);
  };
  const onReadError = (e) => caught(ctl, e);
  const onRead = (chunk) => {
    pending = false;
    reads += 1;
    if (closed) return; // the consumer cancelled while the read was pending
    if (stopped || chunk.done || rewriter) return slow(ctl, chunk);
    const c = chunk.value;
    let err;
    try {
      if (c.byteLength) err = fast(ctl, c);
    } catch (e) {
      return caught(ctl, e);
    }
    if (err) {
      reader.cancel().catch(() => {});
      return stopWith(ctl, err);
    }
    return sentNow ? undefined : next();
  };
  /** One read's outcome off the fast way: a stop, the end, a chunk through the core. */
  const slow = async (controller, chunk) => {
    try {
      if (stopped) return await stopWith(controller, stopped);
      let err;
      if (chunk.done) {
        if (rewriter) {
          const n = callLoaded(core, () => rewriter.finish());
          if (rewriter.failed) err = failure();
          else {
            forward(controller, n);
            completed ||= rewriter.completed;
          }
        } else if (openBytes && (!openPlain || !completed)) {
          // The last event (a plain one too when no completion was seen: the core has the last word).
          const pieces = openPieces();
          const r = inspect(pieces);
          if (!openPlain) forwardPieces(controller, pieces, r.n);
          if (r.err) err = r.err;
          else if (r.completed) completed = true;
        }
        err ??= completed ? undefined : new ChatGPTStreamError(ENDED_EARLY, "incomplete");
        return await stopWith(controller, err);
      }
      const c = chunk.value;
      if (!c.byteLength) return next();
      if (!rewriter) {
        err = fast(controller, c);
      } else {
        stats.core += 1;
        if (!sawCr && c.indexOf(CR) >= 0) sawCr = true;
        held.push(c);
        const n = callLoaded(core, () => rewriter.push(c));
        forward(controller, n);
        if (rewriter.failed) err = failure();
        else if (!noFast && !sawCr && rewriter.outputStarted) {
          lastLf = c[c.byteLength - 1] === LF;
          toFast(controller);
        }
      }
      if (err) {
        reader.cancel().catch(() => {});
        return await stopWith(controller, err);
      }
    } catch (err) {
      return caught(controller, err);
    }
    return sentNow ? undefined : next();
  };

  begin(res);
  const body = new ReadableStream({
    start() {
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
      arm();
    },
    pull(controller) {
      if (pendingError) return controller.error(pendingError);
      sentNow = false;
      ctl = controller;
      return next();
    },
    cancel(reason) {
      closed = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      freeRewriter();
      return reader.cancel(reason);
    },
  });
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  headers.delete("content-encoding");
  const out = new Response(body, { status: res.status, statusText: res.statusText, headers });
  statsOf.set(out, stats);
  return out;
}
/** A read that failed (the connection was reset or closed mid-body), in words; the core's own errors (sse-*) as they are. */
export function brokenConnection(err) {
  if (String(err?.code).startsWith("sse-")) return new ChatGPTStreamError(err.message, err.code);
  const why = err?.cause?.code ?? err?.code ?? err?.message ?? "read error";
  return new ChatGPTStreamError(`the connection to the ChatGPT backend broke before the response completed (${why}); try again`, "transport");
}

/** The final Responses JSON of a (guarded) SSE body; throws a readable error. */
export async function collectJson(res) {
  const core = await loadCore();
  const collector = callLoaded(core, () => new core.SseCollector());
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      callLoaded(core, () => collector.push(value));
    }
    return callLoaded(core, () => collector.finish());
  } finally {
    try {
      collector.free();
    } catch {}
  }
}

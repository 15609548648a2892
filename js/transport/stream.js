// Guards the SSE body OpenCode reads: each upstream chunk goes through the wasm StreamRewriter, which
// says how many held bytes form whole events; those are forwarded at once, as the very chunks read. A `response.failed` /
// `error` event, a stream that ends before completion, a stall or an oversize event end the body
// with an Error whose message a person can read. Also SSE → JSON for non-streaming callers.
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

/**
 * A Response with the same status/headers whose body is the guarded stream. Upstream chunks are
 * forwarded as they are (views, no copy): the core only says how many held bytes form whole events.
 * Stall and abort are watched by one timer and one listener per stream, not per chunk.
 */
export async function guardStream(res, { stallSeconds = 300, signal, hold = false } = {}) {
  const core = await loadCore();
  // hold: nothing is forwarded before the first output event (resend.js may then re-send unseen).
  const rewriter = callLoaded(core, () => new core.StreamRewriter(hold));
  const reader = res.body.getReader();
  const stallMs = Math.max(1, stallSeconds * 1000);
  const held = []; // chunks (or their tails) read but not forwarded yet
  let closed = false;
  let stopped; // why the pending read was cancelled: a stall error or the abort reason
  let readSince = 0; // when the pending read began (0: no read pending)
  let timer;

  const stop = (why) => {
    stopped ??= why;
    reader.cancel().catch(() => {});
  };
  const watch = () => {
    // No read pending: the consumer is not pulling. Disarm; the next pull arms the timer again.
    if (!readSince) return void (timer = undefined);
    const idle = Date.now() - readSince;
    if (idle >= stallMs) stop(new ChatGPTStreamError(`no data from the ChatGPT backend for ${stallMs / 1000} s; the stream was stopped, try again`, "stall"));
    else timer = unref(setTimeout(watch, stallMs - idle));
  };
  const onAbort = () => stop(signal.reason ?? new DOMException("Aborted", "AbortError"));
  let sentNow = false; // bytes were enqueued during the current pull
  let pendingError; // an error that waits until the bytes enqueued before it were read
  const end = (controller, err) => {
    closed = true;
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    held.length = 0;
    // The core knew whether an output event passed (resend.js re-sends only streams without one).
    if (err && typeof err === "object" && err.outputStarted === undefined) {
      try {
        err.outputStarted = rewriter.outputStarted;
      } catch {}
    }
    try {
      rewriter.free();
    } catch {}
    // controller.error() would discard what this pull enqueued: deliver that first.
    if (err && sentNow) pendingError = err;
    else if (err) controller.error(err);
    else controller.close();
  };
  /** Enqueues the first `n` held bytes: whole chunks as they are, a split chunk as a view + a copied tail. */
  const forward = (controller, n) => {
    while (n > 0 && held.length) {
      sentNow = true;
      const c = held[0];
      if (c.byteLength <= n) {
        controller.enqueue(compact(c));
        held.shift();
        n -= c.byteLength;
      } else {
        controller.enqueue(compact(c.subarray(0, n)));
        held[0] = c.slice(n);
        n = 0;
      }
    }
  };
  const failure = () => Object.assign(new ChatGPTStreamError(rewriter.errorMessage(), rewriter.errorKind() ?? "other"), { retryAfterMs: rewriter.retryAfterMs });

  const body = new ReadableStream({
    start() {
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
      timer = unref(setTimeout(watch, stallMs));
    },
    async pull(controller) {
      if (pendingError) return controller.error(pendingError);
      sentNow = false;
      while (!closed) {
        let chunk;
        try {
          readSince = Date.now();
          timer ??= unref(setTimeout(watch, stallMs));
          chunk = await reader.read();
          readSince = 0;
          if (closed) return; // the consumer cancelled while the read was pending
          if (stopped) return end(controller, stopped);
          if (chunk.done) {
            const n = callLoaded(core, () => rewriter.finish());
            if (rewriter.failed) return end(controller, failure());
            forward(controller, n);
            return end(controller, rewriter.completed ? undefined : new ChatGPTStreamError(ENDED_EARLY, "incomplete"));
          }
          held.push(chunk.value);
          const n = callLoaded(core, () => rewriter.push(chunk.value));
          forward(controller, n);
          if (rewriter.failed) {
            reader.cancel().catch(() => {});
            return end(controller, failure());
          }
          if (n) return;
        } catch (err) {
          reader.cancel().catch(() => {});
          if (stopped) return end(controller, stopped);
          return end(controller, err instanceof ChatGPTStreamError || err?.name === "AbortError" || signal?.aborted ? err : brokenConnection(err));
        }
      }
    },
    cancel(reason) {
      closed = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      try {
        rewriter.free();
      } catch {}
      return reader.cancel(reason);
    },
  });
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  headers.delete("content-encoding");
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
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

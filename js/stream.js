// Guards the SSE body OpenCode reads: each upstream chunk goes through the wasm StreamRewriter and
// whatever it returns (whole events, byte-identical) is forwarded at once. A `response.failed` /
// `error` event, a stream that ends before completion, a stall or an oversize event end the body
// with an Error whose message a person can read. Also SSE → JSON for non-streaming callers.
import { callCore } from "./core.js";

export const ENDED_EARLY = "the ChatGPT stream ended before the response completed; try again";

/** The error a guarded body ends with; `kind` as in classifyHttpError (or "stall", "incomplete"). */
export class ChatGPTStreamError extends Error {
  constructor(message, kind = "other") {
    super(message);
    this.name = "ChatGPTStreamError";
    this.kind = kind;
  }
}

/** Reads one chunk, or throws after `ms` without a byte (cancelling upstream) or on abort. */
function readWithin(reader, ms, signal) {
  let timer;
  let onAbort;
  const stop = new Promise((_, reject) => {
    timer = setTimeout(() => {
      reject(new ChatGPTStreamError(`no data from the ChatGPT backend for ${ms / 1000} s; the stream was stopped, try again`, "stall"));
      reader.cancel().catch(() => {}); // after reject: the cancelled read must not win the race
    }, ms);
    onAbort = () => {
      reject(signal.reason ?? new DOMException("Aborted", "AbortError"));
      reader.cancel().catch(() => {});
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([reader.read(), stop]).finally(() => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  });
}

/** A Response with the same status/headers whose body is the guarded stream. */
export async function guardStream(res, { stallSeconds = 300, signal } = {}) {
  const rewriter = await callCore((core) => new core.StreamRewriter());
  const reader = res.body.getReader();
  const stallMs = Math.max(1, stallSeconds * 1000);
  let closed = false;
  const end = (controller, err) => {
    closed = true;
    try {
      rewriter.free();
    } catch {}
    if (err) controller.error(err);
    else controller.close();
  };
  const failure = () => new ChatGPTStreamError(rewriter.errorMessage(), rewriter.errorKind() ?? "other");
  const body = new ReadableStream({
    async pull(controller) {
      while (!closed) {
        let out;
        try {
          const { done, value } = await readWithin(reader, stallMs, signal);
          if (done) {
            out = await callCore(() => rewriter.finish());
            if (out.length && !rewriter.failed) controller.enqueue(out);
            if (rewriter.failed) return end(controller, failure());
            return end(controller, rewriter.completed ? undefined : new ChatGPTStreamError(ENDED_EARLY, "incomplete"));
          }
          out = await callCore(() => rewriter.push(value));
        } catch (err) {
          reader.cancel().catch(() => {});
          return end(controller, err instanceof ChatGPTStreamError || err?.name === "AbortError" || signal?.aborted ? err : new ChatGPTStreamError(err.message, err.code));
        }
        if (rewriter.failed) {
          reader.cancel().catch(() => {});
          return end(controller, failure());
        }
        if (out.length) return controller.enqueue(out);
      }
    },
    cancel(reason) {
      closed = true;
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

/** The final Responses JSON of a (guarded) SSE body; throws a readable error. */
export async function collectJson(res) {
  const collector = await callCore((core) => new core.SseCollector());
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await callCore(() => collector.push(value));
    }
    return await callCore(() => collector.finish());
  } finally {
    try {
      collector.free();
    } catch {}
  }
}

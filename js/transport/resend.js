// Stream retries (issue 14): a `/responses` stream that drops, stalls or fails with a retryable
// error before any output reached OpenCode is re-sent, unseen, as the Codex CLI does. The guard
// (stream.js, holding mode) forwards nothing before the first output event, so a stream that fails
// before it has shown nothing; once a byte went out, the error reaches the user as before. The
// core decides whether, when and how to re-send (streamRetry: at most 5 re-sends, 200 ms × 2^(n-1)
// ± 10 %, a server-given wait, one re-send without encrypted reasoning); this file sleeps (never
// past the abort signal) and sends.
import { callLoaded, loadCore } from "../core.js";
import { guardStream, ChatGPTStreamError, ENDED_EARLY } from "./stream.js";
import { classifyHttpError } from "./errors.js";

/** The core's name for why a guarded stream stopped (see src/stream/retry.rs `Stop::from_name`). */
export function stopOf(err) {
  if (err?.kind === "incomplete" && err.message === ENDED_EARLY) return "ended_early";
  if (err?.kind === "stall") return "stall";
  if (err?.kind === "sse-event-too-large") return "too_large";
  return typeof err?.kind === "string" ? err.kind : "transport";
}

const aborted = (signal) => signal?.reason ?? new DOMException("Aborted", "AbortError");

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A Response with `first`'s status and headers whose body is the guarded stream, re-sent through
 * `resend` while it stops before any byte went out and the core says so.
 * @param {Response} first  the first reply (2xx, with a body)
 * @param {object} opts
 * @param {(how: {dropReasoning: boolean}) => Promise<Response|null>} opts.resend  sends the request
 *   again (null: dropping the reasoning would change nothing); may throw a transport error
 * @param {AbortSignal} [opts.signal]
 * @param {number} [opts.stallSeconds]
 * @param {boolean} [opts.reasoningDropped]  the request already went without encrypted reasoning
 * @param {() => number} [opts.random]  jitter source
 * @param {(info: {retry: number, stop: string, delayMs: number}) => void} [opts.onRetry]
 * @param {(ms: number, signal?: AbortSignal) => Promise<void>} [opts.wait]  the backoff sleep (a test seam)
 */
export async function resendingStream(first, { resend, signal, stallSeconds, reasoningDropped = false, random = Math.random, onRetry, wait = sleep } = {}) {
  const core = await loadCore();
  let retries = 0;
  let dropped = reasoningDropped;

  /** The re-sent reply to read instead (the guard asks only while no byte went out), or throws the error the user reads. */
  async function restart(err, cancelled) {
    for (;;) {
      if (err?.outputStarted || cancelled() || signal?.aborted || err?.name === "AbortError") throw err;
      const stop = stopOf(err);
      const next = callLoaded(core, () => core.streamRetry(retries + 1, stop, err?.retryAfterMs ?? undefined, random(), dropped));
      if (!next) throw err;
      retries += 1;
      onRetry?.({ retry: retries, stop, delayMs: next.delayMs });
      await wait(next.delayMs, signal);
      if (cancelled()) throw err;
      let res;
      try {
        res = await resend({ dropReasoning: next.dropReasoning });
      } catch (e) {
        if (signal?.aborted) throw e;
        if (e?.name === "LoginError") throw new ChatGPTStreamError(e.message, "unauthorized");
        err = new ChatGPTStreamError(`could not reach the ChatGPT backend (${e?.message}); check your connection and try again`, "transport");
        continue;
      }
      if (res === null) throw err;
      if (next.dropReasoning) dropped = true;
      if (!res.ok || !res.body) {
        const info = await classifyHttpError(res.status, res.headers, await res.text().catch(() => ""));
        err = Object.assign(new ChatGPTStreamError(info.message, info.kind), { retryAfterMs: info.retryAfterMs ?? undefined });
        continue;
      }
      if (cancelled()) {
        await res.body.cancel().catch(() => {});
        throw err;
      }
      return res;
    }
  }

  // One stream: the guard reads the re-sent replies itself (no second stream per chunk).
  return guardStream(first, { stallSeconds, signal, hold: true, restart });
}

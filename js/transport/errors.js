// HTTP error handling for the Codex fetch: retries (5xx/transport with backoff, a short rate limit
// once, a usage limit never) and error responses OpenCode shows in words. The decisions are the
// wasm core's (classifyHttpError, retryDelayMs); this file only sends, sleeps and builds Responses.
import { callCore } from "../core.js";
import { readCapped, SMALL_BODY_BYTES, ERROR_BODY_MS } from "./body.js";

const TZ_OFFSET = () => -new Date().getTimezoneOffset();

/** Plain lower-case header object from a Headers / object. */
function plainHeaders(h) {
  const out = {};
  if (!h) return out;
  for (const [k, v] of h instanceof Headers ? h : Object.entries(h)) out[k.toLowerCase()] = String(v);
  return out;
}

/**
 * Classifies an HTTP error: {kind, status, message, retryable, retryAfterMs, resetsAtMs, plan}.
 * `context` ({models, clientVersion}) is named in model refusals.
 */
export function classifyHttpError(status, headers, body, nowMs = Date.now(), context = undefined) {
  return callCore((core) => core.classifyHttpError(status, plainHeaders(headers), String(body ?? ""), nowMs, TZ_OFFSET(), context));
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new DOMException("Aborted", "AbortError"));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason ?? new DOMException("Aborted", "AbortError"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Calls `send()` until it gives a response that is not worth retrying, or the core says stop.
 * Returns the last Response (its body unread) or throws the last transport error; an abort ends
 * at once with the abort's reason.
 */
export async function sendWithRetries(send, { signal, random = Math.random, onRetry, bodyTimeoutMs = ERROR_BODY_MS } = {}) {
  for (let attempt = 1; ; attempt++) {
    let res;
    let error;
    let kind;
    let retryAfterMs = null;
    try {
      res = await send();
    } catch (err) {
      if (signal?.aborted) throw err;
      // The login could not be renewed (credentials.js): its own verdict, not a network error to retry.
      if (err?.name === "LoginError") throw err;
      error = err;
      kind = "transport";
    }
    if (res) {
      if (res.status < 500 && res.status !== 429) return res;
      // Read once, bounded in size and time (a 5xx may stall after its headers); the caller gets a copy.
      const { text } = await readCapped(res, { maxBytes: SMALL_BODY_BYTES, timeoutMs: bodyTimeoutMs });
      res = new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
      const info = await classifyHttpError(res.status, res.headers, text);
      kind = info.kind;
      retryAfterMs = info.retryAfterMs ?? null;
    }
    const delay = await callCore((core) => core.retryDelayMs(attempt, kind, retryAfterMs, random()));
    if (delay == null) {
      if (res) return res;
      throw error;
    }
    onRetry?.({ attempt, kind, delay });
    await res?.body?.cancel().catch(() => {});
    await sleep(delay, signal);
  }
}

// Statuses OpenCode (AI SDK + its openai rule) would retry on its own: 408/409/429/5xx and 404.
// A failure that waiting a few seconds cannot fix goes out with a status it does not retry.
const OUT_STATUS = { usage_limit: 402, quota_exceeded: 402, not_included: 403, entitlement: 403, model_unsupported: 400, client_too_old: 400 };
const OUT_CODE = { context_length: "context_length_exceeded", usage_limit: "usage_limit_reached", quota_exceeded: "insufficient_quota", not_included: "usage_not_included" };

/**
 * A Response OpenCode shows: status + JSON `{error: {message, type, code}}`. Pass `message` (+ `kind`)
 * for our own errors, or the backend's `status`, `headers` and `body` to classify them.
 */
export async function errorResponse({ status, kind, message, headers, body, context }) {
  let info = { kind: kind ?? "other", status, message, retryAfterMs: null };
  if (message == null) info = await classifyHttpError(status, headers, body, Date.now(), context);
  const out = new Headers({ "content-type": "application/json" });
  if (info.retryAfterMs != null && info.kind === "rate_limited") out.set("retry-after-ms", String(info.retryAfterMs));
  const code = OUT_CODE[info.kind] ?? info.kind;
  return new Response(JSON.stringify({ error: { message: info.message, type: info.kind, code } }), {
    status: OUT_STATUS[info.kind] ?? status,
    headers: out,
  });
}

// Reading a reply body we keep whole (an error body, a token reply, the model list) with a ceiling on
// its size and on its time: a server that sends without end, or stalls after its headers, cannot
// hold memory or a turn. Decides nothing about the content; never logs it.

/** Error bodies and token replies: the wanted part is a few hundred bytes. */
export const SMALL_BODY_BYTES = 64 * 1024;
/** The live model list (today ~100 KB). */
export const MODEL_LIST_BYTES = 4 * 1024 * 1024;
/** How long an error body may take once its headers came. */
export const ERROR_BODY_MS = 10_000;

/**
 * Up to `maxBytes` of `res`'s body as text, read for at most `timeoutMs`; then the body is
 * cancelled. `{text, truncated, timedOut}`: `truncated` when more was coming, `timedOut` when the
 * deadline cut it. A body that fails mid-way gives what came before. Never throws.
 * @param {Response} res
 * @param {{maxBytes: number, timeoutMs: number}} limits
 */
export async function readCapped(res, { maxBytes, timeoutMs }) {
  const reader = res.body?.getReader();
  if (!reader) return { text: "", truncated: false, timedOut: false };
  const parts = [];
  let size = 0;
  let truncated = false;
  let timedOut = false;
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
    timer.unref?.();
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === "timeout") {
        timedOut = true;
        break;
      }
      if (next.done) break;
      const chunk = next.value;
      if (size + chunk.byteLength > maxBytes) {
        parts.push(chunk.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        break;
      }
      parts.push(chunk);
      size += chunk.byteLength;
    }
  } catch {
    // the body failed mid-way: what came is what we have
  } finally {
    clearTimeout(timer);
    if (truncated || timedOut) reader.cancel().catch(() => {});
    else reader.releaseLock?.();
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return { text: new TextDecoder().decode(all), truncated, timedOut };
}

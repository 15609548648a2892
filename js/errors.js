// HTTP error handling for the Codex fetch: retries and readable error responses.
// (First slice: no retries; errors keep their status with a readable JSON message.)

/** Sends once. */
export async function sendWithRetries(send) {
  return send();
}

/** A Response OpenCode shows: status + JSON `{error: {message, type, code}}`. */
export function errorResponse({ status, kind = "error", message, body }) {
  const text = message ?? `ChatGPT backend answered ${status}: ${String(body ?? "").slice(0, 300)}`;
  return new Response(JSON.stringify({ error: { message: text, type: kind, code: kind } }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

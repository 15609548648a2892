// Shared by tests/js/load.test.js and its bare-runtime baseline (tests/helpers/load-bare.js): the mock
// backend's handler for the load test (request i streams a text of its own marker in 8 delayed pieces).
import { textStream } from "./mock-backend.js";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const marker = (i) => `M${String(i).padStart(3, "0")}Z`;
/** The text request i must get back: only its own marker, a few words long. */
export const textFor = (i) => Array.from({ length: 12 }, (_, w) => `${marker(i)}w${w}`).join(" ") + ".";

export async function* inPieces(full, count, pause) {
  const size = Math.ceil(full.length / count);
  for (let at = 0; at < full.length; at += size) {
    yield full.slice(at, at + size);
    await sleep(pause);
  }
}

/** The mock backend handler: `load i` gets its own text, 8 pieces 5-15 ms apart (streams overlap throughout). */
export function loadHandler(req, record) {
  if (!(req.method === "POST" && req.url.startsWith("/backend-api/codex/responses"))) return undefined;
  const asked = record.json?.input?.[0]?.content?.[0]?.text ?? "";
  const i = Number(/^load (\d+)$/.exec(asked)?.[1]);
  if (!Number.isInteger(i)) return { status: 400, body: JSON.stringify({ error: { message: `unexpected input ${asked}` } }) };
  // 8 pieces, 5-15 ms apart: streams overlap for their whole lifetime.
  return { status: 200, headers: { "content-type": "text/event-stream" }, stream: inPieces(textStream(textFor(i), { id: `resp_${i}` }), 8, 5 + (i % 11)) };
}

// A mock ChatGPT Codex backend on 127.0.0.1: records every request and answers
// POST /backend-api/codex/responses with a scripted SSE stream (and GET /backend-api/wham/usage, see
// mock-usage.js). Started and stopped by the tests.
import http from "node:http";
import { createUsageState, usageReply } from "./mock-usage.js";

/** SSE text of one event. */
export function sseEvent(type, data) {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** A complete, well-formed Codex stream that answers with `text`. */
export function textStream(text, { id = "resp_mock", model = "gpt-5.4" } = {}) {
  const item = { id: "msg_mock", type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text, annotations: [] }] };
  let seq = 0;
  const ev = (type, data) => sseEvent(type, { sequence_number: seq++, ...data });
  return [
    ev("response.created", { response: { id, object: "response", status: "in_progress", model, output: [] } }),
    ev("response.in_progress", { response: { id, object: "response", status: "in_progress", model, output: [] } }),
    ev("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", content: [] } }),
    ev("response.content_part.added", { item_id: item.id, output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }),
    ...chunks(text).map((delta) => ev("response.output_text.delta", { item_id: item.id, output_index: 0, content_index: 0, delta })),
    ev("response.output_text.done", { item_id: item.id, output_index: 0, content_index: 0, text }),
    ev("response.content_part.done", { item_id: item.id, output_index: 0, content_index: 0, part: { type: "output_text", text, annotations: [] } }),
    ev("response.output_item.done", { output_index: 0, item }),
    ev("response.completed", {
      response: { id, object: "response", status: "completed", model, output: [item], usage: { input_tokens: 12, output_tokens: 5, total_tokens: 17, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } } },
    }),
  ].join("");
}

/** A small live model list in the backend's shape: gpt-6-astra (not in the bundled snapshot), gpt-5.5, gpt-5.4. */
export const MOCK_MODELS = {
  models: [
    { slug: "gpt-6-astra", display_name: "GPT-6 Astra", context_window: 500000, default_reasoning_level: "medium", supported_reasoning_levels: [{ effort: "low" }, { effort: "medium" }, { effort: "high" }], visibility: "list", priority: 1, supports_reasoning_summaries: true, support_verbosity: true, service_tiers: [] },
    { slug: "gpt-5.5", display_name: "GPT-5.5", context_window: 272000, default_reasoning_level: "medium", supported_reasoning_levels: [{ effort: "low" }, { effort: "medium" }, { effort: "high" }, { effort: "xhigh" }], visibility: "list", priority: 2, supports_reasoning_summaries: true, support_verbosity: true, service_tiers: ["priority"] },
    { slug: "gpt-5.4", display_name: "GPT-5.4", context_window: 272000, default_reasoning_level: "medium", supported_reasoning_levels: [{ effort: "low" }, { effort: "medium" }, { effort: "high" }, { effort: "xhigh" }], visibility: "list", priority: 3, supports_reasoning_summaries: true, support_verbosity: true, service_tiers: [] },
  ],
};
export const MOCK_MODELS_ETAG = '"mock-models-1"';

function chunks(text) {
  const words = text.split(/(?<= )/);
  return words.length ? words : [text];
}

/**
 * Starts the mock. `handler(req, record)` may return {status, headers, body} or a string (an SSE
 * body); the default answers every Responses call with textStream(defaultText).
 */
export async function startMockBackend({ handler, defaultText = "Hello from the mock backend.", usage = createUsageState() } = {}) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const parts = [];
    for await (const c of req) parts.push(c);
    const raw = Buffer.concat(parts).toString("utf8");
    let json;
    try {
      json = JSON.parse(raw);
    } catch {}
    const record = { method: req.method, url: req.url, headers: req.headers, raw, json };
    requests.push(record);
    let out = handler ? await handler(req, record, requests) : undefined;
    if (out === undefined) {
      if (req.method === "POST" && req.url.startsWith("/backend-api/codex/responses")) out = textStream(defaultText);
      else if (req.method === "GET" && req.url.startsWith("/backend-api/codex/models")) {
        out = req.headers["if-none-match"] === MOCK_MODELS_ETAG ? { status: 304, headers: { etag: MOCK_MODELS_ETAG } } : { headers: { "content-type": "application/json", etag: MOCK_MODELS_ETAG }, body: JSON.stringify(MOCK_MODELS) };
      }
      else if (req.method === "GET" && req.url.startsWith("/backend-api/wham/usage")) out = usageReply(usage, record);
      else out = { status: 404, body: JSON.stringify({ error: { message: "not found in mock" } }) };
    }
    if (typeof out === "string") out = { status: 200, headers: { "content-type": "text/event-stream" }, body: out };
    res.writeHead(out.status ?? 200, out.headers ?? { "content-type": "application/json" });
    if (out.stream) {
      for await (const piece of out.stream) res.write(piece);
      res.end();
    } else res.end(out.body ?? "");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    endpoint: `http://127.0.0.1:${port}/backend-api/codex`,
    requests,
    usage, // the usage endpoint's figures (tests/helpers/mock-usage.js): change them between calls
    models: () => requests.filter((r) => r.method === "GET" && r.url.startsWith("/backend-api/codex/models")),
    responses: () => requests.filter((r) => r.method === "POST" && r.url.startsWith("/backend-api/codex/responses")),
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

// A mock ChatGPT Codex backend on 127.0.0.1: records every request and answers
// POST /backend-api/codex/responses with a scripted SSE stream (and GET /backend-api/wham/usage, see
// mock-usage.js). Started and stopped by the tests.
// As strict as the live service (late 2026) where that is known, by default:
// - `GET /models?client_version=X` leaves out every model whose `minimal_client_version` is above X
//   (no `client_version`: counts as 0.0.0);
// - `POST /responses` for a model whose minimum is above the client's version (the `version` header,
//   else the User-Agent's first product token) answers the live 400 "requires a newer version of Codex"
//   (a request carrying no version at all passes, unless `requireVersion`);
// - a retired model (gpt-5.2, gpt-5.3-codex, ...) answers the live 400 "not supported when using Codex
//   with a ChatGPT account".
// - a request marked responses-lite (`x-openai-internal-codex-responses-lite: true`) whose body lacks
//   `reasoning.context: "all_turns"` or has `parallel_tool_calls` other than false answers 400 naming
//   the field (reported for the live service; the wording is ours). `refuseLite` refuses every
//   lite-marked request (a backend that no longer takes the lane).
// - a request body with `Content-Encoding: zstd` is decoded (as the live service does for the Codex CLI) and
//   recorded decoded (`record.raw`, `record.json`), with `record.encoding` and `record.wireBytes` (the bytes
//   that came); a body that is not valid zstd answers 400, an encoding it does not know 415, and a
//   Content-Length that differs from the bytes that came 400.
// Opt-in: `refuseZstd: 415 | 400` answers every zstd-encoded body with that refusal (a backend that stopped
// decoding it; the record still holds the decoded body); `throttleBps` (or `setThrottle(bps)`) reads request
// bodies no faster than that many bits per second (a slow uplink, for scripts/bench-turn.js); `modelsEtagOnResponses` sends `X-Models-Etag` on every /responses reply; `setModels(doc, etag)`
// changes the catalog (and its ETag) as the live service does when a model ships.
import http from "node:http";
import zlib from "node:zlib";
import { decompress as fzstdDecompress } from "fzstd";
import { createUsageState, usageReply } from "./mock-usage.js";

/** zstd → bytes with the test runtime's own decoder (Node >= 22.15, Bun), else fzstd (pure JS; Node 20 has none). */
export function zstdDecode(bytes) {
  if (typeof zlib.zstdDecompressSync === "function") return zlib.zstdDecompressSync(bytes);
  return Buffer.from(fzstdDecompress(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
}

/**
 * A valid zstd frame holding `bytes` in raw (stored) blocks: what a test hands the plugin as its encoder where
 * the runtime has none (Node 20), so the same paths run there. Not compression; any zstd decoder reads it.
 */
export function zstdStored(bytes) {
  const MAX = 128 * 1024; // block size ceiling = the window (Window_Descriptor 0x38: 2^17)
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])];
  let at = 0;
  do {
    const n = Math.min(MAX, bytes.length - at);
    const last = at + n >= bytes.length ? 1 : 0;
    const h = (n << 3) | last; // Block_Type 0: raw
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), Buffer.from(bytes.subarray(at, at + n)));
    at += n;
  } while (at < bytes.length);
  return new Uint8Array(Buffer.concat(parts));
}

/** The refusal of a body's encoding (what a strict HTTP service answers), or undefined: `{status, body}`. */
export function encodingRefusal(status, encoding) {
  const message = status === 415 ? `Unsupported Content-Encoding: ${encoding}` : `Invalid ${encoding} request body: content-encoding not accepted`;
  return { status, body: JSON.stringify({ error: { type: "invalid_request_error", code: "unsupported_content_encoding", message } }) };
}

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

/** A small live model list in the backend's shape: gpt-6-astra, gpt-5.5, gpt-5.4, each with its minimum client version. */
export const MOCK_MODELS = {
  models: [
    { slug: "gpt-6-astra", display_name: "GPT-6 Astra", context_window: 500000, default_reasoning_level: "medium", supported_reasoning_levels: [{ effort: "low" }, { effort: "medium" }, { effort: "high" }], visibility: "list", priority: 1, supports_reasoning_summaries: true, support_verbosity: true, service_tiers: [], minimal_client_version: "0.153.0" },
    { slug: "gpt-5.5", display_name: "GPT-5.5", context_window: 272000, default_reasoning_level: "medium", supported_reasoning_levels: [{ effort: "low" }, { effort: "medium" }, { effort: "high" }, { effort: "xhigh" }], visibility: "list", priority: 2, supports_reasoning_summaries: true, support_verbosity: true, service_tiers: ["priority"], minimal_client_version: "0.124.0" },
    { slug: "gpt-5.4", display_name: "GPT-5.4", context_window: 272000, default_reasoning_level: "medium", supported_reasoning_levels: [{ effort: "low" }, { effort: "medium" }, { effort: "high" }, { effort: "xhigh" }], visibility: "list", priority: 3, supports_reasoning_summaries: true, support_verbosity: true, service_tiers: [], minimal_client_version: "0.98.0" },
  ],
};
export const MOCK_MODELS_ETAG = '"mock-models-1"';

const levels = (...l) => l.map((effort) => ({ effort }));
const entry = (slug, display_name, priority, minimal_client_version, extra = {}) => ({
  slug, display_name, priority, minimal_client_version, visibility: "list", context_window: 272000, default_reasoning_level: "medium",
  supported_reasoning_levels: levels("low", "medium", "high", "xhigh"), supports_reasoning_summaries: true, default_reasoning_summary: "none",
  support_verbosity: true, default_verbosity: "low", service_tiers: [{ id: "priority", name: "Fast", description: "1.5x speed, increased usage" }], ...extra,
});
/** The live catalog as of late 2026 (minimums as the live /models reports them: the gpt-5.6 family 0.144.0, gpt-6-astra 0.153.0). */
export const LIVE_MODELS = {
  models: [
    entry("gpt-6-astra", "GPT-6-Astra", 1, "0.153.0", { use_responses_lite: true, max_context_window: 872000, supported_reasoning_levels: levels("low", "medium", "high", "xhigh", "max") }),
    entry("gpt-5.6-sol", "GPT-5.6-Sol", 2, "0.144.0", { use_responses_lite: true, context_window: 372000, default_reasoning_level: "low", supported_reasoning_levels: levels("low", "medium", "high", "xhigh", "max", "ultra") }),
    entry("gpt-5.6-terra", "GPT-5.6-Terra", 3, "0.144.0", { use_responses_lite: true, context_window: 372000, supported_reasoning_levels: levels("low", "medium", "high", "xhigh", "max", "ultra") }),
    entry("gpt-5.6-luna", "GPT-5.6-Luna", 4, "0.144.0", { use_responses_lite: true, context_window: 372000, supported_reasoning_levels: levels("low", "medium", "high", "xhigh", "max") }),
    entry("gpt-5.5", "GPT-5.5", 7, "0.124.0"),
    entry("gpt-5.4", "GPT-5.4", 16, "0.98.0"),
    entry("gpt-5.4-mini", "GPT-5.4-Mini", 23, "0.98.0", { service_tiers: [], upgrade: { model: "gpt-5.6-luna" } }),
  ],
};
/** Minimum client versions of models a test's list may leave out (the live service still enforces them). */
export const MIN_CLIENT_VERSIONS = Object.fromEntries(LIVE_MODELS.models.map((m) => [m.slug, m.minimal_client_version]));
/** Names the live service refuses for ChatGPT logins (retired 2026-06-02 and earlier). */
export const RETIRED_MODELS = ["gpt-5.2", "gpt-5.3-codex", "gpt-5.3-codex-spark", "gpt-5.1", "gpt-5.1-codex", "gpt-5.1-codex-max", "gpt-5.1-codex-mini", "gpt-5-codex", "gpt-5", "codex-mini-latest"];

/** `[major, minor, patch]` of "X.Y.Z" (any -pre/+build tail ignored), or null. */
export function parseVersion(text) {
  const m = /^\s*(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?\s*$/.exec(String(text ?? ""));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}
/** a < b for parsed versions. */
export function versionBelow(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}
/** The client version a request carries: the `version` header, else the User-Agent's first product token. */
export function requestVersion(headers) {
  return parseVersion(headers.version) ?? parseVersion(/^[^/\s]+\/(\S+)/.exec(headers["user-agent"] ?? "")?.[1]);
}

/** A stream that starts an answer with `text`, then ends with `response.incomplete` and `reason`. */
export function incompleteStream(text, reason = "max_output_tokens", { id = "resp_incomplete" } = {}) {
  const full = textStream(text, { id });
  const cut = full.indexOf("event: response.completed");
  return full.slice(0, cut) + sseEvent("response.incomplete", { response: { id, object: "response", status: "incomplete", incomplete_details: { reason }, output: [] } });
}

/** The live service's turn bookkeeping, as the mock sees it: the last user message names the turn. */
function turnOf(json) {
  const input = Array.isArray(json?.input) ? json.input : [];
  let last = -1;
  input.forEach((item, i) => {
    if (item?.role === "user" && (item.type === undefined || item.type === "message")) last = i;
  });
  if (last < 0) return null;
  const users = input.slice(0, last + 1).filter((item) => item?.role === "user" && (item.type === undefined || item.type === "message")).length;
  return { key: `${users}:${JSON.stringify(input[last])}`, first: last === input.length - 1 };
}

function chunks(text) {
  const words = text.split(/(?<= )/);
  return words.length ? words : [text];
}

/**
 * Starts the mock. `handler(req, record)` may return {status, headers, body}, a string (an SSE
 * body) or {raw(res)} (writes the reply itself); the default answers every Responses call with
 * textStream(defaultText).
 * Opt-in behaviours of the live service:
 * - `turnState`: every `/responses` reply carries `x-codex-turn-state` (one token per turn and
 *   session); the mock checks that a turn's further requests echo it and that a turn's first
 *   request carries none: `turnStateViolations()` lists what went wrong.
 * - `drops: {times, after: "headers"|"created", match?(record)}`: the first `times` matching
 *   `/responses` calls get the headers (and `response.created`), then the connection is closed.
 */
export async function startMockBackend({ handler, defaultText = "Hello from the mock backend.", usage = createUsageState(), models = MOCK_MODELS, modelsEtag = MOCK_MODELS_ETAG, modelsEtagOnResponses = false, requireVersion = false, turnState = false, drops, refuseZstd, throttleBps = 0, refuseLite = false } = {}) {
  const requests = [];
  let catalog = models;
  let catalogEtag = modelsEtag;
  const minimum = (slug) => parseVersion(catalog.models.find((m) => m.slug === slug)?.minimal_client_version ?? MIN_CLIENT_VERSIONS[slug]);
  /** The live refusals for a /responses body, or undefined when it passes. */
  const gate = (record) => {
    const slug = String(record.json?.model ?? "");
    if (RETIRED_MODELS.includes(slug)) {
      return { status: 400, body: JSON.stringify({ error: { type: "invalid_request_error", code: "model_not_supported_with_chatgpt_account", message: `The '${slug}' model is not supported when using Codex with a ChatGPT account.` } }) };
    }
    if (record.headers["x-openai-internal-codex-responses-lite"] === "true") {
      const refuse = (param, message) => ({ status: 400, body: JSON.stringify({ error: { type: "invalid_request_error", param, code: null, message } }) });
      if (refuseLite) return refuse(null, "Unsupported request: this lane is not available for the requested model.");
      if (record.json?.reasoning?.context !== "all_turns") return refuse("reasoning.context", "Responses Lite requests require reasoning.context to be 'all_turns'.");
      if (record.json?.parallel_tool_calls !== false) return refuse("parallel_tool_calls", "Responses Lite requests require parallel_tool_calls to be false.");
    }
    const version = requestVersion(record.headers);
    const min = minimum(slug);
    if (min && (version ? versionBelow(version, min) : requireVersion)) {
      return { status: 400, body: JSON.stringify({ detail: `The '${slug}' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again.` }) };
    }
    return undefined;
  };
  /** The catalog as the live /models answers it for `client_version`. */
  const listFor = (url) => {
    const asked = parseVersion(new URL(url, "http://x").searchParams.get("client_version")) ?? [0, 0, 0];
    return { ...catalog, models: catalog.models.filter((m) => { const min = parseVersion(m.minimal_client_version); return !min || !versionBelow(asked, min); }) };
  };
  const turnTokens = new Map(); // session + turn key -> token issued
  const violations = [];
  let dropped = 0;
  let tokenSeq = 0;
  const server = http.createServer(async (req, res) => {
    const parts = [];
    const arrivedAt = performance.now();
    for await (const c of req) {
      parts.push(c);
      if (throttleBps > 0) await new Promise((r) => setTimeout(r, (c.length * 8 * 1000) / throttleBps));
    }
    const wire = Buffer.concat(parts);
    const encoding = String(req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
    let bytes = wire;
    let refusal;
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) !== wire.length) refusal = { status: 400, body: JSON.stringify({ error: { message: `Content-Length ${declared} differs from the ${wire.length} bytes sent` } }) };
    else if (encoding === "zstd") {
      try {
        bytes = zstdDecode(wire);
      } catch {
        refusal = encodingRefusal(400, "zstd");
      }
      // decoded all the same: the record shows what the refused request held
      if (!refusal && refuseZstd) refusal = encodingRefusal(refuseZstd, "zstd");
    } else if (encoding !== "identity") refusal = encodingRefusal(415, encoding);
    const raw = encoding === "identity" || bytes !== wire ? bytes.toString("utf8") : "";
    let json;
    try {
      json = JSON.parse(raw);
    } catch {}
    const record = { method: req.method, url: req.url, headers: req.headers, raw, json, encoding, wireBytes: wire.length, refused: refusal?.status, arrivedAt };
    requests.push(record);
    if (refusal) {
      res.writeHead(refusal.status, { "content-type": "application/json" });
      return res.end(refusal.body);
    }
    const isResponses = req.method === "POST" && req.url.startsWith("/backend-api/codex/responses");
    let turnHeader = {};
    if (isResponses && turnState) {
      const turn = turnOf(json);
      const sent = req.headers["x-codex-turn-state"];
      if (turn) {
        const id = `${req.headers.session_id ?? json?.prompt_cache_key}\n${turn.key}`;
        const issued = turnTokens.get(id);
        // A re-send of a turn's first request may carry the token its first attempt got; nothing else may.
        const resend = turn.first && sent !== undefined && sent === issued;
        if (turn.first && sent !== undefined && !resend) violations.push(`request ${requests.length - 1}: a turn's first request carries x-codex-turn-state of another turn`);
        if (!turn.first && issued && sent === undefined) violations.push(`request ${requests.length - 1}: the turn's x-codex-turn-state was not echoed`);
        if (!turn.first && sent !== undefined && sent !== issued) violations.push(`request ${requests.length - 1}: x-codex-turn-state of another turn or session`);
        if ((turn.first && !resend) || !issued) turnTokens.set(id, `ts-${++tokenSeq}`);
        turnHeader = { "x-codex-turn-state": turnTokens.get(id) };
        record.turn = turn;
      }
    }
    if (isResponses && drops && dropped < drops.times && (drops.match?.(record) ?? true)) {
      dropped += 1;
      record.dropped = true;
      res.writeHead(200, { "content-type": "text/event-stream", ...turnHeader });
      res.flushHeaders();
      const head = drops.after === "created" ? sseEvent("response.created", { response: { id: "resp_dropped", status: "in_progress", output: [] } }) : "";
      res.write(head, () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    let out = handler ? await handler(req, record, requests) : undefined;
    if (out === undefined) {
      if (isResponses) out = gate(record) ?? textStream(defaultText);
      else if (req.method === "GET" && req.url.startsWith("/backend-api/codex/models")) {
        out = req.headers["if-none-match"] === catalogEtag ? { status: 304, headers: { etag: catalogEtag } } : { headers: { "content-type": "application/json", etag: catalogEtag }, body: JSON.stringify(listFor(req.url)) };
      }
      else if (req.method === "GET" && req.url.startsWith("/backend-api/wham/usage")) out = usageReply(usage, record);
      else out = { status: 404, body: JSON.stringify({ error: { message: "not found in mock" } }) };
    }
    if (typeof out === "string") out = { status: 200, headers: { "content-type": "text/event-stream" }, body: out };
    if (out.raw) return out.raw(res); // the handler writes (or breaks) the reply itself
    const headers = { ...(out.headers ?? { "content-type": "application/json" }), ...turnHeader };
    if (isResponses && modelsEtagOnResponses) headers["x-models-etag"] = catalogEtag;
    res.writeHead(out.status ?? 200, headers);
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
    /** Request bodies are read at most this fast from now on (bits per second; 0: unthrottled). */
    setThrottle(bps) {
      throttleBps = bps;
    },
    /** Replaces the catalog and its ETag (a model shipped). */
    setModels(doc, etag) {
      catalog = doc;
      catalogEtag = etag;
    },
    /** What the `turnState` checks found wrong (empty: the client followed the turn rules). */
    turnStateViolations: () => [...violations],
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

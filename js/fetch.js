// The fetch OpenCode's OpenAI client uses for a ChatGPT login: runs the wasm request transform on
// Responses calls, sets the Codex headers and sends the request to the Codex endpoint.
import { callCore } from "./core.js";

const RESPONSES_PATH = /\/responses\/?$/;

/** Plain header object (lower-case names) from any HeadersInit. */
export function headerObject(init) {
  const out = {};
  if (!init) return out;
  const entries = init instanceof Headers || Array.isArray(init) ? init : Object.entries(init);
  for (const [k, v] of entries) if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
  return out;
}

function requestParts(input, init) {
  if (input instanceof Request) {
    return { url: input.url, method: init?.method ?? input.method, headers: headerObject(init?.headers ?? input.headers), body: init?.body ?? null, signal: init?.signal ?? input.signal };
  }
  return { url: String(input instanceof URL ? input.href : input), method: init?.method ?? "GET", headers: headerObject(init?.headers), body: init?.body ?? null, signal: init?.signal };
}

async function bodyText(body) {
  if (body == null || typeof body === "string") return body;
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return new TextDecoder().decode(body);
  return null; // streams/forms are passed through untouched
}

/**
 * @param {object} deps
 * @param {() => Promise<{access: string, accountId?: string}>} deps.credentials  current login (refreshed by the caller)
 * @param {ReturnType<import("./config.js").resolveConfig>} deps.cfg
 * @param {(msg: string) => void} [deps.notice]  one-line notices for the user (model remaps)
 */
export function createCodexFetch({ credentials, cfg, notice = () => {} }) {
  return async function codexFetch(input, init) {
    const req = requestParts(input, init);
    const url = new URL(req.url);
    const isResponses = req.method.toUpperCase() === "POST" && RESPONSES_PATH.test(url.pathname);
    const target = isResponses ? `${cfg.endpoint}/responses` : req.url;

    let body = req.body;
    let cacheKey;
    if (isResponses) {
      const text = await bodyText(body);
      if (typeof text === "string") {
        const out = await callCore((core) => core.transformRequest(text));
        body = typeof out === "string" ? out : out.body;
        cacheKey = typeof out === "string" ? undefined : out.promptCacheKey;
        if (out?.notice) notice(out.notice);
      }
    }

    const login = await credentials();
    const headers = req.headers;
    delete headers.authorization;
    delete headers["content-length"];
    headers.authorization = `Bearer ${login.access}`;
    if (login.accountId) headers["chatgpt-account-id"] = login.accountId;
    headers.originator = cfg.originator;
    headers["user-agent"] = cfg.userAgent;
    if (cfg.clientVersion) headers.version = cfg.clientVersion;
    const session = headers["session_id"] ?? headers["session-id"] ?? cacheKey;
    delete headers["session-id"];
    if (session) headers.session_id = session;
    if (isResponses) headers.accept = "text/event-stream";

    return fetch(target, { method: req.method, headers, body, signal: req.signal });
  };
}

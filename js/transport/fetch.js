// The fetch OpenCode's OpenAI client uses for a ChatGPT login. The pipeline, each step in its own
// module: transform the body (wasm) → credentials (auth.js) → send with retries (errors.js) →
// one refresh+retry on 401 → readable error responses (errors.js) → guarded stream (stream.js),
// re-sent while it stops before output (resend.js); `x-codex-turn-state` replayed within a turn (turn.js).
// `/responses` bodies go zstd-encoded where config.js's requestEncoding says so (compress.js encodes); a
// refusal of the encoding re-sends the request plain once and keeps compression off for the process.
import { callCore } from "../core.js";
import { sendWithRetries, errorResponse, classifyHttpError } from "./errors.js";
import { collectJson } from "./stream.js";
import { resendingStream } from "./resend.js";
import { createTurnStates } from "./turn.js";
import { getCatalog, noticeOnce, noteModelsEtag } from "../request/models.js";
import { credentialUrl, redirectRefused, NO_REDIRECT } from "./guard.js";
import { readCapped, SMALL_BODY_BYTES, ERROR_BODY_MS } from "./body.js";
import { runtimeZstd, encodingRefused, noteEncodingRefused } from "./compress.js";
import { PACKAGE_NAME, requestEncoding, refusesEncoding } from "../config.js";

const RESPONSES_PATH = /\/responses\/?$/;

/** The request header that marks a responses-lite body (src/request/transform/lite.rs). */
export const LITE_HEADER = "x-openai-internal-codex-responses-lite";

// Set when the backend refused a responses-lite request that the full shape then got through:
// the full shape for every request of this process (said once in debug).
let liteRefused = false;
/** For tests: forget a refusal seen earlier in this process. */
export function resetLiteFallback() {
  liteRefused = false;
}

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
  return { url: String(input instanceof URL ? input.href : input), method: init?.method ?? "GET", headers: headerObject(init?.headers), body: init?.body ?? null, signal: init?.signal ?? undefined };
}

function bodyText(body) {
  if (body == null || typeof body === "string") return body;
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return new TextDecoder().decode(body);
  return null; // streams/forms are passed through untouched
}

/**
 * @param {object} deps
 * @param {{current: () => Promise<{access: string, accountId?: string}>, onUnauthorized?: () => Promise<boolean>}} deps.credentials
 * @param {ReturnType<import("../config.js").resolveConfig>} deps.cfg
 * @param {(text: string, opts: {responsesLite: boolean}) => object} [deps.transform]  body → {body, notice?, promptCacheKey?, lite?};
 *   default: the wasm transform against the process catalog (the body comes back as UTF-8 bytes: no string decode on the hot path)
 * @param {{observe?: (headers: Headers) => void}} [deps.quota]
 * @param {(msg: string) => void} [deps.notice]  one-line notices for the user (model remaps, quota)
 * @param {() => void} [deps.refreshModels]  called (not awaited) before each turn: keeps the catalog fresh
 * @param {typeof fetch} [deps.transport]  sends one request (default: the global fetch; js/accounts/rotation.js reads usage limits here)
 * @param {((bytes: Uint8Array) => Promise<Uint8Array>) | null} [deps.zstd]  the zstd encoder (default: the runtime's, compress.js; null: none)
 * @param {(line: string) => void} [deps.log]  debug lines (default: stderr when `cfg.debug`)
 */
export function createCodexFetch({ credentials, cfg, transform, quota, notice = () => {}, refreshModels, transport = (...a) => fetch(...a), zstd = runtimeZstd(), log = cfg.debug ? (line) => console.error(`[${PACKAGE_NAME}] ${line}`) : () => {} }) {
  const runTransform =
    transform ??
    (async (text, { responsesLite }) => {
      const catalog = await getCatalog();
      return callCore((core) => core.transformRequest(text, catalog.in(core), { defaultModel: cfg.defaultModel, responsesLite }));
    });
  const turns = createTurnStates();
  return async function codexFetch(input, init) {
    const req = requestParts(input, init);
    const url = new URL(req.url);
    const isResponses = req.method.toUpperCase() === "POST" && RESPONSES_PATH.test(url.pathname);
    let target = isResponses ? `${cfg.endpoint}/responses` : req.url;
    try {
      target = credentialUrl(target, cfg.endpoint); // the login goes only under the configured endpoint
    } catch (err) {
      return errorResponse({ status: 400, kind: "bad_request", message: `opencode-chatgpt-wasm: ${err.message}` });
    }

    let body = req.body;
    let callerText = null; // the caller's body, kept while a lite body may need the full shape instead
    let lite = false;
    let cacheKey;
    let turnInfo = null;
    let wantsJson = false;
    if (isResponses) {
      refreshModels?.();
      callerText = bodyText(body);
      if (typeof callerText === "string") {
        let out;
        try {
          out = await runTransform(callerText, { responsesLite: cfg.responsesLite !== false && !liteRefused });
        } catch (err) {
          return errorResponse({ status: 400, kind: "bad_request", message: `opencode-chatgpt-wasm: ${err.message}` });
        }
        body = out.body;
        lite = out.lite === true;
        cacheKey = out.promptCacheKey;
        turnInfo = out.turn ?? null;
        // The core read the caller's top-level `stream`: anything but `true` wants one JSON reply.
        wantsJson = out.callerStreams === false;
        noticeOnce(out.notice, notice);
      }
    }

    const headers = req.headers;
    delete headers.authorization;
    delete headers["content-length"]; // fetch sets it from the bytes sent (compressed or not)
    // What goes on the wire: the transformed body, zstd-encoded when requestEncoding says so.
    let wire = body;
    let encoding = "identity";
    const encode = async () => {
      encoding = isResponses && body instanceof Uint8Array
        ? requestEncoding({ enabled: cfg.compressRequests !== false, available: Boolean(zstd), refused: encodingRefused(), callerEncoding: req.headers["content-encoding"], bytes: body.byteLength })
        : "identity";
      wire = body;
      if (encoding !== "zstd") return;
      try {
        wire = await zstd(body);
      } catch (err) {
        encoding = "identity";
        log(`zstd compression failed (${err?.message}); this request goes as plain JSON`);
      }
    };
    await encode();
    // The client identity (config.js withClientIdentity): one version in `version` and the User-Agent.
    headers.originator = cfg.originator;
    if (cfg.userAgent) headers["user-agent"] = cfg.userAgent;
    if (cfg.clientVersion) headers.version = cfg.clientVersion;
    const session = headers["session_id"] ?? headers["session-id"] ?? cacheKey;
    delete headers["session-id"];
    if (session) headers.session_id = session;
    if (isResponses) headers.accept = "text/event-stream";
    // The lite lane is ours to mark: never forwarded from the caller.
    delete headers[LITE_HEADER];
    if (lite) headers[LITE_HEADER] = "true";
    // The turn this body belongs to (the transform named it): its turn-state token rides along.
    const turn = turns.begin(session, turnInfo);

    const send = async () => {
      const login = await credentials.current();
      const h = { ...headers, ...turn.headers(), authorization: `Bearer ${login.access}` };
      if (login.accountId) h["chatgpt-account-id"] = login.accountId;
      if (encoding === "zstd") h["content-encoding"] = "zstd";
      const r = await transport(target, { method: req.method, headers: h, body: wire, signal: req.signal, redirect: NO_REDIRECT });
      turn.observe(r.headers);
      return r;
    };
    const bodyTimeoutMs = Math.min(ERROR_BODY_MS, (cfg.stallSeconds ?? 300) * 1000);
    const attempt = async () => {
      let r = await sendWithRetries(send, { signal: req.signal, bodyTimeoutMs });
      if (r.status === 401 && credentials.onUnauthorized && (await credentials.onUnauthorized())) {
        await r.body?.cancel().catch(() => {});
        r = await sendWithRetries(send, { signal: req.signal, bodyTimeoutMs });
      }
      // The backend refused the encoding: plain JSON from now on in this process, and this request once more.
      if (encoding === "zstd" && (r.status === 415 || r.status === 400)) {
        const { text } = await readCapped(r.clone(), { maxBytes: SMALL_BODY_BYTES, timeoutMs: bodyTimeoutMs });
        if (refusesEncoding(r.status, text)) {
          // said once per process (requests already under way when it came are each re-sent too)
          if (!encodingRefused()) log(`the backend refused Content-Encoding: zstd (HTTP ${r.status}); re-sending plain, and request bodies stay plain JSON for the rest of this process`);
          noteEncodingRefused();
          await r.body?.cancel().catch(() => {});
          await encode();
          return attempt();
        }
      }
      return r;
    };
    /** The body without its encrypted reasoning (invalid_encrypted_content), or null: nothing to drop. */
    const dropReasoning = async () => {
      const out = body instanceof Uint8Array ? await callCore((core) => core.dropEncryptedReasoning(body)) : null;
      if (out) {
        body = out;
        await encode();
      }
      return out != null;
    };

    let res;
    let reasoningDropped = false;
    try {
      res = await attempt();
      if (isResponses && (res.status === 400 || (lite && (res.status === 415 || res.status === 422)))) {
        const { text } = await readCapped(res.clone(), { maxBytes: SMALL_BODY_BYTES, timeoutMs: bodyTimeoutMs });
        const info = await classifyHttpError(res.status, res.headers, text);
        const next = await callCore((core) => core.streamRetry(1, info.kind, undefined, 0, false));
        if (next?.dropReasoning && (await dropReasoning())) {
          reasoningDropped = true;
          await res.body?.cancel().catch(() => {});
          res = await attempt();
        } else if (lite && (await callCore((core) => core.liteFallback(res.status, info.kind)))) {
          // A refused lite body: the same request once in the full shape; if that one is accepted,
          // the full shape for the rest of the process.
          const refusedStatus = res.status;
          const full = await runTransform(callerText, { responsesLite: false });
          body = full.body;
          await encode();
          lite = false;
          delete headers[LITE_HEADER];
          await res.body?.cancel().catch(() => {});
          res = await attempt();
          if (res.status < 400 || res.status >= 500) {
            liteRefused = true;
            log(`the backend refused a responses-lite request (HTTP ${refusedStatus}: ${String(info.message ?? "").slice(0, 200)}); the full Responses shape is used for the rest of this process`);
          }
        }
      }
    } catch (err) {
      if (req.signal?.aborted) throw err;
      // The login could not be renewed (auth.js): show its sentence, not a network error.
      if (err?.name === "LoginError") return errorResponse({ status: err.status ?? 401, kind: "auth", message: err.message });
      return errorResponse({ status: 502, kind: "transport", message: `could not reach the ChatGPT backend (${err.message}); check your connection and try again` });
    }
    Promise.resolve(quota?.observe?.(res.headers)).catch(() => {});
    // The backend's catalog changed (its ETag differs from ours): refresh the model list in the background.
    if (isResponses) noteModelsEtag(res.headers.get("x-models-etag"));
    if (redirectRefused(res)) return errorResponse(redirectRefused(res));
    if (!res.ok) return errorResponse({ ...(await readError(res, cfg.stallSeconds)), context: await errorContext(cfg) });
    if (!isResponses || !res.body) return res;
    const resend = async ({ dropReasoning: drop }) => {
      if (drop && !(await dropReasoning())) return null;
      const r = await attempt();
      Promise.resolve(quota?.observe?.(r.headers)).catch(() => {});
      return r;
    };
    const guarded = await resendingStream(res, { resend, signal: req.signal, stallSeconds: cfg.stallSeconds, reasoningDropped });
    if (!wantsJson) return guarded;
    try {
      return new Response(await collectJson(guarded), { status: 200, headers: { "content-type": "application/json" } });
    } catch (err) {
      if (req.signal?.aborted) throw err;
      return errorResponse({ status: 502, kind: err.kind ?? err.code ?? "other", message: err.message });
    }
  };
}

/** What makes a model refusal actionable: the models this login can use, the version we spoke as. */
async function errorContext(cfg) {
  try {
    return { models: (await getCatalog()).usable(), clientVersion: cfg.clientVersion };
  } catch {
    return { clientVersion: cfg.clientVersion };
  }
}

/** The error reply, its body bounded in size and time (a stalled or endless body cannot hold the turn). */
async function readError(res, stallSeconds) {
  const { text } = await readCapped(res, { maxBytes: SMALL_BODY_BYTES, timeoutMs: Math.min(ERROR_BODY_MS, (stallSeconds ?? 300) * 1000) });
  return { status: res.status, headers: res.headers, body: text };
}

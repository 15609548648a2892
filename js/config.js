// Runtime settings, from plugin options (opencode.json) then environment, then defaults.
import os from "node:os";
import { readFileSync } from "node:fs";

export const PACKAGE_NAME = "opencode-chatgpt-wasm";
export const PACKAGE_VERSION = readVersion();
export const DEFAULT_ENDPOINT = "https://chatgpt.com/backend-api/codex";
export const DEFAULT_ISSUER = "https://auth.openai.com";
export const DEFAULT_API_BASE = "https://api.openai.com/v1";

function readVersion() {
  try {
    return JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function trimSlash(url) {
  return String(url).replace(/\/+$/, "");
}

/**
 * Resolved settings; every outside URL is overridable so tests can point at 127.0.0.1.
 * `clientVersion` here is the user's override only (or undefined); `withClientIdentity` (with the
 * loaded core) turns it into the one identity every request uses.
 */
export function resolveConfig(options = {}, env = process.env) {
  const pick = (opt, name, fallback) => options[opt] ?? env[name] ?? fallback;
  const number = (v, fallback) => {
    const n = Number(v);
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };
  // Switches: off-by-default ones are on only for 1/true/yes; on-by-default ones are off only for 0/false/no/off.
  const optIn = (opt, name) => ["1", "true", "yes"].includes(String(pick(opt, name, "")).toLowerCase());
  const optOut = (opt, name) => !["0", "false", "no", "off"].includes(String(pick(opt, name, "1")).toLowerCase());
  return {
    endpoint: trimSlash(pick("endpoint", "OPENCODE_CODEX_ENDPOINT", DEFAULT_ENDPOINT)),
    issuer: trimSlash(pick("issuer", "OPENCODE_CODEX_ISSUER", DEFAULT_ISSUER)),
    originator: pick("originator", "OPENCODE_CODEX_ORIGINATOR", "opencode"),
    userAgent: pick("userAgent", "OPENCODE_CODEX_USER_AGENT", undefined),
    clientVersion: pick("clientVersion", "OPENCODE_CODEX_CLIENT_VERSION", undefined),
    defaultModel: pick("model", "OPENCODE_CODEX_MODEL", undefined),
    callbackPort: number(pick("callbackPort", "OPENCODE_CODEX_CALLBACK_PORT", 1455), 1455),
    callbackFallbackPort: number(pick("callbackFallbackPort", "OPENCODE_CODEX_CALLBACK_FALLBACK_PORT", 1457), 1457),
    // API-key logins: unset keeps OpenCode's own OpenAI client (https://api.openai.com/v1).
    apiBase: ((v) => (v ? trimSlash(v) : undefined))(pick("apiBase", "OPENCODE_OPENAI_API_BASE", undefined)),
    authTimeoutMs: number(pick("authTimeoutMs", "OPENCODE_AUTH_TIMEOUT", 5 * 60_000), 5 * 60_000),
    stallSeconds: number(pick("stallSeconds", "OPENCODE_CODEX_STALL_SECONDS", 300), 300),
    // Accounts: a project pinned with `accounts use --project` may rotate to other accounts (src/accounts/select.rs).
    accountsLeavePin: optIn("accountsLeavePin", "OPENCODE_CODEX_ACCOUNTS_LEAVE_PIN"),
    // Accounts: refresh tokens of pooled accounts in the OS keychain (js/accounts/keychain.js).
    keychain: optIn("keychain", "OPENCODE_CODEX_KEYCHAIN"),
    // The responses-lite request shape for catalog entries marked use_responses_lite (src/request/transform/lite.rs);
    // off: the full Responses shape for every model.
    responsesLite: optOut("responsesLite", "OPENCODE_CODEX_RESPONSES_LITE"),
    // `/responses` bodies zstd-compressed as the Codex CLI sends them (requestEncoding below); off: always plain JSON.
    compressRequests: optOut("compressRequests", "OPENCODE_CODEX_COMPRESS"),
    debug: Boolean(pick("debug", "OPENCODE_CODEX_DEBUG", "") && String(pick("debug", "OPENCODE_CODEX_DEBUG", "")) !== "0"),
  };
}

/**
 * `cfg` with the one client identity the core decides (src/request/client.rs): `clientVersion` (full,
 * for the `version` header), `clientVersionWhole` (for `/models?client_version=`) and the User-Agent
 * built around the same version, unless the user set `userAgent` explicitly. A bad override is said
 * once through `warn` (what is wrong, what to do) and the built-in version is used.
 * @param {ReturnType<typeof resolveConfig>} cfg
 * @param {{clientIdentity: Function}} core  the loaded wasm core (loadCore())
 */
export function withClientIdentity(cfg, core, warn = (message) => console.error(`${PACKAGE_NAME}: ${message}`)) {
  const machine = [cfg.originator, os.platform(), os.release(), os.arch(), `${PACKAGE_NAME}/${PACKAGE_VERSION}`];
  let id;
  try {
    id = core.clientIdentity(cfg.clientVersion ?? null, ...machine);
  } catch (err) {
    warn(err?.message ?? String(err));
    id = core.clientIdentity(null, ...machine);
  }
  return { ...cfg, clientVersion: id.version, clientVersionWhole: id.whole, userAgent: cfg.userAgent ?? id.userAgent };
}

/**
 * Bodies below this stay plain. Measured (Bun 1.3.14, zstd level 3, docs/benchmarks.md): a 1 KB body shrinks
 * by ~500 bytes, a 4 KB one by ~2 KB, for 15-40 µs; under 4 KiB the saving is smaller than the request's own
 * headers and fits the same TCP segments, so it buys nothing and costs a CPU hop (and a readable body in a
 * debug capture). Every body OpenCode sends for a turn (instructions + tools) is far above it.
 */
export const COMPRESS_MIN_BYTES = 4096;
/** The Codex CLI's level (codex-rs http-client `maybe_compress_body`: `zstd::stream::encode_all(body, 3)`). */
export const ZSTD_LEVEL = 3;

/**
 * How a `/responses` body goes out: "zstd" or "identity". A pure decision (no I/O): compression on in the
 * settings, the runtime has a zstd encoder, the backend has not refused the encoding in this process, the
 * caller set no Content-Encoding of its own, and the body is at least COMPRESS_MIN_BYTES.
 * @param {{enabled: boolean, available: boolean, refused: boolean, callerEncoding?: string, bytes: number}} o
 * @returns {"zstd" | "identity"}
 */
export function requestEncoding({ enabled, available, refused, callerEncoding, bytes }) {
  if (!enabled || !available || refused || callerEncoding) return "identity";
  return bytes >= COMPRESS_MIN_BYTES ? "zstd" : "identity";
}

/**
 * Whether an error reply to a zstd-encoded request refuses the encoding (then the body is re-sent plain and
 * compression stays off for the process): HTTP 415, or a 400 whose text names the content encoding or zstd.
 * The live service decodes zstd (the Codex CLI depends on it); this is the way out should that change.
 * @param {number} status
 * @param {string} text  the error body (bounded)
 */
export function refusesEncoding(status, text) {
  if (status === 415) return true;
  return status === 400 && /content[-_ ]?encoding|zstd/i.test(String(text ?? ""));
}

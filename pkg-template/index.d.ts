// Types of the opencode-chatgpt-wasm plugin module (index.js): the plugin options an opencode.json entry may
// carry, and the public exports. Hand-written; tests/js/install/package.test.js checks them with `tsc --noEmit`
// against @opencode-ai/plugin's own types (an optional peer dependency: only type checking needs it).
import type { Hooks, PluginInput } from "@opencode-ai/plugin";

/**
 * Options of the plugin entry: `"plugin": [["opencode-chatgpt-wasm@<version>", { "endpoint": "…" }]]`.
 * Every option has an environment variable of the same meaning (named in each comment); an option wins over it.
 * A type alias, not an interface, so that it fits @opencode-ai/plugin's `PluginOptions` (Record<string, unknown>).
 */
export type ChatgptPluginOptions = {
  /** Codex backend base URL (OPENCODE_CODEX_ENDPOINT). Default `https://chatgpt.com/backend-api/codex`. */
  endpoint?: string;
  /** OAuth issuer (OPENCODE_CODEX_ISSUER). Default `https://auth.openai.com`. */
  issuer?: string;
  /** Model used when a request names none (OPENCODE_CODEX_MODEL). Default: the catalog's top model. */
  model?: string;
  /** Loopback port of the browser login's callback (OPENCODE_CODEX_CALLBACK_PORT). Default 1455. */
  callbackPort?: number;
  /** Port tried when `callbackPort` is busy (OPENCODE_CODEX_CALLBACK_FALLBACK_PORT). Default 1457. */
  callbackFallbackPort?: number;
  /** How long a login may wait for the browser or device code, in ms (OPENCODE_AUTH_TIMEOUT). Default 300000. */
  authTimeoutMs?: number;
  /** Seconds without stream data before a turn is reported as stalled (OPENCODE_CODEX_STALL_SECONDS). Default 300. */
  stallSeconds?: number;
  /** `originator` header (OPENCODE_CODEX_ORIGINATOR). Default `opencode`. */
  originator?: string;
  /** `User-Agent` header (OPENCODE_CODEX_USER_AGENT). Default `opencode/<client version> (<os> <release>; <arch>) opencode-chatgpt-wasm/<v>`. */
  userAgent?: string;
  /** The Codex client version we speak as: `/models?client_version=`, the `version` header and the User-Agent's version
   * (OPENCODE_CODEX_CLIENT_VERSION). Default: the core's built-in version (at least every bundled model's minimum). */
  clientVersion?: string;
  /** Base URL for API-key logins (OPENCODE_OPENAI_API_BASE). Default unset: OpenCode's own OpenAI client. */
  apiBase?: string;
  /** Let a project pinned to an account rotate to an account outside its pin (OPENCODE_CODEX_ACCOUNTS_LEAVE_PIN=1). Default off. */
  accountsLeavePin?: boolean | string;
  /** Refresh tokens (auth.json's and the pooled accounts') in the OS keychain; the files keep a reference (OPENCODE_CODEX_KEYCHAIN=1). Default off. */
  keychain?: boolean | string;
  /** `/responses` bodies zstd-encoded as the Codex CLI sends them (runtime zstd: Bun, Node >= 22.15); false: plain JSON (OPENCODE_CODEX_COMPRESS=0). Default on. */
  compressRequests?: boolean | string;
  /** The responses-lite request shape for catalog entries marked `use_responses_lite` (the gpt-5.6 family, gpt-6-astra), as the
   * Codex CLI sends them; false: the full Responses shape for every model (OPENCODE_CODEX_RESPONSES_LITE=0). Default on. */
  responsesLite?: boolean | string;
  /** Debug lines on stderr, never holding tokens, codes or verifiers (OPENCODE_CODEX_DEBUG=1). Default off. */
  debug?: boolean | string | number;
};

/** The plugin module OpenCode loads (its V1 plugin format). */
export interface ChatgptPluginModule {
  id: "opencode-chatgpt-wasm";
  server(input: PluginInput, options?: ChatgptPluginOptions): Promise<Hooks>;
}

declare const plugin: ChatgptPluginModule;
export default plugin;

/** One usage window of the Codex rate-limit headers (`x-codex-primary-*` / `x-codex-secondary-*`). */
export interface RateLimitWindow {
  usedPercent: number;
  windowMinutes: number | null;
  /** Unix seconds when the window resets, when the backend said so. */
  resetsAtS: number | null;
  /** Seconds from the response until the window resets, when the backend said so. */
  resetsAfterS: number | null;
}

/** The latest Codex rate-limit snapshot this process saw. */
export interface RateLimits {
  primary: RateLimitWindow | null;
  secondary: RateLimitWindow | null;
  credits: { hasCredits: boolean | null; unlimited: boolean | null; balance: string | null } | null;
  activeLimit: string | null;
}

/** The latest rate-limit snapshot of this process (null before the first ChatGPT response). */
export function latestRateLimits(): RateLimits | null;

/** Placeholder API key handed to OpenCode's OpenAI client for ChatGPT logins (the real bearer is set per request). */
export const OAUTH_DUMMY_KEY: "chatgpt-oauth";

/** Shows a one-line notice: an OpenCode toast when the TUI runs, else a line on stderr. */
export function showNotice(client: PluginInput["client"] | undefined, message: string, variant?: "info" | "success" | "warning" | "error"): void;

/** Loads the wasm core and runs one call through it (used by `doctor`). */
export function selfTest(): Promise<{ ok: boolean }>;

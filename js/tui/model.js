// The usage figures the TUI and the `usage` command show: the stored ChatGPT login (none, or an API
// key: nothing is shown), the quota file the server plugin writes after every reply, and the usage
// endpoint, asked at start and then only when the core says the figures are stale. The core decides
// which figures are newest and every word; this file holds the state and does the reads.
// Never puts a token, an account id or an e-mail address in a message.
import fs from "node:fs";
import { resolveConfig } from "../config.js";
import { callCore } from "../core.js";
import { createCredentials, defaultAuthPath, readStoredLogin } from "../auth/credentials.js";
import { defaultQuotaPath } from "../transport/quota.js";
import { fetchUsage } from "../transport/usage.js";
import { authSecretsKeepingRefs } from "../accounts/keychain.js";

const tzOffset = () => -new Date().getTimezoneOffset();

function readText(file) {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/**
 * @param {object} [o]
 * @param {object} [o.options]  plugin options (endpoint, …), as in opencode.json / tui.json
 * @param {NodeJS.ProcessEnv} [o.env]
 * @param {typeof fetch} [o.fetch]
 * @param {() => number} [o.now]
 */
export function createUsageModel({ options = {}, env = process.env, fetch: fetchImpl = fetch, now = Date.now } = {}) {
  const cfg = resolveConfig(options, env);
  const authPath = defaultAuthPath(env);
  const quotaPath = defaultQuotaPath(env);
  // auth.json may hold a keychain reference (OPENCODE_CODEX_KEYCHAIN): revealed for a refresh, never sent, kept a reference after it.
  const credentials = createCredentials({ getAuth: async () => readStoredLogin(authPath), cfg, authPath, now, fetch: fetchImpl, secrets: authSecretsKeepingRefs });
  let fromEndpoint = null;
  let fromHeaders = null;
  let quotaText = null;
  let lastAttempt = null;
  let lastError = null;
  let inflight = null;

  const hasLogin = () => readStoredLogin(authPath) !== null;

  async function readQuota() {
    const text = readText(quotaPath);
    if (text === quotaText) return;
    quotaText = text;
    fromHeaders = text === null ? null : await callCore((core) => core.usageFromQuotaFile(text)).catch(() => null);
  }

  return {
    /** Whether a ChatGPT login is stored (an API key or no login: nothing to show). */
    hasLogin,
    /** The message of the last failed endpoint read, or null. */
    lastError: () => lastError,
    /** Asks the endpoint now (`force`) or when the figures are stale; never rejects. */
    async refresh({ force = false } = {}) {
      await readQuota();
      if (!hasLogin()) return;
      const newest = Math.max(fromEndpoint?.observedAtMs ?? -Infinity, fromHeaders?.observedAtMs ?? -Infinity);
      const due = force || (await callCore((core) => core.usageRefreshDue(Number.isFinite(newest) ? newest : undefined, lastAttempt ?? undefined, now())));
      if (!due) return;
      inflight ??= (async () => {
        lastAttempt = now();
        try {
          fromEndpoint = await fetchUsage({ cfg, credentials, fetch: fetchImpl, now });
          lastError = null;
        } catch (err) {
          lastError = String(err?.message ?? err);
        } finally {
          inflight = null;
        }
      })();
      await inflight;
    },
    /** Re-reads the quota file (cheap when unchanged). */
    readQuota,
    /** The core's display model (src/usage/view.rs), or null when there is no ChatGPT login. */
    async view() {
      if (!hasLogin()) return null;
      const usages = [fromEndpoint, fromHeaders].filter(Boolean);
      // One login today; the account pool fills this list with one entry per account.
      const accounts = [{ label: null, serving: true, usages }];
      return callCore((core) => core.usageView(accounts, now(), tzOffset()));
    },
  };
}

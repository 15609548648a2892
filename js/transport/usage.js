// Reads the usage endpoint (`GET {chatgpt base}/backend-api/wham/usage`, the URL from the core) with
// the stored ChatGPT login: the same bearer and ChatGPT-Account-Id headers as a turn, one refresh and
// retry on 401. The core turns the reply into a usage (or a coded error); this file only does the fetch.
// Never logs the token, the account id or the reply (it carries an e-mail address).
import { callCore } from "../core.js";

const TIMEOUT_MS = 15_000;

/**
 * @param {object} deps
 * @param {{endpoint: string, originator: string, userAgent: string}} deps.cfg
 * @param {{current: () => Promise<{access: string, accountId?: string}>, onUnauthorized?: () => Promise<boolean>}} deps.credentials
 * @returns {Promise<object>} the core's usage (see src/usage/payload.rs); throws a CoreError
 *   (`usage-unauthorized`, `usage-http`, `usage-bad-body`), a LoginError, or `usage-unreachable`.
 */
export async function fetchUsage({ cfg, credentials, fetch: fetchImpl = fetch, now = Date.now }) {
  const url = await callCore((core) => core.usageUrl(cfg.endpoint));
  const send = async () => {
    const login = await credentials.current();
    const headers = { authorization: `Bearer ${login.access}`, originator: cfg.originator, "user-agent": cfg.userAgent, accept: "application/json" };
    if (login.accountId) headers["chatgpt-account-id"] = login.accountId;
    return fetchImpl(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  };
  let res;
  try {
    res = await send();
    if (res.status === 401 && credentials.onUnauthorized) {
      await res.body?.cancel().catch(() => {});
      if (await credentials.onUnauthorized()) res = await send();
    }
  } catch (err) {
    if (err?.name === "LoginError") throw err;
    const e = new Error(`could not reach the usage endpoint (${err?.cause?.code ?? err?.code ?? err?.cause?.message ?? err?.message ?? "network error"}); check your connection`);
    e.code = "usage-unreachable";
    throw e;
  }
  const body = await res.text().catch(() => "");
  return callCore((core) => core.parseUsageResponse(res.status, body, now()));
}

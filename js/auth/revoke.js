// Revokes the refresh token of a login that a new login replaces (`opencode auth login` again):
// POST {issuer}/oauth/revoke JSON {token, token_type_hint: "refresh_token", client_id} (PROTOCOL.md;
// the body comes from the core). Best effort: bounded in time, never fails or delays the new
// login beyond that bound, never names the token in a message or log.
import { callCore, callStartup } from "../core.js";
import { credentialUrl } from "../transport/guard.js";
import { isRef } from "../accounts/keychain.js";

export const REVOKE_TIMEOUT_MS = 3_000;

/**
 * @param {{issuer: string}} cfg
 * @param {{refresh?: string} | null} previous  the login stored before this one (read before OpenCode writes the new one)
 * @param {{refresh?: string}} next  the new login
 * @param {{fetch?: typeof fetch, log?: (line: string) => void}} [deps]
 * @returns {Promise<"revoked"|"skipped"|"failed">}
 */
export async function revokeReplaced(cfg, previous, next, { fetch: fetchImpl = fetch, log = () => {} } = {}) {
  const old = previous?.refresh;
  if (typeof old !== "string" || !old || old === next?.refresh || isRef(old)) return "skipped"; // a keychain reference is not a token: never sent
  // Only a new login of the same account replaces the old one: another account's login joins the account
  // pool (js/accounts/pool.js) and must keep working, so its token is never revoked here.
  if (!(await sameAccount(previous, next))) return "skipped";
  try {
    const status = await postRevoke(cfg, old, fetchImpl);
    log(`revoke of the replaced login: HTTP ${status}`);
    return status >= 200 && status < 300 ? "revoked" : "failed";
  } catch (err) {
    log(`revoke of the replaced login failed (${err?.name ?? "error"})`);
    return "failed";
  }
}

/** True only when both logins are provably the same account (the core's account key); unknown is "no". */
async function sameAccount(previous, next) {
  try {
    const key = (login) => callStartup((core) => core.accountsIdentity(login.access, login.id_token ?? login.idToken ?? undefined, login.accountId ?? undefined).key);
    const [a, b] = await Promise.all([key(previous), key(next)]);
    return typeof a === "string" && a !== "" && a === b;
  } catch {
    return false;
  }
}

/**
 * Revokes a removed account's refresh token (`accounts remove`); resolves when the issuer accepted it,
 * throws an Error that names the status or the failure (never the token) otherwise.
 */
export async function revokeLogin(cfg, login, { fetch: fetchImpl = fetch } = {}) {
  if (typeof login?.refresh !== "string" || !login.refresh) throw new Error("the account has no refresh token");
  if (isRef(login.refresh)) throw new Error("its refresh token is in the keychain, which cannot give it now");
  let status;
  try {
    status = await postRevoke(cfg, login.refresh, fetchImpl);
  } catch (err) {
    throw new Error(`the issuer could not be reached (${err?.name ?? "error"})`);
  }
  if (status < 200 || status >= 300) throw new Error(`the issuer answered HTTP ${status}`);
}

/** POST {issuer}/oauth/revoke with the core's body; the HTTP status. Bounded by REVOKE_TIMEOUT_MS. */
async function postRevoke(cfg, token, fetchImpl) {
  const [endpoints, body] = await Promise.all([callCore((core) => core.oauthEndpoints(cfg.issuer)), callCore((core) => core.revokeBody(token))]);
  const res = await fetchImpl(credentialUrl(endpoints.revoke, cfg.issuer), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body,
    redirect: "error",
    signal: AbortSignal.timeout(REVOKE_TIMEOUT_MS),
  });
  await res.body?.cancel().catch(() => {});
  return res.status;
}

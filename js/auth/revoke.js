// Revokes the refresh token of a login that a new login replaces (`opencode auth login` again):
// POST {issuer}/oauth/revoke JSON {token, token_type_hint: "refresh_token", client_id} (PROTOCOL.md;
// the body comes from the core). Best effort: bounded in time, never fails or delays the new
// login beyond that bound, never names the token in a message or log.
import { callCore } from "../core.js";

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
  if (typeof old !== "string" || !old || old === next?.refresh) return "skipped";
  try {
    const [endpoints, body] = await callCore((core) => [core.oauthEndpoints(cfg.issuer), core.revokeBody(old)]);
    const res = await fetchImpl(endpoints.revoke, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body,
      signal: AbortSignal.timeout(REVOKE_TIMEOUT_MS),
    });
    await res.body?.cancel().catch(() => {});
    log(`revoke of the replaced login: HTTP ${res.status}`);
    return res.ok ? "revoked" : "failed";
  } catch (err) {
    log(`revoke of the replaced login failed (${err?.name ?? "error"})`);
    return "failed";
  }
}

// A mock OpenAI OAuth issuer on 127.0.0.1 (auth.openai.com's endpoints as the Codex CLI uses them):
// authorize redirect with PKCE bookkeeping, token exchange (checks the S256 verifier), rotating
// refresh tokens (an old one is "reused"), and the device-code endpoints. Started and stopped by tests.
import http from "node:http";
import crypto from "node:crypto";
import { chatgptToken } from "./jwt.js";

const CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";

function s256(verifier) {
  return crypto.createHash("sha256").update(verifier).digest("base64url");
}

/**
 * @param {object} [opts]
 * @param {string} [opts.accountId]
 * @param {number} [opts.expiresIn]  seconds, for issued access tokens
 * @param {"ok"|"deny"|"no-entitlement"} [opts.authorize]
 * @param {number} [opts.devicePending]  number of pending polls before success
 * @param {number} [opts.refreshDelayMs]  delay before answering a refresh (widens race windows)
 * @param {number} [opts.refreshStatus]  answer every refresh with this status (e.g. 503: a transient failure)
 */
export async function startMockIssuer(opts = {}) {
  const o = { accountId: "acc-issuer-1", expiresIn: 3600, authorize: "ok", devicePending: 1, refreshDelayMs: 0, ...opts };
  const state = {
    codes: new Map(), // code -> {challenge, redirectUri}
    refreshTokens: new Map(), // token -> "live" | "used"
    counts: { authorize: 0, token: 0, refresh: 0, refreshReused: 0, usercode: 0, devicePoll: 0, revoke: 0 },
    revoked: [], // refresh tokens revoked through /oauth/revoke (secrets: compare, never print)
    requests: [],
    seq: 0,
    devicePolls: 0,
    latest: null, // the newest token set issued
    secrets: new Set(), // every code, verifier and token seen or issued: must never appear in any output
  };
  const secret = (v) => v && state.secrets.add(v);

  function issueTokens() {
    state.seq += 1;
    const refresh = `rt-mock-${state.seq}-${crypto.randomBytes(6).toString("hex")}`;
    state.refreshTokens.set(refresh, "live");
    const exp = Math.floor(Date.now() / 1000) + o.expiresIn;
    const access = chatgptToken({ accountId: o.accountId, expS: exp, extra: { seq: state.seq } });
    const id_token = chatgptToken({ accountId: o.accountId, expS: exp });
    [refresh, access, id_token].forEach(secret);
    state.latest = { access, refresh };
    return { access_token: access, refresh_token: refresh, id_token, expires_in: o.expiresIn, token_type: "Bearer" };
  }

  const json = (res, status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url, "http://127.0.0.1");
    state.requests.push({ method: req.method, path: url.pathname, headers: req.headers, raw });

    if (req.method === "GET" && url.pathname === "/oauth/authorize") {
      state.counts.authorize += 1;
      const q = url.searchParams;
      const redirect = new URL(q.get("redirect_uri"));
      if (q.get("client_id") !== CLIENT_ID || q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) {
        return json(res, 400, { error: "invalid_request", error_description: "bad authorize parameters" });
      }
      redirect.searchParams.set("state", q.get("state") ?? "");
      if (o.authorize === "deny") {
        redirect.searchParams.set("error", "access_denied");
        redirect.searchParams.set("error_description", "The user denied access");
      } else if (o.authorize === "no-entitlement") {
        redirect.searchParams.set("error", "access_denied");
        redirect.searchParams.set("error_description", "missing_codex_entitlement");
      } else {
        const code = `code-${crypto.randomBytes(8).toString("hex")}`;
        secret(code);
        state.codes.set(code, { challenge: q.get("code_challenge"), redirectUri: q.get("redirect_uri") });
        redirect.searchParams.set("code", code);
      }
      res.writeHead(302, { location: redirect.href });
      return res.end();
    }

    if (req.method === "POST" && url.pathname === "/oauth/token") {
      const type = req.headers["content-type"] ?? "";
      const body = type.includes("json") ? JSON.parse(raw || "{}") : Object.fromEntries(new URLSearchParams(raw));
      secret(body.code_verifier);
      if (body.client_id !== CLIENT_ID) return json(res, 400, { error: "invalid_client" });
      if (body.grant_type === "authorization_code") {
        state.counts.token += 1;
        const entry = state.codes.get(body.code);
        if (!entry) return json(res, 400, { error: "invalid_grant", error_description: "unknown or used authorization code" });
        state.codes.delete(body.code);
        if (s256(body.code_verifier ?? "") !== entry.challenge) return json(res, 400, { error: "invalid_grant", error_description: "code_verifier does not match" });
        if (body.redirect_uri !== entry.redirectUri) return json(res, 400, { error: "invalid_grant", error_description: "redirect_uri mismatch" });
        return json(res, 200, issueTokens());
      }
      if (body.grant_type === "refresh_token") {
        state.counts.refresh += 1;
        if (o.refreshDelayMs) await new Promise((r) => setTimeout(r, o.refreshDelayMs));
        if (o.refreshStatus) return json(res, o.refreshStatus, { error: { message: "temporarily unavailable", code: "server_error" } });
        const status = state.refreshTokens.get(body.refresh_token);
        if (status === "used") {
          state.counts.refreshReused += 1;
          return json(res, 401, { error: { message: "Your refresh token has already been used to generate a new access token. Please try signing in again.", type: "invalid_request_error", code: "refresh_token_reused" } });
        }
        if (status !== "live") return json(res, 401, { error: { message: "Could not validate your refresh token.", code: "refresh_token_invalidated" } });
        state.refreshTokens.set(body.refresh_token, "used");
        return json(res, 200, issueTokens());
      }
      return json(res, 400, { error: "unsupported_grant_type" });
    }

    if (req.method === "POST" && url.pathname === "/oauth/revoke") {
      // RFC 7009 with a JSON body, as PROTOCOL.md describes it: {token, token_type_hint, client_id}.
      state.counts.revoke += 1;
      let body;
      try {
        body = (req.headers["content-type"] ?? "").includes("json") ? JSON.parse(raw) : null;
      } catch {}
      if (!body || body.client_id !== CLIENT_ID) return json(res, 400, { error: "invalid_client" });
      if (typeof body.token !== "string" || body.token_type_hint !== "refresh_token") return json(res, 400, { error: "invalid_request" });
      state.revoked.push(body.token);
      if (state.refreshTokens.has(body.token)) state.refreshTokens.set(body.token, "revoked");
      return json(res, 200, {});
    }
    if (req.method === "POST" && url.pathname === "/api/accounts/deviceauth/usercode") {
      state.counts.usercode += 1;
      return json(res, 200, { device_auth_id: "dev-auth-1", user_code: "ABCD-EFGH", interval: "1" });
    }
    if (req.method === "POST" && url.pathname === "/api/accounts/deviceauth/token") {
      state.counts.devicePoll += 1;
      state.devicePolls += 1;
      if (state.devicePolls <= o.devicePending) return json(res, 403, { error: "authorization_pending" });
      const verifier = crypto.randomBytes(32).toString("base64url");
      const code = `dcode-${crypto.randomBytes(6).toString("hex")}`;
      secret(code);
      secret(verifier);
      state.codes.set(code, { challenge: s256(verifier), redirectUri: `${issuerUrl}/deviceauth/callback` });
      return json(res, 200, { authorization_code: code, code_challenge: s256(verifier), code_verifier: verifier });
    }
    json(res, 404, { error: "not_found" });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuerUrl = `http://127.0.0.1:${server.address().port}`;
  return {
    url: issuerUrl,
    state,
    counts: state.counts,
    /** The newest {access, refresh} issued. */
    latest: () => state.latest,
    /** Every secret seen or issued; `leaks(text)` lists those found in `text` (never print them). */
    secrets: state.secrets,
    leaks: (text) => [...state.secrets].filter((s) => String(text).includes(s)).length,
    /** Mints a live refresh token (for stored logins set up by a test). */
    mintLogin() {
      const t = issueTokens();
      return { type: "oauth", access: t.access_token, refresh: t.refresh_token, expires: Date.now() + o.expiresIn * 1000, accountId: o.accountId };
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

/**
 * Plays the user's browser: GETs `authorizeUrl` from the issuer, then follows its redirect to the
 * loopback callback, connecting to 127.0.0.1 but sending the Host the URL names (as a browser
 * does for http://localhost:PORT). Returns the callback's {status, body, location}.
 */
export async function playBrowser(authorizeUrl) {
  const first = await httpGet(authorizeUrl);
  if (first.status !== 302) return first;
  return httpGet(first.location);
}

/** GET over plain http to 127.0.0.1 with the URL's own Host header (or `host`). */
export function httpGet(target, { host } = {}) {
  const url = new URL(target);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: url.port || 80, path: url.pathname + url.search, method: "GET", headers: { host: host ?? url.host, connection: "close" } },
      (res) => {
        const parts = [];
        res.on("data", (c) => parts.push(c));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString("utf8"), location: res.headers.location }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

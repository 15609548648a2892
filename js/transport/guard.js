// Where the ChatGPT login may be sent. Decides one thing: whether a URL lies under a configured base
// (the Codex endpoint, or the sign-in issuer) — same origin, same path prefix, https: (plain http:
// only to a loopback host), no userinfo. Callers send credentials only to such a URL and never
// follow a redirect with them (`redirect: "manual"`: a 3xx comes back as an error reply). Never
// puts a credential in a message (it sees none).

/** fetch() option for any request carrying a credential: a redirect is answered, never followed. */
export const NO_REDIRECT = "manual";

/** Loopback hosts plain http: may reach (local mocks, proxies): 127.0.0.0/8, ::1, localhost. */
function isLoopback(hostname) {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

function refuse(message) {
  return Object.assign(new Error(message), { code: "credential-target" });
}

/** Whether `url` (a URL) may carry a credential at all: https:, or http: to loopback; no userinfo. */
function checkScheme(u, what) {
  if (u.username || u.password) throw refuse(`${what} ${u.origin} holds a user name or password; the ChatGPT login is not sent there`);
  if (u.protocol === "https:") return;
  if (u.protocol === "http:" && isLoopback(u.hostname)) return;
  throw refuse(`${what} ${u.origin} is not https (plain http is allowed only for 127.0.0.1, ::1 and localhost); the ChatGPT login is not sent there`);
}

/**
 * `url` as a string when the login may go there: under `base` (origin equal, path equal or below
 * `base`'s path after normalization) and over an allowed scheme. Throws code "credential-target".
 * @param {string} url
 * @param {string} base  the configured endpoint or issuer (no trailing slash)
 */
export function credentialUrl(url, base) {
  let u;
  let b;
  try {
    u = new URL(url);
    b = new URL(base);
  } catch {
    throw refuse("a request to an unparsable URL; the ChatGPT login is not sent");
  }
  checkScheme(b, "the configured endpoint");
  checkScheme(u, "the request's target");
  const prefix = b.pathname.replace(/\/+$/, "");
  const under = u.pathname === prefix || u.pathname.startsWith(`${prefix}/`);
  if (u.origin !== b.origin || !under) {
    throw refuse(`a request to ${u.origin}${u.pathname} is outside the configured ChatGPT endpoint ${b.origin}${prefix}; the login was not sent`);
  }
  return u.href;
}

/**
 * For a 3xx reply to a request that carried the login: the error reply to give instead (`{status,
 * kind, message}` for errors.js' errorResponse), else null. The Location is named by origin only.
 */
export function redirectRefused(res) {
  if (res.status < 300 || res.status > 399) return null;
  let where = "elsewhere";
  try {
    where = new URL(res.headers.get("location") ?? "", res.url || undefined).origin;
  } catch {}
  return {
    status: 502,
    kind: "transport",
    message: `opencode-chatgpt-wasm: the ChatGPT backend answered with a redirect (${res.status}, to ${where}); the login is never sent along a redirect, so the request was not followed. Check the endpoint setting.`,
  };
}

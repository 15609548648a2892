// The login methods OpenCode lists under `opencode auth login` → OpenAI, in this order: browser
// (PKCE + loopback callback), headless device code, paste the redirect URL or code, API key.
// URLs, parsing and token replies come from the Rust core; this file does fetch, timers, the
// browser and the one-line failure reasons (OpenCode itself only prints "Failed"). No secret
// (code, verifier, token) is ever printed: every message goes through the core's redact().
import { createRequire } from "node:module";
import { callCore } from "../core.js";
import { readCapped, SMALL_BODY_BYTES } from "../transport/body.js";
import { defaultAuthPath } from "./credentials.js";
import { storedAuthLogin } from "../accounts/keychain.js";
import { revokeReplaced } from "./revoke.js";
import { LABELS } from "./methods.js";

export { LABELS };

const HTTP_TIMEOUT_MS = 30_000;
const SIGNED_IN = "Signed in to ChatGPT. You can close this tab and go back to OpenCode.";

/** Tries to open `url` in a browser; never throws. Skipped with BROWSER=none or in CI. */
export function openBrowser(url, env = process.env, platform = process.platform) {
  const ci = env.CI && env.CI !== "0" && env.CI.toLowerCase() !== "false";
  if (env.BROWSER === "none" || ci) return false;
  const [cmd, args] = env.BROWSER
    ? [env.BROWSER, [url]]
    : platform === "darwin"
      ? ["open", [url]]
      : platform === "win32"
        ? ["rundll32", ["url.dll,FileProtocolHandler", url]]
        : ["xdg-open", [url]];
  try {
    // node:child_process (and the stream/net modules under it) is loaded only when a browser is opened.
    const { spawn } = createRequire(import.meta.url)("node:child_process");
    const child = spawn(cmd, args, { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

async function post(d, url, contentType, body) {
  try {
    const res = await d.fetch(url, { method: "POST", headers: { "content-type": contentType, accept: "application/json" }, body, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS), redirect: "manual" });
    const { text } = await readCapped(res, { maxBytes: SMALL_BODY_BYTES, timeoutMs: HTTP_TIMEOUT_MS });
    return { status: res.status, text };
  } catch {
    return { status: 0, text: "" }; // unreachable: the core words it
  }
}

/** Authorization code → the login OpenCode stores. Throws core errors (refresh-permanent, token-transient, …). */
async function exchange(cfg, d, { code, verifier, redirectUri }) {
  const endpoints = await callCore((core) => core.oauthEndpoints(cfg.issuer));
  const body = await callCore((core) => core.tokenExchangeBody({ code, verifier, redirectUri }));
  const { status, text } = await post(d, endpoints.token, "application/x-www-form-urlencoded", body);
  const t = await callCore((core) => core.parseTokenResponse(status, text, d.now()));
  const login = { type: "success", refresh: t.refresh, access: t.access, expires: t.expires };
  if (t.accountId) login.accountId = t.accountId;
  return login;
}

/** A failure sentence without secrets. */
function safeMessage(err, secrets) {
  return callCore((core) => core.redact(String(err?.message ?? err), secrets.filter(Boolean)));
}

async function failed(d, message) {
  d.report(`ChatGPT sign-in failed: ${message}`);
  return { type: "failed" };
}

async function freshPkce() {
  return callCore((core) => ({ ...core.pkceGenerate(), state: core.generateState() }));
}

function browserMethod(cfg, d) {
  return {
    type: "oauth",
    label: LABELS.browser,
    async authorize() {
      const { verifier, challenge, state } = await freshPkce();
      let redirectUri;
      let login;
      // node:http costs ~14 ms to import in Node: loaded when a browser login starts, not at plugin load.
      const { startCallbackServer } = await import("./login-server.js");
      const server = await startCallbackServer({
        port: cfg.callbackPort,
        fallbackPort: cfg.callbackFallbackPort,
        state,
        timeoutMs: cfg.authTimeoutMs,
        lingerMs: d.lingerMs,
        async onCode(code) {
          try {
            login = await exchange(cfg, d, { code, verifier, redirectUri });
            return { ok: true, message: SIGNED_IN };
          } catch (err) {
            return { ok: false, reason: err?.code, message: await safeMessage(err, [code, verifier]) };
          }
        },
      });
      redirectUri = server.redirectUri;
      let url;
      try {
        url = await callCore((core) => core.buildAuthorizeUrl({ issuer: cfg.issuer, redirectUri, challenge, state, originator: cfg.originator }));
      } catch (err) {
        await server.close();
        throw err;
      }
      d.openUrl(url);
      const minutes = Math.max(1, Math.round(cfg.authTimeoutMs / 60_000));
      const where = server.busy
        ? `Port ${cfg.callbackPort} is busy, so this login waits on ${redirectUri} instead.`
        : `This login waits on ${redirectUri}.`;
      return {
        url,
        method: "auto",
        instructions: `Sign in with your ChatGPT account in the browser (open the link above if none opened). ${where} It gives up after ${minutes} min.`,
        async callback() {
          const outcome = await server.done;
          if (!outcome.ok || !login) return failed(d, outcome.message);
          return login;
        },
      };
    },
  };
}

function deviceMethod(cfg, d) {
  return {
    type: "oauth",
    label: LABELS.device,
    async authorize() {
      const endpoints = await callCore((core) => core.oauthEndpoints(cfg.issuer));
      const first = await post(d, endpoints.deviceUserCode, "application/json", await callCore((core) => core.deviceUserCodeBody()));
      const dc = await callCore((core) => core.parseDeviceCode(first.text, cfg.issuer, first.status));
      return {
        url: dc.verificationUrl,
        method: "auto",
        instructions: `On any device, open ${dc.verificationUrl}, sign in with your ChatGPT account and enter the code ${dc.userCode} (it expires in 15 min).`,
        async callback() {
          const started = d.now();
          const secrets = [];
          try {
            for (;;) {
              const delay = await callCore((core) => core.deviceNextPollDelay(started, d.now(), dc.intervalMs));
              await d.sleep(delay);
              const res = await post(d, endpoints.deviceToken, "application/json", await callCore((core) => core.devicePollBody(dc.deviceAuthId, dc.userCode)));
              const poll = await callCore((core) => core.parseDevicePoll(res.status, res.text));
              if (poll.kind === "pending") continue;
              secrets.push(poll.authorizationCode, poll.codeVerifier);
              return await exchange(cfg, d, { code: poll.authorizationCode, verifier: poll.codeVerifier, redirectUri: dc.redirectUri });
            }
          } catch (err) {
            return failed(d, await safeMessage(err, secrets));
          }
        },
      };
    },
  };
}

function pasteMethod(cfg, d) {
  return {
    type: "oauth",
    label: LABELS.paste,
    async authorize() {
      const { verifier, challenge, state } = await freshPkce();
      const redirectUri = await callCore((core) => core.redirectUri(cfg.callbackPort));
      const url = await callCore((core) => core.buildAuthorizeUrl({ issuer: cfg.issuer, redirectUri, challenge, state, originator: cfg.originator }));
      return {
        url,
        method: "code",
        instructions: `Open the link above in any browser and sign in. The browser then ends on an address that does not load (${redirectUri}?code=…): copy that whole address, or just the code, and paste it here.`,
        async callback(input) {
          const secrets = [verifier, String(input ?? "").trim()];
          try {
            const { code } = await callCore((core) => core.parsePastedInput(String(input ?? ""), state));
            secrets.push(code);
            return await exchange(cfg, d, { code, verifier, redirectUri });
          } catch (err) {
            return failed(d, await safeMessage(err, secrets));
          }
        },
      };
    },
  };
}

/**
 * The `auth.methods` array.
 * @param {ReturnType<import("../config.js").resolveConfig>} cfg
 * @param {{fetch?: typeof fetch, now?: () => number, sleep?: (ms: number) => Promise<void>, openUrl?: (url: string) => void, report?: (line: string) => void, lingerMs?: number}} [deps]  test seams
 */
export function loginMethods(cfg, deps = {}) {
  const d = {
    previousLogin: () => storedAuthLogin(defaultAuthPath()), // the keychain's token where auth.json holds a reference (never the reference)
    fetch: (...args) => fetch(...args),
    now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    openUrl: (url) => openBrowser(url),
    report: (line) => console.error(line),
    lingerMs: 1_000,
    ...deps,
  };
  return [browserMethod(cfg, d), deviceMethod(cfg, d), pasteMethod(cfg, d)].map((m) => revokingReplaced(m, cfg, d)).concat({ type: "api", label: LABELS.apiKey });
}

/**
 * The method with one addition: when its callback yields a new login, the login stored before it
 * (OpenCode writes the new one after the callback returns) has its refresh token revoked, best effort.
 */
function revokingReplaced(method, cfg, d) {
  return {
    ...method,
    async authorize(...args) {
      const flow = await method.authorize(...args);
      return {
        ...flow,
        async callback(...cbArgs) {
          const login = await flow.callback(...cbArgs);
          if (login?.type === "success") {
            let previous = null;
            try {
              previous = await d.previousLogin();
            } catch {}
            await revokeReplaced(cfg, previous, login, { fetch: d.fetch });
          }
          return login;
        },
      };
    },
  };
}

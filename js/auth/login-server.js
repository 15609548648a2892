// The loopback server of the browser login: listens on 127.0.0.1 and, where the machine has it,
// ::1 (the redirect says "localhost", which a browser may resolve either way), port 1455, else the
// fallback 1457 after asking a stale login server to /cancel; serves /auth/callback, and ends with
// the authorization code, a failure sentence, or a timeout. A /cancel sent by a web page of another
// site (the browser says so in Sec-Fetch-Site / Origin / Referer) is refused. Which request is
// what (callback, cancel, wrong state, denial) and the HTML pages come from the Rust core; this
// file does the sockets.
import http from "node:http";
import { callCore } from "../core.js";

const HTML = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", connection: "close" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function listenOn(port, host) {
  return new Promise((resolve, reject) => {
    const server = http.createServer();
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/**
 * Listens on 127.0.0.1 and ::1 at `port`, as one server ({on, close, closeAllConnections}). A port
 * taken on either address is busy (EADDRINUSE); a machine without IPv6 loopback gets 127.0.0.1 alone.
 */
async function listen(port) {
  const servers = [await listenOn(port, "127.0.0.1")];
  try {
    servers.push(await listenOn(port, "::1"));
  } catch (err) {
    if (err.code === "EADDRINUSE") {
      await new Promise((r) => servers[0].close(r));
      throw err;
    }
    // EADDRNOTAVAIL / EAFNOSUPPORT / …: no IPv6 loopback here; 127.0.0.1 serves alone.
  }
  return {
    on: (event, fn) => servers.forEach((s) => s.on(event, fn)),
    close: (cb) => Promise.all(servers.map((s) => new Promise((r) => s.close(() => r())))).then(() => cb?.()),
    closeAllConnections: () => servers.forEach((s) => s.closeAllConnections?.()),
  };
}

/**
 * Whether a request was sent by a web page of another site: browsers say so in Sec-Fetch-Site, and
 * in an Origin or Referer naming another origin. A program (our newer login, the Codex CLI) sends none.
 */
function fromAnotherSite(req, ownOrigins) {
  const site = String(req.headers["sec-fetch-site"] ?? "").toLowerCase();
  if (site && site !== "same-origin" && site !== "none") return true;
  for (const name of ["origin", "referer"]) {
    const value = req.headers[name];
    if (value === undefined) continue;
    try {
      if (!ownOrigins.has(new URL(String(value)).origin)) return true;
    } catch {
      return true; // "null" (a sandboxed page, a file) or junk
    }
  }
  return false;
}

/** Asks whatever listens on `port` to cancel (a stale login of ours or of the Codex CLI). */
async function requestCancel(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/cancel`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
  } catch {}
}

/** Binds `primary`; if busy, sends /cancel and retries for ~2 s, then binds `fallback`. */
async function bind(primary, fallback) {
  try {
    return { server: await listen(primary), port: primary, busy: false };
  } catch (err) {
    if (err.code !== "EADDRINUSE") throw err;
  }
  await requestCancel(primary);
  for (let i = 0; i < 10; i++) {
    await sleep(200);
    try {
      return { server: await listen(primary), port: primary, busy: false };
    } catch (err) {
      if (err.code !== "EADDRINUSE") throw err;
    }
  }
  if (fallback && fallback !== primary) {
    try {
      return { server: await listen(fallback), port: fallback, busy: true };
    } catch (err) {
      if (err.code !== "EADDRINUSE") throw err;
    }
  }
  throw new Error(
    `the sign-in ports ${[primary, fallback].filter(Boolean).join(" and ")} are in use by other programs; close them (or another login), set OPENCODE_CODEX_CALLBACK_PORT, or choose the "paste the redirect URL or code" login`,
  );
}

/**
 * Starts the callback server. `onCode(code)` exchanges the code and resolves `{ok, message}`
 * (the page shown in the browser); the server then answers every later request with a
 * "login already finished" page until it closes, `lingerMs` after the end.
 * @returns {Promise<{port: number, busy: boolean, redirectUri: string, done: Promise<{ok: boolean, message: string, reason?: string}>, close: () => Promise<void>}>}
 */
export async function startCallbackServer({ port, fallbackPort, state, timeoutMs, onCode, lingerMs = 1_000 }) {
  const { server, port: bound, busy } = await bind(port, fallbackPort);
  const redirectUri = await callCore((core) => core.redirectUri(bound));
  const allowedHosts = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`, `[::1]:${bound}`]);
  const ownOrigins = new Set([...allowedHosts].map((h) => `http://${h}`));
  let phase = "waiting"; // → "exchanging" (one code only) → "done"
  let closed = false;
  let settle;
  const done = new Promise((resolve) => (settle = resolve));

  const close = () =>
    new Promise((resolve) => {
      if (closed) return resolve();
      closed = true;
      clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections?.();
    });

  /** Ends the login once; `linger` keeps answering "already finished" for a moment. */
  const finish = (result, linger = true) => {
    if (phase === "done") return;
    phase = "done";
    clearTimeout(timer);
    settle(result);
    if (linger && lingerMs > 0) setTimeout(close, lingerMs).unref?.();
    else close();
  };

  const timer = setTimeout(() => {
    const minutes = Math.round(timeoutMs / 60_000);
    const span = minutes >= 1 ? `${minutes} min` : `${Math.ceil(timeoutMs / 1000)} s`;
    finish({ ok: false, reason: "timeout", message: `nobody finished signing in within ${span}; run \`opencode auth login\` to try again` }, false);
  }, timeoutMs);

  const page = async (res, status, kind, message) => {
    const html = await callCore((core) => core.callbackPage(kind, message));
    res.writeHead(status, HTML);
    res.end(html);
  };

  server.on("request", async (req, res) => {
    try {
      if (!allowedHosts.has(String(req.headers.host ?? "").toLowerCase())) {
        res.writeHead(403, { "content-type": "text/plain; charset=utf-8", connection: "close" });
        return res.end("forbidden: this sign-in server answers only on localhost\n");
      }
      if (phase !== "waiting") return await page(res, 200, "error", "This login already finished. You can close this tab.");
      let parsed;
      try {
        parsed = await callCore((core) => core.parseCallback(req.url ?? "/", state));
      } catch (err) {
        if (err.code === "state-mismatch") return await page(res, 400, "error", err.message); // keep waiting
        await page(res, 400, "error", err.message);
        return finish({ ok: false, reason: err.code, message: err.message });
      }
      if (parsed.kind === "not-found") {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
        return res.end("not found\n");
      }
      if (parsed.kind === "cancel") {
        if (fromAnotherSite(req, ownOrigins)) {
          res.writeHead(403, { "content-type": "text/plain; charset=utf-8", connection: "close" });
          return res.end("forbidden: a web page may not cancel a sign-in\n");
        }
        const message = "another sign-in started and cancelled this one; finish signing in from the newer login";
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8", connection: "close" });
        res.end("login cancelled\n");
        return finish({ ok: false, reason: "cancelled", message }, false); // free the port now: the newer login waits for it
      }
      phase = "exchanging";
      clearTimeout(timer);
      const outcome = await onCode(parsed.code);
      await page(res, outcome.ok ? 200 : 502, outcome.ok ? "success" : "error", outcome.message);
      finish(outcome);
    } catch (err) {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("internal error\n");
      }
      finish({ ok: false, reason: "internal", message: `the sign-in server failed (${err?.code ?? "internal"}); run \`opencode auth login\` to try again` });
    }
  });

  return { port: bound, busy, redirectUri, done, close };
}

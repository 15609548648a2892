// The login methods of the built package (dist/) against a mock issuer on 127.0.0.1, under Node
// and Bun: the browser flow played by a test client, the headless device flow, the paste flow.
// Every printed line is collected and checked for secrets (codes, verifiers, tokens).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import plugin from "../../../dist/index.js";
import { loginMethods, LABELS, openBrowser } from "../../../dist/auth/login.js";
import { resolveConfig } from "../../../dist/config.js";
import { startMockIssuer, playBrowser, httpGet } from "../../helpers/mock-issuer.js";

const issuers = [];
const lines = []; // everything the login printed (report lines)

async function issuer(opts) {
  const i = await startMockIssuer(opts);
  issuers.push(i);
  return i;
}

after(async () => {
  for (const i of issuers) {
    assert.equal(i.leaks(lines.join("\n")), 0, "a secret appeared in the login's output");
    await i.close();
  }
});

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function portIsFree(port) {
  const srv = net.createServer();
  try {
    await new Promise((resolve, reject) => {
      srv.once("error", reject);
      srv.listen(port, "127.0.0.1", resolve);
    });
    await new Promise((r) => srv.close(r));
    return true;
  } catch {
    return false;
  }
}

/** The methods with test seams: no browser, report lines collected, instant polling sleeps. */
async function methods(iss, cfgOver = {}, deps = {}) {
  const cfg = { ...resolveConfig({}, {}), issuer: iss.url, callbackPort: await freePort(), callbackFallbackPort: await freePort(), ...cfgOver };
  const report = [];
  const list = loginMethods(cfg, { openUrl: () => {}, report: (l) => (report.push(l), lines.push(l)), lingerMs: 300, ...deps });
  const byLabel = Object.fromEntries(list.map((m) => [m.label, m]));
  return { cfg, report, list, browser: byLabel[LABELS.browser], device: byLabel[LABELS.device], paste: byLabel[LABELS.paste] };
}

function assertLogin(result, iss) {
  const latest = iss.latest();
  assert.deepEqual(Object.keys(result).sort(), ["access", "accountId", "expires", "refresh", "type"]);
  assert.equal(result.type, "success");
  assert.equal(result.access, latest.access);
  assert.equal(result.refresh, latest.refresh);
  assert.equal(result.accountId, "acc-issuer-1");
  assert.ok(Math.abs(result.expires - (Date.now() + 3600_000)) < 60_000, "expires is about an hour away, in ms");
}

test("auth.methods lists browser, device code, paste, API key in that order", async () => {
  const hooks = await plugin.server({ client: {} }, {});
  assert.deepEqual(
    hooks.auth.methods.map((m) => [m.type, m.label]),
    [
      ["oauth", "ChatGPT Plus/Pro (browser)"],
      ["oauth", "ChatGPT Plus/Pro (headless / SSH / device code)"],
      ["oauth", "ChatGPT Plus/Pro (paste the redirect URL or code)"],
      ["api", "OpenAI API key (or set OPENAI_API_KEY)"],
    ],
  );
});

test("callback ports: 1455 then 1457 by default, both overridable", () => {
  const d = resolveConfig({}, {});
  assert.equal(d.callbackPort, 1455);
  assert.equal(d.callbackFallbackPort, 1457);
  assert.equal(d.authTimeoutMs, 300_000);
  const e = resolveConfig({}, { OPENCODE_CODEX_CALLBACK_PORT: "2455", OPENCODE_CODEX_CALLBACK_FALLBACK_PORT: "2457", OPENCODE_AUTH_TIMEOUT: "1000" });
  assert.deepEqual([e.callbackPort, e.callbackFallbackPort, e.authTimeoutMs], [2455, 2457, 1000]);
});

test("openBrowser: skipped with BROWSER=none or CI, else runs the browser command with the URL", async () => {
  const url = "http://127.0.0.1:1/oauth/authorize?a=1&b=2";
  assert.equal(openBrowser(url, { BROWSER: "none" }), false);
  assert.equal(openBrowser(url, { CI: "true" }), false);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-browser-"));
  try {
    const script = path.join(dir, "browser.sh");
    fs.writeFileSync(script, `#!/bin/sh\nprintf '%s' "$1" > '${dir}/tmp' && mv '${dir}/tmp' '${dir}/opened'\n`, { mode: 0o755 });
    assert.equal(openBrowser(url, { BROWSER: script, CI: "false" }), true);
    for (let i = 0; i < 100 && !fs.existsSync(path.join(dir, "opened")); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(fs.readFileSync(path.join(dir, "opened"), "utf8"), url);
    assert.equal(openBrowser(url, { BROWSER: path.join(dir, "missing-browser") }), true, "a missing browser is ignored");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("browser: the authorize URL leads back to our callback, which exchanges the code", async () => {
  const iss = await issuer();
  const { browser, cfg } = await methods(iss);
  let opened;
  const m = loginMethods(cfg, { openUrl: (u) => (opened = u), report: (l) => lines.push(l), lingerMs: 300 })[0];
  const auth = await m.authorize();
  assert.equal(auth.method, "auto");
  assert.equal(opened, auth.url, "the browser is asked to open the same URL OpenCode prints");
  const url = new URL(auth.url);
  assert.equal(url.origin + url.pathname, `${iss.url}/oauth/authorize`);
  assert.equal(url.searchParams.get("redirect_uri"), `http://localhost:${cfg.callbackPort}/auth/callback`);
  assert.match(auth.instructions, new RegExp(`http://localhost:${cfg.callbackPort}/auth/callback`));

  const page = await playBrowser(auth.url);
  assert.equal(page.status, 200);
  assert.match(page.body, /Signed in to ChatGPT/);
  assertLogin(await auth.callback(), iss);
  // After completion, for a moment: a "login already finished" page.
  const again = await httpGet(`http://localhost:${cfg.callbackPort}/auth/callback?code=x&state=y`);
  assert.match(again.body, /already finished/);
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(await portIsFree(cfg.callbackPort), "the callback port is freed after the login");
  assert.equal(browser.label, LABELS.browser);
});

test("browser: a wrong state gets a 400 page and the login keeps waiting; a foreign Host gets 403", async () => {
  const iss = await issuer();
  const { browser, cfg } = await methods(iss);
  const auth = await browser.authorize();
  const wrong = await httpGet(`http://localhost:${cfg.callbackPort}/auth/callback?code=stolen-code-123&state=not-the-state`);
  assert.equal(wrong.status, 400);
  assert.match(wrong.body, /state mismatch/);
  const foreign = await httpGet(`http://localhost:${cfg.callbackPort}/auth/callback?code=abc&state=x`, { host: `evil.example:${cfg.callbackPort}` });
  assert.equal(foreign.status, 403);
  const favicon = await httpGet(`http://127.0.0.1:${cfg.callbackPort}/favicon.ico`);
  assert.equal(favicon.status, 404);
  const page = await playBrowser(auth.url);
  assert.equal(page.status, 200);
  assertLogin(await auth.callback(), iss);
  assert.equal(iss.counts.token, 1, "only the real code was exchanged");
});

test("browser: access denied fails with a plain sentence", async () => {
  const iss = await issuer({ authorize: "deny" });
  const { browser, report, cfg } = await methods(iss);
  const auth = await browser.authorize();
  const page = await playBrowser(auth.url);
  assert.equal(page.status, 400);
  assert.match(page.body, /denied/);
  assert.deepEqual(await auth.callback(), { type: "failed" });
  assert.equal(report.length, 1);
  assert.match(report[0], /^ChatGPT sign-in failed: sign-in was denied or cancelled in the browser .*opencode auth login/);
  assert.equal(iss.counts.token, 0);
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(await portIsFree(cfg.callbackPort));
});

test("browser: a workspace without Codex access is named plainly", async () => {
  const iss = await issuer({ authorize: "no-entitlement" });
  const { browser, report } = await methods(iss);
  const auth = await browser.authorize();
  await playBrowser(auth.url);
  assert.deepEqual(await auth.callback(), { type: "failed" });
  assert.deepEqual(report, ["ChatGPT sign-in failed: this ChatGPT workspace has no Codex access; ask an admin or use a personal plan"]);
});

test("browser: timeout fails clearly, closes the server and frees the port", async () => {
  const iss = await issuer();
  const { browser, report, cfg } = await methods(iss, { authTimeoutMs: 300 });
  const auth = await browser.authorize();
  assert.equal(await portIsFree(cfg.callbackPort), false, "listening while waiting");
  const t0 = Date.now();
  assert.deepEqual(await auth.callback(), { type: "failed" });
  assert.ok(Date.now() - t0 < 2_000);
  assert.match(report[0], /^ChatGPT sign-in failed: nobody finished signing in within 1 s/);
  assert.match(report[0], /opencode auth login/);
  assert.ok(await portIsFree(cfg.callbackPort), "port freed after the timeout");
});

test("browser: a stale login on the port is cancelled and the new one takes the port", async () => {
  const iss = await issuer();
  const { browser, report, cfg } = await methods(iss);
  const first = await browser.authorize();
  const firstDone = first.callback();
  const second = await browser.authorize(); // same port: sends /cancel to the first
  assert.deepEqual(await firstDone, { type: "failed" });
  assert.match(report[0], /another sign-in started and cancelled this one/);
  assert.match(second.instructions, new RegExp(`http://localhost:${cfg.callbackPort}/auth/callback`));
  assert.doesNotMatch(second.instructions, /busy/);
  await playBrowser(second.url);
  assertLogin(await second.callback(), iss);
});

test("browser: a port held by another program falls back to the fallback port and says so", async () => {
  const iss = await issuer();
  const { browser, cfg } = await methods(iss);
  const squatter = http.createServer((req, res) => res.writeHead(404).end());
  await new Promise((r) => squatter.listen(cfg.callbackPort, "127.0.0.1", r));
  try {
    const auth = await browser.authorize();
    const fallback = `http://localhost:${cfg.callbackFallbackPort}/auth/callback`;
    assert.equal(new URL(auth.url).searchParams.get("redirect_uri"), fallback);
    assert.match(auth.instructions, new RegExp(`Port ${cfg.callbackPort} is busy.*${fallback}`));
    await playBrowser(auth.url);
    assertLogin(await auth.callback(), iss);
  } finally {
    await new Promise((r) => squatter.close(r));
  }
});

test("browser: both ports busy is a clear error from authorize", async () => {
  const iss = await issuer();
  const { browser, cfg } = await methods(iss);
  const squatters = [cfg.callbackPort, cfg.callbackFallbackPort].map(() => http.createServer((req, res) => res.writeHead(404).end()));
  await Promise.all(squatters.map((s, i) => new Promise((r) => s.listen([cfg.callbackPort, cfg.callbackFallbackPort][i], "127.0.0.1", r))));
  try {
    await assert.rejects(browser.authorize(), (err) => {
      assert.match(err.message, new RegExp(`ports ${cfg.callbackPort} and ${cfg.callbackFallbackPort} are in use`));
      assert.match(err.message, /paste the redirect URL or code/);
      return true;
    });
  } finally {
    await Promise.all(squatters.map((s) => new Promise((r) => s.close(r))));
  }
});

test("device: shows the verification URL and code, polls while pending, then signs in", async () => {
  const iss = await issuer({ devicePending: 2 });
  const sleeps = [];
  const { device } = await methods(iss, {}, { sleep: async (ms) => void sleeps.push(ms) });
  const auth = await device.authorize();
  assert.equal(auth.method, "auto");
  assert.equal(auth.url, `${iss.url}/codex/device`);
  assert.match(auth.instructions, new RegExp(`${iss.url}/codex/device.*ABCD-EFGH`));
  assertLogin(await auth.callback(), iss);
  assert.equal(iss.counts.devicePoll, 3, "two pending polls, then the code");
  assert.equal(sleeps.length, 3);
  for (const ms of sleeps) assert.ok(ms >= 900 && ms <= 1000, `polls at the server's interval of "1" s (slept ${ms} ms)`);
  const exchange = iss.state.requests.find((r) => r.path === "/oauth/token");
  assert.equal(new URLSearchParams(exchange.raw).get("redirect_uri"), `${iss.url}/deviceauth/callback`);
});

test("device: gives up after 15 minutes of pending", async () => {
  const iss = await issuer({ devicePending: Infinity });
  let clock = Date.now();
  const { device, report } = await methods(iss, {}, { now: () => clock, sleep: async (ms) => void (clock += Math.max(ms, 60_000)) });
  const auth = await device.authorize();
  assert.deepEqual(await auth.callback(), { type: "failed" });
  assert.match(report[0], /device code expired.*15 minutes.*opencode auth login/);
  assert.ok(iss.counts.devicePoll >= 13 && iss.counts.devicePoll <= 16, `polled about once a minute for 15 min (${iss.counts.devicePoll})`);
  assert.equal(iss.counts.token, 0);
});

/** The address the browser ends on for a paste login (nothing listens there). */
async function redirectOf(authUrl) {
  const res = await httpGet(authUrl);
  assert.equal(res.status, 302);
  return res.location;
}

test("paste: the full redirect URL, code#state, and a bare code each sign in", async () => {
  const iss = await issuer();
  const { paste, cfg } = await methods(iss);
  const forms = [(u) => u.href, (u) => `${u.searchParams.get("code")}#${u.searchParams.get("state")}`, (u) => `  ${u.searchParams.get("code")}  `];
  for (const form of forms) {
    const auth = await paste.authorize();
    assert.equal(auth.method, "code");
    assert.equal(new URL(auth.url).searchParams.get("redirect_uri"), `http://localhost:${cfg.callbackPort}/auth/callback`);
    assert.match(auth.instructions, /paste/);
    const landed = new URL(await redirectOf(auth.url));
    assertLogin(await auth.callback(form(landed)), iss);
  }
  assert.equal(iss.counts.token, 3);
});

test("paste: a redirect from another login attempt (wrong state) or junk is refused clearly", async () => {
  const iss = await issuer();
  const { paste, report } = await methods(iss);
  const mine = await paste.authorize();
  const other = await paste.authorize();
  const otherLanding = await redirectOf(other.url);
  await redirectOf(mine.url);
  assert.deepEqual(await mine.callback(otherLanding), { type: "failed" });
  assert.match(report[0], /^ChatGPT sign-in failed: .*state mismatch/);
  const code = new URL(otherLanding).searchParams.get("code");
  assert.deepEqual(await mine.callback(`${code}#wrong-state`), { type: "failed" });
  assert.match(report[1], /state mismatch/);
  assert.deepEqual(await mine.callback("no idea what to paste here"), { type: "failed" });
  assert.match(report[2], /not a sign-in redirect or code/);
  assert.equal(iss.counts.token, 0, "nothing was exchanged");
});

/** A GET to the login server at `address` (127.0.0.1 or ::1) with the given headers. */
function getAt(address, port, pathname, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: address, family: address.includes(":") ? 6 : 4, port, path: pathname, method: "GET", headers: { host: `localhost:${port}`, connection: "close", ...headers } }, (res) => {
      const parts = [];
      res.on("data", (c) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Whether this machine can listen on ::1 at all (a container without IPv6 loopback cannot). */
async function hasIpv6Loopback() {
  const srv = net.createServer();
  try {
    await new Promise((resolve, reject) => (srv.once("error", reject), srv.listen(0, "::1", resolve)));
    await new Promise((r) => srv.close(r));
    return true;
  } catch {
    return false;
  }
}

test("browser: /cancel from a web page (cross-site) is refused; the login goes on", async () => {
  const iss = await issuer();
  const { browser, cfg, report } = await methods(iss);
  const auth = await browser.authorize();
  const port = cfg.callbackPort;
  // What a page on another site makes a browser send: <img src="http://localhost:1455/cancel">, fetch(no-cors).
  for (const headers of [{ "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "https://evil.example" }, { origin: "null" }, { referer: "https://evil.example/page" }]) {
    const res = await getAt("127.0.0.1", port, "/cancel", headers);
    assert.equal(res.status, 403, JSON.stringify(headers));
  }
  await playBrowser(auth.url);
  assertLogin(await auth.callback(), iss);
  assert.deepEqual(report.filter((l) => /cancel/.test(l)), [], "nothing was cancelled");
});

test("browser: a plain /cancel (another login of ours, the Codex CLI) still cancels", async () => {
  const iss = await issuer();
  const { browser, cfg, report } = await methods(iss);
  const auth = await browser.authorize();
  const done = auth.callback();
  const res = await getAt("127.0.0.1", cfg.callbackPort, "/cancel", { "sec-fetch-site": "none" });
  assert.equal(res.status, 200);
  assert.deepEqual(await done, { type: "failed" });
  assert.match(report[0], /another sign-in started and cancelled this one/);
});

test("browser: the callback server answers on ::1 as well as 127.0.0.1 (the redirect says localhost)", async (t) => {
  if (!(await hasIpv6Loopback())) return t.skip("this machine has no IPv6 loopback: the server binds 127.0.0.1 only (covered by every other browser test)");
  const iss = await issuer();
  const { browser, cfg } = await methods(iss);
  const auth = await browser.authorize();
  const v6 = await getAt("::1", cfg.callbackPort, "/favicon.ico");
  assert.equal(v6.status, 404, "our server answered on ::1");
  // The browser resolved localhost to ::1: the whole login works there.
  const first = await httpGet(auth.url);
  const cb = new URL(first.location);
  const page = await getAt("::1", cfg.callbackPort, cb.pathname + cb.search);
  assert.equal(page.status, 200);
  assertLogin(await auth.callback(), iss);
  // After its short linger the server closes both sockets.
  const closed = async () => (await portIsFree(cfg.callbackPort)) && (await getAt("::1", cfg.callbackPort, "/").then(() => false, (e) => e.code === "ECONNREFUSED"));
  for (let i = 0; i < 100 && !(await closed()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await closed(), true, "both sockets are closed at the end");
});

// End to end: the whole browser login through the real `opencode auth login`, driven under tmux
// (select OpenAI, pick our browser method, read the URL from the pane, play the browser against
// the mock issuer), ending with our tokens in auth.json (mode 0600); and an API-key login whose
// requests go to the public API base. No secret may appear in the pane or OpenCode's logs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { makeSandbox } from "../helpers/sandbox.js";
import { startMockIssuer } from "../helpers/mock-issuer.js";
import { startMockBackend, textStream } from "../helpers/mock-backend.js";
import { tmuxServer, freePort, selected, openLoginMenu, chooseBrowserLogin, finishBrowserLogin } from "../helpers/tmux.js";

const SOCKET = `occw-login-${process.pid}`;
const server = tmuxServer(SOCKET);
const pane = () => server.pane("login");
let issuer;
let sandbox;
before(async () => {
  issuer = await startMockIssuer({ accountId: "acc-e2e-login" });
  sandbox = makeSandbox();
});
after(async () => {
  server.kill();
  await issuer?.close();
  sandbox?.cleanup();
});

test("browser login through `opencode auth login` stores our tokens in auth.json (0600)", { timeout: 300_000 }, async () => {
  const port = await freePort();
  const env = { ...sandbox.env, OPENCODE_CODEX_ISSUER: issuer.url, OPENCODE_CODEX_CALLBACK_PORT: String(port), OPENCODE_AUTH_TIMEOUT: "180000", BROWSER: "none" };
  const t0 = Date.now();
  const menu = await openLoginMenu(server, "login", { cwd: sandbox.work, env });
  const labels = [...menu.slice(menu.indexOf("Login method")).matchAll(/[●○]\s+(.+?)\s*$/gm)].map((m) => m[1]);
  assert.deepEqual(labels, [
    "ChatGPT Plus/Pro (browser)",
    "ChatGPT Plus/Pro (headless / SSH / device code)",
    "ChatGPT Plus/Pro (paste the redirect URL or code)",
    "OpenAI API key (or set OPENAI_API_KEY)",
  ]);
  assert.equal(selected(menu.slice(menu.indexOf("Login method"))), "ChatGPT Plus/Pro (browser)");

  const url = await chooseBrowserLogin(server, "login");
  assert.ok(url.startsWith(`${issuer.url}/oauth/authorize?`), "the URL is the issuer's authorize endpoint");
  assert.match(pane(), new RegExp(`waits on http://localhost:${port}/auth/callback`));
  await finishBrowserLogin(server, "login", url);
  console.log(`# browser login E2E: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const stored = sandbox.readAuth().openai;
  assert.deepEqual(Object.keys(stored).sort(), ["access", "accountId", "expires", "refresh", "type"]);
  assert.equal(stored.type, "oauth");
  assert.equal(stored.access, issuer.latest().access);
  assert.equal(stored.refresh, issuer.latest().refresh);
  assert.equal(stored.accountId, "acc-e2e-login");
  assert.ok(stored.expires > Date.now() + 50 * 60_000 && stored.expires < Date.now() + 61 * 60_000, "expires in ms, about an hour away");
  assert.equal(fs.statSync(sandbox.authPath).mode & 0o777, 0o600);
  assert.equal(issuer.counts.token, 1);

  const logDir = path.join(sandbox.dataDir, "log");
  const logs = fs.existsSync(logDir) ? fs.readdirSync(logDir).map((f) => fs.readFileSync(path.join(logDir, f), "utf8")) : [];
  assert.equal(issuer.leaks([pane(), ...logs].join("\n")), 0, "a code, verifier or token appeared in the terminal or OpenCode's logs");
});

test("an API-key login keeps OpenCode's OpenAI client; OPENCODE_OPENAI_API_BASE moves it", { timeout: 300_000 }, async () => {
  const backend = await startMockBackend({ handler: (req) => (req.method === "POST" && req.url === "/v1/responses" ? textStream("Hello from the API mock.") : undefined) });
  const sb = makeSandbox();
  try {
    sb.writeAuth({ openai: { type: "api", key: "sk-e2e-test-key-0123456789" } });
    const t0 = Date.now();
    const res = await sb.run(["run", "-m", "openai/gpt-5.4", "say hi"], { extraEnv: { OPENCODE_OPENAI_API_BASE: `${backend.url}/v1` }, timeoutMs: 240_000 });
    console.log(`# API-key run E2E: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(res.code, 0, `opencode run failed:\n${res.stderr.slice(-2000)}`);
    assert.match(res.stdout, /Hello from the API mock\./);
    const calls = backend.requests.filter((r) => r.method === "POST");
    assert.ok(calls.length >= 1, "no request reached the API base");
    for (const c of calls) {
      assert.equal(c.url, "/v1/responses");
      assert.equal(c.headers.authorization, "Bearer sk-e2e-test-key-0123456789");
      assert.equal(c.headers["chatgpt-account-id"], undefined, "no ChatGPT headers on API-key requests");
    }
    assert.equal(`${res.stdout}${res.stderr}`.includes("sk-e2e-test-key-0123456789"), false, "the key was printed");
  } finally {
    await backend.close();
    sb.cleanup();
  }
});

// End to end: the whole browser login through the real `opencode auth login`, driven under tmux
// (select OpenAI, pick our browser method, read the URL from the pane, play the browser against
// the mock issuer), ending with our tokens in auth.json (mode 0600); and an API-key login whose
// requests go to the public API base. No secret may appear in the pane or OpenCode's logs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { makeSandbox, OPENCODE } from "../helpers/sandbox.js";
import { startMockIssuer, playBrowser } from "../helpers/mock-issuer.js";
import { startMockBackend, textStream } from "../helpers/mock-backend.js";

const SOCKET = `occw-login-${process.pid}`;
let issuer;
let sandbox;
before(async () => {
  issuer = await startMockIssuer({ accountId: "acc-e2e-login" });
  sandbox = makeSandbox();
});
after(async () => {
  spawnSync("tmux", ["-L", SOCKET, "kill-server"]);
  await issuer?.close();
  sandbox?.cleanup();
});

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

function tmux(args, env) {
  const r = spawnSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}
/** The pane's text, wrapped lines joined (a long URL stays on one line). */
const pane = () => tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", "login"]);

async function waitFor(what, predicate, timeoutMs) {
  const t0 = Date.now();
  for (;;) {
    const text = pane();
    const hit = predicate(text);
    if (hit) return hit;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}; pane:\n${text.replace(/\n{2,}/g, "\n").slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The highlighted option of a clack select prompt. */
const selected = (text) => text.match(/●\s+(.+?)\s*$/m)?.[1];

test("browser login through `opencode auth login` stores our tokens in auth.json (0600)", { timeout: 300_000 }, async () => {
  const port = await freePort();
  const env = {
    ...sandbox.env,
    TERM: "xterm-256color",
    OPENCODE_CODEX_ISSUER: issuer.url,
    OPENCODE_CODEX_CALLBACK_PORT: String(port),
    OPENCODE_AUTH_TIMEOUT: "180000",
    BROWSER: "none",
  };
  const t0 = Date.now();
  tmux(["new-session", "-d", "-s", "login", "-x", "160", "-y", "45", `cd '${sandbox.work}' && '${OPENCODE}' auth login; echo "EXIT=$?"; sleep 300`], env);

  await waitFor("the provider prompt", (t) => t.includes("Select provider") && selected(t), 180_000);
  for (let i = 0; i < 12 && !/^OpenAI\b/.test(selected(pane()) ?? ""); i++) {
    tmux(["send-keys", "-t", "login", "Down"]);
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.match(selected(pane()), /^OpenAI\b/);
  tmux(["send-keys", "-t", "login", "Enter"]);

  const menu = await waitFor("the login methods", (t) => (t.includes("Login method") && t.includes("OpenAI API key") ? t : null), 60_000);
  const labels = [...menu.slice(menu.indexOf("Login method")).matchAll(/[●○]\s+(.+?)\s*$/gm)].map((m) => m[1]);
  assert.deepEqual(labels, [
    "ChatGPT Plus/Pro (browser)",
    "ChatGPT Plus/Pro (headless / SSH / device code)",
    "ChatGPT Plus/Pro (paste the redirect URL or code)",
    "OpenAI API key (or set OPENAI_API_KEY)",
  ]);
  assert.equal(selected(menu.slice(menu.indexOf("Login method"))), "ChatGPT Plus/Pro (browser)");
  tmux(["send-keys", "-t", "login", "Enter"]);

  const url = await waitFor("the authorize URL", (t) => t.includes("Waiting for authorization") && t.match(/Go to: (\S+)/)?.[1], 60_000);
  assert.ok(url.startsWith(`${issuer.url}/oauth/authorize?`), "the URL is the issuer's authorize endpoint");
  assert.match(pane(), new RegExp(`waits on http://localhost:${port}/auth/callback`));

  const page = await playBrowser(url);
  assert.equal(page.status, 200, `callback page: ${page.body.slice(0, 300)}`);
  await waitFor("Login successful", (t) => t.includes("Login successful") && t.includes("EXIT=0"), 60_000);
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

// End to end with two ChatGPT accounts, each logged in through the real `opencode auth login`
// (browser method, under tmux) against its own mock issuer: a project pinned with
// `accounts use --project` sends with its account while another project uses the active one; a
// session whose account answers usage_limit_reached completes the same turn on the other account
// (OpenCode prints the answer, the backend saw one request on the limited account), and
// `accounts --json` shows the first cooling down until its reset.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { makeSandbox, runProcess, OPENCODE, DIST } from "../helpers/sandbox.js";
import { startMockIssuer } from "../helpers/mock-issuer.js";
import { startMockBackend, textStream } from "../helpers/mock-backend.js";
import { tmuxServer, browserLogin } from "../helpers/tmux.js";

const SOCKET = `occw-accounts-${process.pid}`;
const server = tmuxServer(SOCKET);
const RESETS_AT = Math.floor(Date.now() / 1000) + 3 * 3600;
let issuers;
let sandbox;
let backend;
let limitA = false;
before(async () => {
  issuers = [await startMockIssuer({ accountId: "acc-rot-a" }), await startMockIssuer({ accountId: "acc-rot-b" })];
  sandbox = makeSandbox();
  backend = await startMockBackend({
    handler: (req) => {
      if (!req.url.startsWith("/backend-api/codex/responses")) return undefined;
      const account = req.headers["chatgpt-account-id"];
      if (limitA && account === "acc-rot-a") {
        return { status: 429, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: { type: "usage_limit_reached", message: "The usage limit has been reached", plan_type: "plus", resets_at: RESETS_AT } }) };
      }
      return textStream(`answered by ${account}`);
    },
  });
});
after(async () => {
  server.kill();
  for (const i of issuers ?? []) await i.close();
  await backend?.close();
  sandbox?.cleanup();
});

/** The browser login through the real `opencode auth login` against `issuer`. */
async function login(name, issuer) {
  await browserLogin(server, name, { cwd: sandbox.work, env: sandbox.env, issuer });
  server.tmux(["kill-session", "-t", name]);
}

async function accounts(cwd, ...args) {
  const res = await runProcess(process.execPath, [path.join(DIST, "cli.js"), "accounts", ...args], { cwd, env: sandbox.env });
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

async function turn(cwd) {
  const res = await runProcess(OPENCODE, ["run", "-m", "openai/gpt-5.4", "say hi"], { cwd, env: { ...sandbox.env, OPENCODE_CODEX_ENDPOINT: backend.endpoint }, timeoutMs: 240_000 });
  assert.equal(res.code, 0, `opencode run failed:\n${res.stderr.slice(-2000)}`);
  return res;
}

function project(name) {
  const dir = path.join(sandbox.dir, name);
  fs.mkdirSync(path.join(dir, ".git"), { recursive: true });
  return dir;
}

const accountsOf = (calls) => calls.map((c) => c.headers["chatgpt-account-id"]);

test("two logins, a pinned project, and a usage limit that moves the turn", { timeout: 900_000 }, async () => {
  await login("login-a", issuers[0]);
  await login("login-b", issuers[1]);
  let listed = JSON.parse(await accounts(sandbox.work, "--json")).accounts;
  assert.deepEqual(listed.map((a) => [a.n, a.workspace, a.active]), [[1, "acc-rot-a", false], [2, "acc-rot-b", true]]);
  assert.equal(await accounts(sandbox.work, "use", "1"), "ChatGPT account #1 dev@example.com is now active (auth.json holds its login)\n");
  assert.equal(sandbox.readAuth().openai.accountId, "acc-rot-a");

  // A project pinned to #2 sends with it; another project uses the active #1.
  const pinned = project("pinned");
  const other = project("other");
  assert.match(await accounts(pinned, "use", "2", "--project"), /now uses ChatGPT account #2/);
  let seen = backend.responses().length;
  assert.match((await turn(pinned)).stdout, /answered by acc-rot-b/);
  assert.deepEqual([...new Set(accountsOf(backend.responses().slice(seen)))], ["acc-rot-b"]);
  seen = backend.responses().length;
  assert.match((await turn(other)).stdout, /answered by acc-rot-a/);
  assert.deepEqual([...new Set(accountsOf(backend.responses().slice(seen)))], ["acc-rot-a"]);

  // #1 hits its usage limit: the same turn completes on #2.
  limitA = true;
  seen = backend.responses().length;
  const res = await turn(other);
  assert.match(res.stdout, /answered by acc-rot-b/);
  const records = backend.responses().slice(seen);
  const calls = accountsOf(records);
  // Each request OpenCode made reached the limited account at most once (requests already under way when
  // the first 429 came, e.g. the title and the main turn, each meet it once) and was then sent on #2.
  const limited = records.filter((r) => r.headers["chatgpt-account-id"] === "acc-rot-a");
  assert.equal(calls[0], "acc-rot-a");
  assert.equal(new Set(limited.map((r) => r.raw)).size, limited.length, `a request was sent twice to the limited account: ${calls}`);
  for (const r of limited) assert.ok(records.some((o) => o.headers["chatgpt-account-id"] === "acc-rot-b" && o.raw === r.raw), `a limited request was not re-sent on #2: ${calls}`);
  assert.equal(calls.at(-1), "acc-rot-b");
  listed = JSON.parse(await accounts(other, "--json")).accounts;
  assert.deepEqual(listed[0].health, { state: "cooling", untilMs: RESETS_AT * 1000, reason: "usage_limit", failures: 0, text: listed[0].health.text });
  assert.match(listed[0].health.text, /^usage limit reached: resets in (2 h 5\d min|3 h 0 min)$/);
  assert.equal(listed[1].health.state, "ok");
  assert.equal(issuers[0].leaks(res.stdout + res.stderr) + issuers[1].leaks(res.stdout + res.stderr), 0);
});

// The usage figures outside the TUI's drawing: the usage endpoint read with the stored login
// (js/transport/usage.js), the model the TUI draws from (js/tui/model.js) and the `usage` command, all
// against the mock backend and issuer on 127.0.0.1 through the real wasm core. Node and Bun.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { startMockBackend } from "../../helpers/mock-backend.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";
import { NODE, SOURCE_CLI, runProcess } from "../../helpers/installer.js";
import { createUsageModel } from "../../../js/tui/model.js";

let backend;
let issuer;
const dirs = [];
before(async () => {
  backend = await startMockBackend();
  issuer = await startMockIssuer({ accountId: "acc-usage-1" });
});
after(async () => {
  await backend?.close();
  await issuer?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Isolated XDG dirs with `auth` as OpenCode's auth.json (null: none). */
function home(auth) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-usage-"));
  dirs.push(dir);
  const env = { HOME: dir, XDG_CONFIG_HOME: path.join(dir, "config"), XDG_DATA_HOME: path.join(dir, "data"), XDG_CACHE_HOME: path.join(dir, "cache"), PATH: process.env.PATH, OPENCODE_CODEX_ENDPOINT: backend.endpoint, OPENCODE_CODEX_ISSUER: issuer.url };
  const authPath = path.join(env.XDG_DATA_HOME, "opencode", "auth.json");
  if (auth) {
    fs.mkdirSync(path.dirname(authPath), { recursive: true, mode: 0o700 });
    fs.writeFileSync(authPath, JSON.stringify({ openai: auth }), { mode: 0o600 });
  }
  const quotaPath = path.join(env.XDG_CACHE_HOME, "opencode-chatgpt-wasm", "quota.json");
  return { env, authPath, quotaPath };
}

const usageCalls = () => backend.requests.filter((r) => r.url === "/backend-api/wham/usage");

describe("the usage model", () => {
  test("reads the endpoint with the login's bearer and account id, then draws the core's view", async () => {
    const login = issuer.mintLogin();
    const { env } = home(login);
    Object.assign(backend.usage, { primary: 42, secondary: 71, token: null });
    const before = usageCalls().length;
    const model = createUsageModel({ env });
    assert.equal(model.hasLogin(), true);
    await model.refresh();
    const calls = usageCalls().slice(before);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].headers.authorization, `Bearer ${login.access}`);
    assert.equal(calls[0].headers["chatgpt-account-id"], "acc-usage-1");
    assert.equal(calls[0].method, "GET");
    const view = await model.view();
    assert.equal(view.statusText, "5h 42% · wk 71%");
    assert.deepEqual(view.accounts.map((a) => [a.title, a.serving, a.windows.map((w) => [w.label, w.percent, w.level]), a.ageText]), [
      ["ChatGPT login · plus", true, [["5-hour", 42, "ok"], ["weekly", 71, "warn"]], "checked just now"],
    ]);
    assert.match(view.accounts[0].windows[0].resetText, /^resets \d\d:\d\d \(in 2 h 13 min\)$/);
    assert.equal(JSON.stringify(view).includes("mock-user@example.com"), false, "the e-mail address of the reply is never kept");
  });

  test("asks again only when the figures are 5 minutes old; force asks now", async () => {
    const { env } = home(issuer.mintLogin());
    let now = Date.now();
    const model = createUsageModel({ env, now: () => now });
    const start = usageCalls().length;
    await model.refresh();
    await model.refresh();
    assert.equal(usageCalls().length - start, 1);
    now += 4 * 60_000;
    await model.refresh();
    assert.equal(usageCalls().length - start, 1);
    now += 60_000;
    backend.usage.primary = 55;
    await model.refresh();
    assert.equal(usageCalls().length - start, 2);
    assert.equal((await model.view()).statusText, "5h 55% · wk 71%");
    await model.refresh({ force: true });
    assert.equal(usageCalls().length - start, 3);
    backend.usage.primary = 42;
  });

  test("figures from a newer reply (the quota file) win over an older endpoint read, and keep the plan", async () => {
    const { env, quotaPath } = home(issuer.mintLogin());
    let now = Date.now();
    const model = createUsageModel({ env, now: () => now });
    await model.refresh();
    now += 60_000;
    fs.mkdirSync(path.dirname(quotaPath), { recursive: true });
    fs.writeFileSync(quotaPath, JSON.stringify({ savedAt: now, snapshot: { primary: { usedPercent: 88, windowMinutes: 300, resetsAfterS: 600 }, secondary: { usedPercent: 72, windowMinutes: 10080 } } }));
    await model.readQuota();
    const view = await model.view();
    assert.match(view.statusText, /^5h 88% \(resets \d\d:\d\d\) · wk 72%$/);
    assert.deepEqual(view.status.map((s) => s.level), ["warn", "muted", "warn"]);
    assert.equal(view.accounts[0].title, "ChatGPT login · plus");
    assert.equal(view.accounts[0].ageText, "from the last reply just now");
  });

  test("a revoked token: one refresh through the issuer, the retry succeeds, the new login is saved", async () => {
    const login = issuer.mintLogin();
    const { env, authPath } = home(login);
    backend.usage.revoked.add(login.access);
    const refreshes = issuer.counts.refresh;
    const model = createUsageModel({ env });
    await model.refresh();
    assert.equal(model.lastError(), null);
    assert.equal(issuer.counts.refresh, refreshes + 1);
    const saved = JSON.parse(fs.readFileSync(authPath, "utf8")).openai;
    assert.notEqual(saved.refresh, login.refresh);
    assert.equal(usageCalls().at(-1).headers.authorization, `Bearer ${saved.access}`);
    assert.equal((await model.view()).statusText, "5h 42% · wk 71%");
  });

  test("an endpoint that keeps refusing: a sentence without secrets, the reply's figures stay", async () => {
    const login = issuer.mintLogin();
    const { env, quotaPath } = home(login);
    fs.mkdirSync(path.dirname(quotaPath), { recursive: true });
    fs.writeFileSync(quotaPath, JSON.stringify({ savedAt: Date.now(), snapshot: { primary: { usedPercent: 10, windowMinutes: 300 } } }));
    backend.usage.token = "only-this-token";
    try {
      const model = createUsageModel({ env });
      await model.refresh({ force: true });
      assert.match(model.lastError(), /^the usage endpoint refused the stored ChatGPT login \(HTTP 401\); sign in again with `opencode auth login`$/);
      assert.equal((await model.view()).statusText, "5h 10%");
      assert.equal(issuer.leaks(model.lastError()), 0);
    } finally {
      backend.usage.token = null;
    }
  });

  test("an API-key login or no login: nothing to show and no request", async () => {
    const start = usageCalls().length;
    for (const auth of [{ type: "api", key: "sk-test-key" }, null]) {
      const model = createUsageModel({ env: home(auth).env });
      assert.equal(model.hasLogin(), false);
      await model.refresh({ force: true });
      assert.equal(await model.view(), null);
    }
    assert.equal(usageCalls().length, start);
  });
});

describe("`usage` command", () => {
  const run = (args, env) => runProcess(NODE, [SOURCE_CLI, ...args], { cwd: env.HOME, env });

  test("prints the table, and the display model with --json; no token, account id or e-mail", async () => {
    const login = issuer.mintLogin();
    const { env } = home(login);
    backend.usage.credits = { has_credits: true, unlimited: false, balance: "12.50" };
    try {
      const res = await run(["usage"], env);
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.trimEnd().split("\n");
      assert.equal(lines[0], "ChatGPT login · plus");
      assert.match(lines[1], /^ {2}5-hour {2}\[█████░░░░░\] {2}42% {2}resets \d\d:\d\d \(in 2 h 13 min\)$/);
      assert.match(lines[2], /^ {2}weekly {2}\[████████░░\] {2}71% {2}resets \w{3} \d\d:\d\d \(in 2 d 7 h\)$/);
      assert.deepEqual(lines.slice(3), ["  credits: 12.50", "  checked just now"]);
      const json = await run(["usage", "--json"], env);
      assert.equal(json.code, 0, json.stderr);
      const parsed = JSON.parse(json.stdout);
      assert.equal(parsed.statusText, "5h 42% · wk 71%");
      assert.equal(parsed.error, null);
      assert.equal(parsed.accounts[0].credits, "credits: 12.50");
      for (const out of [res.stdout + res.stderr, json.stdout + json.stderr]) {
        assert.equal(issuer.leaks(out), 0);
        for (const word of ["acc-usage-1", "mock-user@example.com", "user-mock"]) assert.equal(out.includes(word), false, word);
      }
    } finally {
      backend.usage.credits = null;
    }
  });

  test("an API-key login: exit 1 with what to do", async () => {
    const res = await run(["usage"], home({ type: "api", key: "sk-test-key" }).env);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, "");
    assert.match(res.stderr, /^error: no ChatGPT login is stored \(an API key has no usage windows\); run `opencode auth login`, choose OpenAI and sign in with ChatGPT\n$/);
  });

  test("an unreachable endpoint and no saved figures: exit 1 and a warning that says so", async () => {
    const { env } = home(issuer.mintLogin());
    const closed = http.createServer();
    await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address();
    await new Promise((resolve) => closed.close(resolve));
    const res = await run(["usage"], { ...env, OPENCODE_CODEX_ENDPOINT: `http://127.0.0.1:${port}/backend-api/codex` });
    assert.equal(res.code, 1);
    assert.deepEqual(res.stdout.trimEnd().split("\n"), ["ChatGPT login", "  no usage figures yet"]);
    assert.match(res.stderr, /^warning: could not reach the usage endpoint \((ECONNREFUSED|ConnectionRefused)\); check your connection\n$/);
  });
});

// `opencode-chatgpt-wasm accounts …` (dist/cli.js in a child process), doctor's account lines and
// the two OpenCode tools, under Node and Bun, on a temp XDG_DATA_HOME: listing (text and --json,
// never a token), use (global: auth.json holds the chosen login, the one it held is saved first;
// --project: a pin for the git root), label, remove, a damaged pool left as it is.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { joinLogin, readPool } from "../../../dist/accounts/pool.js";
import { accountChecks } from "../../../dist/accounts/cli.js";
import { accountTools } from "../../../dist/accounts/tools.js";
import { chatgptToken } from "../../helpers/jwt.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";
import { spawn } from "node:child_process";

/** The CLI in a child that does not block this process (the mock issuer answers from here). */
function runAsync(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "accounts", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../dist/cli.js");
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const login = (accountId, refresh = `rt-${accountId}`) => ({ type: "oauth", access: chatgptToken({ accountId, email: `${accountId}@example.com` }), refresh, expires: Date.now() + 3600_000, accountId });
const A = "acc-a/user-test";
const B = "acc-b/user-test";

/** XDG_DATA_HOME with auth.json holding A, a pool with A (active) and B, and a git project. */
async function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "occw-acli-"));
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const data = path.join(root, "data");
  const env = { ...process.env, XDG_DATA_HOME: data, XDG_CONFIG_HOME: path.join(root, "config"), XDG_CACHE_HOME: path.join(root, "cache") };
  const authPath = path.join(data, "opencode", "auth.json");
  const poolPath = path.join(data, "opencode-chatgpt-wasm", "accounts.json");
  fs.mkdirSync(path.dirname(authPath), { recursive: true });
  fs.writeFileSync(authPath, JSON.stringify({ openai: login("acc-a") }), { mode: 0o600 });
  await joinLogin(poolPath, login("acc-a"), { activate: true });
  await joinLogin(poolPath, login("acc-b"), { activate: false });
  const project = path.join(root, "proj");
  fs.mkdirSync(path.join(project, ".git", "x"), { recursive: true });
  fs.mkdirSync(path.join(project, "sub"));
  const run = (args, cwd = root) => {
    const r = spawnSync(process.execPath, [CLI, "accounts", ...args], { env, cwd, encoding: "utf8" });
    assert.doesNotMatch(r.stdout + r.stderr, /rt-acc|eyJ/, "no token in the output");
    return r;
  };
  const auth = () => JSON.parse(fs.readFileSync(authPath, "utf8")).openai;
  return { root, env, authPath, poolPath, project, run, auth };
}

test("accounts lists every account as text and as JSON, without tokens", async () => {
  const s = await setup();
  const text = s.run([]);
  assert.equal(text.status, 0, text.stderr);
  const lines = text.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^#\s+label\s+email\s+plan\s+workspace\s+active\s+health\s+usage$/);
  assert.match(lines[1], /^1\s+acc-a@example\.com\s+plus\s+acc-a\s+\*\s+ok\s+no figures yet$/);
  assert.match(lines[2], /^2\s+acc-b@example\.com\s+plus\s+acc-b\s+ok\s+no figures yet$/);
  const json = JSON.parse(s.run(["--json"]).stdout);
  assert.deepEqual(json.accounts[1], {
    n: 2,
    key: B,
    label: null,
    email: "acc-b@example.com",
    plan: "plus",
    workspace: "acc-b",
    active: false,
    pinnedHere: false,
    pins: [],
    health: { state: "ok", untilMs: null, reason: null, failures: 0, text: "ok" },
    usage: null,
  });
});

test("use <n> puts that login in auth.json after saving the one auth.json held", async () => {
  const s = await setup();
  // OpenCode refreshed A meanwhile: auth.json holds a newer refresh token than the pool's copy.
  fs.writeFileSync(s.authPath, JSON.stringify({ openai: login("acc-a", "rt-acc-a-rotated"), anthropic: { type: "api", key: "k" } }), { mode: 0o600 });
  const r = s.run(["use", "acc-b@example.com"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "ChatGPT account #2 acc-b@example.com is now active (auth.json holds its login)\n");
  assert.equal(s.auth().refresh, "rt-acc-b");
  assert.deepEqual(JSON.parse(fs.readFileSync(s.authPath, "utf8")).anthropic, { type: "api", key: "k" });
  const doc = await readPool(s.poolPath);
  assert.equal(doc.pool.active, B);
  assert.equal(doc.logins[A].refresh, "rt-acc-a-rotated");
  const back = s.run(["use", "1"]);
  assert.equal(back.status, 0, back.stderr);
  assert.equal(s.auth().refresh, "rt-acc-a-rotated");
});

test("use --project pins the git root; other projects keep the active account", async () => {
  const s = await setup();
  const r = s.run(["use", "2", "--project"], path.join(s.project, "sub"));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${s.project} now uses ChatGPT account #2 acc-b@example.com; other projects keep the active account\n`);
  assert.equal(s.auth().refresh, "rt-acc-a"); // auth.json unchanged
  const here = JSON.parse(s.run(["--json"], s.project).stdout).accounts;
  assert.deepEqual(here.map((a) => [a.active, a.pinnedHere, a.pins]), [[true, false, []], [false, true, [s.project]]]);
  const elsewhere = JSON.parse(s.run(["--json"], s.root).stdout).accounts;
  assert.deepEqual(elsewhere.map((a) => a.pinnedHere), [false, false]);
});

test("label and remove, with clear errors", async () => {
  const s = await setup();
  assert.equal(s.run(["label", "2", "work", "seat"]).stdout, "account #2 is now labelled work seat\n");
  const bad = s.run(["label", "2", "12"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /a label must be 1 to 64 characters, not only digits/);
  const missing = s.run(["use", "9"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no account matches "9"; run `opencode-chatgpt-wasm accounts`/);
  assert.equal(s.run(["use", "work seat"]).status, 0);
  // remove revokes the removed account's refresh token at the configured issuer (a mock on 127.0.0.1).
  const iss = await startMockIssuer();
  cleanups.push(() => iss.close());
  const rm = await runAsync(["remove", "2"], { ...s.env, OPENCODE_CODEX_ISSUER: iss.url });
  assert.equal(rm.status, 0, rm.stderr);
  assert.equal(
    rm.stdout,
    "removed ChatGPT account #2 work seat\nChatGPT account #1 acc-a@example.com is now active (auth.json holds its login)\nits refresh token was revoked\n",
    rm.stderr,
  );
  assert.deepEqual(iss.state.revoked, ["rt-acc-b"]);
  assert.equal(iss.leaks(rm.stdout + rm.stderr), 0);
  assert.equal(s.auth().refresh, "rt-acc-a");
  const last = s.run(["remove", "1"]);
  assert.equal(last.status, 2);
  assert.match(last.stderr, /only account in the pool; to sign out, run opencode auth logout/);
  assert.equal((await readPool(s.poolPath)).pool.accounts.length, 1);
  const usage = s.run(["frob"]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /unknown accounts command frob/);
});

test("a damaged pool: accounts fails with the reason and leaves the file; auth.json untouched", async () => {
  const s = await setup();
  fs.writeFileSync(s.poolPath, "{\"pool\": 1", { mode: 0o600 });
  const before = fs.readFileSync(s.authPath, "utf8");
  const r = s.run([]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the account pool .*accounts\.json cannot be read \(not valid JSON\); it is left as it is/);
  assert.equal(fs.readFileSync(s.poolPath, "utf8"), "{\"pool\": 1");
  assert.equal(fs.readFileSync(s.authPath, "utf8"), before);
  const checks = await accountChecks(s.env, Date.now());
  assert.equal(checks.length, 1);
  assert.equal(checks[0].status, "fail");
});

test("doctor shows each account; the tools list and switch accounts", async () => {
  const s = await setup();
  const checks = await accountChecks(s.env, Date.now());
  assert.deepEqual(checks, [
    { status: "ok", detail: "account #1 acc-a@example.com (active): plus, workspace acc-a; ok; refresh token in the account pool's files", fix: undefined },
    { status: "ok", detail: "account #2 acc-b@example.com: plus, workspace acc-b; ok; refresh token in the account pool's files", fix: undefined },
  ]);
  const tools = accountTools({ env: s.env });
  assert.deepEqual(Object.keys(tools), ["chatgpt_accounts", "chatgpt_use_account"]);
  const listed = JSON.parse(await tools.chatgpt_accounts.execute({}, { directory: s.project, worktree: s.project }));
  assert.deepEqual(listed.accounts.map((a) => [a.n, a.key, a.active]), [[1, A, true], [2, B, false]]);
  assert.doesNotMatch(JSON.stringify(listed), /rt-acc|eyJ/);
  const said = await tools.chatgpt_use_account.execute({ account: "2", scope: "project" }, { directory: s.project, worktree: s.project });
  assert.equal(said, `${s.project} now uses ChatGPT account #2 acc-b@example.com; other projects keep the active account`);
  await assert.rejects(tools.chatgpt_use_account.execute({ account: "nobody", scope: "global" }, { directory: s.project, worktree: s.project }), /no account matches "nobody"/);
  assert.equal(s.auth().refresh, "rt-acc-a");
});

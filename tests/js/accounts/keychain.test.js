// The OS keychain (opt-in) against a real Secret Service: a dbus-daemon this test starts on its own
// socket (no service activation, so nothing else is started behind our back) and gnome-keyring-daemon
// on it, unlocked with a test password from stdin; both are stopped and their dirs removed after.
// Shows: turning it on moves every refresh token of the pool and its login files into the keychain
// (the files keep only a reference; so does auth.json, naming its item); doctor says where each
// secret lives; a turn on a non-active account refreshes through the keychain (the mock issuer
// accepts each refresh token once); killing the keyring daemon mid-session leaves the logins usable
// (the next refresh still works, its new token is kept in the JSON file, and a toast says so once);
// export still holds every token; turning it off with the keychain back moves the tokens back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import plugin from "../../../dist/index.js";
import { joinLogin } from "../../../dist/accounts/pool.js";
import { shadowPath } from "../../../dist/accounts/rotation.js";
import { accountChecks } from "../../../dist/accounts/cli.js";
import { startMockBackend, textStream } from "../../helpers/mock-backend.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";
import { chatgptToken } from "../../helpers/jwt.js";
import { secretTool, startSecretService } from "../../helpers/keyring.js";

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../dist/cli.js");
const saved = { ...process.env };
let root;
let ss; // the Secret Service (tests/helpers/keyring.js)

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "occw-kc-"));
  ss = await startSecretService(path.join(root, "secret-service"));
  process.env.DBUS_SESSION_BUS_ADDRESS = ss.address;
  process.env.XDG_DATA_HOME = path.join(root, "data");
  process.env.XDG_CACHE_HOME = path.join(root, "cache");
});

after(async () => {
  await ss?.close();
  for (const k of ["XDG_DATA_HOME", "XDG_CACHE_HOME", "DBUS_SESSION_BUS_ADDRESS", "OPENCODE_CODEX_KEYCHAIN"]) if (saved[k] === undefined) delete process.env[k];
  else process.env[k] = saved[k];
  fs.rmSync(root, { recursive: true, force: true });
});

const login = (accountId, expires = Date.now() + 3600_000) => ({ type: "oauth", access: chatgptToken({ accountId, email: `${accountId}@example.com` }), refresh: `rt-${accountId}`, expires, accountId });
const lookup = (key) => secretTool(ss.address, ["lookup", "service", "opencode-chatgpt-wasm", "account", key]);
const B = "acc-b/user-test";

function cli(args, extraEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, "accounts", ...args], { env: { ...process.env, ...extraEnv }, cwd: root, encoding: "utf8" });
  assert.doesNotMatch(r.stdout + r.stderr, /rt-acc|rt-mock|eyJ/, "no token in the output");
  return r;
}

test("keychain on: no refresh token in the pool or login files, a turn refreshes through it, a dead keyring costs no login, off moves them back", async () => {
  const iss = await startMockIssuer({ accountId: "acc-b", expiresIn: 60 }); // 60 s < the 5 min margin: every turn refreshes
  const a = login("acc-a");
  const authPath = path.join(process.env.XDG_DATA_HOME, "opencode", "auth.json");
  const poolPath = path.join(process.env.XDG_DATA_HOME, "opencode-chatgpt-wasm", "accounts.json");
  fs.mkdirSync(path.dirname(authPath), { recursive: true });
  fs.writeFileSync(authPath, JSON.stringify({ openai: a }), { mode: 0o600 });
  await joinLogin(poolPath, a, { activate: true });
  await joinLogin(poolPath, { ...iss.mintLogin(), expires: Date.now() - 60_000 }, { activate: false });
  const bRefresh0 = JSON.parse(fs.readFileSync(poolPath, "utf8")).logins[B].refresh;
  const noTokens = (file) => {
    const text = fs.readFileSync(file, "utf8");
    assert.doesNotMatch(text, /rt-acc|rt-mock/, `${path.basename(file)} holds no refresh token`);
  };
  const backend = await startMockBackend({
    handler: (req) => {
      if (!req.url.startsWith("/backend-api/codex/responses")) return undefined;
      return req.headers.authorization === `Bearer ${a.access}` ? { status: 429, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: { type: "usage_limit_reached", message: "The usage limit has been reached", plan_type: "plus", resets_at: Math.floor(Date.now() / 1000) + 3600 } }) } : textStream("served by B");
    },
  });
  try {
    // 1. Turning it on (the CLI applies the setting first) moves both tokens into the keychain.
    const on = cli([], { OPENCODE_CODEX_KEYCHAIN: "1" });
    assert.equal(on.status, 0, on.stderr);
    assert.match(on.stderr, /moved the refresh tokens of 2 ChatGPT accounts into the keychain; the account pool keeps only a reference/);
    noTokens(poolPath);
    assert.deepEqual(Object.values(JSON.parse(fs.readFileSync(poolPath, "utf8")).logins).map((l) => l.refresh), ["@keychain", "@keychain"]);
    assert.equal(lookup(B).stdout, bRefresh0);
    assert.equal(lookup("acc-a/user-test").stdout, "rt-acc-a");
    assert.equal(JSON.parse(fs.readFileSync(authPath, "utf8")).openai.refresh, "@keychain:acc-a/user-test", "auth.json names the keychain's item");
    noTokens(authPath);
    assert.match(on.stderr, /moved the refresh token of the ChatGPT login in auth.json into the Secret Service \(secret-tool\); auth.json keeps only a reference/);
    const checks = await accountChecks(process.env, Date.now());
    assert.deepEqual(checks.map((c) => [c.status, c.detail.replace(/^.*; /, "")]), [
      ["ok", "refresh token in the Secret Service (secret-tool) (readable)"],
      ["ok", "refresh token in the Secret Service (secret-tool) (readable)"],
    ]);

    // 2. A turn: A is at its limit, B (expired) refreshes with the token from the keychain.
    const toasts = [];
    const input = { client: { tui: { showToast: async ({ body }) => void toasts.push(body.message) } }, directory: root, worktree: root };
    const hooks = await plugin.server(input, { endpoint: backend.endpoint, issuer: iss.url, keychain: true });
    const opts = await hooks.auth.loader(async () => JSON.parse(fs.readFileSync(authPath, "utf8")).openai);
    const send = (s) =>
      opts.fetch(`${backend.endpoint}/responses`, {
        method: "POST",
        headers: { "content-type": "application/json", session_id: s },
        body: JSON.stringify({ stream: true, model: "gpt-5.4", instructions: "x", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }] }),
      });
    const r1 = await send("ses-1");
    assert.equal(r1.status, 200);
    assert.match(await r1.text(), /served by B/);
    assert.equal(iss.counts.refresh, 1);
    assert.equal(iss.counts.refreshReused, 0);
    const shadow = shadowPath(poolPath, B);
    assert.equal(JSON.parse(fs.readFileSync(shadow, "utf8")).openai.refresh, "@keychain");
    noTokens(shadow);
    noTokens(poolPath);
    assert.equal(lookup(B).stdout, iss.latest().refresh, "the new refresh token went into the keychain");
    assert.equal(fs.statSync(shadow).mode & 0o777, 0o600);

    // 3. The keyring daemon dies mid-session: the next turn still refreshes (the token read earlier),
    //    its new token stays in the login file rather than being lost, and a toast says so once.
    await ss.stopKeyring();
    assert.notEqual(lookup(B).status, 0, "the keychain is gone");
    for (const s of ["ses-1", "ses-2"]) {
      const r = await send(s);
      assert.equal(r.status, 200);
      assert.match(await r.text(), /served by B/);
    }
    assert.equal(iss.counts.refresh, 3);
    assert.equal(iss.counts.refreshReused, 0);
    assert.equal(JSON.parse(fs.readFileSync(shadow, "utf8")).openai.refresh, iss.latest().refresh, "kept in the file, not lost");
    const said = toasts.filter((t) => /keychain/.test(t));
    assert.equal(said.length, 1, toasts.join("\n"));
    assert.match(said[0], /^opencode-chatgpt-wasm: the keychain is not available \(secret-tool lookup failed: .+\); the logins read earlier keep working in this session, and new refresh tokens are kept in auth.json and the account pool's files \(0600\) until it works again, then they move back into it$/);
    const down = await accountChecks(process.env, Date.now());
    assert.equal(down[0].status, "fail");
    assert.match(down[0].detail, /refresh token in the Secret Service \(secret-tool\), which cannot be read now \(secret-tool lookup failed: /);
    assert.equal(down[0].fix, "unlock or start the keychain; nothing was deleted");
    // Turning it off while the keychain is down moves nothing and deletes nothing.
    const poolBefore = fs.readFileSync(poolPath, "utf8");
    const authBefore = fs.readFileSync(authPath, "utf8");
    const offDown = cli([]);
    assert.equal(offDown.status, 0, offDown.stderr);
    assert.match(offDown.stderr, /the keychain cannot be read \(secret-tool lookup failed: .+\), so the ChatGPT login in auth.json \(account acc-a\/user-test\) cannot be refreshed: its access token keeps working until \S+Z\. Nothing was deleted: unlock or start the keychain \(then it refreshes as usual\), or log in again \(opencode auth login\)/);
    assert.match(offDown.stderr, /the keychain cannot be read \(secret-tool lookup failed: .+\), so ChatGPT account acc-b\/user-test cannot refresh its login now; nothing was deleted/);
    assert.equal(fs.readFileSync(poolPath, "utf8"), poolBefore);
    assert.equal(fs.readFileSync(authPath, "utf8"), authBefore, "auth.json keeps its reference");

    // 4. The keychain is back: with it on, the next CLI run moves B's token from the file into it again.
    await ss.startKeyring();
    const again = cli([], { OPENCODE_CODEX_KEYCHAIN: "1" });
    assert.equal(again.status, 0, again.stderr);
    noTokens(shadow);
    assert.equal(lookup(B).stdout, iss.latest().refresh);
    // Export resolves every token from the keychain.
    const file = path.join(root, "export.json");
    const ex = cli(["export", file], { OPENCODE_CODEX_KEYCHAIN: "1" });
    assert.equal(ex.status, 0, ex.stderr);
    assert.deepEqual(Object.values(JSON.parse(fs.readFileSync(file, "utf8")).logins).map((l) => l.refresh), ["rt-acc-a", iss.latest().refresh]);

    // 5. Off: the tokens move back into the files and the keychain items are removed.
    const off = cli([]);
    assert.equal(off.status, 0, off.stderr);
    assert.match(off.stderr, /the keychain is off: moved the refresh tokens of 2 ChatGPT accounts back into the account pool's files/);
    assert.match(off.stderr, /the keychain is off: moved the refresh token of the ChatGPT login back into auth.json \(0600\)/);
    assert.equal(JSON.parse(fs.readFileSync(authPath, "utf8")).openai.refresh, "rt-acc-a", "auth.json holds its token again");
    const doc = JSON.parse(fs.readFileSync(poolPath, "utf8"));
    assert.equal(doc.logins["acc-a/user-test"].refresh, "rt-acc-a");
    assert.equal(JSON.parse(fs.readFileSync(shadow, "utf8")).openai.refresh, iss.latest().refresh);
    assert.equal(lookup(B).status, 1, "the item is gone");
    assert.equal(lookup("acc-a/user-test").status, 1);
  } finally {
    await backend.close();
    await iss.close();
  }
});

test("with the keyring down, switching to or exporting an account whose token is only in the keychain is refused and changes nothing", async () => {
  const data = path.join(root, "data-use");
  const env = { XDG_DATA_HOME: data, OPENCODE_CODEX_KEYCHAIN: "1" };
  const authPath = path.join(data, "opencode", "auth.json");
  const poolPath = path.join(data, "opencode-chatgpt-wasm", "accounts.json");
  fs.mkdirSync(path.dirname(authPath), { recursive: true });
  fs.writeFileSync(authPath, JSON.stringify({ openai: login("acc-a") }), { mode: 0o600 });
  await joinLogin(poolPath, login("acc-a"), { activate: true });
  await joinLogin(poolPath, login("acc-b"), { activate: false });
  await ss.startKeyring();
  const on = cli([], env);
  assert.equal(on.status, 0, on.stderr);
  assert.equal(JSON.parse(fs.readFileSync(poolPath, "utf8")).logins[B].refresh, "@keychain");
  await ss.stopKeyring();
  const before = [fs.readFileSync(authPath, "utf8"), fs.readFileSync(poolPath, "utf8")];
  const use = cli(["use", "2"], env);
  assert.equal(use.status, 1, use.stdout + use.stderr);
  assert.match(use.stderr, /note: the keychain cannot be read \(secret-tool lookup failed: .+\), so ChatGPT account acc-b\/user-test cannot refresh its login now; nothing was deleted/);
  assert.match(use.stderr, /error: that account's refresh token is in the keychain, which cannot give it now; nothing was changed: unlock or start the keychain and try again/);
  assert.deepEqual([fs.readFileSync(authPath, "utf8"), fs.readFileSync(poolPath, "utf8")], before);
  const file = path.join(root, "down-export.json");
  const ex = cli(["export", file], env);
  assert.equal(ex.status, 1, ex.stdout + ex.stderr);
  assert.match(ex.stderr, /error: no usable login for acc-a\/user-test, acc-b\/user-test: its refresh token is in a keychain that cannot be read now \(or was never stored\); nothing was written/);
  assert.equal(fs.existsSync(file), false);
  await ss.startKeyring();
  const again = cli(["use", "2"], env);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(fs.readFileSync(authPath, "utf8")).openai.refresh, "@keychain:acc-b/user-test", "auth.json names B's item in the keychain");
  assert.equal(lookup(B).stdout, "rt-acc-b");
});

// End to end with the keychain on (OPENCODE_CODEX_KEYCHAIN=1) and a real Secret Service
// (tests/helpers/keyring.js: dbus-daemon + gnome-keyring-daemon started by the test): the accounts
// CLI moves both refresh tokens into the keychain, then a real OpenCode turn in a project pinned to
// the expired account #2 refreshes it through the keychain: the mock issuer (which accepts each
// refresh token once) sees one refresh with the token only the keychain held, the new token goes
// back into the keychain, and neither the pool file nor #2's login file holds a refresh token.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { makeSandbox, runProcess, OPENCODE, DIST } from "../helpers/sandbox.js";
import { startMockIssuer } from "../helpers/mock-issuer.js";
import { startMockBackend, textStream } from "../helpers/mock-backend.js";
import { secretTool, startSecretService } from "../helpers/keyring.js";
import { tmuxServer, browserLogin } from "../helpers/tmux.js";
import { chatgptToken } from "../helpers/jwt.js";
import { joinLogin } from "../../dist/accounts/pool.js";
import { shadowPath } from "../../dist/accounts/rotation.js";

/** Token-bearing values are compared without printing them on failure (no secret in test output, even a mock one). */
const same = (actual, expected, what) => assert.ok(isDeepStrictEqual(actual, expected), what);

let iss;
let backend;
let sandbox;
let ss;
before(async () => {
  iss = await startMockIssuer({ accountId: "acc-kc-b" });
  backend = await startMockBackend({ handler: (req) => (req.url.startsWith("/backend-api/codex/responses") ? textStream(`answered by ${req.headers["chatgpt-account-id"]}`) : undefined) });
  sandbox = makeSandbox();
  ss = await startSecretService(path.join(sandbox.dir, "secret-service"));
});
after(async () => {
  await ss?.close();
  await iss?.close();
  await backend?.close();
  sandbox?.cleanup();
});

test("a real OpenCode turn refreshes a pooled account through the keychain; no refresh token in the pool's files", { timeout: 600_000 }, async () => {
  const a = { type: "oauth", access: chatgptToken({ accountId: "acc-kc-a" }), refresh: "rt-acc-kc-a", expires: Date.now() + 3600_000, accountId: "acc-kc-a" };
  const b = { ...iss.mintLogin(), expires: Date.now() - 60_000 };
  sandbox.writeAuth({ openai: a });
  const poolPath = path.join(sandbox.env.XDG_DATA_HOME, "opencode-chatgpt-wasm", "accounts.json");
  await joinLogin(poolPath, a, { activate: true });
  await joinLogin(poolPath, b, { activate: false });
  const project = path.join(sandbox.dir, "pinned");
  fs.mkdirSync(path.join(project, ".git"), { recursive: true });
  const env = { ...sandbox.env, OPENCODE_CODEX_KEYCHAIN: "1", DBUS_SESSION_BUS_ADDRESS: ss.address };
  const pin = await runProcess(process.execPath, [path.join(DIST, "cli.js"), "accounts", "use", "2", "--project"], { cwd: project, env });
  assert.equal(pin.code, 0, pin.stderr);
  assert.match(pin.stderr, /moved the refresh tokens of 2 ChatGPT accounts into the keychain/);
  const noTokens = (file) => assert.doesNotMatch(fs.readFileSync(file, "utf8"), /rt-acc|rt-mock/, `${path.basename(file)} holds no refresh token`);
  noTokens(poolPath);
  const key = "acc-kc-b/user-test";
  assert.equal(secretTool(ss.address, ["lookup", "service", "opencode-chatgpt-wasm", "account", key]).stdout, b.refresh);

  const run = await runProcess(OPENCODE, ["run", "-m", "openai/gpt-5.4", "say hi"], { cwd: project, env: { ...env, OPENCODE_CODEX_ENDPOINT: backend.endpoint, OPENCODE_CODEX_ISSUER: iss.url }, timeoutMs: 400_000 });
  assert.equal(run.code, 0, run.stderr.slice(-2000));
  assert.match(run.stdout, /answered by acc-kc-b/);
  assert.equal(iss.counts.refresh, 1);
  assert.equal(iss.counts.refreshReused, 0);
  assert.equal(backend.responses().at(-1).headers.authorization, `Bearer ${iss.latest().access}`);
  assert.equal(secretTool(ss.address, ["lookup", "service", "opencode-chatgpt-wasm", "account", key]).stdout, iss.latest().refresh, "the new token is in the keychain");
  noTokens(poolPath);
  noTokens(shadowPath(poolPath, key));
  assert.equal(JSON.parse(fs.readFileSync(shadowPath(poolPath, key), "utf8")).openai.refresh, "@keychain");
  assert.equal(sandbox.readAuth().openai.refresh, "@keychain:acc-kc-a/user-test", "auth.json names the active login's item");
  assert.equal(secretTool(ss.address, ["lookup", "service", "opencode-chatgpt-wasm", "account", "acc-kc-a/user-test"]).stdout, "rt-acc-kc-a");
});

// auth.json under the keychain, with the real OpenCode: after a login (OpenCode writes the clear
// token) and a turn, auth.json names the keychain's item and holds no token; an expired login
// refreshes with the keychain's token (the issuer, which accepts each token once and refuses
// anything else, sees exactly the tokens the keychain held: OpenCode itself never sends the
// reference); a keyring daemon that is dead at start leaves the valid access token working with
// one sentence in OpenCode's log; one killed mid-turn, after the token was read, costs no login
// (the new token stays in auth.json, said once) and it moves back in once the keychain is back;
// off puts the token back into auth.json; uninstall refuses while the keychain cannot give the
// token and restores it once it can.
test("with the keychain on, auth.json holds no refresh token; a real turn refreshes through the keychain; a dead keyring costs no login; off and uninstall put the token back", { timeout: 900_000 }, async () => {
  if (!ss.running) await ss.startKeyring();
  const issuer = await startMockIssuer({ accountId: "acc-kc-auth", refreshDelayMs: 3000 }); // the delay: a window to kill the keyring mid-refresh
  const api = await startMockBackend({ handler: (req) => (req.url.startsWith("/backend-api/codex/responses") ? textStream("answered through the keychain") : undefined) });
  const sb = makeSandbox();
  try {
    const key = "acc-kc-auth/user-test";
    const ref = `@keychain:${key}`;
    const lookup = () => secretTool(ss.address, ["lookup", "service", "opencode-chatgpt-wasm", "account", key]);
    const poolPath = path.join(sb.env.XDG_DATA_HOME, "opencode-chatgpt-wasm", "accounts.json");
    const env = { ...sb.env, DBUS_SESSION_BUS_ADDRESS: ss.address, OPENCODE_CODEX_ENDPOINT: api.endpoint, OPENCODE_CODEX_ISSUER: issuer.url };
    const on = { ...env, OPENCODE_CODEX_KEYCHAIN: "1" };
    const turn = (e, args = []) => runProcess(OPENCODE, ["run", ...args, "-m", "openai/gpt-5.4", "say hi"], { cwd: sb.work, env: e, timeoutMs: 400_000 });
    const answered = (r) => {
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      assert.match(r.stdout, /answered through the keychain/);
    };
    const sent = () => issuer.state.requests.filter((r) => r.path === "/oauth/token").map((r) => JSON.parse(r.raw).refresh_token);
    const noToken = (file) => assert.doesNotMatch(fs.readFileSync(file, "utf8"), /rt-mock/, `${path.basename(file)} holds no refresh token`);
    const expire = () => sb.writeAuth({ openai: { ...sb.readAuth().openai, expires: Date.now() - 60_000 } });
    const cli = (args, e) => runProcess(process.execPath, [path.join(DIST, "cli.js"), ...args], { cwd: sb.work, env: e });

    // 1. A login (what `opencode auth login` writes: the clear token), then a turn with the keychain on.
    const login = issuer.mintLogin();
    sb.writeAuth({ openai: login });
    answered(await turn(on));
    same(sb.readAuth().openai, { ...login, refresh: ref }, "auth.json: the login with a reference in place of its refresh token");
    noToken(sb.authPath);
    noToken(poolPath);
    assert.equal(fs.statSync(sb.authPath).mode & 0o777, 0o600);
    same(lookup().stdout, login.refresh, "the secret is in the keychain");
    const doctor = await cli(["doctor", "--offline"], on);
    assert.match(doctor.stdout, /✓ auth\.json's refresh token is in the Secret Service \(secret-tool\) \(readable\); auth\.json holds only a reference\n/);

    // 2. An expired access token: the turn refreshes with the keychain's token; the new one goes back into it.
    expire();
    answered(await turn(on));
    same(sent(), [login.refresh], "the issuer saw the keychain's token, never the reference");
    assert.equal(issuer.counts.refreshReused, 0);
    same(api.responses().at(-1).headers.authorization, `Bearer ${issuer.latest().access}`, "the turn used the new access token");
    same(sb.readAuth().openai.refresh, ref, "auth.json holds the reference");
    same(sb.readAuth().openai.access, issuer.latest().access, "auth.json holds the new access token");
    same(lookup().stdout, issuer.latest().refresh, "the new refresh token is in the keychain");
    noToken(sb.authPath);
    noToken(poolPath);

    // 3. The keyring daemon is dead when OpenCode starts: the valid access token keeps working, one sentence says why and what to do.
    await ss.stopKeyring();
    const dead = await turn(on, ["--print-logs"]);
    answered(dead);
    const told = dead.stderr.split("\n").filter((l) => l.includes("cannot be refreshed"));
    assert.equal(told.length, 1, told.join("\n"));
    assert.match(told[0], /level=WARN.*the keychain cannot be read \(secret-tool lookup failed: .+\), so the ChatGPT login in auth\.json \(account acc-kc-auth\/user-test\) cannot be refreshed: its access token keeps working until \S+Z\. Nothing was deleted: unlock or start the keychain \(then it refreshes as usual\), or log in again \(opencode auth login\)/);
    same(sb.readAuth().openai.refresh, ref, "nothing moved or deleted");
    assert.equal(issuer.counts.refresh, 1);
    // uninstall cannot give OpenCode's built-in login a usable auth.json now: it changes nothing and says why.
    const config = fs.readFileSync(path.join(sb.configDir, "opencode.json"), "utf8");
    const refused = await cli(["uninstall"], env);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /error: the ChatGPT login in .*auth\.json keeps its refresh token in the Secret Service \(secret-tool\), which cannot give it now \(secret-tool lookup failed: .+\); OpenCode's built-in login cannot use the reference auth\.json holds, so nothing was uninstalled or changed\. Unlock or start the keychain and run uninstall again/);
    assert.equal(fs.readFileSync(path.join(sb.configDir, "opencode.json"), "utf8"), config);
    same(sb.readAuth().openai.refresh, ref, "auth.json holds the reference");

    // 4. The keyring dies mid-turn, after the token was read and while the issuer answers: the login survives in auth.json, said once.
    await ss.startKeyring();
    expire();
    const before = issuer.latest().refresh;
    let finished = false;
    const running = turn(on, ["--print-logs"]).finally(() => (finished = true));
    while (issuer.counts.refresh < 2 && !finished) await new Promise((r) => setTimeout(r, 20));
    assert.equal(issuer.counts.refresh, 2, "the turn asked for a refresh");
    await ss.stopKeyring(); // while the issuer holds its answer (refreshDelayMs): the token was read, the new one cannot be stored
    const mid = await running;
    answered(mid);
    same(sent(), [login.refresh, before], "the second refresh used the token read before the keyring died");
    same(sb.readAuth().openai.refresh, issuer.latest().refresh, "the new token is kept in auth.json, not lost");
    const down = mid.stderr.split("\n").filter((l) => l.includes("the keychain is not available"));
    assert.equal(down.length, 1, down.join("\n"));
    assert.match(down[0], /new refresh tokens are kept in auth\.json and the account pool's files \(0600\) until it works again, then they move back into it/);

    // 5. The keychain is back: the next start moves the token in again.
    await ss.startKeyring();
    answered(await turn(on));
    same(sb.readAuth().openai.refresh, ref, "auth.json holds the reference");
    same(lookup().stdout, issuer.latest().refresh, "moved back into the keychain");
    noToken(sb.authPath);

    // 6. Off: the token goes back into auth.json (and the keychain item is removed).
    answered(await turn(env));
    same(sb.readAuth().openai.refresh, issuer.latest().refresh, "off: auth.json holds the token again");
    assert.equal(fs.statSync(sb.authPath).mode & 0o777, 0o600);
    assert.equal(lookup().status, 1, "the item is gone");

    // 7. On again (an accounts command moves it too), then uninstall restores the token into auth.json.
    const moved = await cli(["accounts"], on);
    assert.equal(moved.code, 0, moved.stderr);
    same(sb.readAuth().openai.refresh, ref, "auth.json holds the reference");
    const un = await cli(["uninstall"], env);
    assert.equal(un.code, 0, un.stdout + un.stderr);
    assert.match(un.stdout, /auth\.json holds the ChatGPT login's refresh token again \(it was in the keychain\), so OpenCode's built-in login can use it/);
    same(sb.readAuth().openai, { type: "oauth", refresh: issuer.latest().refresh, access: issuer.latest().access, expires: sb.readAuth().openai.expires, accountId: "acc-kc-auth" }, "uninstall: auth.json holds the whole login again");
    assert.equal(issuer.counts.refreshReused, 0);
    assert.equal(issuer.leaks([dead.stdout, dead.stderr, mid.stdout, mid.stderr, refused.stdout, refused.stderr, un.stdout, un.stderr, doctor.stdout].join("\n")), 0, "no secret in any output");
  } finally {
    if (!ss.running) await ss.startKeyring();
    await api.close();
    await issuer.close();
    sb.cleanup();
  }
});

// A login made with the keychain on, through the real `opencode auth login` under tmux (as in
// login.test.js): the login's result carries the reference once the keychain holds the token, so
// OpenCode writes no clear refresh token into auth.json at all; a turn then works with it.
test("opencode auth login with the keychain on: auth.json never holds the clear refresh token", { timeout: 600_000 }, async () => {
  if (!ss.running) await ss.startKeyring();
  const SOCKET = `occw-kc-login-${process.pid}`;
  const issuer = await startMockIssuer({ accountId: "acc-kc-login" });
  const api = await startMockBackend({ handler: (req) => (req.url.startsWith("/backend-api/codex/responses") ? textStream("answered after a keychain login") : undefined) });
  const sb = makeSandbox();
  const server = tmuxServer(SOCKET);
  try {
    await browserLogin(server, "login", { cwd: sb.work, env: { ...sb.env, OPENCODE_CODEX_KEYCHAIN: "1", DBUS_SESSION_BUS_ADDRESS: ss.address }, issuer });

    const key = "acc-kc-login/user-test";
    const stored = sb.readAuth().openai;
    same(stored.refresh, `@keychain:${key}`, "OpenCode wrote the reference");
    assert.ok(stored.access === issuer.latest().access, "and the new access token");
    assert.doesNotMatch(fs.readFileSync(sb.authPath, "utf8"), /rt-mock/);
    assert.ok(secretTool(ss.address, ["lookup", "service", "opencode-chatgpt-wasm", "account", key]).stdout === issuer.latest().refresh, "the token is in the keychain");
    const poolPath = path.join(sb.env.XDG_DATA_HOME, "opencode-chatgpt-wasm", "accounts.json");
    assert.doesNotMatch(fs.readFileSync(poolPath, "utf8"), /rt-mock/);
    assert.equal(issuer.leaks(server.pane("login")), 0, "no secret in the terminal");

    const run = await runProcess(OPENCODE, ["run", "-m", "openai/gpt-5.4", "say hi"], { cwd: sb.work, env: { ...sb.env, OPENCODE_CODEX_KEYCHAIN: "1", DBUS_SESSION_BUS_ADDRESS: ss.address, OPENCODE_CODEX_ENDPOINT: api.endpoint, OPENCODE_CODEX_ISSUER: issuer.url }, timeoutMs: 400_000 });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assert.match(run.stdout, /answered after a keychain login/);
    same(sb.readAuth().openai.refresh, `@keychain:${key}`, "auth.json keeps the reference");
  } finally {
    server.kill();
    await api.close();
    await issuer.close();
    sb.cleanup();
  }
});

// auth.json with the keychain on (js/accounts/keychain.js: authSecrets, syncAuthJson,
// restoreAuthJson, authSecretStatus) through the real credentials code (dist/auth/credentials.js),
// a mock issuer that accepts each refresh token once, and a real Secret Service
// (tests/helpers/keyring.js: dbus-daemon + gnome-keyring-daemon started and stopped here). Shows:
// the token moves in only after a read-back and auth.json keeps a reference naming the item; a
// refresh reveals it (the issuer sees the keychain's token, never the reference) and conceals the
// new one; a 401 with a fresh-looking login still refreshes; an unreadable reference keeps the
// access token working and says once what happened and what to do; a keychain that dies after
// the token was read costs no login (the new token stays in auth.json, said once); off moves the
// token back; uninstall's restore puts it back or changes nothing; doctor's line says where it is.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { createCredentials } from "../../../dist/auth/credentials.js";
import { resolveConfig } from "../../../dist/config.js";
import { authSecrets, authSecretStatus, configureKeychain, restoreAuthJson, syncAuthJson } from "../../../dist/accounts/keychain.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";
import { secretTool, startSecretService } from "../../helpers/keyring.js";

const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
let root;
let ss;
const notices = [];
before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "occw-kca-"));
  ss = await startSecretService(path.join(root, "secret-service"));
  process.env.DBUS_SESSION_BUS_ADDRESS = ss.address;
  configureKeychain({ enabled: true, notice: (m) => notices.push(m) });
});
after(async () => {
  configureKeychain({ enabled: false });
  await ss?.close();
  if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
  else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
  fs.rmSync(root, { recursive: true, force: true });
});

const lookup = (key) => secretTool(ss.address, ["lookup", "service", "opencode-chatgpt-wasm", "account", key]);

/** An auth.json holding a login minted by a fresh issuer for `accountId` (each test its own account: the keychain remembers per account). */
async function setup(accountId, { expired = false } = {}) {
  const iss = await startMockIssuer({ accountId });
  const dir = fs.mkdtempSync(path.join(root, "case-"));
  const authPath = path.join(dir, "opencode", "auth.json");
  fs.mkdirSync(path.dirname(authPath), { recursive: true, mode: 0o700 });
  const login = { ...iss.mintLogin(), ...(expired ? { expires: Date.now() - 60_000 } : {}) };
  fs.writeFileSync(authPath, JSON.stringify({ anthropic: { type: "api", key: "other" }, openai: login }, null, 2), { mode: 0o600 });
  const read = () => JSON.parse(fs.readFileSync(authPath, "utf8"));
  const getAuth = async () => read().openai;
  const creds = () => createCredentials({ getAuth, cfg: { ...resolveConfig({}, {}), issuer: iss.url }, authPath, secrets: authSecrets });
  /** The refresh tokens the issuer was sent, in order. */
  const sent = () => iss.state.requests.filter((r) => r.path === "/oauth/token").map((r) => JSON.parse(r.raw).refresh_token);
  return { iss, authPath, login, read, creds, sent, key: `${accountId}/user-test` };
}

/** Token-bearing values are compared without printing them on failure (no secret in test output, even a mock one). */
const same = (actual, expected, what) => assert.ok(isDeepStrictEqual(actual, expected), what);
const sayings = (re) => notices.filter((m) => re.test(m));

test("on: auth.json's token moves into the keychain (read back); a refresh reveals it, the issuer gets the token, the new one is concealed again", async () => {
  const s = await setup("acc-kca-1", { expired: true });
  try {
    assert.equal(await syncAuthJson({ authPath: s.authPath, notice: (m) => notices.push(m) }), "moved");
    same(s.read().openai, { ...s.login, refresh: `@keychain:${s.key}` }, "auth.json's login");
    assert.equal(s.read().anthropic.key, "other", "other providers kept");
    assert.equal(fs.statSync(s.authPath).mode & 0o777, 0o600);
    same(lookup(s.key).stdout, s.login.refresh, "the keychain item");
    assert.equal(await syncAuthJson({ authPath: s.authPath }), "as-is", "nothing left to move");

    const got = await s.creds().current();
    same(got.access, s.iss.latest().access, "the refreshed access token");
    same(s.sent(), [s.login.refresh], "the issuer saw the keychain's token, never the reference");
    same(s.read().openai, { type: "oauth", refresh: `@keychain:${s.key}`, access: s.iss.latest().access, expires: s.read().openai.expires, accountId: "acc-kca-1" }, "auth.json's login");
    assert.doesNotMatch(fs.readFileSync(s.authPath, "utf8"), /rt-mock/);
    same(lookup(s.key).stdout, s.iss.latest().refresh, "the new token is in the keychain");
  } finally {
    await s.iss.close();
  }
});

test("on: a 401 with a fresh-looking login behind a reference refreshes (the reference is not taken for another process's login)", async () => {
  const s = await setup("acc-kca-2");
  try {
    await syncAuthJson({ authPath: s.authPath });
    const creds = s.creds();
    same((await creds.current()).access, s.login.access, "a fresh login is used as it is: no keychain read, no refresh");
    assert.equal(s.iss.counts.refresh, 0);
    assert.equal(await creds.onUnauthorized(), true);
    same(s.sent(), [s.login.refresh], "the refresh tokens the issuer was sent");
    same((await creds.current()).access, s.iss.latest().access, "the access token in use");
    same(s.read().openai.refresh, `@keychain:${s.key}`, "auth.json holds the reference");
    same(lookup(s.key).stdout, s.iss.latest().refresh, "the keychain item");
  } finally {
    await s.iss.close();
  }
});

test("a reference the keychain cannot give: the access token works until it expires, one sentence says what to do, nothing is sent or deleted", async () => {
  const s = await setup("acc-kca-3");
  const fresh = await setup("acc-kca-3b");
  try {
    // Moved in by another process: this one never read (or remembered) either token.
    for (const c of [s, fresh]) {
      assert.equal(secretTool(ss.address, ["store", "--label", "test", "service", "opencode-chatgpt-wasm", "account", c.key], c.login.refresh).status, 0);
      fs.writeFileSync(c.authPath, JSON.stringify({ openai: { ...c.login, refresh: `@keychain:${c.key}` } }), { mode: 0o600 });
    }
    await ss.stopKeyring();
    // A fresh login: used as is, the keychain is not needed.
    same((await fresh.creds().current()).access, fresh.login.access, "the access token in use");
    // An expired one cannot be refreshed: a clear error, no request with the reference, auth.json unchanged.
    fs.writeFileSync(s.authPath, JSON.stringify({ openai: { ...s.read().openai, expires: Date.now() - 60_000 } }), { mode: 0o600 });
    const before = fs.readFileSync(s.authPath, "utf8");
    const creds = s.creds();
    for (let i = 0; i < 2; i++) {
      await assert.rejects(creds.current(), (err) => {
        assert.equal(err.code, "keychain-unreadable");
        assert.equal(err.message, "the ChatGPT login's refresh token is in the keychain, which cannot give it now; unlock or start the keychain, or log in again (opencode auth login)");
        return true;
      });
    }
    assert.equal(s.iss.counts.refresh, 0, "nothing sent");
    assert.equal(fs.readFileSync(s.authPath, "utf8"), before);
    const said = sayings(/auth\.json \(account acc-kca-3\//);
    assert.equal(said.length, 1, said.join("\n"));
    assert.match(said[0], /^the keychain cannot be read \(secret-tool lookup failed: .+\), so the ChatGPT login in auth\.json \(account acc-kca-3\/user-test\) cannot be refreshed: its access token expired at \S+Z, so requests fail until this is fixed\. Nothing was deleted: unlock or start the keychain \(then it refreshes as usual\), or log in again \(opencode auth login\)$/);
    // doctor says where the token is and that it cannot be read now.
    const d = await authSecretStatus(s.authPath);
    assert.equal(d.status, "fail");
    assert.match(d.detail, /^auth\.json's refresh token is in the Secret Service \(secret-tool\), which cannot be read now \(secret-tool lookup failed: .+\); the login works until its access token expires$/);
    assert.equal(d.fix, "unlock or start the keychain; nothing was deleted");
    // uninstall's restore changes nothing and says why.
    const r = await restoreAuthJson(s.authPath);
    assert.equal(r.state, "unreadable");
    assert.match(r.message, /cannot give it now \(secret-tool lookup failed: .+\); OpenCode's built-in login cannot use the reference auth\.json holds, so nothing was uninstalled or changed\. Unlock or start the keychain and run uninstall again/);
    assert.equal(fs.readFileSync(s.authPath, "utf8"), before);
    // The keychain is back: the same credentials refresh through it.
    await ss.startKeyring();
    same((await creds.current()).access, s.iss.latest().access, "the access token in use");
    same(s.sent(), [s.login.refresh], "the refresh tokens the issuer was sent");
  } finally {
    if (!ss.running) await ss.startKeyring();
    await s.iss.close();
    await fresh.iss.close();
  }
});

test("the keychain dies after the token was read: the refresh works, the new token stays in auth.json (said once), and moves in once it is back", async () => {
  const s = await setup("acc-kca-4", { expired: true });
  try {
    assert.equal(await syncAuthJson({ authPath: s.authPath }), "moved"); // what this process stored, it remembers
    await ss.stopKeyring();
    const got = await s.creds().current();
    same(got.access, s.iss.latest().access, "the refreshed access token");
    same(s.sent(), [s.login.refresh], "the refresh tokens the issuer was sent");
    same(s.read().openai.refresh, s.iss.latest().refresh, "kept in auth.json, not lost");
    assert.equal(sayings(/^the keychain is not available/).length, 1);
    assert.match(sayings(/^the keychain is not available/)[0], /new refresh tokens are kept in auth\.json and the account pool's files \(0600\) until it works again, then they move back into it$/);
    await ss.startKeyring();
    assert.equal(await syncAuthJson({ authPath: s.authPath }), "moved");
    same(s.read().openai.refresh, `@keychain:${s.key}`, "auth.json holds the reference");
    same(lookup(s.key).stdout, s.iss.latest().refresh, "the keychain item");
  } finally {
    if (!ss.running) await ss.startKeyring();
    await s.iss.close();
  }
});

test("off moves the token back into auth.json; uninstall's restore does too; doctor says where it lives", async () => {
  const s = await setup("acc-kca-5");
  try {
    assert.equal(await authSecretStatus(s.authPath).then((d) => d.detail), "auth.json's refresh token is still in auth.json (0600); the keychain is on, so it moves into the Secret Service (secret-tool) when OpenCode next starts with this plugin (or at the next accounts command)");
    await syncAuthJson({ authPath: s.authPath });
    assert.deepEqual(await authSecretStatus(s.authPath), { status: "ok", detail: "auth.json's refresh token is in the Secret Service (secret-tool) (readable); auth.json holds only a reference" });
    configureKeychain({ enabled: false });
    const told = [];
    assert.equal(await syncAuthJson({ authPath: s.authPath, notice: (m) => told.push(m) }), "moved");
    assert.deepEqual(told, ["the keychain is off: moved the refresh token of the ChatGPT login back into auth.json (0600)"]);
    same(s.read().openai, s.login, "auth.json holds the whole login again");
    assert.equal(fs.statSync(s.authPath).mode & 0o777, 0o600);
    assert.equal(await authSecretStatus(s.authPath), null, "off, token in auth.json: nothing to say");
    configureKeychain({ enabled: true });
    await syncAuthJson({ authPath: s.authPath });
    same(s.read().openai.refresh, `@keychain:${s.key}`, "auth.json holds the reference");
    assert.deepEqual(await restoreAuthJson(s.authPath, { dryRun: true }), { state: "would-restore" });
    same(s.read().openai.refresh, `@keychain:${s.key}`, "a dry run writes nothing");
    assert.deepEqual(await restoreAuthJson(s.authPath), { state: "restored" });
    same(s.read().openai, s.login, "auth.json holds the whole login again");
    assert.deepEqual(await restoreAuthJson(s.authPath), { state: "none" });
  } finally {
    configureKeychain({ enabled: true });
    await s.iss.close();
  }
});

test("a new login of the same account revokes the keychain's token, never the reference; with the keychain down nothing is sent", async () => {
  const { loginMethods, LABELS } = await import("../../../dist/auth/login.js");
  const { httpGet } = await import("../../helpers/mock-issuer.js");
  const s = await setup("acc-kca-6");
  const savedData = process.env.XDG_DATA_HOME;
  process.env.XDG_DATA_HOME = path.dirname(path.dirname(s.authPath)); // the default previous login: this auth.json
  const paste = async () => {
    const methods = loginMethods({ ...resolveConfig({}, {}), issuer: s.iss.url, callbackPort: 1455 }, { openUrl: () => {}, report: () => {} });
    const auth = await methods.find((m) => m.label === LABELS.paste).authorize();
    return auth.callback((await httpGet(auth.url)).location);
  };
  try {
    await syncAuthJson({ authPath: s.authPath });
    same(s.read().openai.refresh, `@keychain:${s.key}`, "auth.json holds the reference");
    const first = await paste();
    assert.equal(first.type, "success");
    same(s.iss.state.revoked, [s.login.refresh], "the keychain's token was revoked");
    // OpenCode writes the new login (clear) and it moves in; then the keychain dies: the next login revokes nothing and still succeeds.
    fs.writeFileSync(s.authPath, JSON.stringify({ openai: { type: "oauth", refresh: first.refresh, access: first.access, expires: first.expires, accountId: first.accountId } }), { mode: 0o600 });
    await syncAuthJson({ authPath: s.authPath });
    await ss.stopKeyring();
    const second = await paste();
    assert.equal(second.type, "success");
    same(s.iss.state.revoked, [s.login.refresh], "nothing more sent: no reference, no guess");
  } finally {
    if (savedData === undefined) delete process.env.XDG_DATA_HOME;
    else process.env.XDG_DATA_HOME = savedData;
    if (!ss.running) await ss.startKeyring();
    await s.iss.close();
  }
});

test("a login through the plugin's methods returns the reference once the keychain holds the token (OpenCode never writes it in clear); with the keychain down, the clear token", async () => {
  const { loginMethods, LABELS } = await import("../../../dist/auth/login.js");
  const { joiningMethods } = await import("../../../dist/accounts/pool.js");
  const { httpGet } = await import("../../helpers/mock-issuer.js");
  const iss = await startMockIssuer({ accountId: "acc-kca-7" });
  const dir = fs.mkdtempSync(path.join(root, "case-"));
  const file = path.join(dir, "accounts.json");
  const key = "acc-kca-7/user-test";
  const login = async () => {
    const methods = joiningMethods(loginMethods({ ...resolveConfig({}, {}), issuer: iss.url, callbackPort: 1455 }, { openUrl: () => {}, report: () => {}, previousLogin: () => null }), { file });
    const auth = await methods.find((m) => m.label === LABELS.paste).authorize();
    return auth.callback((await httpGet(auth.url)).location);
  };
  try {
    const first = await login();
    assert.equal(first.type, "success");
    same(first.refresh, `@keychain:${key}`, "the result carries the reference");
    same(first.access, iss.latest().access, "and the new access token");
    same(lookup(key).stdout, iss.latest().refresh, "the token is in the keychain");
    assert.doesNotMatch(fs.readFileSync(file, "utf8"), /rt-mock/);
    await ss.stopKeyring();
    const second = await login();
    assert.equal(second.type, "success");
    same(second.refresh, iss.latest().refresh, "the keychain cannot take it: the clear token, so the login is not lost");
    assert.equal(sayings(/^the keychain is not available/).length, 1, "said once per process (an earlier test here already heard it): never again");
  } finally {
    if (!ss.running) await ss.startKeyring();
    await iss.close();
  }
});

test("the usage figures (TUI, `usage`) refresh a login behind a reference with the keychain's token and keep the reference, even in a process that does not know the setting", async () => {
  const { startMockBackend } = await import("../../helpers/mock-backend.js");
  const { createUsageModel } = await import("../../../dist/tui/model.js");
  const s = await setup("acc-kca-8");
  const backend = await startMockBackend();
  try {
    await syncAuthJson({ authPath: s.authPath });
    fs.writeFileSync(s.authPath, JSON.stringify({ openai: { ...s.read().openai, expires: Date.now() - 60_000 } }), { mode: 0o600 });
    configureKeychain({ enabled: false }); // the TUI's process may not know it is on
    const env = { HOME: root, PATH: process.env.PATH, XDG_DATA_HOME: path.dirname(path.dirname(s.authPath)), XDG_CACHE_HOME: path.join(root, "cache-usage"), OPENCODE_CODEX_ENDPOINT: backend.endpoint, OPENCODE_CODEX_ISSUER: s.iss.url };
    const model = createUsageModel({ env });
    await model.refresh({ force: true });
    assert.equal(model.lastError(), null);
    same(s.sent(), [s.login.refresh], "the issuer saw the keychain's token, never the reference");
    const usage = backend.requests.filter((r) => r.url === "/backend-api/wham/usage");
    assert.equal(usage.length, 1);
    same(usage[0].headers.authorization, `Bearer ${s.iss.latest().access}`, "the usage endpoint got the new access token");
    same(s.read().openai.refresh, `@keychain:${s.key}`, "auth.json keeps the reference");
    same(lookup(s.key).stdout, s.iss.latest().refresh, "the new token is in the keychain");
  } finally {
    configureKeychain({ enabled: true });
    await backend.close();
    await s.iss.close();
  }
});

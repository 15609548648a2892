// Revoking the replaced login (issue 14 §7) in the built package (dist/), under Node and Bun: a new
// login through `auth.methods` revokes the refresh token of the login stored before it, at the mock
// issuer's /oauth/revoke; without a stored login nothing is sent; a revoke that fails (issuer error,
// issuer gone) never fails the new login; no token appears in any output.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loginMethods, LABELS } from "../../../dist/auth/login.js";
import { revokeReplaced } from "../../../dist/auth/revoke.js";
import { resolveConfig } from "../../../dist/config.js";
import { startMockIssuer, httpGet } from "../../helpers/mock-issuer.js";

const issuers = [];
const lines = [];
after(async () => {
  for (const i of issuers) {
    assert.equal(i.leaks(lines.join("\n")), 0, "a secret appeared in the output");
    await i.close();
  }
});

async function issuer(opts) {
  const i = await startMockIssuer(opts);
  issuers.push(i);
  return i;
}

/** A paste login against `iss`, with `previous` as the login stored before it. */
async function pasteLogin(iss, previousLogin) {
  const cfg = { ...resolveConfig({}, {}), issuer: iss.url, callbackPort: 1455 };
  const methods = loginMethods(cfg, { openUrl: () => {}, report: (l) => lines.push(l), ...(previousLogin ? { previousLogin } : {}) });
  const paste = methods.find((m) => m.label === LABELS.paste);
  const auth = await paste.authorize();
  const landed = await httpGet(auth.url);
  assert.equal(landed.status, 302);
  return auth.callback(landed.location);
}

test("a new login revokes the refresh token of the login it replaces", async () => {
  const iss = await issuer();
  const old = iss.mintLogin();
  const login = await pasteLogin(iss, () => old);
  assert.equal(login.type, "success");
  assert.equal(iss.counts.revoke, 1);
  assert.deepEqual(iss.state.revoked, [old.refresh]);
  assert.notEqual(login.refresh, old.refresh);
  assert.equal(iss.state.refreshTokens.get(old.refresh), "revoked");
  assert.equal(iss.state.refreshTokens.get(login.refresh), "live", "the new login is untouched");
  const sent = JSON.parse(iss.state.requests.find((r) => r.path === "/oauth/revoke").raw);
  assert.deepEqual(Object.keys(sent).sort(), ["client_id", "token", "token_type_hint"]);
  assert.equal(sent.token_type_hint, "refresh_token");
});

test("a login of another account joins the pool: the stored login of the first account is not revoked", async () => {
  const first = await issuer({ accountId: "acc-first" });
  const old = first.mintLogin();
  const iss = await issuer({ accountId: "acc-second" });
  const login = await pasteLogin(iss, () => old);
  assert.equal(login.type, "success");
  assert.equal(iss.counts.revoke ?? 0, 0, "no revoke for another account");
  assert.equal(first.counts.revoke ?? 0, 0);
  assert.equal(first.state.refreshTokens.get(old.refresh), "live");
});

test("no stored login, an API key, or the same token: nothing is revoked", async () => {
  const iss = await issuer();
  assert.equal((await pasteLogin(iss, () => null)).type, "success");
  assert.equal((await pasteLogin(iss, () => ({ type: "api", key: "sk-x" }))).type, "success");
  assert.equal(await revokeReplaced({ issuer: iss.url }, { refresh: "same" }, { refresh: "same" }), "skipped");
  assert.equal(iss.counts.revoke, 0);
});

test("the stored login is read from auth.json by default (OpenCode writes the new one after the callback)", async () => {
  const iss = await issuer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-revoke-"));
  const saved = process.env.XDG_DATA_HOME;
  try {
    process.env.XDG_DATA_HOME = dir;
    fs.mkdirSync(path.join(dir, "opencode"), { recursive: true });
    const old = iss.mintLogin();
    fs.writeFileSync(path.join(dir, "opencode", "auth.json"), JSON.stringify({ openai: old }), { mode: 0o600 });
    const login = await pasteLogin(iss, undefined);
    assert.equal(login.type, "success");
    assert.deepEqual(iss.state.revoked, [old.refresh]);
  } finally {
    if (saved === undefined) delete process.env.XDG_DATA_HOME;
    else process.env.XDG_DATA_HOME = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a revoke that fails never fails the new login", async () => {
  const iss = await issuer();
  const old = iss.mintLogin();
  // The issuer refuses the revoke (wrong client id through a broken deps.fetch body)…
  const refusing = (url, init) => fetch(url, String(url).endsWith("/oauth/revoke") ? { ...init, body: "{}" } : init);
  const cfg = { ...resolveConfig({}, {}), issuer: iss.url, callbackPort: 1455 };
  const paste = loginMethods(cfg, { openUrl: () => {}, report: (l) => lines.push(l), previousLogin: () => old, fetch: refusing }).find((m) => m.label === LABELS.paste);
  const auth = await paste.authorize();
  const login = await auth.callback((await httpGet(auth.url)).location);
  assert.equal(login.type, "success");
  assert.equal(iss.counts.revoke, 1);
  assert.deepEqual(iss.state.revoked, []);
  // …or is not there at all, or reading the stored login throws.
  assert.equal(await revokeReplaced({ issuer: "http://127.0.0.1:9" }, old, iss.mintLogin()), "failed"); // a new login of the same account
  const throwing = await pasteLogin(iss, () => {
    throw new Error("auth.json is not JSON");
  });
  assert.equal(throwing.type, "success");
});

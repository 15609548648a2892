// The account pool file (dist/accounts/pool.js), under Node and Bun: logins join through the real
// login methods against the mock issuer; the file is 0600 in a 0700 dir with no temp files left;
// concurrent processes never lose an update (the lock); a damaged pool is never rewritten, is
// reported once, and auth.json is untouched.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { joinLogin, joiningMethods, readPool, syncLogin } from "../../../dist/accounts/pool.js";
import { loginMethods, LABELS } from "../../../dist/auth/login.js";
import { resolveConfig } from "../../../dist/config.js";
import { startMockIssuer, httpGet } from "../../helpers/mock-issuer.js";
import { chatgptToken } from "../../helpers/jwt.js";

const POOL_JS = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../dist/accounts/pool.js")).href;
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function tmp() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-pool-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, file: path.join(dir, "data", "opencode-chatgpt-wasm", "accounts.json") };
}

const login = (accountId, email = "same@example.com") => ({
  type: "oauth",
  access: chatgptToken({ accountId, email }),
  refresh: `rt-${accountId}`,
  expires: Date.now() + 3600_000,
  accountId,
});

/** A real paste-flow login against `iss`, through joiningMethods. */
async function pasteLogin(iss, file) {
  const cfg = { ...resolveConfig({}, {}), issuer: iss.url };
  const methods = joiningMethods(loginMethods(cfg, { openUrl: () => {}, report: () => {} }), { file });
  const paste = methods.find((m) => m.label === LABELS.paste);
  const auth = await paste.authorize();
  const landed = (await httpGet(auth.url)).location;
  return auth.callback(landed);
}

test("each login through auth.methods joins the pool; one email in two workspaces is two accounts", async () => {
  const { dir, file } = tmp();
  const a = await startMockIssuer({ accountId: "acc-personal" });
  const b = await startMockIssuer({ accountId: "acc-team" });
  cleanups.push(() => a.close(), () => b.close());
  const first = await pasteLogin(a, file);
  assert.equal(first.type, "success"); // the method's result is what OpenCode stores, unchanged
  assert.equal(first.refresh, a.latest().refresh);
  await pasteLogin(b, file);
  const doc = await readPool(file);
  assert.deepEqual(
    doc.pool.accounts.map((x) => [x.key, x.accountId, x.email, x.plan]),
    [
      ["acc-personal/user-test", "acc-personal", "dev@example.com", "plus"],
      ["acc-team/user-test", "acc-team", "dev@example.com", "plus"],
    ],
  );
  assert.equal(doc.pool.active, "acc-team/user-test"); // the newest login is what auth.json holds
  assert.deepEqual(doc.logins["acc-team/user-test"], { type: "oauth", refresh: b.latest().refresh, access: b.latest().access, expires: doc.logins["acc-team/user-test"].expires, accountId: "acc-team" });
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ["accounts.json"]); // no temp file, lock released
  void dir;
});

test("a known login refreshes its stored copy instead of joining twice", async () => {
  const { file } = tmp();
  assert.deepEqual(await joinLogin(file, login("acc-1")), { key: "acc-1/user-test", index: 1, added: true });
  const newer = { ...login("acc-1"), refresh: "rt-rotated" };
  assert.deepEqual(await joinLogin(file, newer), { key: "acc-1/user-test", index: 1, added: false });
  const doc = await readPool(file);
  assert.equal(doc.pool.accounts.length, 1);
  assert.equal(doc.logins["acc-1/user-test"].refresh, "rt-rotated");
});

test("a damaged pool is never rewritten, is reported once, and the login keeps working", async () => {
  const { file } = tmp();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (const damaged of ["{not json", JSON.stringify({ pool: { version: 7 }, logins: {} })]) {
    fs.writeFileSync(file, damaged, { mode: 0o600 });
    const notices = [];
    const l = login("acc-dmg-" + damaged.length);
    assert.equal(await syncLogin(l, { file, notice: (m) => notices.push(m) }), null);
    assert.equal(await syncLogin(l, { file, notice: (m) => notices.push(m) }), null);
    assert.equal(notices.length, 1, "said once");
    assert.match(notices[0], /cannot be read .*left as it is and your login in auth\.json keeps working/);
    assert.doesNotMatch(notices[0], /rt-acc|eyJ/); // no token
    assert.equal(fs.readFileSync(file, "utf8"), damaged);
  }
});

test("four processes joining at once lose no account (the lock)", async () => {
  const { file } = tmp();
  const runs = [1, 2, 3, 4].map(
    (n) =>
      new Promise((resolve, reject) => {
        const code = `const {joinLogin} = await import(${JSON.stringify(POOL_JS)}); await joinLogin(process.argv.at(-2), JSON.parse(process.argv.at(-1)));`;
        const child = spawn(process.execPath, ["--input-type=module", "-e", code, file, JSON.stringify(login(`acc-p${n}`))], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        child.stderr.on("data", (d) => (err += d));
        child.on("exit", (c) => (c === 0 ? resolve() : reject(new Error(`child ${n}: ${err}`))));
      }),
  );
  await Promise.all(runs);
  const doc = await readPool(file);
  assert.deepEqual(doc.pool.accounts.map((a) => a.accountId).sort(), ["acc-p1", "acc-p2", "acc-p3", "acc-p4"]);
  assert.deepEqual(Object.keys(doc.logins).sort(), ["acc-p1/user-test", "acc-p2/user-test", "acc-p3/user-test", "acc-p4/user-test"]);
});

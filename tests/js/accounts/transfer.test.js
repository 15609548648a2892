// `accounts export` / `accounts import` (dist/cli.js in a child process) under Node and Bun, on
// temp XDG_DATA_HOMEs: export → import on a fresh HOME gives the same accounts with usable logins
// (auth.json holds the active one, the others are in the pool; a login that rotation refreshed in
// its own file is the one exported), 0600 files, no overwrite without --force, dry-run and a
// malformed or foreign file change nothing, a re-import updates only newer logins and writes a
// backup first, and a login filed under another account is refused (never merged).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { joinLogin } from "../../../dist/accounts/pool.js";
import { shadowPath } from "../../../dist/accounts/rotation.js";
import { chatgptToken } from "../../helpers/jwt.js";

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../dist/cli.js");
const cleanups = [];
after(() => cleanups.reverse().forEach((c) => c()));

const HOUR = 3600_000;
const login = (accountId, refresh = `rt-${accountId}`, expires = Date.now() + HOUR) => ({ type: "oauth", access: chatgptToken({ accountId, email: `${accountId}@example.com` }), refresh, expires, accountId });

function home() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "occw-xfer-"));
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const data = path.join(root, "data");
  const env = { ...process.env, HOME: root, XDG_DATA_HOME: data, XDG_CONFIG_HOME: path.join(root, "config"), XDG_CACHE_HOME: path.join(root, "cache") };
  const authPath = path.join(data, "opencode", "auth.json");
  const poolPath = path.join(data, "opencode-chatgpt-wasm", "accounts.json");
  const run = (args) => {
    const r = spawnSync(process.execPath, [CLI, "accounts", ...args], { env, cwd: root, encoding: "utf8" });
    assert.doesNotMatch(r.stdout + r.stderr, /rt-acc|eyJ/, "no token in the output");
    return r;
  };
  const auth = () => JSON.parse(fs.readFileSync(authPath, "utf8")).openai;
  const pool = () => JSON.parse(fs.readFileSync(poolPath, "utf8"));
  return { root, env, authPath, poolPath, run, auth, pool };
}

/** A home whose auth.json holds A (active); B and C are in the pool; B was refreshed by rotation in its own file. */
async function source() {
  const s = home();
  fs.mkdirSync(path.dirname(s.authPath), { recursive: true });
  fs.writeFileSync(s.authPath, JSON.stringify({ openai: login("acc-a", "rt-acc-a-2") }), { mode: 0o600 });
  await joinLogin(s.poolPath, login("acc-a"), { activate: true });
  await joinLogin(s.poolPath, login("acc-b"), { activate: false });
  await joinLogin(s.poolPath, login("acc-c"), { activate: false });
  const shadow = shadowPath(s.poolPath, "acc-b/user-test");
  fs.mkdirSync(path.dirname(shadow), { recursive: true });
  fs.writeFileSync(shadow, JSON.stringify({ openai: login("acc-b", "rt-acc-b-rotated", Date.now() + 2 * HOUR) }), { mode: 0o600 });
  assert.equal(s.run(["label", "3", "team"]).status, 0);
  return s;
}

const mode = (f) => fs.statSync(f).mode & 0o777;
const snapshot = (dir) => {
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.endsWith(".lock")) out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
};

test("export writes a new 0600 file that says it holds secrets, and never overwrites without --force", async () => {
  const s = await source();
  const file = path.join(s.root, "pool-export.json");
  const r = s.run(["export", file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /exported 3 ChatGPT accounts to .*pool-export\.json \(mode 0600\)/);
  assert.match(r.stdout, /holds the refresh tokens/);
  assert.equal(mode(file), 0o600);
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.equal(doc.format, "opencode-chatgpt-wasm/accounts-export");
  assert.equal(doc.version, 1);
  assert.deepEqual(
    Object.fromEntries(Object.entries(doc.logins).map(([k, l]) => [k, l.refresh])),
    { "acc-a/user-test": "rt-acc-a-2", "acc-b/user-test": "rt-acc-b-rotated", "acc-c/user-test": "rt-acc-c" },
    "the newest login of each: auth.json's for the active one, rotation's file for B",
  );
  const before = fs.readFileSync(file, "utf8");
  const again = s.run(["export", file]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists; choose another file, or add --force/);
  assert.equal(fs.readFileSync(file, "utf8"), before);
  fs.chmodSync(file, 0o644);
  const forced = s.run(["export", file, "--force"]);
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(mode(file), 0o600);
  assert.deepEqual(fs.readdirSync(s.root).filter((f) => f.includes("pool-export")), ["pool-export.json"], "no temp file left");
});

test("export → import on a fresh HOME gives the same accounts, each with its login; auth.json holds the active one", async () => {
  const s = await source();
  const file = path.join(s.root, "x.json");
  assert.equal(s.run(["export", file]).status, 0);
  const listed = JSON.parse(s.run(["--json"]).stdout).accounts;

  const t = home();
  const dry = t.run(["import", file, "--dry-run"]);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /would import 3 accounts/);
  assert.match(dry.stdout, /add\s+#1 acc-a@example\.com \(acc-a\/user-test\): not in the pool/);
  assert.match(dry.stdout, /add\s+#3 team \(acc-c\/user-test\)/);
  assert.match(dry.stdout, /dry run: nothing was changed/);
  assert.deepEqual(snapshot(path.join(t.root, "data")), {}, "a dry run writes nothing");

  const r = t.run(["import", file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /imported: 3 added, 0 updated, 0 left as they were/);
  assert.doesNotMatch(r.stdout, /saved in/, "an empty pool needs no backup");
  const strip = (v) => ({ n: v.n, key: v.key, label: v.label, email: v.email, active: v.active, plan: v.plan });
  assert.deepEqual(JSON.parse(t.run(["--json"]).stdout).accounts.map(strip), listed.map(strip));
  assert.equal(t.auth().refresh, "rt-acc-a-2", "auth.json holds the active account's login");
  assert.equal(mode(t.authPath), 0o600);
  assert.equal(mode(t.poolPath), 0o600);
  assert.equal(mode(path.dirname(t.poolPath)), 0o700);
  assert.deepEqual(
    Object.fromEntries(Object.entries(t.pool().logins).map(([k, l]) => [k, l.refresh])),
    { "acc-a/user-test": "rt-acc-a-2", "acc-b/user-test": "rt-acc-b-rotated", "acc-c/user-test": "rt-acc-c" },
  );
  // Usable: switching to B puts B's imported login into auth.json.
  assert.equal(t.run(["use", "2"]).status, 0);
  assert.equal(t.auth().refresh, "rt-acc-b-rotated");

  // Importing the same file again leaves everything alone (no backup, no write).
  const before = snapshot(path.join(t.root, "data"));
  const again = t.run(["import", file]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /leave\s+#1 .*as new or newer/);
  assert.match(again.stdout, /already holds all of it: nothing was changed/);
  assert.deepEqual(snapshot(path.join(t.root, "data")), before);
});

test("import updates only newer logins, writes a 0600 backup of the pool first, and adds without merging", async () => {
  const s = await source();
  const file = path.join(s.root, "x.json");
  assert.equal(s.run(["export", file]).status, 0);

  const t = home();
  fs.mkdirSync(path.dirname(t.authPath), { recursive: true });
  fs.writeFileSync(t.authPath, JSON.stringify({ openai: login("acc-a", "rt-acc-a-old", Date.now() + 60_000) }), { mode: 0o600 });
  await joinLogin(t.poolPath, login("acc-a", "rt-acc-a-old", Date.now() + 60_000), { activate: true });
  await joinLogin(t.poolPath, login("acc-c", "rt-acc-c-newest", Date.now() + 5 * HOUR), { activate: false });
  await joinLogin(t.poolPath, login("acc-d"), { activate: false });
  const poolBefore = fs.readFileSync(t.poolPath, "utf8");

  const dry = t.run(["import", file, "--dry-run"]);
  assert.equal(dry.status, 0, dry.stderr);
  assert.equal(fs.readFileSync(t.poolPath, "utf8"), poolBefore, "dry run changes nothing");
  assert.equal(fs.existsSync(path.join(path.dirname(t.poolPath), "backups")), false);

  const r = t.run(["import", file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /update\s+#1 acc-a@example\.com .*newer/);
  assert.match(r.stdout, /add\s+#2 acc-b@example\.com/);
  assert.match(r.stdout, /update\s+#3 team .*label/);
  assert.match(r.stdout, /imported: 1 added, 2 updated, 0 left as they were/);
  const backup = r.stdout.match(/saved in (\S+) \(mode 0600/)[1];
  assert.equal(mode(backup), 0o600);
  assert.equal(mode(path.dirname(backup)), 0o700);
  assert.deepEqual(
    Object.fromEntries(Object.entries(JSON.parse(fs.readFileSync(backup, "utf8")).logins).map(([k, l]) => [k, l.refresh])),
    { "acc-a/user-test": "rt-acc-a-old", "acc-c/user-test": "rt-acc-c-newest", "acc-d/user-test": "rt-acc-d" },
  );
  assert.deepEqual(
    t.pool().pool.accounts.map((a) => [a.key, a.label ?? null]),
    [["acc-a/user-test", null], ["acc-c/user-test", "team"], ["acc-d/user-test", null], ["acc-b/user-test", null]],
  );
  assert.deepEqual(
    Object.fromEntries(Object.entries(t.pool().logins).map(([k, l]) => [k, l.refresh])),
    { "acc-a/user-test": "rt-acc-a-2", "acc-b/user-test": "rt-acc-b-rotated", "acc-c/user-test": "rt-acc-c-newest", "acc-d/user-test": "rt-acc-d" },
    "C keeps its newer login",
  );
  assert.equal(t.auth().refresh, "rt-acc-a-2", "the active account's newer login is in auth.json");
  // The backup restores: importing it is a valid import (everything is as new or newer now).
  const restore = t.run(["import", backup, "--dry-run"]);
  assert.equal(restore.status, 0, restore.stderr);
});

test("a malformed, foreign or newer-version file, or a login filed under another account, changes nothing", async () => {
  const s = await source();
  const file = path.join(s.root, "x.json");
  assert.equal(s.run(["export", file]).status, 0);
  const good = JSON.parse(fs.readFileSync(file, "utf8"));
  const swapped = structuredClone(good);
  swapped.logins["acc-a/user-test"] = good.logins["acc-b/user-test"];
  const noLogin = structuredClone(good);
  delete noLogin.logins["acc-c/user-test"];
  const cases = [
    ["{not json", /not JSON/],
    [JSON.stringify({ pool: good.pool, logins: good.logins }), /not an account export of opencode-chatgpt-wasm/],
    [JSON.stringify({ ...good, version: 2 }), /export version 2, this plugin reads version 1; update the plugin/],
    [JSON.stringify({ ...good, pool: { ...good.pool, accounts: "x" } }), /malformed/],
    [JSON.stringify(swapped), /filed under account 1 \(acc-a\/user-test\) belongs to another account \(acc-b\/user-test\); two accounts are never merged/],
    [JSON.stringify(noLogin), /account 3 \(acc-c\/user-test\) has no login/],
  ];
  const before = snapshot(path.join(s.root, "data"));
  for (const [text, why] of cases) {
    const bad = path.join(s.root, "bad.json");
    fs.writeFileSync(bad, text);
    for (const args of [["import", bad], ["import", bad, "--dry-run"]]) {
      const r = s.run(args);
      assert.equal(r.status, 2, `${text.slice(0, 40)}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, why);
      assert.match(r.stderr, /nothing was changed/);
      assert.deepEqual(snapshot(path.join(s.root, "data")), before);
    }
  }
  const missing = s.run(["import", path.join(s.root, "nope.json")]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read .*nope\.json \(ENOENT\); nothing was changed/);
});

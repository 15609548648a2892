// The cross-process refresh lock of the built package (dist/auth/lock.js) under Node and Bun: a live holder
// stays fresh however long it holds (heartbeat), "stale" and "break" judge the same file (an old unreadable
// lock replaced by a fresh one in between is not deleted), release never removes a lock that is no longer
// ours, N processes hammering the lock are never inside at once, and a holder SIGKILLed mid-refresh lets the
// others go on with one refresh in all. Races are forced by wrapping node:fs calls, not by timing.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { acquireLock } from "../../../dist/auth/lock.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../dist");
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
function tmpDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-lock-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const record = (id, extra = {}) => JSON.stringify({ pid: process.pid, host: os.hostname(), time: Date.now(), id, ...extra });
const idOf = (file) => JSON.parse(fs.readFileSync(file, "utf8")).id;

/** Replaces fs[name] until `restore()`; `hook(original, ...args)` decides what the call does. */
function wrap(name, hook) {
  const original = fs[name];
  fs[name] = (...args) => hook(original, ...args);
  const restore = () => (fs[name] = original);
  cleanups.push(restore);
  return restore;
}

test("a live holder stays fresh: a waiter does not break it however long it holds", async () => {
  const lock = path.join(tmpDir(), "auth.json.lock");
  const staleMs = 300;
  const release = await acquireLock(lock, { staleMs });
  let released = false;
  const waiter = acquireLock(lock, { staleMs, waitMs: 20_000 }).then((r) => (assert.equal(released, true, "the waiter got the lock only after the holder released it"), r));
  await sleep(staleMs * 5); // a laptop asleep mid-refresh, a slow issuer: far past the stale time
  assert.equal(fs.existsSync(lock), true);
  released = true;
  release();
  (await waiter)();
  assert.deepEqual(fs.readdirSync(path.dirname(lock)), []);
});

test("stale and break judge the same file: an old unreadable lock replaced meanwhile by a fresh one is kept", async () => {
  const lock = path.join(tmpDir(), "auth.json.lock");
  fs.writeFileSync(lock, "{garbage"); // a lock another version of us left, or half written
  const old = new Date(Date.now() - 120_000);
  fs.utimesSync(lock, old, old);
  // Between our judgment ("stale") and our break, another waiter breaks it and takes a fresh lock.
  let swapped = false;
  wrap("renameSync", (original, from, to) => {
    if (!swapped && from === lock) {
      swapped = true;
      fs.unlinkSync(lock);
      fs.writeFileSync(lock, record("fresh"), { flag: "wx" });
    }
    return original(from, to);
  });
  const err = await acquireLock(lock, { waitMs: 600 }).then((r) => (r(), null), (e) => e);
  assert.equal(swapped, true, "the race was forced");
  assert.equal(err?.code, "lock-timeout", "the fresh lock's live holder is waited for");
  assert.equal(idOf(lock), "fresh", "the fresh lock is still there");
  assert.deepEqual(fs.readdirSync(path.dirname(lock)), ["auth.json.lock"], "nothing left aside");
});

test("release never removes a lock that is no longer ours (broken and re-taken just before)", async () => {
  const lock = path.join(tmpDir(), "auth.json.lock");
  const release = await acquireLock(lock);
  // Just as we release, another process (judging us stale) moves our lock away and takes its own.
  let swapped = false;
  const swap = (original, ...args) => {
    if (!swapped && args[0] === lock) {
      swapped = true;
      restoreA();
      restoreB();
      fs.renameSync(lock, `${lock}.theirs-broke-it`);
      fs.unlinkSync(`${lock}.theirs-broke-it`);
      fs.writeFileSync(lock, record("other"), { flag: "wx" });
    }
    return original(...args);
  };
  const restoreA = wrap("unlinkSync", swap);
  const restoreB = wrap("renameSync", swap);
  release();
  assert.equal(swapped, true, "the race was forced");
  assert.equal(idOf(lock), "other", "the other holder's lock survives our release");
  assert.deepEqual(fs.readdirSync(path.dirname(lock)), ["auth.json.lock"]);
});

const HAMMER = `
import fs from "node:fs";
import { acquireLock } from ${JSON.stringify(pathToFileURL(path.join(DIST, "auth", "lock.js")).href)};
const [lock, inside, rounds] = process.argv.slice(2);
let overlaps = 0;
for (let i = 0; i < Number(rounds); i++) {
  const release = await acquireLock(lock);
  try {
    fs.writeFileSync(inside, String(process.pid), { flag: "wx" }); // EEXIST: someone else is inside
  } catch (err) {
    if (err.code === "EEXIST") overlaps++;
    else throw err;
  }
  await new Promise((r) => setTimeout(r, 2));
  fs.rmSync(inside, { force: true });
  release();
}
process.stdout.write(JSON.stringify({ overlaps }));
`;

function runChild(script, args) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const k = { child, stdout: "", stderr: "" };
  child.stdout.on("data", (d) => (k.stdout += d));
  child.stderr.on("data", (d) => (k.stderr += d));
  k.exited = new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  return k;
}

test("4 processes taking the lock 25 times each are never inside at once", async () => {
  const dir = tmpDir();
  const script = path.join(dir, "hammer.mjs");
  fs.writeFileSync(script, HAMMER);
  const kids = Array.from({ length: 4 }, () => runChild(script, [path.join(dir, "auth.json.lock"), path.join(dir, "inside"), "25"]));
  const ends = await Promise.all(kids.map((k) => k.exited));
  assert.deepEqual(ends, Array(4).fill({ code: 0, signal: null }), kids.map((k) => k.stderr).join("\n"));
  assert.deepEqual(kids.map((k) => JSON.parse(k.stdout).overlaps), [0, 0, 0, 0]);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["hammer.mjs"]);
});

const REFRESHER = `
import fs from "node:fs";
import { createCredentials } from ${JSON.stringify(pathToFileURL(path.join(DIST, "auth", "credentials.js")).href)};
const [authPath, issuer, out, hang] = process.argv.slice(2);
const getAuth = async () => JSON.parse(fs.readFileSync(authPath, "utf8")).openai;
// "hang": this process takes the lock, says so, and never gets an answer from the issuer (killed meanwhile).
const fetchImpl = hang ? async () => (process.stdout.write("refreshing\\n"), new Promise(() => {})) : fetch;
const creds = createCredentials({ getAuth, cfg: { issuer }, authPath, fetch: fetchImpl });
process.stdout.write("ready\\n");
process.stdin.once("data", async () => {
  try {
    fs.writeFileSync(out, JSON.stringify({ access: (await creds.current()).access }));
  } catch (err) {
    fs.writeFileSync(out, JSON.stringify({ error: err.message, code: err.code }));
  }
  process.exit(0);
});
`;

test("the holder SIGKILLed mid-refresh: the others go on, one refresh in all, auth.json holds the newest login", async () => {
  const iss = await startMockIssuer();
  cleanups.push(() => iss.close());
  const dir = tmpDir();
  const authPath = path.join(dir, "auth.json");
  const other = { anthropic: { type: "api", key: "other-provider-entry" } };
  fs.writeFileSync(authPath, JSON.stringify({ ...other, openai: { ...iss.mintLogin(), expires: 1 } }), { mode: 0o600 });
  const script = path.join(dir, "refresher.mjs");
  fs.writeFileSync(script, REFRESHER);
  const until = (k, word) => new Promise((resolve) => (k.stdout.includes(word) ? resolve() : k.child.stdout.on("data", () => k.stdout.includes(word) && resolve())));

  const holder = runChild(script, [authPath, iss.url, path.join(dir, "holder.json"), "hang"]);
  await until(holder, "ready");
  holder.child.stdin.write("go\n");
  await until(holder, "refreshing"); // it holds the lock and is inside the refresh
  assert.equal(fs.existsSync(`${authPath}.lock`), true);
  const others = Array.from({ length: 3 }, (_, i) => runChild(script, [authPath, iss.url, path.join(dir, `other-${i}.json`)]));
  await Promise.all(others.map((k) => until(k, "ready")));
  for (const k of others) k.child.stdin.write("go\n");
  holder.child.kill("SIGKILL");
  assert.deepEqual(await holder.exited, { code: null, signal: "SIGKILL" });
  const ends = await Promise.all(others.map((k) => k.exited));
  assert.deepEqual(ends, Array(3).fill({ code: 0, signal: null }));
  const results = others.map((_, i) => JSON.parse(fs.readFileSync(path.join(dir, `other-${i}.json`), "utf8")));
  assert.deepEqual(results, Array(3).fill({ access: iss.latest().access }), "every survivor ends with the newest token");
  assert.equal(iss.counts.refresh, 1, "one refresh in all");
  const onDisk = JSON.parse(fs.readFileSync(authPath, "utf8"));
  assert.equal(onDisk.openai.refresh, iss.latest().refresh);
  assert.deepEqual(onDisk.anthropic, other.anthropic);
  assert.equal(fs.existsSync(`${authPath}.lock`), false, "the dead holder's lock is gone");
});

// Stored-login refresh of the built package (dist/auth/credentials.js) against a mock issuer on 127.0.0.1,
// under Node and Bun: proactive refresh, JWT-exp fallback, on-401 through the plugin's fetch,
// single flight in one process, one refresh across processes sharing auth.json (lock file),
// stale locks, and failures (permanent, reused, transient) that keep the stored login.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import plugin from "../../../dist/index.js";
import { createCredentials, readStoredLogin } from "../../../dist/auth/credentials.js";
import { resolveConfig } from "../../../dist/config.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";
import { startMockBackend } from "../../helpers/mock-backend.js";
import { chatgptToken } from "../../helpers/jwt.js";

const DIST_AUTH = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../dist/auth/credentials.js")).href;
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const OTHER = { anthropic: { type: "api", key: "other-provider-entry" } };

/** A temp auth.json holding `login` under openai (plus another provider), the issuer, and helpers. */
async function setup({ issuerOpts, login, expired = true } = {}) {
  const iss = await startMockIssuer(issuerOpts);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-auth-"));
  cleanups.push(() => iss.close(), () => fs.rmSync(dir, { recursive: true, force: true }));
  const authPath = path.join(dir, "opencode", "auth.json");
  fs.mkdirSync(path.dirname(authPath), { recursive: true });
  const stored = login ?? { ...iss.mintLogin(), ...(expired ? { expires: Date.now() - 60_000 } : {}) };
  fs.writeFileSync(authPath, JSON.stringify({ ...OTHER, openai: stored }, null, 2), { mode: 0o600 });
  const logs = [];
  const cfg = { ...resolveConfig({}, {}), issuer: iss.url };
  /** What OpenCode's getAuth does: read auth.json every time. */
  const getAuth = async () => JSON.parse(fs.readFileSync(authPath, "utf8")).openai;
  /** OpenCode's client.auth.set: rewrite the whole file, mode 0600. */
  const sets = [];
  const client = {
    auth: {
      async set({ path: p, body }) {
        sets.push(p.id);
        const all = JSON.parse(fs.readFileSync(authPath, "utf8"));
        fs.writeFileSync(authPath, JSON.stringify({ ...all, [p.id]: body }, null, 2), { mode: 0o600 });
        return { data: true };
      },
    },
  };
  const creds = (over = {}) => createCredentials({ getAuth, client, cfg, authPath, log: (l) => logs.push(l), ...over });
  const raw = () => fs.readFileSync(authPath, "utf8");
  const noLeaks = (...texts) => assert.equal(iss.leaks([...texts, ...logs].join("\n")), 0, "a secret appeared in output");
  return { iss, dir, authPath, stored, cfg, getAuth, client, sets, creds, raw, logs, noLeaks };
}

function assertStoredNewest(s) {
  const onDisk = JSON.parse(s.raw());
  assert.equal(onDisk.openai.access, s.iss.latest().access);
  assert.equal(onDisk.openai.refresh, s.iss.latest().refresh);
  assert.equal(onDisk.openai.type, "oauth");
  assert.equal(onDisk.openai.accountId, "acc-issuer-1");
  assert.ok(onDisk.openai.expires > Date.now() + 30 * 60_000);
  assert.deepEqual(onDisk.anthropic, OTHER.anthropic, "other providers' logins are kept");
  assert.equal(fs.statSync(s.authPath).mode & 0o777, 0o600);
  assert.equal(fs.existsSync(`${s.authPath}.lock`), false, "the lock is released");
}

test("an expired login is refreshed before use, saved through client.auth.set and on disk", async () => {
  const s = await setup();
  const got = await s.creds().current();
  assert.equal(s.iss.counts.refresh, 1);
  assert.notEqual(got.access, s.stored.access);
  assert.deepEqual(got, { access: s.iss.latest().access, accountId: "acc-issuer-1" });
  assert.deepEqual(s.sets, ["openai"]);
  assertStoredNewest(s);
  const body = JSON.parse(s.iss.state.requests.find((r) => r.path === "/oauth/token").raw);
  assert.deepEqual(Object.keys(body).sort(), ["client_id", "grant_type", "refresh_token"]);
  s.noLeaks();
});

test("a fresh login is used as is; without `expires` the JWT exp decides (5 min margin)", async () => {
  const s = await setup({ expired: false });
  const c = s.creds();
  assert.equal((await c.current()).access, s.stored.access);
  assert.equal(s.iss.counts.refresh, 0);

  const soon = { ...s.iss.mintLogin(), access: chatgptToken({ accountId: "acc-issuer-1", expS: Math.floor(Date.now() / 1000) + 120 }) };
  delete soon.expires;
  fs.writeFileSync(s.authPath, JSON.stringify({ ...OTHER, openai: soon }), { mode: 0o600 });
  const got = await s.creds().current();
  assert.equal(s.iss.counts.refresh, 1, "an access token expiring in 2 min is refreshed");
  assert.equal(got.access, s.iss.latest().access);
  assertStoredNewest(s);
});

test("single flight: 10 parallel current() calls share one refresh", async () => {
  const s = await setup({ issuerOpts: { refreshDelayMs: 150 } });
  const c = s.creds();
  const all = await Promise.all(Array.from({ length: 10 }, () => c.current()));
  assert.equal(s.iss.counts.refresh, 1);
  assert.equal(new Set(all.map((x) => x.access)).size, 1);
  assert.equal(all[0].access, s.iss.latest().access);
  assert.deepEqual(s.logs, ["refreshed the ChatGPT login"], "one promise served every caller: no second trip through the lock");
  assertStoredNewest(s);
});

test("without client.auth.set (or when it fails) auth.json is written directly, atomically, 0600", async () => {
  for (const client of [undefined, { auth: { set: async () => ({ error: { message: "nope" } }) } }, { auth: { set: async () => { throw new Error("down"); } } }]) {
    const s = await setup();
    fs.chmodSync(s.authPath, 0o644);
    const got = await s.creds({ client }).current();
    assert.equal(got.access, s.iss.latest().access);
    assertStoredNewest(s);
    assert.deepEqual(fs.readdirSync(path.dirname(s.authPath)), ["auth.json"], "no temp or lock files left");
  }
});

/** One Responses request through the plugin's loader fetch (auth.json found via XDG_DATA_HOME). */
async function sendThroughPlugin(s, backend) {
  const saved = process.env.XDG_DATA_HOME;
  process.env.XDG_DATA_HOME = s.dir; // the loader finds auth.json at $XDG_DATA_HOME/opencode/auth.json
  try {
    const hooks = await plugin.server({ client: s.client }, { endpoint: backend.endpoint, issuer: s.iss.url });
    const opts = await hooks.auth.loader(s.getAuth);
    const body = JSON.stringify({ stream: true, model: "gpt-5.4", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }], instructions: "x" });
    return await opts.fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });
  } finally {
    if (saved === undefined) delete process.env.XDG_DATA_HOME;
    else process.env.XDG_DATA_HOME = saved;
  }
}

test("on a 401 the plugin's fetch refreshes once and retries with the new token", async () => {
  const s = await setup({ expired: false });
  let first = true;
  const backend = await startMockBackend({
    handler: (req) => {
      if (!first || !req.url.includes("/responses")) return undefined; // the loader's background GET /models passes
      first = false;
      return { status: 401, body: JSON.stringify({ error: { message: "token revoked" } }) };
    },
  });
  cleanups.push(() => backend.close());
  const res = await sendThroughPlugin(s, backend);
  assert.equal(res.status, 200);
  await res.text();
  const auths = backend.responses().map((r) => r.headers.authorization);
  assert.deepEqual(auths, [`Bearer ${s.stored.access}`, `Bearer ${s.iss.latest().access}`]);
  assert.equal(s.iss.counts.refresh, 1);
  assertStoredNewest(s);
});

test("a permanent refresh failure says to run `opencode auth login` and keeps auth.json intact", async () => {
  const dead = { type: "oauth", access: chatgptToken({ expS: Math.floor(Date.now() / 1000) - 10 }), refresh: "rt-unknown-to-the-issuer-123", expires: Date.now() - 10_000, accountId: "acc-test-123" };
  const s = await setup({ login: dead });
  const before = s.raw();
  const err = await s.creds().current().then(() => null, (e) => e);
  assert.ok(err, "current() must fail");
  assert.equal(err.code, "refresh-permanent");
  assert.match(err.message, /run `opencode auth login`/);
  assert.equal(s.raw(), before, "the stored login is not deleted or changed");
  assert.equal(fs.existsSync(`${s.authPath}.lock`), false);
  assert.equal(err.message.includes(dead.refresh), false);
  s.noLeaks(err.message, err.stack);
});

test("through the plugin's fetch: a dead login answers 401 with the sentence, a transient failure 503", async () => {
  const backend = await startMockBackend();
  cleanups.push(() => backend.close());
  const dead = await setup({ login: { type: "oauth", access: chatgptToken({ expS: 1 }), refresh: "rt-unknown-to-the-issuer-456", expires: 1 } });
  const res = await sendThroughPlugin(dead, backend);
  assert.equal(res.status, 401);
  const { error } = await res.json();
  assert.match(error.message, /^ChatGPT rejected the sign-in credentials .*run `opencode auth login`/);
  assert.equal(dead.iss.counts.refresh, 1, "a dead login is not retried as a network error: one token POST");
  const flaky = await setup({ issuerOpts: { refreshStatus: 503 } });
  const res2 = await sendThroughPlugin(flaky, backend);
  assert.equal(res2.status, 503);
  assert.match((await res2.json()).error.message, /try again/);
  assert.equal(flaky.iss.counts.refresh, 1, "a transient refresh failure goes back to OpenCode (503), which decides when to retry");
  assert.equal(backend.responses().length, 0, "nothing was sent without a usable login");
});

test("refresh_token_reused: re-reads the store and uses a login another writer saved meanwhile", async () => {
  const s = await setup();
  // A writer that ignores our lock (e.g. an older plugin) refreshes the same token first and saves it.
  const sneaky = async (url, init) => {
    const theirs = await fetch(url, init).then((r) => r.json());
    const all = JSON.parse(s.raw());
    all.openai = { ...all.openai, access: theirs.access_token, refresh: theirs.refresh_token, expires: Date.now() + 3600_000 };
    fs.writeFileSync(s.authPath, JSON.stringify(all), { mode: 0o600 });
    return fetch(url, init); // ours now uses a spent token: refresh_token_reused
  };
  const got = await s.creds({ fetch: sneaky }).current();
  assert.equal(s.iss.counts.refreshReused, 1);
  assert.equal(got.access, s.iss.latest().access, "the other writer's login is used");
  assert.equal(JSON.parse(s.raw()).openai.refresh, s.iss.latest().refresh);
});

test("refresh_token_reused with nothing newer stored fails (login kept)", async () => {
  const s = await setup();
  await fetch(`${s.iss.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_id: "app_EMoamEEZ73f0CkXaXp7hrann", grant_type: "refresh_token", refresh_token: s.stored.refresh }) });
  const before = s.raw();
  const err = await s.creds().current().then(() => null, (e) => e);
  assert.equal(err?.code, "refresh-reused");
  assert.match(err.message, /already used.*opencode auth login/);
  assert.equal(s.raw(), before);
  s.noLeaks(err.message);
});

test("a transient failure keeps the login and says to try again", async () => {
  const s = await setup({ issuerOpts: { refreshStatus: 503 } });
  const before = s.raw();
  const err = await s.creds().current().then(() => null, (e) => e);
  assert.equal(err?.code, "token-transient");
  assert.match(err.message, /try again/);
  assert.equal(s.raw(), before);
  s.noLeaks(err.message);
  // An unreachable issuer is transient too.
  const down = await s.creds({ cfg: { ...s.cfg, issuer: "http://127.0.0.1:9" } }).current().then(() => null, (e) => e);
  assert.equal(down?.code, "token-transient");
  assert.match(down.message, /could not reach the ChatGPT sign-in server/);
  assert.equal(s.raw(), before);
});

test("a lock left by a dead process or untouched for 30 s is broken; a live one is waited for", async () => {
  const s = await setup();
  const lock = `${s.authPath}.lock`;
  const gone = spawn(process.platform === "win32" ? "cmd" : "true");
  await new Promise((r) => gone.on("close", r));
  fs.writeFileSync(lock, JSON.stringify({ pid: gone.pid, host: os.hostname(), time: Date.now(), id: "dead" }));
  await s.creds().current();
  assert.equal(s.iss.counts.refresh, 1, "refreshed past the dead holder's lock");
  assert.equal(fs.existsSync(lock), false);

  fs.writeFileSync(s.authPath, JSON.stringify({ ...OTHER, openai: { ...s.iss.mintLogin(), expires: 1 } }), { mode: 0o600 });
  fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), time: Date.now() - 31_000, id: "old" }));
  const quiet = new Date(Date.now() - 31_000); // a live holder touches its lock; this one went quiet 31 s ago
  fs.utimesSync(lock, quiet, quiet);
  await s.creds().current();
  assert.equal(s.iss.counts.refresh, 2, "refreshed past an expired lock");

  fs.writeFileSync(s.authPath, JSON.stringify({ ...OTHER, openai: { ...s.iss.mintLogin(), expires: 1 } }), { mode: 0o600 });
  fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), time: Date.now(), id: "live" }));
  const pending = s.creds().current();
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(s.iss.counts.refresh, 2, "waits while a live process holds the lock");
  fs.unlinkSync(lock);
  await pending;
  assert.equal(s.iss.counts.refresh, 3);
  assertStoredNewest(s);
});

const CHILD = `
import fs from "node:fs";
import { createCredentials } from ${JSON.stringify(DIST_AUTH)};
const [authPath, issuer, out] = process.argv.slice(2);
const getAuth = async () => JSON.parse(fs.readFileSync(authPath, "utf8")).openai;
const creds = createCredentials({ getAuth, cfg: { issuer }, authPath });
process.stdout.write("ready\\n");
process.stdin.once("data", async () => {
  try {
    const got = await creds.current();
    fs.writeFileSync(out, JSON.stringify({ access: got.access }));
  } catch (err) {
    fs.writeFileSync(out, JSON.stringify({ error: err.message, code: err.code }));
  }
  process.exit(0);
});
`;

test("5 processes sharing one expired auth.json: exactly one refresh, all end with the newest token", async () => {
  const s = await setup({ issuerOpts: { refreshDelayMs: 300 } });
  const script = path.join(s.dir, "child.mjs");
  fs.writeFileSync(script, CHILD);
  const N = 5;
  const kids = Array.from({ length: N }, (_, i) => {
    const out = path.join(s.dir, `result-${i}.json`);
    const child = spawn("node", [script, s.authPath, s.iss.url, out], { stdio: ["pipe", "pipe", "pipe"] });
    const k = { child, out, stdout: "", stderr: "" };
    k.ready = new Promise((resolve) => child.stdout.on("data", (d) => ((k.stdout += d), k.stdout.includes("ready") && resolve())));
    child.stderr.on("data", (d) => (k.stderr += d));
    k.exited = new Promise((resolve) => child.on("close", resolve));
    return k;
  });
  await Promise.all(kids.map((k) => k.ready));
  for (const k of kids) k.child.stdin.write("go\n"); // all at once
  const codes = await Promise.all(kids.map((k) => k.exited));
  assert.deepEqual(codes, Array(N).fill(0));
  const results = kids.map((k) => JSON.parse(fs.readFileSync(k.out, "utf8")));
  assert.deepEqual(results.map((r) => r.error ?? null), Array(N).fill(null), "no process failed");
  assert.equal(s.iss.counts.refresh, 1, "exactly one refresh at the issuer");
  assert.equal(s.iss.counts.refreshReused, 0);
  for (const r of results) assert.equal(r.access, s.iss.latest().access, "every process ends with the newest token");
  assertStoredNewest(s);
  s.noLeaks(...kids.flatMap((k) => [k.stdout, k.stderr]));
});

test("an auth.json that does not parse is never rewritten: the refreshed login lives in memory, the user is told once", async () => {
  const s = await setup();
  // A hand edit left a trailing comma (or OpenCode is mid-rewrite): every other provider's key is in there.
  const broken = `${JSON.stringify({ ...OTHER, openai: s.stored }, null, 2).slice(0, -2)},\n}\n`;
  fs.writeFileSync(s.authPath, broken, { mode: 0o600 });
  const notices = [];
  // OpenCode read the login before the file broke; its client.auth.set would rewrite the whole file from what it parsed.
  const c = s.creds({ getAuth: async () => s.stored, notice: (m) => notices.push(m) });
  const got = await c.current();
  assert.equal(s.iss.counts.refresh, 1);
  assert.equal(got.access, s.iss.latest().access, "the new login is used");
  assert.equal(s.raw(), broken, "auth.json is left byte for byte as it was");
  assert.deepEqual(s.sets, [], "OpenCode's client.auth.set is not asked to rewrite a file it cannot parse");
  assert.deepEqual(fs.readdirSync(path.dirname(s.authPath)), ["auth.json"], "no temp or lock files left");
  // The next call uses the in-memory login (no second refresh), and the user is told once.
  assert.equal((await c.current()).access, s.iss.latest().access);
  assert.equal(s.iss.counts.refresh, 1);
  assert.equal(notices.length, 1, "said once");
  assert.match(notices[0], /auth\.json.*does not parse.*not saved.*fix/i);
  assert.ok(notices[0].includes(s.authPath));
  s.noLeaks(...notices);
});

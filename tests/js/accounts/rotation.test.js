// Rotation through the plugin's own fetch (dist/index.js loader), under Node and Bun, against the
// mock backend: a conversation whose account answers usage_limit_reached is sent again on the other
// account (one request per account), a toast says which account serves and when the first resets,
// the first cools down until its reset, the conversation stays on the new account, and when every
// account is exhausted the message names the earliest reset. A non-active account refreshes in its
// own file, never touching auth.json.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import plugin from "../../../dist/index.js";
import { joinLogin, readPool } from "../../../dist/accounts/pool.js";
import { shadowPath } from "../../../dist/accounts/rotation.js";
import { startMockBackend, textStream } from "../../helpers/mock-backend.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";
import { chatgptToken } from "../../helpers/jwt.js";

const saved = { ...process.env };
let root;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "occw-rot-"));
  process.env.XDG_DATA_HOME = path.join(root, "data");
  process.env.XDG_CACHE_HOME = path.join(root, "cache");
});
after(() => {
  for (const k of ["XDG_DATA_HOME", "XDG_CACHE_HOME"]) if (saved[k] === undefined) delete process.env[k];
  else process.env[k] = saved[k];
  fs.rmSync(root, { recursive: true, force: true });
});

const login = (accountId, expires = Date.now() + 3600_000) => ({ type: "oauth", access: chatgptToken({ accountId, email: `${accountId}@example.com` }), refresh: `rt-${accountId}`, expires, accountId });
const HOUR_S = 3600;

/** A fresh data dir: auth.json holds A (active), the pool holds A and B. */
async function setup(name, b = login("acc-b")) {
  process.env.XDG_DATA_HOME = path.join(root, name);
  const a = login("acc-a");
  const authPath = path.join(process.env.XDG_DATA_HOME, "opencode", "auth.json");
  fs.mkdirSync(path.dirname(authPath), { recursive: true });
  fs.writeFileSync(authPath, JSON.stringify({ openai: a }), { mode: 0o600 });
  const poolPath = path.join(process.env.XDG_DATA_HOME, "opencode-chatgpt-wasm", "accounts.json");
  await joinLogin(poolPath, a, { activate: true });
  await joinLogin(poolPath, b, { activate: false });
  return { a, b, authPath, poolPath };
}

function limited(resetsAtS) {
  return { status: 429, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: { type: "usage_limit_reached", message: "The usage limit has been reached", plan_type: "plus", resets_at: resetsAtS } }) };
}

async function pluginFetch(backend, toasts, extra = {}) {
  const input = { client: { tui: { showToast: async ({ body }) => void toasts.push(body.message) } }, directory: root, worktree: root };
  const hooks = await plugin.server(input, { endpoint: backend.endpoint, ...extra });
  const auth = JSON.parse(fs.readFileSync(path.join(process.env.XDG_DATA_HOME, "opencode", "auth.json"), "utf8")).openai;
  const opts = await hooks.auth.loader(async () => JSON.parse(fs.readFileSync(path.join(process.env.XDG_DATA_HOME, "opencode", "auth.json"), "utf8")).openai ?? auth);
  return (session) =>
    opts.fetch(`${backend.endpoint}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", session_id: session },
      body: JSON.stringify({ stream: true, model: "gpt-5.4", instructions: "x", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }, { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "gAAAA-from-account-a" }, { type: "message", role: "user", content: [{ type: "input_text", text: "again" }] }] }),
    });
}

test("a usage limit moves the turn to the other account, once, with a toast", async () => {
  const s = await setup("move");
  const resetsAt = Math.floor(Date.now() / 1000) + 2 * HOUR_S;
  const backend = await startMockBackend({
    handler: (req) => {
      if (!req.url.startsWith("/backend-api/codex/responses")) return undefined;
      return req.headers.authorization === `Bearer ${s.a.access}` ? limited(resetsAt) : textStream("served by B");
    },
  });
  try {
    const toasts = [];
    const send = await pluginFetch(backend, toasts);
    const res = await send("ses-1");
    assert.equal(res.status, 200);
    assert.match(await res.text(), /served by B/);
    assert.deepEqual(backend.responses().map((c) => c.headers.authorization), [`Bearer ${s.a.access}`, `Bearer ${s.b.access}`]);
    assert.deepEqual(backend.responses().map((c) => c.headers["chatgpt-account-id"]), ["acc-a", "acc-b"]);
    assert.equal(toasts.length, 1);
    // A's encrypted reasoning went to A, never to B (the backend refuses another account's).
    assert.match(backend.responses()[0].raw, /gAAAA-from-account-a/);
    assert.doesNotMatch(backend.responses()[1].raw, /gAAAA-from-account-a|"reasoning","id"/);
    assert.deepEqual(backend.responses()[1].json.input.map((i) => i.type), ["message", "message"]);
    assert.match(toasts[0], /^opencode-chatgpt-wasm: ChatGPT account #2 acc-b@example\.com now serves this conversation: #1 acc-a@example\.com reached its usage limit; it resets in (1 h 59 min|2 h 0 min)$/);
    const pool = (await readPool(s.poolPath)).pool;
    assert.deepEqual(pool.accounts[0].health, { failures: 0, coolingUntilMs: resetsAt * 1000, coolingReason: "usage_limit", dead: false, lastUsedMs: null });
    assert.equal(pool.active, "acc-a/user-test"); // the user's choice is unchanged; only this conversation moved
    // The conversation stays on B; a new one also goes to B while A cools down (no request on A).
    assert.equal((await send("ses-1")).status, 200);
    assert.equal((await send("ses-2")).status, 200);
    assert.deepEqual(backend.responses().slice(2).map((c) => c.headers["chatgpt-account-id"]), ["acc-b", "acc-b"]);
    assert.equal(toasts.length, 1); // ses-2 left the active account for the same reason: not said again
    assert.equal(JSON.parse(fs.readFileSync(s.authPath, "utf8")).openai.refresh, "rt-acc-a"); // auth.json untouched
  } finally {
    await backend.close();
  }
});

test("every account exhausted: the message names the earliest reset", async () => {
  const s = await setup("exhausted");
  const now = Math.floor(Date.now() / 1000);
  const backend = await startMockBackend({
    handler: (req) => {
      if (!req.url.startsWith("/backend-api/codex/responses")) return undefined;
      return req.headers.authorization === `Bearer ${s.a.access}` ? limited(now + 5 * HOUR_S) : limited(now + 3 * HOUR_S);
    },
  });
  try {
    const send = await pluginFetch(backend, []);
    const res = await send("ses-x");
    assert.equal(res.status, 402);
    const body = await res.json();
    assert.equal(body.error.code, "usage_limit_reached");
    assert.match(body.error.message, /^every ChatGPT account in the pool is unavailable; the earliest, #2 acc-b@example\.com, resets in (2 h 59 min|3 h 0 min)$/);
    assert.equal(backend.responses().length, 2); // one request per account, no more
  } finally {
    await backend.close();
  }
});

test("an expired non-active account refreshes in its own file, never in auth.json", async () => {
  const iss = await startMockIssuer({ accountId: "acc-b" });
  const s = await setup("refresh", { ...login("acc-b", Date.now() - 60_000), ...iss.mintLogin(), expires: Date.now() - 60_000 });
  const backend = await startMockBackend({
    handler: (req) => {
      if (!req.url.startsWith("/backend-api/codex/responses")) return undefined;
      return req.headers.authorization === `Bearer ${s.a.access}` ? limited(Math.floor(Date.now() / 1000) + HOUR_S) : textStream("B after refresh");
    },
  });
  try {
    const send = await pluginFetch(backend, [], { issuer: iss.url });
    const res = await send("ses-r");
    assert.equal(res.status, 200);
    assert.match(await res.text(), /B after refresh/);
    assert.equal(iss.counts.refresh, 1);
    const shadow = JSON.parse(fs.readFileSync(shadowPath(s.poolPath, "acc-b/user-test"), "utf8")).openai;
    assert.equal(shadow.refresh, iss.latest().refresh);
    assert.equal(backend.responses()[1].headers.authorization, `Bearer ${iss.latest().access}`);
    assert.equal(JSON.parse(fs.readFileSync(s.authPath, "utf8")).openai.refresh, "rt-acc-a");
    assert.equal(fs.statSync(shadowPath(s.poolPath, "acc-b/user-test")).mode & 0o777, 0o600);
  } finally {
    await backend.close();
    await iss.close();
  }
});

// Bounded reads in the built package (dist/) under Node and Bun: an error reply that stalls after its
// headers does not block the turn, an endless error body / token reply / model list is cut at its size
// limit (the server sees us stop reading), and the stall timer of a guarded stream stops once the consumer
// stops pulling. The servers here honour backpressure, so "bytes the client accepted" is measurable.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createCodexFetch } from "../../../dist/transport/fetch.js";
import { guardStream } from "../../../dist/transport/stream.js";
import { createModelsRefresher } from "../../../dist/request/models.js";
import { createCredentials } from "../../../dist/auth/credentials.js";
import { loadCore } from "../../../dist/core.js";
import { textStream } from "../../helpers/mock-backend.js";

const credentials = { current: async () => ({ access: "tok-limits", accountId: "acc-limits" }) };
const BODY = JSON.stringify({ stream: true, model: "gpt-5.4", input: [], instructions: "x" });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * A server answering every request with `status` and a body that either stalls after `first` (stall) or
 * never ends (endless, 64 KiB pieces written only as fast as the client reads). `sent()`: bytes the client took.
 */
async function server({ status, first = "", endless = false, headers = { "content-type": "application/json" } }) {
  let sent = 0;
  const srv = http.createServer(async (req, res) => {
    req.resume();
    res.writeHead(status, headers);
    res.write(first);
    sent += first.length;
    if (!endless) return; // stall: headers and `first`, then nothing, forever
    const piece = "x".repeat(64 * 1024);
    let open = true;
    res.on("close", () => (open = false));
    while (open) {
      if (!res.write(piece)) await new Promise((r) => (res.once("drain", r), res.once("close", r)));
      sent += piece.length;
    }
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => (srv.closeAllConnections(), srv.close(r))));
  return { url: `http://127.0.0.1:${srv.address().port}`, sent: () => sent };
}

test("a 5xx that stalls after its headers does not block the turn", { timeout: 60_000 }, async () => {
  const s = await server({ status: 503, first: '{"error":{"message":"overloa' });
  const f = createCodexFetch({ credentials, cfg: { endpoint: `${s.url}/backend-api/codex`, originator: "o", userAgent: "u", stallSeconds: 0.3 }, transform: async (t) => ({ body: t }) });
  const res = await f(`${s.url}/backend-api/codex/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
  assert.equal(res.status, 503);
  const { error } = await res.json();
  assert.equal(typeof error.message, "string");
});

test("an endless error body is read only up to its limit", { timeout: 60_000 }, async () => {
  const s = await server({ status: 400, first: '{"error":{"message":"', endless: true });
  const f = createCodexFetch({ credentials, cfg: { endpoint: `${s.url}/backend-api/codex`, originator: "o", userAgent: "u", stallSeconds: 30 }, transform: async (t) => ({ body: t }) });
  const res = await f(`${s.url}/backend-api/codex/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
  assert.equal(res.status, 400);
  assert.ok((await res.text()).length < 4096, "the message shown is short");
  await sleep(200);
  assert.ok(s.sent() < 16 * 1024 * 1024, `the client stopped reading (it took ${s.sent()} bytes)`);
});

test("an endless model list is cut at its limit: the catalog stays, the log says why", { timeout: 60_000 }, async () => {
  const s = await server({ status: 200, first: '{"models":[', endless: true });
  const core = await loadCore();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-limits-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const catalog = new core.Catalog();
  const before = catalog.models().map((m) => m.slug);
  const logs = [];
  await createModelsRefresher({ catalog, cfg: { endpoint: `${s.url}/backend-api/codex`, originator: "o", userAgent: "u" }, credentials, cachePath: path.join(dir, "models.json"), log: (l) => logs.push(l) }).refresh();
  assert.deepEqual(catalog.models().map((m) => m.slug), before);
  assert.match(logs.join("\n"), /could not refresh the model list \(.*larger than/);
  assert.ok(s.sent() < 64 * 1024 * 1024, `the client stopped reading (it took ${s.sent()} bytes)`);
  assert.deepEqual(fs.readdirSync(dir), [], "nothing cached");
});

test("an endless token reply is cut at its limit: the login is kept, the failure is not a network one", { timeout: 60_000 }, async () => {
  const s = await server({ status: 200, first: '{"access_token":"', endless: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-limits-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const authPath = path.join(dir, "auth.json");
  const login = { type: "oauth", access: "a", refresh: "rt-limits", expires: 1 };
  fs.writeFileSync(authPath, JSON.stringify({ openai: login }), { mode: 0o600 });
  const err = await createCredentials({ getAuth: async () => login, cfg: { issuer: s.url }, authPath }).current().then(() => null, (e) => e);
  assert.equal(err?.code, "token-bad-response");
  assert.equal(JSON.parse(fs.readFileSync(authPath, "utf8")).openai.refresh, "rt-limits");
  assert.ok(s.sent() < 16 * 1024 * 1024, `the client stopped reading (it took ${s.sent()} bytes)`);
});

test("the stall timer stops re-arming when the consumer stops pulling", async () => {
  const full = textStream("one two three four five six seven eight nine ten");
  const upstream = new Response(new ReadableStream({
    start(c) {
      for (const piece of full.match(/[\s\S]{1,40}/g)) c.enqueue(new TextEncoder().encode(piece));
    }, // never closed: the backend keeps the stream open
  }), { status: 200, headers: { "content-type": "text/event-stream" } });
  const realSetTimeout = globalThis.setTimeout;
  let watches = 0;
  globalThis.setTimeout = (fn, ms, ...rest) => (fn?.name === "watch" && watches++, realSetTimeout(fn, ms, ...rest));
  cleanups.push(() => (globalThis.setTimeout = realSetTimeout));
  try {
    const guarded = await guardStream(upstream, { stallSeconds: 0.02 }); // 20 ms
    const reader = guarded.body.getReader();
    await reader.read(); // one chunk, then the consumer stops pulling (it never cancels either)
    await sleep(200);
    const settled = watches;
    await sleep(400); // 20 stall periods with no read pending
    assert.ok(watches - settled <= 1, `the timer re-armed ${watches - settled} times while nobody pulled`);
    reader.releaseLock();
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
});

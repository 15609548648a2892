// Where the ChatGPT login may go (dist/transport/guard.js and its callers), under Node and Bun: the bearer only
// to the configured endpoint's origin and path, never along a redirect (POST /responses, GET /models, the token
// endpoint), and plain http: only to a loopback host. Two servers on 127.0.0.1: the mock backend and a
// "stranger" that records whatever reaches it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createCodexFetch } from "../../../dist/transport/fetch.js";
import { credentialUrl } from "../../../dist/transport/guard.js";
import { createModelsRefresher } from "../../../dist/request/models.js";
import { createCredentials } from "../../../dist/auth/credentials.js";
import { loadCore } from "../../../dist/core.js";
import { startMockBackend } from "../../helpers/mock-backend.js";

const TOKEN = "tok-guard-secret-1234567890";
const credentials = { current: async () => ({ access: TOKEN, accountId: "acc-guard" }) };
const cfgFor = (endpoint) => ({ endpoint, originator: "opencode", userAgent: "ua-test/1", stallSeconds: 300 });
const BODY = JSON.stringify({ stream: true, model: "gpt-5.4", input: [], instructions: "x" });
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A server that records every request (method, url, headers). */
async function stranger() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, bearers: () => seen.filter((r) => String(r.headers.authorization ?? "").includes(TOKEN)).length };
}

async function backendWith(handler) {
  const b = await startMockBackend({ handler });
  cleanups.push(() => b.close());
  return b;
}

test("credentialUrl: only the endpoint's origin and path; http: only for loopback", () => {
  const base = "https://chatgpt.com/backend-api/codex";
  assert.equal(credentialUrl(`${base}/responses`, base), `${base}/responses`);
  assert.equal(credentialUrl(`${base}/models?client_version=1`, base), `${base}/models?client_version=1`);
  for (const bad of [
    "https://chatgpt.com/backend-api/codexevil/responses",
    "https://chatgpt.com/other",
    "https://chatgpt.com.evil.example/backend-api/codex/responses",
    "http://chatgpt.com/backend-api/codex/responses",
    "https://user:pw@chatgpt.com/backend-api/codex/responses",
    "https://chatgpt.com/backend-api/codex/../../other",
    "not a url",
  ]) {
    assert.throws(() => credentialUrl(bad, base), (e) => e.code === "credential-target" && !e.message.includes(TOKEN), bad);
  }
  for (const local of ["http://127.0.0.1:8080/x", "http://localhost:1/x", "http://[::1]:9/x", "http://127.5.6.7/x"]) {
    assert.equal(credentialUrl(`${local}/responses`, local), `${local}/responses`);
  }
  for (const remote of ["http://chatgpt.com/backend-api/codex", "http://10.0.0.1/x", "http://localhost.evil.example/x", "ftp://127.0.0.1/x"]) {
    assert.throws(() => credentialUrl(`${remote}/responses`, remote), (e) => e.code === "credential-target", remote);
  }
});

test("the plugin's fetch never sends the bearer to another origin or another path", async () => {
  const other = await stranger();
  const backend = await backendWith();
  const f = createCodexFetch({ credentials, cfg: cfgFor(backend.endpoint) });
  for (const url of [`${other.url}/steal`, `${backend.url}/elsewhere`, `${backend.endpoint}x/models`]) {
    const res = await f(url, { method: "GET" });
    assert.equal(res.status, 400, url);
    const { error } = await res.json();
    assert.match(error.message, /not sent/);
    assert.equal(error.message.includes(TOKEN), false);
  }
  assert.equal(other.seen.length, 0, "nothing reached the other origin");
  assert.equal(backend.requests.filter((r) => String(r.headers.authorization ?? "").includes(TOKEN)).length, 0, "no bearer outside the endpoint path");
});

test("a redirect from /responses is not followed with the bearer (same origin, other path; or another origin)", async () => {
  const other = await stranger();
  for (const where of ["/elsewhere/steal", "OTHER"]) {
    const backend = await backendWith((req) => (req.url.includes("/responses") ? { status: 307, headers: { location: where === "OTHER" ? `${other.url}/steal` : where } } : undefined));
    const f = createCodexFetch({ credentials, cfg: cfgFor(backend.endpoint), transform: async (t) => ({ body: t }) });
    const res = await f(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
    assert.equal(res.status, 502);
    assert.match((await res.json()).error.message, /redirect .*never sent along a redirect/);
    assert.equal(backend.responses().length, 1, "one request, not retried and not re-sent");
    assert.deepEqual(backend.requests.filter((r) => !r.url.startsWith("/backend-api/codex/")).map((r) => r.url), [], "the redirect target on the same origin was not requested");
  }
  assert.equal(other.seen.length, 0);
});

test("GET /models is not redirected with the bearer", async () => {
  const backend = await backendWith((req) => (req.url.includes("/models") ? { status: 302, headers: { location: "/elsewhere/models" } } : undefined));
  const core = await loadCore();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-guard-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const logs = [];
  const r = createModelsRefresher({ catalog: new core.Catalog(), cfg: cfgFor(backend.endpoint), credentials, cachePath: path.join(dir, "models.json"), log: (l) => logs.push(l) });
  await r.refresh();
  assert.deepEqual(backend.requests.map((q) => q.url.split("?")[0]), ["/backend-api/codex/models"]);
  assert.match(logs.join("\n"), /could not refresh the model list/);
});

test("the token endpoint's redirect is not followed with the refresh token; an http: issuer off loopback is refused", async () => {
  const other = await stranger();
  const issuer = http.createServer((req, res) => {
    req.resume();
    res.writeHead(307, { location: `${other.url}/oauth/token` }).end();
  });
  await new Promise((r) => issuer.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => issuer.close(r)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-guard-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const login = { type: "oauth", access: "a", refresh: "rt-guard-secret-999", expires: 1, accountId: "acc" };
  const authPath = path.join(dir, "auth.json");
  fs.writeFileSync(authPath, JSON.stringify({ openai: login }), { mode: 0o600 });
  const creds = createCredentials({ getAuth: async () => login, cfg: { issuer: `http://127.0.0.1:${issuer.address().port}` }, authPath });
  const err = await creds.current().then(() => null, (e) => e);
  assert.equal(err?.code, "token-transient");
  assert.equal(other.seen.length, 0, "the refresh token did not follow the redirect");

  let sent = 0;
  const remote = createCredentials({ getAuth: async () => login, cfg: { issuer: "http://auth.example.invalid" }, authPath, fetch: async () => (sent++, new Response("{}")) });
  const refused = await remote.current().then(() => null, (e) => e);
  assert.equal(sent, 0, "nothing sent to a plain-http issuer off loopback");
  assert.match(refused?.message ?? "", /https/);
  assert.equal(JSON.parse(fs.readFileSync(authPath, "utf8")).openai.refresh, login.refresh, "the login is kept");
});

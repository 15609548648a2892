// The live model list refresh of the built package (dist/), under Node and Bun: auth headers, ETag reuse
// (304), the 5 min cache, a bad document or a dead network keeping the catalog, the cache file for offline
// starts, and the plugin loader starting a refresh in the background.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import plugin from "../../../dist/index.js";
import { loadCore } from "../../../dist/core.js";
import { createCodexFetch } from "../../../dist/transport/fetch.js";
import { createModelsRefresher, MODELS_TTL_MS } from "../../../dist/request/models.js";
import { startMockBackend, MOCK_MODELS, MOCK_MODELS_ETAG, LIVE_MODELS } from "../../helpers/mock-backend.js";
import { chatgptToken } from "../../helpers/jwt.js";

const core = await loadCore();
const BUNDLED = new core.Catalog().models().map((m) => m.slug);
// The live list laid over the bundled snapshot: the live entries and the bundled ones it left out, by priority.
const LIVE = ["gpt-6-astra", "gpt-5.6-sol", "gpt-5.5", "gpt-5.6-terra", "gpt-5.4", "gpt-5.6-luna", "gpt-5.4-mini"];
const OFFERED = MOCK_MODELS.models.map((m) => m.slug);
const cfgFor = (endpoint) => ({ endpoint, originator: "opencode", userAgent: "ua-test/1", clientVersion: undefined });
const credentials = { current: async () => ({ access: "tok-models", accountId: "acc-models" }) };
const tmpDirs = [];
after(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmpDir = (prefix) => (tmpDirs.push(fs.mkdtempSync(path.join(os.tmpdir(), prefix))), tmpDirs.at(-1));
const tmpCache = () => path.join(tmpDir("occw-models-"), "sub", "models.json");

function setup(endpoint, { cachePath = tmpCache(), fetch: fetchImpl } = {}) {
  let t = 1_000_000;
  const catalog = new core.Catalog();
  const refresher = createModelsRefresher({ catalog, cfg: cfgFor(endpoint), credentials, cachePath, now: () => t, ...(fetchImpl && { fetch: fetchImpl }) });
  return { catalog, refresher, cachePath, slugs: () => catalog.models().map((m) => m.slug), advance: (ms) => (t += ms) };
}

test("refresh merges the live list, then reuses its ETag (304) once the 5 min cache expires", async () => {
  const backend = await startMockBackend();
  try {
    const s = setup(backend.endpoint);
    assert.deepEqual(s.slugs(), BUNDLED);
    await s.refresher.refresh();
    assert.deepEqual(s.slugs(), LIVE);
    const [first] = backend.models();
    assert.deepEqual(s.catalog.usable(), OFFERED, "what the live list offered this login");
    assert.equal(first.url, `/backend-api/codex/models?client_version=${core.clientVersion()}`);
    assert.equal(first.headers.version, core.clientVersion());
    assert.equal(first.headers.authorization, "Bearer tok-models");
    assert.equal(first.headers["chatgpt-account-id"], "acc-models");
    assert.equal(first.headers.originator, "opencode");
    assert.equal(first.headers["user-agent"], "ua-test/1");
    assert.equal(first.headers["if-none-match"], undefined);
    const cached = JSON.parse(fs.readFileSync(s.cachePath, "utf8"));
    assert.deepEqual({ ...cached, body: JSON.parse(cached.body) }, { endpoint: backend.endpoint, clientVersion: core.clientVersion(), etag: MOCK_MODELS_ETAG, fetchedAt: 1_000_000, body: MOCK_MODELS });

    s.advance(MODELS_TTL_MS - 1);
    await s.refresher.refresh();
    assert.equal(backend.models().length, 1, "no request within the cache time");

    s.advance(2);
    await s.refresher.refresh();
    assert.equal(backend.models().length, 2);
    assert.equal(backend.models()[1].headers["if-none-match"], MOCK_MODELS_ETAG);
    assert.deepEqual(s.slugs(), LIVE, "304 keeps the merged list");
  } finally {
    await backend.close();
  }
});

test("concurrent refreshes share one request", async () => {
  const backend = await startMockBackend();
  try {
    const s = setup(backend.endpoint);
    await Promise.all([s.refresher.refresh(), s.refresher.refresh(), s.refresher.refresh()]);
    assert.equal(backend.models().length, 1);
  } finally {
    await backend.close();
  }
});

test("a bad document or an error status keeps the catalog it had", async () => {
  const bodies = [{ body: JSON.stringify(MOCK_MODELS), headers: { etag: '"good"' } }, { body: "<html>not json" }, { body: '{"models": []}' }, { body: '{"data": 1}' }, { status: 500, body: "{}" }];
  let n = 0;
  const backend = await startMockBackend({ handler: () => ({ status: 200, headers: { "content-type": "application/json" }, ...bodies[n++] }) });
  try {
    const s = setup(backend.endpoint);
    await s.refresher.refresh();
    assert.deepEqual(s.slugs(), LIVE);
    for (let i = 1; i < bodies.length; i += 1) {
      s.advance(MODELS_TTL_MS + 1);
      await s.refresher.refresh();
      assert.equal(backend.models().length, i + 1);
      assert.deepEqual(s.slugs(), LIVE, `after bad answer ${i}`);
    }
    assert.equal(JSON.parse(fs.readFileSync(s.cachePath, "utf8")).etag, '"good"', "the cache file keeps the last good list");
  } finally {
    await backend.close();
  }
});

test("network down: the bundled catalog stays, refresh resolves; the cache file serves an offline start", async () => {
  const backend = await startMockBackend();
  const endpoint = backend.endpoint;
  const online = setup(endpoint);
  await online.refresher.refresh();
  await backend.close();

  const offline = setup(endpoint);
  await offline.refresher.refresh(); // connection refused
  assert.deepEqual(offline.slugs(), BUNDLED);
  const thrown = setup(endpoint, { fetch: async () => { throw new TypeError("fetch failed"); } });
  await thrown.refresher.refresh();
  assert.deepEqual(thrown.slugs(), BUNDLED);

  const restarted = setup(endpoint, { cachePath: online.cachePath });
  await restarted.refresher.refresh();
  assert.deepEqual(restarted.slugs(), LIVE, "the last good list from the cache file");
  const otherEndpoint = setup("http://127.0.0.1:9/backend-api/codex", { cachePath: online.cachePath });
  await otherEndpoint.refresher.refresh();
  assert.deepEqual(otherEndpoint.slugs(), BUNDLED, "a cache file for another endpoint is ignored");
});

test("the cache file is used only by the client version that fetched it (the live list depends on it)", async () => {
  const backend = await startMockBackend();
  const online = setup(backend.endpoint);
  await online.refresher.refresh();
  await backend.close();
  const asked = JSON.parse(fs.readFileSync(online.cachePath, "utf8")).clientVersion;
  assert.equal(asked, core.clientVersion());
  const offline = (whole) => {
    const catalog = new core.Catalog();
    const refresher = createModelsRefresher({ catalog, cfg: { ...cfgFor(backend.endpoint), clientVersion: whole, clientVersionWhole: whole }, credentials, cachePath: online.cachePath });
    return refresher.refresh().then(() => catalog.usable());
  };
  assert.deepEqual(await offline(asked), OFFERED, "same version: the cached list");
  assert.deepEqual(await offline("0.99.0"), BUNDLED, "another version: not used");
  // A file from before versions were recorded (the old plugin asked as 0.99.0) is not used either.
  const legacy = JSON.parse(fs.readFileSync(online.cachePath, "utf8"));
  delete legacy.clientVersion;
  fs.writeFileSync(online.cachePath, JSON.stringify(legacy));
  assert.deepEqual(await offline(asked), BUNDLED);
});

// OpenCode 1.18.33 itself refuses `-m openai/gpt-5.3-codex` (a name it does not list) before any plugin
// fetch, so the remap of retired names is checked here, through the real fetch and the process catalog.
test("a retired model name reaches the backend as its live successor, with the notice shown once", async () => {
  const backend = await startMockBackend();
  try {
    const notices = [];
    const cfg = { ...cfgFor(backend.endpoint), defaultModel: undefined, stallSeconds: 300 };
    const codexFetch = createCodexFetch({ credentials, cfg, notice: (n) => notices.push(n) });
    const body = JSON.stringify({ stream: true, model: "gpt-5.3-codex", instructions: "x", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }] });
    for (let i = 0; i < 2; i += 1) {
      const res = await codexFetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.equal(res.status, 200);
      await res.text();
    }
    assert.deepEqual(backend.responses().map((r) => r.json.model), ["gpt-5.4", "gpt-5.4"]);
    assert.deepEqual(notices, ["model `gpt-5.3-codex` was retired for ChatGPT logins on 2026-06-02; using gpt-5.4"]);
  } finally {
    await backend.close();
  }
});

test("the plugin loader starts a refresh in the background and the fetch resolves names against it", async () => {
  const backend = await startMockBackend();
  const cacheHome = tmpDir("occw-models-xdg-");
  const prev = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cacheHome;
  try {
    const access = chatgptToken({ accountId: "acc-loader" });
    const hooks = await plugin.server({ client: {} }, { endpoint: backend.endpoint });
    const opts = await hooks.auth.loader(async () => ({ type: "oauth", access, refresh: "r", expires: Date.now() + 3600_000 }));
    for (let i = 0; i < 100 && backend.models().length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    assert.equal(backend.models().length, 1);
    assert.equal(backend.models()[0].headers.authorization, `Bearer ${access}`);
    for (let i = 0; i < 100 && !fs.existsSync(path.join(cacheHome, "opencode-chatgpt-wasm", "models.json")); i += 1) await new Promise((r) => setTimeout(r, 20));
    const body = JSON.stringify({ stream: true, model: "", instructions: "x", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }] });
    const res = await opts.fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(res.status, 200);
    await res.text();
    assert.equal(backend.responses()[0].json.model, "gpt-6-astra", "no model named: the live list's top model");
    // One client identity for the list, the `version` header and the User-Agent's version token.
    const v = core.clientVersion();
    assert.equal(backend.models()[0].url, `/backend-api/codex/models?client_version=${v}`);
    for (const r of [backend.models()[0], backend.responses()[0]]) {
      assert.equal(r.headers.version, v);
      assert.match(r.headers["user-agent"], new RegExp(`^opencode/${v.replace(/\./g, "\\.")} \\(\\S+ \\S+; \\S+\\) opencode-chatgpt-wasm/`));
    }
  } finally {
    if (prev === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = prev;
    await backend.close();
  }
});

test("a 401 on the model list refreshes the login once and retries with the new token", async () => {
  let token = "tok-old";
  let refreshes = 0;
  const creds = { current: async () => ({ access: token, accountId: "acc-models" }), onUnauthorized: async () => ((refreshes += 1), (token = "tok-new"), true) };
  const seen = [];
  const fetchImpl = async (url, init) => {
    seen.push(init.headers.authorization);
    if (init.headers.authorization !== "Bearer tok-new") return new Response('{"detail":"token expired"}', { status: 401 });
    return new Response(JSON.stringify(MOCK_MODELS), { status: 200, headers: { etag: MOCK_MODELS_ETAG } });
  };
  const catalog = new core.Catalog();
  const refresher = createModelsRefresher({ catalog, cfg: cfgFor("http://127.0.0.1:9/backend-api/codex"), credentials: creds, cachePath: tmpCache(), fetch: fetchImpl });
  await refresher.refresh();
  assert.deepEqual(seen, ["Bearer tok-old", "Bearer tok-new"]);
  assert.equal(refreshes, 1);
  assert.deepEqual(catalog.models().map((m) => m.slug), LIVE);

  // A refresh that cannot help (false) means no retry, and the bundled list stays.
  const stuck = { current: async () => ({ access: "tok-dead" }), onUnauthorized: async () => false };
  const calls = [];
  const other = new core.Catalog();
  const r2 = createModelsRefresher({ catalog: other, cfg: cfgFor("http://127.0.0.1:9/backend-api/codex"), credentials: stuck, cachePath: tmpCache(), fetch: async (u, i) => (calls.push(i.headers.authorization), new Response("{}", { status: 401 })) });
  await r2.refresh();
  assert.equal(calls.length, 1);
  assert.deepEqual(other.models().map((m) => m.slug), BUNDLED);
});

test("the version we ask with decides what the live list offers; the bundled models stay (never a silent downgrade)", async () => {
  const backend = await startMockBackend({ models: LIVE_MODELS });
  try {
    const old = new core.Catalog();
    await createModelsRefresher({ catalog: old, cfg: { ...cfgFor(backend.endpoint), clientVersion: "0.99.0-beta.1", clientVersionWhole: "0.99.0" }, credentials, cachePath: null }).refresh();
    assert.equal(backend.models()[0].url, "/backend-api/codex/models?client_version=0.99.0");
    assert.equal(backend.models()[0].headers.version, "0.99.0-beta.1");
    assert.deepEqual(old.usable(), ["gpt-5.4", "gpt-5.4-mini"], "the live service leaves out models above 0.99.0");
    assert.ok(old.models().some((m) => m.slug === "gpt-5.6-sol"), "gpt-5.6-sol is still in the catalog");
    assert.equal(old.resolve("openai/gpt-5.6-sol").model, "gpt-5.6-sol", "and is sent as named, not downgraded");

    const current = new core.Catalog();
    await createModelsRefresher({ catalog: current, cfg: cfgFor(backend.endpoint), credentials, cachePath: null }).refresh();
    assert.deepEqual(current.usable(), LIVE_MODELS.models.map((m) => m.slug));
  } finally {
    await backend.close();
  }
});

test("an X-Models-Etag that differs from ours refreshes at once; the same one does not", async () => {
  const backend = await startMockBackend();
  try {
    const s = setup(backend.endpoint);
    await s.refresher.refresh();
    assert.equal(s.refresher.etag(), MOCK_MODELS_ETAG);
    await s.refresher.sawEtag(MOCK_MODELS_ETAG);
    await s.refresher.sawEtag(undefined);
    assert.equal(backend.models().length, 1, "same ETag: the cached list stands");
    backend.setModels(LIVE_MODELS, '"mock-models-2"');
    await s.refresher.sawEtag('"mock-models-2"');
    assert.equal(backend.models().length, 2, "a new ETag: fetched within the TTL");
    assert.equal(backend.models()[1].headers["if-none-match"], MOCK_MODELS_ETAG);
    assert.equal(s.refresher.etag(), '"mock-models-2"');
    assert.deepEqual(s.catalog.usable(), LIVE_MODELS.models.map((m) => m.slug));
  } finally {
    await backend.close();
  }
});

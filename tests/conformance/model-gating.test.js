// Conformance with the reference client on model gating and the model list (codex-rs
// codex-api/src/endpoint/models.rs tests, models-manager, core/tests/suite/models_cache_ttl.rs), against
// the mock backend as strict as the live service: the same input, the same expectation, in our words.
// One deliberate difference (the live list is laid over the bundled one, not swapped in) is tested as
// such and explained in docs/protocol-notes.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCore } from "../../dist/core.js";
import { resolveConfig, withClientIdentity } from "../../dist/config.js";
import { createCodexFetch } from "../../dist/transport/fetch.js";
import { createModelsRefresher, startModelsRefresh, getCatalog } from "../../dist/request/models.js";
import { startMockBackend, LIVE_MODELS, MOCK_MODELS } from "../helpers/mock-backend.js";

const core = await loadCore();
const credentials = { current: async () => ({ access: "tok", accountId: "acc" }) };
const identity = (endpoint, over = {}) => ({ ...withClientIdentity(resolveConfig({ endpoint, ...over }, {}), core), stallSeconds: 300 });
const offered = (doc) => doc.models.map((m) => m.slug);

test("appends_client_version_query: GET {base}/models?client_version=<MAJOR.MINOR.PATCH> (client_version_to_whole drops -alpha.N)", async () => {
  const backend = await startMockBackend({ models: LIVE_MODELS });
  try {
    await createModelsRefresher({ catalog: new core.Catalog(), cfg: identity(backend.endpoint, { clientVersion: "1.2.3-alpha.4" }), credentials, cachePath: null }).refresh();
    const [r] = backend.models();
    assert.equal(r.url, "/backend-api/codex/models?client_version=1.2.3");
    assert.equal(r.headers.version, "1.2.3-alpha.4");
    assert.ok(r.headers["user-agent"].startsWith("opencode/1.2.3-alpha.4 ("));
  } finally {
    await backend.close();
  }
});

test("the service filters the list by client_version: ours gets every model, 0.99.0 only those at or below it", async () => {
  const backend = await startMockBackend({ models: LIVE_MODELS });
  try {
    const ours = new core.Catalog();
    await createModelsRefresher({ catalog: ours, cfg: identity(backend.endpoint), credentials, cachePath: null }).refresh();
    assert.deepEqual(ours.usable(), offered(LIVE_MODELS));
    const old = new core.Catalog();
    await createModelsRefresher({ catalog: old, cfg: identity(backend.endpoint, { clientVersion: "0.99.0" }), credentials, cachePath: null }).refresh();
    assert.deepEqual(old.usable(), ["gpt-5.4", "gpt-5.4-mini"]);
  } finally {
    await backend.close();
  }
});

test("list_models_includes_etag: the ETag of the list is kept and sent back (If-None-Match → 304 keeps the list)", async () => {
  const backend = await startMockBackend();
  let t = 0;
  try {
    const catalog = new core.Catalog();
    const r = createModelsRefresher({ catalog, cfg: identity(backend.endpoint), credentials, cachePath: null, now: () => t });
    await r.refresh();
    t += 10 * 60_000;
    await r.refresh();
    assert.equal(backend.models()[1].headers["if-none-match"], r.etag());
    assert.deepEqual(catalog.usable(), offered(MOCK_MODELS));
  } finally {
    await backend.close();
  }
});

test("renews_cache_ttl_on_matching_models_etag / refresh_if_new_etag: a /responses X-Models-Etag equal to ours does nothing, a new one refetches", async () => {
  const backend = await startMockBackend({ modelsEtagOnResponses: true });
  try {
    const cfg = identity(backend.endpoint);
    const refresh = startModelsRefresh({ cfg, credentials });
    await refresh();
    const codexFetch = createCodexFetch({ credentials, cfg, refreshModels: refresh });
    const turn = async () => {
      const res = await codexFetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ stream: true, model: "gpt-5.4", input: [] }) });
      assert.equal(res.status, 200);
      await res.text();
      for (let i = 0; i < 50; i += 1) await new Promise((r) => setImmediate(r));
    };
    await turn();
    assert.equal(backend.models().length, 1, "same ETag: no refetch");
    backend.setModels(LIVE_MODELS, '"catalog-2"');
    await turn();
    for (let i = 0; i < 100 && backend.models().length < 2; i += 1) await new Promise((r) => setTimeout(r, 10));
    assert.equal(backend.models().length, 2, "a new ETag on the reply: refetched within the TTL");
    for (let i = 0; i < 100 && (await getCatalog()).usable().length !== LIVE_MODELS.models.length; i += 1) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual((await getCatalog()).usable(), offered(LIVE_MODELS));
  } finally {
    await backend.close();
  }
});

test("refresh_available_models_uses_cached_remote_only_catalog_for_chatgpt_auth: we differ on purpose, the live list is laid over the bundled one", async () => {
  const catalog = new core.Catalog();
  catalog.mergeRemote(JSON.stringify({ models: [{ slug: "gpt-6-astra", priority: 1, visibility: "list" }] }));
  // codex-rs would now know only gpt-6-astra; we keep the bundled models (not offered, still sent as named).
  assert.deepEqual(catalog.usable(), ["gpt-6-astra"]);
  assert.ok(catalog.models().length > 1);
  assert.deepEqual(catalog.resolve("gpt-5.5"), { model: "gpt-5.5", effort: null, fast: false, notice: null });
  // A name nobody knows is sent as named, never swapped for another model.
  assert.deepEqual(catalog.resolve("openai/gpt-7"), { model: "gpt-7", effort: null, fast: false, notice: null });
});

test("the service refuses a model above the client's version (live 400 wording); our version passes", async () => {
  const backend = await startMockBackend({ models: LIVE_MODELS });
  try {
    const body = JSON.stringify({ stream: true, model: "gpt-6-astra", input: [] });
    const ok = await createCodexFetch({ credentials, cfg: identity(backend.endpoint) })(`${backend.endpoint}/responses`, { method: "POST", body });
    assert.equal(ok.status, 200);
    await ok.text();
    const refused = await createCodexFetch({ credentials, cfg: identity(backend.endpoint, { clientVersion: "0.152.9" }) })(`${backend.endpoint}/responses`, { method: "POST", body });
    assert.equal(refused.status, 400);
    assert.match((await refused.json()).error.message, /model gpt-6-astra requires a newer Codex client than the version this plugin speaks as \(0\.152\.9\)/);
  } finally {
    await backend.close();
  }
});

// The model cache file of the built package (dist/request/models.js) holds account data (which models this
// login may use): 0600 in a 0700 directory, written through an exclusive, randomly named temp file (a planted
// file or link at a predictable name is never followed), and nothing left beside it. Node and Bun.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadCore } from "../../../dist/core.js";
import { createModelsRefresher } from "../../../dist/request/models.js";
import { startMockBackend } from "../../helpers/mock-backend.js";

const core = await loadCore();
const credentials = { current: async () => ({ access: "tok-cache", accountId: "acc-cache" }) };
const dirs = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test("the models cache is 0600 in a 0700 directory, written exclusively; a planted link is not followed", async () => {
  const backend = await startMockBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "occw-models-cache-"));
  dirs.push(root);
  try {
    const cachePath = path.join(root, "cache", "opencode-chatgpt-wasm", "models.json");
    // Another local user plants links at every name the old writer would use (pid-based temp names).
    const victim = path.join(root, "victim.txt");
    fs.writeFileSync(victim, "do not touch\n");
    fs.mkdirSync(path.dirname(cachePath), { recursive: true, mode: 0o777 });
    fs.chmodSync(path.dirname(cachePath), 0o777);
    fs.symlinkSync(victim, `${cachePath}.${process.pid}.tmp`);
    const cfg = { endpoint: backend.endpoint, originator: "opencode", userAgent: "ua-test/1" };
    await createModelsRefresher({ catalog: new core.Catalog(), cfg, credentials, cachePath }).refresh();
    assert.equal(fs.readFileSync(victim, "utf8"), "do not touch\n", "the planted link was not followed");
    assert.equal(fs.statSync(cachePath).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(cachePath)).mode & 0o777, 0o700, "our cache dir is tightened to 0700");
    assert.equal(fs.lstatSync(cachePath).isFile(), true);
    assert.equal(JSON.parse(fs.readFileSync(cachePath, "utf8")).endpoint, backend.endpoint);
    assert.deepEqual(fs.readdirSync(path.dirname(cachePath)).sort(), ["models.json", `models.json.${process.pid}.tmp`], "no temp file of ours left");

    // A fresh cache directory is created 0700.
    const fresh = path.join(root, "fresh", "opencode-chatgpt-wasm", "models.json");
    await createModelsRefresher({ catalog: new core.Catalog(), cfg, credentials, cachePath: fresh }).refresh();
    assert.equal(fs.statSync(path.dirname(fresh)).mode & 0o777, 0o700);
    assert.equal(fs.statSync(fresh).mode & 0o777, 0o600);
  } finally {
    await backend.close();
  }
});

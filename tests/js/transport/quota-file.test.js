// The quota snapshot file of the built package (dist/transport/quota.js) holds account data (this login's
// usage): 0600 in a 0700 directory, written through an exclusive, randomly named temp file (a link planted at
// a predictable name is never followed), nothing left beside it. Node and Bun.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createQuota, readQuotaFile } from "../../../dist/transport/quota.js";

const dirs = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

test("the quota file is 0600 in a 0700 dir, written exclusively; a planted link is not followed", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "occw-quota-"));
  dirs.push(root);
  const file = path.join(root, "cache", "opencode-chatgpt-wasm", "quota.json");
  const victim = path.join(root, "victim.txt");
  fs.writeFileSync(victim, "do not touch\n");
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o777 });
  fs.chmodSync(path.dirname(file), 0o777);
  fs.symlinkSync(victim, `${file}.${process.pid}.tmp`);
  const quota = createQuota({ file, log: () => {} });
  await quota.observe(new Headers({ "x-codex-primary-used-percent": "12", "x-codex-primary-window-minutes": "300" }));
  assert.equal(fs.readFileSync(victim, "utf8"), "do not touch\n", "the planted link was not followed");
  assert.equal(readQuotaFile(file)?.snapshot?.primary?.usedPercent, 12);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ["quota.json", `quota.json.${process.pid}.tmp`]);
});

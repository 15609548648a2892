// The plugin says plainly when the OpenCode running it is older than its engines.opencode: the real OpenCode runs a
// copy of the package whose minimum is raised above it (99.0.0), and its log carries our warning with both versions
// and the upgrade command, while the turn itself still goes through.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { startMockBackend } from "../helpers/mock-backend.js";
import { makeSandbox, OPENCODE, runProcess } from "../helpers/sandbox.js";
import { stageVersion } from "../helpers/registry.js";
import { chatgptToken } from "../helpers/jwt.js";

let backend;
let tmp;
before(async () => {
  backend = await startMockBackend({ defaultText: "Old host, still answering." });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "occw-host-e2e-"));
});
after(async () => {
  await backend?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("an OpenCode older than engines.opencode gets a plain warning in its log; the turn still works", { timeout: 300_000 }, async () => {
  const version = /(\d+\.\d+\.\d+)/.exec((await runProcess(OPENCODE, ["--version"], { cwd: tmp, env: { PATH: process.env.PATH, HOME: tmp } })).stdout)?.[1];
  assert.ok(version, "opencode --version printed no version");
  const staged = stageVersion(tmp, "0.1.0");
  const manifestPath = path.join(staged, "package.json");
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  fs.writeFileSync(manifestPath, JSON.stringify({ ...manifest, engines: { ...manifest.engines, opencode: ">=99.0.0" } }));
  const sandbox = makeSandbox({ plugin: pathToFileURL(path.join(staged, "index.js")).href });
  try {
    sandbox.writeAuth({ openai: { type: "oauth", refresh: "rt-host", access: chatgptToken(), expires: Date.now() + 3600_000 } });
    const res = await sandbox.run(["run", "--print-logs", "-m", "openai/gpt-5.4", "hello"], { extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint } });
    assert.equal(res.code, 0, res.stderr.slice(-2000));
    assert.match(res.stdout, /Old host, still answering\./);
    const warning = `OpenCode ${version} is older than 99.0.0, the oldest this plugin works with: the login menu or requests may fail. Upgrade it: opencode upgrade (or npm install -g opencode-ai@latest)`;
    const lines = res.stderr.split("\n").filter((line) => line.includes("is older than 99.0.0"));
    assert.equal(lines.length, 1, `expected the warning once in OpenCode's log:\n${lines.join("\n")}`);
    assert.ok(lines[0].includes(`level=WARN`) && lines[0].includes(warning), lines[0]);
  } finally {
    sandbox.cleanup();
  }
});

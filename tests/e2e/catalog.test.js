// End to end (issue 14): the real OpenCode against a mock backend as strict as the live one in late 2026:
// /models filtered by `client_version`, /responses refused below a model's minimum version with the live
// 400 wording. `opencode models openai` lists gpt-5.6-sol and gpt-6-astra (OpenCode's own filter drops
// gpt-6-astra; our provider hook puts it back); `opencode run -m openai/gpt-5.6-sol` reaches the backend
// as gpt-5.6-sol with a version the mock accepts; the old identity (0.99.0) is refused, in words.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startMockBackend, LIVE_MODELS, parseVersion, versionBelow } from "../helpers/mock-backend.js";
import { makeSandbox } from "../helpers/sandbox.js";
import { chatgptToken } from "../helpers/jwt.js";
import { loadCore } from "../../dist/core.js";
import { isMainTurn, toolsOf, instructionsOf } from "../helpers/codex-body.js";

const VERSION = (await loadCore()).clientVersion();
let backend;
let sandbox;
before(async () => {
  backend = await startMockBackend({ models: LIVE_MODELS, defaultText: "Hello from gpt-5.6-sol on the strict mock." });
  sandbox = makeSandbox();
  sandbox.writeAuth({ openai: { type: "oauth", refresh: "rt-e2e-not-used", access: chatgptToken({ accountId: "acc-e2e-catalog" }), expires: Date.now() + 3600_000 } });
});
after(async () => {
  await backend?.close();
  sandbox?.cleanup();
});
const env = (extra = {}) => ({ extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint, ...extra } });

test("opencode models openai lists gpt-5.6-sol and gpt-6-astra", async () => {
  const res = await sandbox.run(["models", "openai"], env());
  assert.equal(res.code, 0, res.stderr.slice(-2000));
  const listed = res.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  for (const id of ["openai/gpt-5.6-sol", "openai/gpt-6-astra", "openai/gpt-5.6-terra", "openai/gpt-5.6-luna", "openai/gpt-5.5"]) {
    assert.ok(listed.includes(id), `${id} missing from:\n${res.stdout}`);
  }
  assert.ok(!listed.some((l) => /gpt-5\.2$|gpt-5\.3-codex$/.test(l)), `a retired model is listed:\n${res.stdout}`);
});

test("opencode run -m openai/gpt-5.6-sol reaches the backend as gpt-5.6-sol with a version it accepts", async () => {
  const before = backend.responses().length;
  const res = await sandbox.run(["run", "-m", "openai/gpt-5.6-sol", "say hi"], env());
  assert.equal(res.timedOut, false, "opencode run timed out");
  assert.equal(res.code, 0, `opencode run failed:\n${res.stderr.slice(-2000)}`);
  assert.match(res.stdout, /Hello from gpt-5\.6-sol on the strict mock\./);
  const calls = backend.responses().slice(before);
  const main = calls.find((c) => isMainTurn(c.json));
  assert.ok(main, "no main-turn request reached the mock");
  assert.equal(main.json.model, "gpt-5.6-sol");
  // gpt-5.6-sol is a responses-lite entry: the lite shape and header, which the strict mock checks,
  // carrying OpenCode's own tools and instructions.
  assert.equal(main.headers["x-openai-internal-codex-responses-lite"], "true");
  assert.equal(main.json.input[0].type, "additional_tools");
  assert.ok(toolsOf(main.json).some((t) => t.type === "function" && t.name === "read"), "OpenCode's read tool is offered");
  assert.equal("tools" in main.json || "instructions" in main.json, false);
  assert.ok(instructionsOf(main.json).length > 100, "OpenCode's instructions open the input");
  assert.deepEqual([main.json.reasoning.context, main.json.parallel_tool_calls], ["all_turns", false]);
  assert.equal(main.headers.version, VERSION);
  assert.ok(main.headers["user-agent"].startsWith(`opencode/${VERSION} (`), main.headers["user-agent"]);
  assert.notEqual(main.json.reasoning?.effort, "ultra");
  // The version we speak as meets the model's minimum; the old 0.99.0 would not have.
  const min = parseVersion(LIVE_MODELS.models.find((m) => m.slug === "gpt-5.6-sol").minimal_client_version);
  assert.equal(versionBelow(parseVersion(VERSION), min), false);
  assert.equal(versionBelow(parseVersion("0.99.0"), min), true);
  const lists = backend.models().map((r) => new URL(r.url, "http://x").searchParams.get("client_version"));
  assert.ok(lists.length >= 1 && lists.every((v) => v === VERSION), `model lists asked as ${lists}`);
});

test("speaking as 0.99.0 (the old identity), the strict mock refuses gpt-5.6-sol and the user reads why and the way out", async () => {
  const before = backend.responses().length;
  const res = await sandbox.run(["run", "-m", "openai/gpt-5.6-sol", "say hi"], env({ OPENCODE_CODEX_CLIENT_VERSION: "0.99.0" }));
  assert.equal(res.timedOut, false, "opencode run timed out");
  const out = `${res.stdout}\n${res.stderr}`;
  assert.match(out, /the ChatGPT backend says model gpt-5\.6-sol requires a newer Codex client than the version this plugin speaks as \(0\.99\.0\); upgrade opencode-chatgpt-wasm, or set OPENCODE_CODEX_CLIENT_VERSION/, out.slice(-3000));
  const calls = backend.responses().slice(before);
  assert.ok(calls.length >= 1 && calls.every((c) => c.headers.version === "0.99.0" && c.json.model === "gpt-5.6-sol"), "sent as named, with the overridden version");
});

// End to end: the real OpenCode (pinned devDependency) loads our built package by path, reads a
// stored ChatGPT login, and its requests reach a mock Codex backend on 127.0.0.1 through our
// wasm transform. We assert on what the mock received and on what OpenCode printed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startMockBackend } from "../helpers/mock-backend.js";
import { makeSandbox } from "../helpers/sandbox.js";
import { chatgptToken } from "../helpers/jwt.js";
import { isMainTurn, instructionsOf } from "../helpers/codex-body.js";

let backend;
let sandbox;
before(async () => {
  backend = await startMockBackend({ defaultText: "Hello from the wasm plugin mock." });
  sandbox = makeSandbox();
});
after(async () => {
  await backend?.close();
  sandbox?.cleanup();
});

test("opencode run talks to the Codex backend through our plugin", async () => {
  const access = chatgptToken({ accountId: "acc-e2e-42" });
  sandbox.writeAuth({ openai: { type: "oauth", refresh: "rt-e2e-not-used", access, expires: Date.now() + 3600_000 } });

  const res = await sandbox.run(["run", "-m", "openai/gpt-5.4", "say hi"], { extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint } });
  assert.equal(res.timedOut, false, "opencode run timed out");
  assert.equal(res.code, 0, `opencode run failed:\n${res.stderr.slice(-2000)}`);
  assert.match(res.stdout, /Hello from the wasm plugin mock\./);

  const calls = backend.responses();
  assert.ok(calls.length >= 1, "the mock backend received no Responses request");
  for (const call of calls) {
    assert.equal(call.headers.authorization, `Bearer ${access}`);
    assert.equal(call.headers["chatgpt-account-id"], "acc-e2e-42");
    assert.equal(call.headers.originator, "opencode");
    assert.match(call.headers["user-agent"], /opencode-chatgpt-wasm\//);
    assert.ok(call.headers.session_id, "session_id header missing");
    assert.ok(call.json, "body is not JSON");
    assert.equal(call.json.store, false);
    assert.equal(call.json.stream, true);
    assert.ok(call.json.include.includes("reasoning.encrypted_content"));
    assert.equal(typeof instructionsOf(call.json), "string");
    assert.ok(instructionsOf(call.json).length > 0);
    for (const key of ["temperature", "top_p", "max_output_tokens"]) assert.equal(key in call.json, false, `${key} was sent`);
  }
  const main = calls.find((c) => isMainTurn(c.json));
  assert.ok(main, "no main-turn request (with tools) reached the mock");
  assert.equal(main.json.model, "gpt-5.4");
});

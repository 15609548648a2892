// End to end: the mock Codex backend answers every Responses call with a usage-limit 429; the real
// OpenCode must show our readable message (plan + local reset time), not raw JSON, and must not
// retry in a loop: the run ends in bounded time.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startMockBackend } from "../helpers/mock-backend.js";
import { makeSandbox } from "../helpers/sandbox.js";
import { chatgptToken } from "../helpers/jwt.js";
import { isMainTurn } from "../helpers/codex-body.js";

let backend;
let sandbox;
before(async () => {
  const resetsAt = Math.floor(Date.now() / 1000) + 2 * 3600 + 13 * 60 + 30;
  backend = await startMockBackend({
    handler: (req) =>
      req.method === "POST" && req.url.startsWith("/backend-api/codex/responses")
        ? { status: 429, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: { type: "usage_limit_reached", message: "The usage limit has been reached", plan_type: "plus", resets_at: resetsAt } }) }
        : undefined,
  });
  sandbox = makeSandbox();
});
after(async () => {
  await backend?.close();
  sandbox?.cleanup();
});

test("a usage-limit 429 reaches the user as a readable message, once", async () => {
  const access = chatgptToken({ accountId: "acc-e2e-limit" });
  sandbox.writeAuth({ openai: { type: "oauth", refresh: "rt-e2e-not-used", access, expires: Date.now() + 3600_000 } });

  const t0 = Date.now();
  const res = await sandbox.run(["run", "-m", "openai/gpt-5.4", "say hi"], { extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint }, timeoutMs: 60_000 });
  assert.equal(res.timedOut, false, `opencode run hung (usage limit retried in a loop?):\n${res.stderr.slice(-2000)}`);
  const out = `${res.stdout}\n${res.stderr}`;
  assert.match(out, /ChatGPT usage limit reached for your plus plan; resets at \d\d:\d\d \(in 2 h 1[0-3] min\)/, out.slice(-3000));
  assert.ok(Date.now() - t0 < 60_000);
  const main = backend.responses().filter((c) => isMainTurn(c.json));
  assert.equal(main.length, 1, `the main turn was sent ${main.length} times`);
});

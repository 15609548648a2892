// End to end: the real OpenCode with an expired stored ChatGPT login. Before the turn, our plugin
// refreshes it through the mock issuer (under the lock), saves it, and the turn succeeds against
// the mock backend with the NEW access token; auth.json holds the new login (mode 0600).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { makeSandbox } from "../helpers/sandbox.js";
import { startMockIssuer } from "../helpers/mock-issuer.js";
import { startMockBackend } from "../helpers/mock-backend.js";

let issuer;
let backend;
let sandbox;
before(async () => {
  issuer = await startMockIssuer({ accountId: "acc-e2e-refresh" });
  backend = await startMockBackend({ defaultText: "Hello after the refresh." });
  sandbox = makeSandbox();
});
after(async () => {
  await backend?.close();
  await issuer?.close();
  sandbox?.cleanup();
});

test("an expired login is refreshed before the turn, which then succeeds with the new token", { timeout: 300_000 }, async () => {
  const old = { ...issuer.mintLogin(), expires: Date.now() - 60_000 };
  sandbox.writeAuth({ anthropic: { type: "api", key: "kept-entry" }, openai: old });

  const t0 = Date.now();
  const res = await sandbox.run(["run", "-m", "openai/gpt-5.4", "say hi"], {
    extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint, OPENCODE_CODEX_ISSUER: issuer.url },
    timeoutMs: 240_000,
  });
  console.log(`# refresh-before-turn E2E: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(res.timedOut, false, "opencode run timed out");
  assert.equal(res.code, 0, `opencode run failed:\n${res.stderr.slice(-2000)}`);
  assert.match(res.stdout, /Hello after the refresh\./);

  assert.equal(issuer.counts.refresh, 1, "one refresh for the whole run (title request + turn)");
  const fresh = issuer.latest();
  assert.notEqual(fresh.access, old.access);
  const calls = backend.responses();
  assert.ok(calls.length >= 1);
  for (const c of calls) {
    assert.equal(c.headers.authorization, `Bearer ${fresh.access}`, "every request carries the NEW access token");
    assert.equal(c.headers["chatgpt-account-id"], "acc-e2e-refresh");
  }

  const stored = sandbox.readAuth();
  assert.equal(stored.openai.access, fresh.access);
  assert.equal(stored.openai.refresh, fresh.refresh);
  assert.equal(stored.openai.type, "oauth");
  assert.ok(stored.openai.expires > Date.now() + 30 * 60_000);
  assert.deepEqual(stored.anthropic, { type: "api", key: "kept-entry" });
  assert.equal(fs.statSync(sandbox.authPath).mode & 0o777, 0o600);
  assert.equal(fs.existsSync(`${sandbox.authPath}.lock`), false, "the lock is released");
  assert.equal(issuer.leaks(`${res.stdout}\n${res.stderr}`), 0, "a token appeared in OpenCode's output");
});

test("a dead stored login stops the run with `opencode auth login` advice and stays in auth.json", { timeout: 300_000 }, async () => {
  const sb = makeSandbox();
  try {
    const dead = { ...issuer.mintLogin(), refresh: "rt-revoked-by-the-issuer-789", expires: Date.now() - 60_000 };
    sb.writeAuth({ openai: dead });
    const before = fs.readFileSync(sb.authPath, "utf8");
    const sentBefore = backend.responses().length;
    const t0 = Date.now();
    const res = await sb.run(["run", "-m", "openai/gpt-5.4", "say hi"], {
      extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint, OPENCODE_CODEX_ISSUER: issuer.url },
      timeoutMs: 240_000,
    });
    console.log(`# dead-login E2E: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(res.timedOut, false, "opencode run hung instead of stopping");
    assert.notEqual(res.code, 0);
    assert.match(`${res.stdout}${res.stderr}`, /ChatGPT rejected the sign-in credentials .*run `opencode auth login`/);
    assert.equal(fs.readFileSync(sb.authPath, "utf8"), before, "the stored login is neither deleted nor changed");
    assert.equal(backend.responses().length, sentBefore, "nothing reached the backend");
    assert.equal(`${res.stdout}${res.stderr}`.includes(dead.refresh) || issuer.leaks(`${res.stdout}${res.stderr}`) > 0, false, "a token was printed");
  } finally {
    sb.cleanup();
  }
});

// End to end: 4 real OpenCode processes at once, two in a project pinned to account #2 and two in
// another using the active #1, both logins expired: each account is refreshed exactly once (per
// account: single flight in a process, the lock across processes), every turn completes with its
// account's new token, auth.json gets #1's new login and #2's stays in its own file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { makeSandbox, runProcess, OPENCODE, DIST } from "../helpers/sandbox.js";
import { startMockIssuer } from "../helpers/mock-issuer.js";
import { startMockBackend, textStream } from "../helpers/mock-backend.js";
import { joinLogin } from "../../dist/accounts/pool.js";
import { shadowPath } from "../../dist/accounts/rotation.js";

let issuers;
let proxy;
let backend;
let sandbox;
before(async () => {
  // refreshDelayMs widens the window in which the four processes race for each refresh.
  issuers = [await startMockIssuer({ accountId: "acc-ref-a", refreshDelayMs: 400 }), await startMockIssuer({ accountId: "acc-ref-b", refreshDelayMs: 400 })];
  // One issuer URL for OpenCode; each refresh goes to the issuer that issued its token.
  proxy = http.createServer(async (req, res) => {
    const parts = [];
    for await (const c of req) parts.push(c);
    const raw = Buffer.concat(parts).toString("utf8");
    let token = "";
    try {
      token = (req.headers["content-type"] ?? "").includes("json") ? JSON.parse(raw).refresh_token ?? "" : new URLSearchParams(raw).get("refresh_token") ?? "";
    } catch {}
    const target = token && issuers[1].leaks(token) > 0 ? issuers[1] : issuers[0];
    const up = await fetch(`${target.url}${req.url}`, { method: req.method, headers: { "content-type": req.headers["content-type"] ?? "application/json" }, body: req.method === "GET" ? undefined : raw });
    res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "application/json" });
    res.end(await up.text());
  });
  await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
  backend = await startMockBackend({ handler: (req) => (req.url.startsWith("/backend-api/codex/responses") ? textStream(`answered by ${req.headers["chatgpt-account-id"]}`) : undefined) });
  sandbox = makeSandbox();
});
after(async () => {
  await new Promise((r) => proxy?.close(r));
  for (const i of issuers ?? []) await i.close();
  await backend?.close();
  sandbox?.cleanup();
});

test("4 OpenCode processes, 2 expired accounts: each account is refreshed exactly once", { timeout: 600_000 }, async () => {
  // OpenCode creates its database on first start; 4 first starts at once race on its migrations (1.17.0 fails
  // "INSERT INTO migration"). One start before any login exists does that, and refreshes nothing.
  const warm = await runProcess(OPENCODE, ["session", "list"], { cwd: sandbox.dir, env: sandbox.env, timeoutMs: 120_000 });
  assert.equal(warm.code, 0, warm.stderr);
  const expired = (iss) => ({ ...iss.mintLogin(), expires: Date.now() - 60_000 });
  const a = expired(issuers[0]);
  const b = expired(issuers[1]);
  sandbox.writeAuth({ openai: a });
  const poolPath = path.join(sandbox.env.XDG_DATA_HOME, "opencode-chatgpt-wasm", "accounts.json");
  await joinLogin(poolPath, a, { activate: true });
  await joinLogin(poolPath, b, { activate: false });
  const dirs = ["pinned", "other"].map((n) => {
    const d = path.join(sandbox.dir, n);
    fs.mkdirSync(path.join(d, ".git"), { recursive: true });
    return d;
  });
  const pin = await runProcess(process.execPath, [path.join(DIST, "cli.js"), "accounts", "use", "2", "--project"], { cwd: dirs[0], env: sandbox.env });
  assert.equal(pin.code, 0, pin.stderr);
  const env = { ...sandbox.env, OPENCODE_CODEX_ENDPOINT: backend.endpoint, OPENCODE_CODEX_ISSUER: `http://127.0.0.1:${proxy.address().port}` };
  const runs = await Promise.all([dirs[0], dirs[1], dirs[0], dirs[1]].map((cwd) => runProcess(OPENCODE, ["run", "-m", "openai/gpt-5.4", "say hi"], { cwd, env, timeoutMs: 400_000 })));
  runs.forEach((r, i) => {
    assert.equal(r.code, 0, `run ${i} failed:\n${r.stderr.slice(-2000)}`);
    assert.match(r.stdout, i % 2 === 0 ? /answered by acc-ref-b/ : /answered by acc-ref-a/);
  });
  assert.equal(issuers[0].counts.refresh, 1, "account #1 refreshed once");
  assert.equal(issuers[1].counts.refresh, 1, "account #2 refreshed once");
  for (const c of backend.responses()) {
    const iss = c.headers["chatgpt-account-id"] === "acc-ref-b" ? issuers[1] : issuers[0];
    assert.equal(c.headers.authorization, `Bearer ${iss.latest().access}`);
  }
  assert.equal(sandbox.readAuth().openai.refresh, issuers[0].latest().refresh);
  const own = JSON.parse(fs.readFileSync(shadowPath(poolPath, "acc-ref-b/user-test"), "utf8")).openai;
  assert.equal(own.refresh, issuers[1].latest().refresh);
});

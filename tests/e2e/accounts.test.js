// End to end with the real OpenCode: a stored login joins the account pool when the plugin loads
// it, OpenCode offers the model our two account tools (with their JSON-Schema arguments), a second
// login joins too, and `accounts use 1` makes OpenCode's next turn go out with the first account.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startMockBackend } from "../helpers/mock-backend.js";
import { makeSandbox, runProcess, DIST } from "../helpers/sandbox.js";
import { chatgptToken } from "../helpers/jwt.js";
import { isMainTurn, toolsOf } from "../helpers/codex-body.js";

let backend;
let sandbox;
before(async () => {
  backend = await startMockBackend({ defaultText: "Hello from the accounts test." });
  sandbox = makeSandbox();
});
after(async () => {
  await backend?.close();
  sandbox?.cleanup();
});

const loginOf = (accountId) => ({ type: "oauth", refresh: `rt-${accountId}`, access: chatgptToken({ accountId, email: `${accountId}@example.com` }), expires: Date.now() + 3600_000 });

async function turn() {
  const before = backend.responses().length;
  const res = await sandbox.run(["run", "-m", "openai/gpt-5.4", "say hi"], { extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint } });
  assert.equal(res.timedOut, false, "opencode run timed out");
  assert.equal(res.code, 0, `opencode run failed:\n${res.stderr.slice(-2000)}`);
  assert.match(res.stdout, /Hello from the accounts test\./);
  return backend.responses().slice(before);
}

async function accounts(...args) {
  const res = await runProcess(process.execPath, [path.join(DIST, "cli.js"), "accounts", ...args], { cwd: sandbox.work, env: sandbox.env });
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

test("logins join the pool, the tools reach the model, and accounts use switches OpenCode's account", async () => {
  const a = loginOf("acc-e2e-a");
  sandbox.writeAuth({ openai: a });
  const calls = await turn();
  const main = calls.find((c) => isMainTurn(c.json));
  assert.ok(main, "no main-turn request (with tools) reached the mock");
  const use = toolsOf(main.json).find((t) => t.name === "chatgpt_use_account");
  assert.ok(toolsOf(main.json).some((t) => t.name === "chatgpt_accounts"), "chatgpt_accounts not offered");
  assert.ok(use, "chatgpt_use_account not offered");
  assert.deepEqual(Object.keys(use.parameters.properties).sort(), ["account", "scope"]);
  assert.deepEqual(use.parameters.properties.scope.enum, ["global", "project"]);

  let listed = JSON.parse(await accounts("--json")).accounts;
  assert.deepEqual(listed.map((x) => [x.n, x.workspace, x.active]), [[1, "acc-e2e-a", true]]);

  // A second login (stored by OpenCode) joins the next time the plugin loads it, as the active one.
  const b = loginOf("acc-e2e-b");
  sandbox.writeAuth({ openai: b });
  for (const c of await turn()) assert.equal(c.headers.authorization, `Bearer ${b.access}`);
  listed = JSON.parse(await accounts("--json")).accounts;
  assert.deepEqual(listed.map((x) => [x.n, x.workspace, x.active]), [[1, "acc-e2e-a", false], [2, "acc-e2e-b", true]]);

  assert.equal(await accounts("use", "1"), "ChatGPT account #1 acc-e2e-a@example.com is now active (auth.json holds its login)\n");
  const after = await turn();
  assert.ok(after.length >= 1);
  for (const c of after) {
    assert.equal(c.headers.authorization, `Bearer ${a.access}`);
    assert.equal(c.headers["chatgpt-account-id"], "acc-e2e-a");
  }
});

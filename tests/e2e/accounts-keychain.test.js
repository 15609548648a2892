// End to end with the keychain on (OPENCODE_CODEX_KEYCHAIN=1) and a real Secret Service
// (tests/helpers/keyring.js: dbus-daemon + gnome-keyring-daemon started by the test): the accounts
// CLI moves both refresh tokens into the keychain, then a real OpenCode turn in a project pinned to
// the expired account #2 refreshes it through the keychain: the mock issuer (which accepts each
// refresh token once) sees one refresh with the token only the keychain held, the new token goes
// back into the keychain, and neither the pool file nor #2's login file holds a refresh token.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { makeSandbox, runProcess, OPENCODE, DIST } from "../helpers/sandbox.js";
import { startMockIssuer } from "../helpers/mock-issuer.js";
import { startMockBackend, textStream } from "../helpers/mock-backend.js";
import { secretTool, startSecretService } from "../helpers/keyring.js";
import { chatgptToken } from "../helpers/jwt.js";
import { joinLogin } from "../../dist/accounts/pool.js";
import { shadowPath } from "../../dist/accounts/rotation.js";

let iss;
let backend;
let sandbox;
let ss;
before(async () => {
  iss = await startMockIssuer({ accountId: "acc-kc-b" });
  backend = await startMockBackend({ handler: (req) => (req.url.startsWith("/backend-api/codex/responses") ? textStream(`answered by ${req.headers["chatgpt-account-id"]}`) : undefined) });
  sandbox = makeSandbox();
  ss = await startSecretService(path.join(sandbox.dir, "secret-service"));
});
after(async () => {
  await ss?.close();
  await iss?.close();
  await backend?.close();
  sandbox?.cleanup();
});

test("a real OpenCode turn refreshes a pooled account through the keychain; no refresh token in the pool's files", { timeout: 600_000 }, async () => {
  const a = { type: "oauth", access: chatgptToken({ accountId: "acc-kc-a" }), refresh: "rt-acc-kc-a", expires: Date.now() + 3600_000, accountId: "acc-kc-a" };
  const b = { ...iss.mintLogin(), expires: Date.now() - 60_000 };
  sandbox.writeAuth({ openai: a });
  const poolPath = path.join(sandbox.env.XDG_DATA_HOME, "opencode-chatgpt-wasm", "accounts.json");
  await joinLogin(poolPath, a, { activate: true });
  await joinLogin(poolPath, b, { activate: false });
  const project = path.join(sandbox.dir, "pinned");
  fs.mkdirSync(path.join(project, ".git"), { recursive: true });
  const env = { ...sandbox.env, OPENCODE_CODEX_KEYCHAIN: "1", DBUS_SESSION_BUS_ADDRESS: ss.address };
  const pin = await runProcess(process.execPath, [path.join(DIST, "cli.js"), "accounts", "use", "2", "--project"], { cwd: project, env });
  assert.equal(pin.code, 0, pin.stderr);
  assert.match(pin.stderr, /moved the refresh tokens of 2 ChatGPT accounts into the keychain/);
  const noTokens = (file) => assert.doesNotMatch(fs.readFileSync(file, "utf8"), /rt-acc|rt-mock/, `${path.basename(file)} holds no refresh token`);
  noTokens(poolPath);
  const key = "acc-kc-b/user-test";
  assert.equal(secretTool(ss.address, ["lookup", "service", "opencode-chatgpt-wasm", "account", key]).stdout, b.refresh);

  const run = await runProcess(OPENCODE, ["run", "-m", "openai/gpt-5.4", "say hi"], { cwd: project, env: { ...env, OPENCODE_CODEX_ENDPOINT: backend.endpoint, OPENCODE_CODEX_ISSUER: iss.url }, timeoutMs: 400_000 });
  assert.equal(run.code, 0, run.stderr.slice(-2000));
  assert.match(run.stdout, /answered by acc-kc-b/);
  assert.equal(iss.counts.refresh, 1);
  assert.equal(iss.counts.refreshReused, 0);
  assert.equal(backend.responses().at(-1).headers.authorization, `Bearer ${iss.latest().access}`);
  assert.equal(secretTool(ss.address, ["lookup", "service", "opencode-chatgpt-wasm", "account", key]).stdout, iss.latest().refresh, "the new token is in the keychain");
  noTokens(poolPath);
  noTokens(shadowPath(poolPath, key));
  assert.equal(JSON.parse(fs.readFileSync(shadowPath(poolPath, key), "utf8")).openai.refresh, "@keychain");
  assert.equal(sandbox.readAuth().openai.refresh, "rt-acc-kc-a", "auth.json keeps the active login");
});

// `doctor`: the pure summaries directly, and `node cli.js doctor` against temp HOME/XDG dirs with a fake or the
// real `opencode` on PATH, local servers standing in for the issuer and the backend, and a busy callback port.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { compareVersions, decodeJwtPayload, minOpencodeVersion, summarizeLogin } from "../../../js/install/doctor.js";
import { PKG_VERSION, REAL_OPENCODE, chatgptJwt, makeSandbox } from "../../helpers/installer.js";

const sandboxes = [];
function sandbox() {
  const s = makeSandbox();
  sandboxes.push(s);
  return s;
}
after(() => {
  for (const s of sandboxes) s.cleanup();
});

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

/** A sandbox with the fake package installed, a stored login and a fake opencode printing `opencodeVersion`. */
async function installed({ opencodeVersion = "1.18.33", selfTestOk = true, authMode = 0o600 } = {}) {
  const s = sandbox();
  const cli = s.fakePackage({ selfTestOk });
  const res = await s.run(["install"], { cli });
  assert.equal(res.code, 0, res.stderr);
  if (opencodeVersion) s.fakeOpencode(opencodeVersion);
  const access = chatgptJwt({ accountId: "acc-doctor-7", plan: "pro", expS: Math.floor(Date.now() / 1000) + 5400 });
  fs.mkdirSync(path.dirname(s.authFile), { recursive: true });
  fs.writeFileSync(s.authFile, JSON.stringify({ openai: { type: "oauth", access, refresh: "rt-secret-value", expires: Date.now() + 5400_000 } }), { mode: authMode });
  fs.chmodSync(s.authFile, authMode);
  return { s, cli, access };
}

describe("pure checks", () => {
  test("decodes a JWT payload and rejects malformed tokens", () => {
    assert.deepEqual(decodeJwtPayload(chatgptJwt({ expS: 5 })), {
      exp: 5,
      email: "dev@example.com",
      "https://api.openai.com/auth": { chatgpt_account_id: "acc-test-123", chatgpt_plan_type: "plus" },
    });
    for (const bad of [undefined, "", "a.b", "a.!!!.c", `a.${Buffer.from("[1]").toString("base64url")}.c`]) assert.equal(decodeJwtPayload(bad), null);
  });

  test("summarizes a login without its tokens", () => {
    const access = chatgptJwt({ accountId: "acc-1", plan: "plus", email: "me@example.com" });
    assert.deepEqual(summarizeLogin({ type: "oauth", access, refresh: "rt-1", expires: NOW + 3_600_000 }, NOW), {
      status: "ok",
      detail: "ChatGPT login: account acc-1, plan plus, me@example.com; access token valid until 2026-11-23T13:00:00Z (in 60 min)",
    });
    assert.deepEqual(summarizeLogin({ type: "oauth", access, refresh: "rt-1", expires: NOW - 3 * 3_600_000, accountId: "acc-stored" }, NOW), {
      status: "ok",
      detail: "ChatGPT login: account acc-stored, plan plus, me@example.com; access token expired 3 h ago (2026-11-23T09:00:00Z), refreshed on next use",
    });
    assert.equal(summarizeLogin({ type: "api", key: "sk-x" }, NOW).status, "fail");
    assert.match(summarizeLogin({ type: "oauth", access }, NOW).detail, /no refresh token/);
    assert.match(summarizeLogin(undefined, NOW).fix, /opencode auth login/);
  });

  test("compares versions and reads the minimum OpenCode version", () => {
    assert.deepEqual([compareVersions("1.18.33", "1.18.29") > 0, compareVersions("1.9.0", "1.18.0") < 0, compareVersions("2.0.0-beta", "2.0.0")], [true, true, 0]);
    assert.equal(minOpencodeVersion({ engines: { opencode: ">=1.18.29" } }), "1.18.29");
    assert.equal(minOpencodeVersion({}), null);
  });
});

describe("doctor (CLI)", () => {
  test("all checks pass offline; no token is printed", async () => {
    const { s, cli, access } = await installed();
    const quotaFile = path.join(s.env.XDG_CACHE_HOME, "opencode-chatgpt-wasm", "quota.json");
    fs.mkdirSync(path.dirname(quotaFile), { recursive: true });
    fs.writeFileSync(quotaFile, JSON.stringify({ savedAt: Date.now(), snapshot: { primary: { usedPercent: 42, windowMinutes: 300 }, secondary: { usedPercent: 7 } } }));
    const res = await s.run(["doctor", "--offline"], { cli });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const lines = res.stdout.trim().split("\n");
    assert.match(lines[0], /^opencode-chatgpt-wasm \S+ doctor$/);
    assert.match(lines[1], /^✓ OpenCode 1\.18\.33 at .*\/bin\/opencode \(needs >= 1\.17\.0\)$/);
    assert.match(lines[2], /^✓ plugin entry file:\/\/.*\/data\/opencode-chatgpt-wasm\/\S+\/index\.js in .*opencode\.json$/);
    assert.match(lines[3], /^✓ plugin .*index\.js loads and its wasm core works$/);
    assert.match(lines[4], /^✓ ChatGPT login: account acc-doctor-7, plan pro, dev@example\.com; access token valid until \S+ \(in (89|90) min\)$/);
    assert.match(lines[5], /^✓ callback port 1455 is free$|^✗ callback port 1455 is in use$/);
    assert.ok(lines.includes("- network checks skipped (--offline)"));
    assert.match(res.stdout, /\n✓ models \(bundled snapshot[^)]*\): gpt-\S+ \(low\/medium\/high/);
    assert.match(res.stdout, /\n✓ ChatGPT usage \(seen 0 min ago\): primary 42% used of 300 min window; secondary 7% used\n/);
    assert.ok(lines.includes("- no account pool yet (the plugin creates it when it loads your login)")); // one line per account once there is a pool
    for (const secret of [access, access.split(".")[1], "rt-secret-value"]) assert.equal(res.stdout.includes(secret), false);
  });

  test("reports an old OpenCode, a failing self test, a busy port and a readable auth.json, each with a fix", async () => {
    const { s, cli } = await installed({ opencodeVersion: "1.15.13", selfTestOk: false, authMode: 0o644 });
    const busy = net.createServer();
    const port = await listen(busy);
    try {
      const res = await s.run(["doctor", "--offline"], { cli, extraEnv: { OPENCODE_CODEX_CALLBACK_PORT: String(port) } });
      assert.equal(res.code, 1);
      assert.match(res.stdout, /✗ OpenCode 1\.15\.13 at .* is older than 1\.17\.0.*\n {4}fix: upgrade it: opencode upgrade/);
      assert.match(res.stdout, /✗ plugin .* loads but its self test failed\n {4}fix: reinstall: npx opencode-chatgpt-wasm install/);
      assert.match(res.stdout, new RegExp(`✗ callback port ${port} is in use\\n {4}fix: close the program listening on ${port}`));
      assert.match(res.stdout, /✗ ChatGPT login: .*readable by other users \(mode 644\)\n {4}fix: chmod 600 /);
      assert.match(res.stdout, /4 checks failed\n$/);
    } finally {
      busy.close();
    }
  });

  test("no OpenCode, no entry, no login", async () => {
    const s = sandbox();
    s.writeConfig('{ "plugin": ["opencode-openai-codex-auth"] }');
    const res = await s.run(["doctor", "--offline"]);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /✗ OpenCode not found on PATH\n {4}fix: install it: npm install -g opencode-ai/);
    assert.match(res.stdout, /✗ opencode-chatgpt-wasm is not in the plugin list of .*\n {4}fix: run npx opencode-chatgpt-wasm install/);
    assert.match(res.stdout, /- plugin load check skipped/);
    assert.match(res.stdout, /✗ no ChatGPT login stored \(.*auth\.json does not exist\)\n {4}fix: run opencode auth login/);
  });

  test("a conflicting plugin next to ours and a malformed config are failures", async () => {
    const s = sandbox();
    const file = s.writeConfig('{ "plugin": ["opencode-chatgpt-wasm@0.1.0", "oc-codex-multi-auth"] }');
    const conflict = await s.run(["doctor", "--offline"]);
    assert.match(conflict.stdout, /✗ plugin entry opencode-chatgpt-wasm@0\.1\.0 in .*, next to conflicting oc-codex-multi-auth\n {4}fix: remove them: npx opencode-chatgpt-wasm install --remove-conflicts/);
    fs.writeFileSync(file, '{\n  "plugin": [\n}\n');
    const malformed = await s.run(["doctor", "--offline"]);
    assert.equal(malformed.code, 1);
    assert.match(malformed.stdout, /✗ .*opencode\.json:3:1: value expected\./);
  });

  test("network checks: any HTTP answer is reachable, a closed port is not", async () => {
    const { s, cli } = await installed();
    const seen = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? "no-auth"}`);
      if (req.url === "/npm/opencode-chatgpt-wasm") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name: "opencode-chatgpt-wasm", "dist-tags": { latest: "99.0.0" } }));
      res.writeHead(req.url.startsWith("/issuer") ? 200 : 401).end("{}");
    });
    const port = await listen(server);
    const closed = net.createServer();
    const closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    try {
      const registry = `http://127.0.0.1:${port}/npm/`;
      const ok = await s.run(["doctor"], { cli, extraEnv: { OPENCODE_CODEX_ISSUER: `http://127.0.0.1:${port}/issuer`, OPENCODE_CODEX_ENDPOINT: `http://127.0.0.1:${port}/backend-api/codex/`, npm_config_registry: registry } });
      assert.match(ok.stdout, new RegExp(`✓ login issuer reachable \\(127\\.0\\.0\\.1:${port}, HTTP 200\\)`));
      assert.match(ok.stdout, new RegExp(`✓ Codex backend reachable \\(127\\.0\\.0\\.1:${port}, HTTP 401\\)`));
      // a newer version on the registry is a warning with the upgrade command, not a failure
      assert.ok(ok.stdout.includes(`\n! a newer opencode-chatgpt-wasm is on ${registry}: 99.0.0 (the plugin entry has ${PKG_VERSION})\n    fix: upgrade: npx opencode-chatgpt-wasm@latest install\n`), ok.stdout);
      assert.deepEqual(seen.sort(), ["GET /backend-api/codex/models no-auth", "GET /issuer/.well-known/openid-configuration no-auth", "GET /npm/opencode-chatgpt-wasm no-auth"]);
      const down = await s.run(["doctor"], { cli, extraEnv: { OPENCODE_CODEX_ISSUER: `http://127.0.0.1:${closedPort}`, OPENCODE_CODEX_ENDPOINT: `http://127.0.0.1:${closedPort}`, npm_config_registry: `http://127.0.0.1:${closedPort}/` } });
      assert.equal(down.code, 1);
      assert.match(down.stdout, /✗ login issuer not reachable at http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration: ECONNREFUSED\n {4}fix: check your network/);
      assert.ok(down.stdout.includes(`\n- could not ask http://127.0.0.1:${closedPort}/ for the latest opencode-chatgpt-wasm: ECONNREFUSED\n`), down.stdout);
    } finally {
      server.close();
    }
  });

  test("finds the real opencode and its version", { skip: fs.existsSync(REAL_OPENCODE) ? false : "opencode-ai not installed", timeout: 60_000 }, async () => {
    const { s, cli } = await installed({ opencodeVersion: null });
    s.realOpencode();
    const res = await s.run(["doctor", "--offline"], { cli });
    assert.match(res.stdout, /✓ OpenCode 1\.\d+\.\d+ at .*\/opencode \(needs >= 1\.17\.0\)/);
  });
});

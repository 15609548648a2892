// The one client identity (src/request/client.rs through config.js withClientIdentity): the version in
// `/models?client_version=`, the `version` header and the User-Agent agree; OPENCODE_CODEX_CLIENT_VERSION /
// option `clientVersion` moves all three; a bad override is said in words and the built-in version used.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCore } from "../../../dist/core.js";
import { resolveConfig, withClientIdentity } from "../../../dist/config.js";
import { createCodexFetch } from "../../../dist/transport/fetch.js";
import { startMockBackend } from "../../helpers/mock-backend.js";

const core = await loadCore();
const credentials = { current: async () => ({ access: "tok-id", accountId: "acc-id" }) };
const body = JSON.stringify({ stream: true, model: "gpt-5.6-sol", instructions: "x", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }] });

test("the default identity is the core's version, in the header and the User-Agent", () => {
  const cfg = withClientIdentity(resolveConfig({}, {}), core, () => assert.fail("no warning expected"));
  const v = core.clientVersion();
  assert.deepEqual([cfg.clientVersion, cfg.clientVersionWhole], [v, v]);
  assert.match(cfg.userAgent, new RegExp(`^opencode/${v.replace(/\./g, "\\.")} \\(.+; .+\\) opencode-chatgpt-wasm/\\S+$`));
  // The default is at least the highest minimum in the bundled catalog (the core's test holds it too).
  const [a, b] = [v, new core.Catalog().highestMinClientVersion()].map((x) => x.split(".").map(Number));
  assert.ok(a[0] > b[0] || (a[0] === b[0] && (a[1] > b[1] || (a[1] === b[1] && a[2] >= b[2]))), `${v} < ${b}`);
});

test("OPENCODE_CODEX_CLIENT_VERSION / clientVersion moves all three at once; an explicit userAgent still wins", () => {
  const env = withClientIdentity(resolveConfig({}, { OPENCODE_CODEX_CLIENT_VERSION: "0.170.2-alpha.1" }), core);
  assert.deepEqual([env.clientVersion, env.clientVersionWhole], ["0.170.2-alpha.1", "0.170.2"]);
  assert.match(env.userAgent, /^opencode\/0\.170\.2-alpha\.1 \(/);
  const opt = withClientIdentity(resolveConfig({ clientVersion: "0.171.0", originator: "codex_cli_rs" }, { OPENCODE_CODEX_CLIENT_VERSION: "0.1.0" }), core);
  assert.deepEqual([opt.clientVersion, opt.userAgent.split(" ")[0]], ["0.171.0", "codex_cli_rs/0.171.0"]);
  const ua = withClientIdentity(resolveConfig({ userAgent: "my-agent/1" }, {}), core);
  assert.equal(ua.userAgent, "my-agent/1");
});

test("a bad override is said once, in words, and the built-in version is used", () => {
  const warnings = [];
  const cfg = withClientIdentity(resolveConfig({}, { OPENCODE_CODEX_CLIENT_VERSION: "latest" }), core, (m) => warnings.push(m));
  const v = core.clientVersion();
  assert.deepEqual(warnings, [
    `OPENCODE_CODEX_CLIENT_VERSION (option clientVersion) \`latest\` is not a version: expected MAJOR.MINOR.PATCH such as ${v}; using the built-in ${v} until you fix or unset it`,
  ]);
  assert.equal(cfg.clientVersion, v);
});

test("the stricter mock accepts our version for gpt-5.6-sol and refuses 0.99.0 with the live wording, told in words", async () => {
  const backend = await startMockBackend();
  try {
    const ok = createCodexFetch({ credentials, cfg: { ...withClientIdentity(resolveConfig({ endpoint: backend.endpoint }, {}), core), stallSeconds: 300 } });
    const res = await ok(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(res.status, 200);
    await res.text();
    assert.equal(backend.responses()[0].json.model, "gpt-5.6-sol");
    assert.equal(backend.responses()[0].headers.version, core.clientVersion());

    const old = createCodexFetch({ credentials, cfg: { ...withClientIdentity(resolveConfig({ endpoint: backend.endpoint, clientVersion: "0.99.0" }, {}), core), stallSeconds: 300 } });
    const refused = await old(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(refused.status, 400);
    const { error } = await refused.json();
    assert.equal(error.type, "client_too_old");
    assert.match(error.message, /^the ChatGPT backend says model gpt-5\.6-sol requires a newer Codex client than the version this plugin speaks as \(0\.99\.0\); upgrade opencode-chatgpt-wasm, or set OPENCODE_CODEX_CLIENT_VERSION to the current Codex CLI version; or pick a model this login can use: gpt-6-astra, gpt-5\.6-terra, /);
    assert.equal(backend.responses().length, 2, "a refusal is not retried");
  } finally {
    await backend.close();
  }
});

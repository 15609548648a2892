// Secrets (issue 8): with debug logging on, a child process walks the plugin's logging paths
// (tests/helpers/secrets-child.js) against a mock issuer and backend run here. Its whole stdout and
// stderr must hold no access token, refresh token, id token, authorization code, PKCE verifier or
// OAuth state, yet must not be empty (debug lines were written), and the auth.json a refresh wrote
// must be mode 0600.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startMockIssuer } from "../helpers/mock-issuer.js";
import { startMockBackend, textStream, sseEvent } from "../helpers/mock-backend.js";

const CHILD = fileURLToPath(new URL("../helpers/secrets-child.js", import.meta.url));
const SSE = { "content-type": "text/event-stream" };

function runChild(env) {
  return new Promise((resolve, reject) => {
    // Node runs the child even under Bun: the same plugin code, one known runtime for the capture.
    const child = spawn("node", [CHILD], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const timer = setTimeout(() => child.kill(), 45_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test("debug output of sign-in, refresh and error paths holds no secret; a refreshed auth.json is 0600", async () => {
  const issuer = await startMockIssuer({ accountId: "acc-secrets" });
  const seen = new Map(); // case -> hits
  const handler = (req, record) => {
    if (!(req.method === "POST" && req.url.startsWith("/backend-api/codex/responses"))) return undefined;
    const kind = record.json?.input?.[0]?.content?.[0]?.text;
    const hits = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, hits);
    const json = (status, body) => ({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    switch (kind) {
      case "401-once":
        return hits === 1 ? json(401, { error: { message: "token expired" } }) : textStream("after refresh");
      case "429":
        return json(429, { error: { type: "usage_limit_reached", plan_type: "plus", resets_at: Math.floor(Date.now() / 1000) + 3600 } });
      case "500-once":
        return hits === 1 ? { status: 500, headers: { "content-type": "text/html", "retry-after": "0" }, body: "<html>oops</html>" } : textStream("after a 500");
      case "fail-stream":
        // After output started (before it, a server_error is re-sent up to 5 times: slower than Bun's 5 s test budget).
        return { status: 200, headers: SSE, body: sseEvent("response.created", { response: {} }) + sseEvent("response.output_item.added", { output_index: 0, item: { type: "message" } }) + sseEvent("response.failed", { response: { error: { code: "server_error", message: "the model broke" } } }) };
      default:
        return textStream("fine");
    }
  };
  const backend = await startMockBackend({ handler });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-"));
  const side = path.join(tmp, "side.json");
  try {
    const { code, output } = await runChild({
      ISSUER_URL: issuer.url,
      ENDPOINT: backend.endpoint,
      SECRETS_SIDE_FILE: side,
      OPENCODE_CODEX_DEBUG: "1",
      XDG_DATA_HOME: path.join(tmp, "data"),
      XDG_CONFIG_HOME: path.join(tmp, "config"),
      XDG_CACHE_HOME: path.join(tmp, "cache"),
      XDG_STATE_HOME: path.join(tmp, "state"),
      BROWSER: "none",
    });
    const lines = output.split("\n").filter(Boolean);
    const debugLines = lines.filter((l) => l.startsWith("[opencode-chatgpt-wasm] "));
    console.log(`secrets: child wrote ${lines.length} lines (${debugLines.length} debug lines); ${issuer.secrets.size} issued secrets checked`);
    assert.equal(code, 0, `child failed:\n${output.slice(-2000)}`);

    // The paths ran and talked: output to search, debug lines among it.
    assert.ok(output.length > 0);
    assert.ok(debugLines.some((l) => l.includes("refreshed the ChatGPT login")), output);
    assert.match(output, /paste sign-in: success/);
    assert.match(output, /paste sign-in \(wrong state\): failed/);
    assert.match(output, /ChatGPT sign-in failed: /);
    assert.match(output, /device sign-in: success/);
    assert.match(output, /expired login, refreshed: 200/);
    assert.match(output, /refresh refused for good: 401 .*opencode auth login/);
    assert.match(output, /401 then refresh and retry: 200/);
    assert.match(output, /usage limit: 402 .*usage limit reached/);
    assert.match(output, /500 retried: 200/);
    assert.match(output, /failed stream: 200, stream error: /);
    assert.equal(seen.get("401-once"), 2);
    assert.equal(seen.get("500-once"), 2);
    // 1 paste and 1 device code exchange (the wrong-state paste never reaches the issuer); refreshes
    // succeeded (expired login, 401) and one was refused as reused (tried again by later callers).
    assert.equal(issuer.counts.token, 2);
    assert.ok(issuer.counts.refresh - issuer.counts.refreshReused >= 2 && issuer.counts.refreshReused >= 1, JSON.stringify(issuer.counts));

    // Every secret: the issuer's (codes, verifiers, access/refresh/id tokens) and the OAuth states.
    const { states } = JSON.parse(fs.readFileSync(side, "utf8"));
    assert.equal(states.length, 2);
    assert.ok(issuer.secrets.size >= 12, `only ${issuer.secrets.size} secrets collected`);
    const all = [...issuer.secrets, ...states];
    assert.ok(all.every((s) => typeof s === "string" && s.length >= 16));
    const leaked = all.filter((s) => output.includes(s)).length;
    assert.equal(leaked, 0, `${leaked} secret(s) appear in the child's output`); // never print which
    assert.equal(issuer.leaks(output), 0);

    // The last refresh (after the 401) wrote auth.json, which was 0644 before: now 0600, with the newest login.
    const authPath = path.join(tmp, "data", "opencode", "auth.json");
    assert.equal(fs.statSync(authPath).mode & 0o777, 0o600);
    const stored = JSON.parse(fs.readFileSync(authPath, "utf8")).openai;
    assert.ok(stored.refresh === issuer.latest().refresh && stored.access === issuer.latest().access);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await backend.close();
    await issuer.close();
  }
});

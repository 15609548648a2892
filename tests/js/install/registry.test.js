// registry.js: which registry doctor asks, what version a plugin entry names, and the one request for the latest
// version against a local server standing in for the registry (newer, same, missing, broken, silent).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DEFAULT_REGISTRY, checkLatest, entryVersion, npmrcRegistry, registryUrl } from "../../../js/install/registry.js";

const NAME = "opencode-chatgpt-wasm";
const temps = [];
const servers = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
  for (const server of servers) server.close();
});
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-registry-unit-"));
  temps.push(dir);
  return dir;
}

/** A registry stand-in answering GET /<name> with `handler(req, res)`; resolves {url, seen}. */
async function registry(handler) {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization ?? null, accept: req.headers.accept });
    handler(req, res);
  });
  servers.push(server);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, seen };
}
const json = (body) => (req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));

test("npmrcRegistry reads the registry= line", () => {
  assert.equal(npmrcRegistry("; comment\n//host/:_authToken=x\nregistry = https://mirror.example/npm/\n"), "https://mirror.example/npm/");
  assert.equal(npmrcRegistry("@scope:registry=https://other/\n"), null);
  assert.equal(npmrcRegistry(""), null);
});

test("registryUrl: npm_config_registry (any case), else the user's .npmrc, else the public registry; always with a slash", () => {
  const home = tempDir();
  assert.equal(registryUrl({ HOME: home }), DEFAULT_REGISTRY);
  fs.writeFileSync(path.join(home, ".npmrc"), "registry=https://mirror.example/npm\n");
  assert.equal(registryUrl({ HOME: home }), "https://mirror.example/npm/");
  const userconfig = path.join(home, "other.npmrc");
  fs.writeFileSync(userconfig, "registry=http://127.0.0.1:4873/\n");
  assert.equal(registryUrl({ HOME: home, npm_config_userconfig: userconfig }), "http://127.0.0.1:4873/");
  assert.equal(registryUrl({ HOME: home, NPM_CONFIG_REGISTRY: "http://127.0.0.1:1/" }), "http://127.0.0.1:1/");
  assert.equal(registryUrl({ HOME: home, npm_config_registry: "http://127.0.0.1:2" }), "http://127.0.0.1:2/");
});

test("entryVersion: an npm spec's version, a file entry's package.json version, else null", () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: NAME, version: "0.1.1" }));
  fs.writeFileSync(path.join(dir, "index.js"), "");
  assert.equal(entryVersion(`${NAME}@0.1.0`, NAME), "0.1.0");
  assert.equal(entryVersion(pathToFileURL(path.join(dir, "index.js")).href, NAME), "0.1.1");
  assert.equal(entryVersion("file:///no/such/index.js", NAME), null);
  assert.equal(entryVersion(NAME, NAME), null);
  assert.equal(entryVersion(undefined, NAME), null);
});

test("checkLatest: a newer version is a warning with the upgrade command; one GET, no credentials", async () => {
  const home = tempDir();
  const r = await registry(json({ name: NAME, "dist-tags": { latest: "0.1.1" }, versions: {} }));
  // a token for that registry in the user's .npmrc is not sent
  fs.writeFileSync(path.join(home, ".npmrc"), `${r.url.replace("http:", "")}:_authToken=secret-npm-token\n`);
  const env = { HOME: home, npm_config_registry: r.url };
  assert.deepEqual(await checkLatest({ env, name: NAME, current: "0.1.0" }), {
    status: "warn",
    detail: `a newer ${NAME} is on ${r.url}: 0.1.1 (the plugin entry has 0.1.0)`,
    fix: `upgrade: npx ${NAME}@latest install`,
  });
  assert.equal((await checkLatest({ env, name: NAME, current: "0.1.0", npmEntry: true })).fix, `upgrade: npx ${NAME}@latest install --entry npm`);
  assert.deepEqual(await checkLatest({ env, name: NAME, current: "0.1.1" }), { status: "ok", detail: `${NAME} 0.1.1 is the latest on ${r.url}` });
  assert.deepEqual(await checkLatest({ env, name: NAME, current: "0.2.0" }), { status: "ok", detail: `${NAME} 0.2.0 is the latest on ${r.url}` });
  assert.equal(r.seen.length, 4);
  for (const request of r.seen) {
    assert.deepEqual({ method: request.method, url: request.url, authorization: request.authorization }, { method: "GET", url: `/${NAME}`, authorization: null });
    assert.match(request.accept, /application\/vnd\.npm\.install-v1\+json/);
  }
});

test("checkLatest: a missing package, an error, a non-JSON answer, no latest tag, silence: skipped with the reason", async () => {
  const cases = [
    [(req, res) => res.writeHead(404).end("{}"), `${NAME} is not published there (HTTP 404)`],
    [(req, res) => res.writeHead(503).end("down"), "HTTP 503"],
    [(req, res) => res.writeHead(200).end("<html>"), "the answer is not JSON"],
    [json({ name: NAME, "dist-tags": {} }), "the answer names no latest version"],
    [() => {}, "no answer within 0.2 s"],
  ];
  for (const [handler, reason] of cases) {
    const r = await registry(handler);
    const result = await checkLatest({ env: { HOME: tempDir(), npm_config_registry: r.url }, name: NAME, current: "0.1.0", timeoutMs: 200 });
    assert.deepEqual(result, { status: "skip", detail: `could not ask ${r.url} for the latest ${NAME}: ${reason}` });
  }
});

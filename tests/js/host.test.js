// host.js: the version of the OpenCode running the plugin (OPENCODE_VERSION, or the npm package around the binary)
// and the warning for one older than the package's engines.opencode.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compareVersions, hostOpencodeVersion, hostWarning, minOpencodeVersion, olderOpencodeWarning } from "../../js/host.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "occw-host-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** <tmp>/<dir>/package.json = manifest and <tmp>/<dir>/bin/<bin>; returns the binary's path. */
function npmBinary(dir, manifest, bin = "opencode") {
  fs.mkdirSync(path.join(tmp, dir, "bin"), { recursive: true });
  fs.writeFileSync(path.join(tmp, dir, "package.json"), JSON.stringify(manifest));
  fs.writeFileSync(path.join(tmp, dir, "bin", bin), "");
  return path.join(tmp, dir, "bin", bin);
}

test("compareVersions and minOpencodeVersion", () => {
  assert.deepEqual([compareVersions("1.18.33", "1.14.34") > 0, compareVersions("1.9.0", "1.14.0") < 0, compareVersions("1.14.34-beta", "1.14.34")], [true, true, 0]);
  assert.equal(minOpencodeVersion({ engines: { opencode: ">=1.14.34" } }), "1.14.34");
  assert.equal(minOpencodeVersion({ engines: {} }), null);
});

test("hostOpencodeVersion: OPENCODE_VERSION, else the opencode-ai or platform package around the binary, else unknown", () => {
  const wrapper = npmBinary("opencode-ai", { name: "opencode-ai", version: "1.17.0" }, "opencode.exe");
  const platform = npmBinary("opencode-linux-x64", { name: "opencode-linux-x64", version: "1.18.33" });
  const other = npmBinary("bun", { name: "bun", version: "1.3.14" }, "bun");
  assert.equal(hostOpencodeVersion({ env: { OPENCODE_VERSION: "1.15.0" }, execPath: wrapper }), "1.15.0");
  assert.equal(hostOpencodeVersion({ env: {}, execPath: wrapper }), "1.17.0");
  assert.equal(hostOpencodeVersion({ env: {}, execPath: platform }), "1.18.33");
  assert.equal(hostOpencodeVersion({ env: {}, execPath: other }), null);
  assert.equal(hostOpencodeVersion({ env: {}, execPath: "/usr/local/bin/opencode" }), null);
});

test("the warning names both versions and the upgrade command; nothing when new enough or unknown", () => {
  assert.equal(
    olderOpencodeWarning("1.3.2", "1.14.34"),
    "OpenCode 1.3.2 is older than 1.14.34, the oldest this plugin works with: the login menu or requests may fail. Upgrade it: opencode upgrade (or npm install -g opencode-ai@latest)",
  );
  assert.equal(olderOpencodeWarning("1.14.34", "1.14.34"), null);
  assert.equal(olderOpencodeWarning(null, "1.14.34"), null);
  assert.equal(olderOpencodeWarning("1.3.2", null), null);
  const old = npmBinary("old/opencode-ai", { name: "opencode-ai", version: "1.10.0" });
  const manifest = { engines: { opencode: ">=1.14.34" } };
  assert.match(hostWarning({ env: {}, execPath: old, manifest }), /^OpenCode 1\.10\.0 is older than 1\.14\.34/);
  assert.equal(hostWarning({ env: { OPENCODE_VERSION: "1.18.33" }, execPath: old, manifest }), null);
});

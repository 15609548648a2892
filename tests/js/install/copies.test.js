// copies.js: which package copies in our data dir may go (no record points at them, no live process leased them),
// the plugin's lease at load, and the sweep the installer and the plugin run after an upgrade.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { LEASES, copyOf, isAlive, liveUsers, markInUse, onPluginLoad, recordedCopies, sweepCopies } from "../../../js/install/copies.js";
import { NODE, makeSandbox } from "../../helpers/installer.js";

const temps = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

/** <tmp>/opencode-chatgpt-wasm with a copy per version (an index.js each) and optional install records. */
function dataDir(versions, records) {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "occw-copies-")));
  temps.push(tmp);
  const root = path.join(tmp, "opencode-chatgpt-wasm");
  for (const version of versions) {
    fs.mkdirSync(path.join(root, version), { recursive: true });
    fs.writeFileSync(path.join(root, version, "index.js"), "export default {};\n");
  }
  if (records) fs.writeFileSync(path.join(root, "installs.json"), JSON.stringify(records));
  return root;
}
const entryOf = (root, version) => pathToFileURL(path.join(root, version, "index.js")).href;
const listing = (root) => fs.readdirSync(root).sort();

/** A pid that has certainly exited: a child that already ran to its end. */
function deadPid() {
  const child = spawnSync(NODE, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

test("isAlive: this process is, a finished child is not", () => {
  assert.equal(isAlive(process.pid), true);
  assert.equal(isAlive(deadPid()), false);
});

test("copyOf: only a version directory directly in the data dir is a copy", () => {
  const root = "/d/opencode-chatgpt-wasm";
  assert.deepEqual(copyOf(`${root}/0.1.1`, root), { root, version: "0.1.1" });
  assert.deepEqual(copyOf(`${root}/0.2.0-beta.1`, root), { root, version: "0.2.0-beta.1" });
  assert.equal(copyOf(`${root}/0.1.1/sub`, root), null);
  assert.equal(copyOf(`${root}/${LEASES}`, root), null);
  assert.equal(copyOf("/work/checkout/dist", root), null);
  assert.equal(copyOf(root, root), null);
});

test("recordedCopies: the copy dirs file entries point at; npm entries and foreign paths name none", () => {
  const root = dataDir(["0.1.0"]);
  const records = {
    "/c/a.json": { entry: entryOf(root, "0.1.0") },
    "/c/b.json": { entry: "opencode-chatgpt-wasm@0.1.1" },
    "/c/c.json": { entry: "file:///elsewhere/index.js" },
    "/c/d.json": { entry: 42 },
  };
  assert.deepEqual(recordedCopies(root, records), [path.join(root, "0.1.0")]);
});

test("sweepCopies: removes unrecorded copies no live process leased; keeps the recorded one and those in use", () => {
  const root = dataDir(["0.1.0", "0.1.1", "0.0.9"], {});
  markInUse(root, "0.1.0", 101); // a dead OpenCode
  markInUse(root, "0.0.9", 202); // a live one
  markInUse(root, "0.1.1", 303); // the current copy, in use
  const alive = (pid) => pid === 202 || pid === 303;
  const result = sweepCopies(root, [path.join(root, "0.1.1")], alive);
  assert.deepEqual(result, { removed: [path.join(root, "0.1.0")], inUse: [{ dir: path.join(root, "0.0.9"), pids: [202] }] });
  assert.deepEqual(listing(root), [LEASES, "0.0.9", "0.1.1", "installs.json"].sort());
  assert.deepEqual(listing(path.join(root, LEASES)), ["0.0.9", "0.1.1"]);

  // once 202 has exited, the next sweep removes 0.0.9 and its lease dir
  const later = sweepCopies(root, [path.join(root, "0.1.1")], (pid) => pid === 303);
  assert.deepEqual(later, { removed: [path.join(root, "0.0.9")], inUse: [] });
  assert.deepEqual(listing(path.join(root, LEASES)), ["0.1.1"]);
  assert.deepEqual(liveUsers(root, "0.1.1", () => false), []);
  assert.equal(fs.existsSync(path.join(root, LEASES, "0.1.1")), false);
});

test("sweepCopies: nothing to do in a missing data dir", () => {
  assert.deepEqual(sweepCopies(path.join(os.tmpdir(), "occw-no-such-dir-19"), []), { removed: [], inUse: [] });
});

test("onPluginLoad: leases the copy it runs from and removes the copy an upgrade left behind", () => {
  const root = dataDir(["0.1.0", "0.1.1"]);
  fs.writeFileSync(path.join(root, "installs.json"), JSON.stringify({ "/c/opencode.json": { entry: entryOf(root, "0.1.1") } }));
  markInUse(root, "0.1.0", deadPid());
  const result = onPluginLoad(path.join(root, "0.1.1"), "opencode-chatgpt-wasm");
  assert.deepEqual(result, { removed: [path.join(root, "0.1.0")], inUse: [] });
  assert.deepEqual(fs.readdirSync(path.join(root, LEASES, "0.1.1")), [String(process.pid)]);
  assert.deepEqual(listing(root), [LEASES, "0.1.1", "installs.json"].sort());
});

test("onPluginLoad: a checkout or an npm install is no copy; without records nothing is removed", () => {
  assert.equal(onPluginLoad("/work/checkout/dist", "opencode-chatgpt-wasm"), null);
  const root = dataDir(["0.1.0", "0.1.1"]);
  assert.deepEqual(onPluginLoad(path.join(root, "0.1.1"), "opencode-chatgpt-wasm"), { removed: [], inUse: [] });
  assert.deepEqual(listing(root), [LEASES, "0.1.0", "0.1.1"].sort());
});

test("install over an older copy an OpenCode still runs keeps it and says so; uninstall removes both once it exited", async () => {
  const s = makeSandbox();
  temps.push(s.dir);
  const fakeVersion = (name, version) => {
    const cli = s.fakePackage({ name });
    const manifestPath = path.join(path.dirname(cli), "package.json");
    fs.writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifestPath, "utf8")), version }));
    return cli;
  };
  const root = path.join(s.env.XDG_DATA_HOME, "opencode-chatgpt-wasm");
  const first = await s.run(["install"], { cli: fakeVersion("old", "0.1.0") });
  assert.equal(first.code, 0, first.stderr);
  markInUse(root, "0.1.0", process.pid); // this test process plays the OpenCode that loaded 0.1.0

  const upgrade = await s.run(["install"], { cli: fakeVersion("new", "0.1.1") });
  assert.equal(upgrade.code, 0, upgrade.stderr);
  assert.ok(
    upgrade.stdout.includes(`kept the package copy ${path.join(root, "0.1.0")}: OpenCode (pid ${process.pid}) still uses it; it is removed once that OpenCode has exited`),
    upgrade.stdout,
  );
  assert.deepEqual(listing(root), [LEASES, "0.1.0", "0.1.1", "installs.json"].sort());

  fs.rmSync(path.join(root, LEASES, "0.1.0", String(process.pid)));
  markInUse(root, "0.1.0", deadPid()); // that OpenCode has exited
  const uninstall = await s.run(["uninstall"], { cli: fakeVersion("new2", "0.1.1") });
  assert.equal(uninstall.code, 0, uninstall.stderr);
  assert.match(uninstall.stdout, /removed the package copy .*\/0\.1\.0\n/);
  assert.match(uninstall.stdout, /removed the package copy .*\/0\.1\.1\n/);
  assert.equal(fs.existsSync(root), false, `left behind: ${fs.existsSync(root) ? listing(root) : ""}`);
});

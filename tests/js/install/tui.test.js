// The installer's tui.json part (js/install/tui.js): the pure plans, and `install` / `uninstall` / `doctor`
// through the CLI against temp HOME/XDG dirs. Runs under `node --test` and `scripts/bun-test-each`.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { planTuiInstall, planTuiUninstall, tuiEntryFor, locateTuiConfig } from "../../../js/install/tui.js";
import { makeSandbox } from "../../helpers/installer.js";

const sandboxes = [];
function sandbox() {
  const s = makeSandbox();
  sandboxes.push(s);
  return s;
}
after(() => {
  for (const s of sandboxes) s.cleanup();
});

const ENV = { HOME: "/home/u", XDG_DATA_HOME: "/home/u/.local/share" };
const ENTRY = "file:///home/u/.local/share/opencode-chatgpt-wasm/0.1.0/tui/index.tsx";
const COMMENTED = `{
  // my TUI settings
  "$schema": "https://opencode.ai/tui.json",
  "theme": "tokyonight", /* dark */
  "plugin": [
    "other-tui@1.0.0", // keep me
  ],
}
`;

describe("pure planning", () => {
  test("the TUI entry of a file entry and of an npm entry", () => {
    assert.equal(tuiEntryFor("file:///d/opencode-chatgpt-wasm/0.1.0/index.js"), "file:///d/opencode-chatgpt-wasm/0.1.0/tui/index.tsx");
    assert.equal(tuiEntryFor("opencode-chatgpt-wasm@0.1.0"), "opencode-chatgpt-wasm@0.1.0");
  });

  test("where tui.json is", () => {
    const env = { XDG_CONFIG_HOME: "/c" };
    assert.equal(locateTuiConfig({ cwd: "/w", env }), "/c/opencode/tui.json");
    assert.equal(locateTuiConfig({ cwd: "/w", env, project: true }), "/w/.opencode/tui.json");
    assert.equal(locateTuiConfig({ cwd: "/w", env, configPath: "x/opencode.json" }), "/w/x/tui.json");
    assert.equal(locateTuiConfig({ cwd: "/w", env: { ...env, OPENCODE_TUI_CONFIG: "/t/my.json" } }), "/t/my.json");
  });

  test("a new file, then idempotent", () => {
    const first = planTuiInstall({ text: null, entry: ENTRY, env: ENV });
    assert.equal(first.text, `{\n  "$schema": "https://opencode.ai/tui.json",\n  "plugin": [\n    "${ENTRY}"\n  ]\n}\n`);
    assert.deepEqual(first.changes, [`add TUI plugin entry ${ENTRY}`]);
    assert.equal(first.createdPlugin, true);
    const again = planTuiInstall({ text: first.text, entry: ENTRY, env: ENV });
    assert.equal(again.text, first.text);
    assert.deepEqual(again.changes, []);
  });

  test("JSONC kept: comments and other entries stay, ours is appended, and removing it gives the file back", () => {
    const plan = planTuiInstall({ text: COMMENTED, entry: ENTRY, env: ENV });
    assert.equal(plan.text, COMMENTED.replace('"other-tui@1.0.0", // keep me\n', `"other-tui@1.0.0", // keep me\n    "${ENTRY}",\n`));
    assert.equal(planTuiUninstall({ text: plan.text, env: ENV }).text, COMMENTED);
  });

  test("an older entry of ours is replaced in place, duplicates removed", () => {
    const old = "file:///home/u/.local/share/opencode-chatgpt-wasm/0.0.9/tui/index.tsx";
    const text = JSON.stringify({ plugin: ["a", old, "b", "opencode-chatgpt-wasm@0.0.8"] }, null, 2);
    const plan = planTuiInstall({ text, entry: ENTRY, env: ENV });
    assert.deepEqual(JSON.parse(plan.text).plugin, ["a", ENTRY, "b"]);
  });

  test("bad input: not an object, a plugin that is not a list, a syntax error", () => {
    assert.throws(() => planTuiInstall({ text: "[1]", file: "t.json", entry: ENTRY, env: ENV }), /must be a JSON object/);
    assert.throws(() => planTuiInstall({ text: '{"plugin": "x"}', file: "t.json", entry: ENTRY, env: ENV }), /"plugin" must be a list/);
    assert.throws(() => planTuiInstall({ text: '{"plugin": [}', file: "t.json", entry: ENTRY, env: ENV }), (e) => e.exitCode === 2 && /t\.json:1:/.test(e.message));
  });
});

describe("install / uninstall / doctor (CLI)", () => {
  test("install creates tui.json with the copy's TUI entry; a second run changes nothing; uninstall deletes it", async () => {
    const s = sandbox();
    const cli = s.fakePackage();
    const res = await s.run(["install"], { cli });
    assert.equal(res.code, 0, res.stderr);
    const tui = path.join(s.configDir, "tui.json");
    const entry = pathToFileURL(path.join(s.copyDir(), "tui", "index.tsx")).href;
    assert.equal(fs.readFileSync(tui, "utf8"), `{\n  "$schema": "https://opencode.ai/tui.json",\n  "plugin": [\n    "${entry}"\n  ]\n}\n`);
    assert.equal(fs.existsSync(fs.realpathSync(new URL(entry))), true);
    assert.match(res.stdout, /added the TUI entry/);
    const before = fs.statSync(tui).mtimeMs;
    const again = await s.run(["install"], { cli });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /TUI entry already in/);
    assert.equal(fs.statSync(tui).mtimeMs, before);
    const un = await s.run(["uninstall"], { cli });
    assert.equal(un.code, 0, un.stderr);
    assert.equal(fs.existsSync(tui), false);
    assert.equal(fs.existsSync(s.copyDir()), false);
    assert.equal(fs.existsSync(path.join(s.env.XDG_DATA_HOME, "opencode-chatgpt-wasm")), false);
  });

  test("over a commented tui.json: a .bak, and uninstall restores it byte for byte (mode kept)", async () => {
    const s = sandbox();
    const cli = s.fakePackage();
    fs.mkdirSync(s.configDir, { recursive: true });
    const tui = path.join(s.configDir, "tui.json");
    fs.writeFileSync(tui, COMMENTED, { mode: 0o640 });
    fs.chmodSync(tui, 0o640);
    assert.equal((await s.run(["install"], { cli })).code, 0);
    assert.equal(fs.readFileSync(`${tui}.bak`, "utf8"), COMMENTED);
    assert.match(fs.readFileSync(tui, "utf8"), /\/\/ my TUI settings[\s\S]*"other-tui@1\.0\.0", \/\/ keep me\n {4}"file:\/\/\S+\/tui\/index\.tsx",\n/);
    const un = await s.run(["uninstall"], { cli });
    assert.equal(un.code, 0, un.stderr);
    assert.match(un.stdout, /restored .*tui\.json as it was before install/);
    assert.equal(fs.readFileSync(tui, "utf8"), COMMENTED);
    assert.equal(fs.statSync(tui).mode & 0o777, 0o640);
  });

  test("edited after install: uninstall removes only our entry", async () => {
    const s = sandbox();
    fs.mkdirSync(s.configDir, { recursive: true });
    const tui = path.join(s.configDir, "tui.json");
    fs.writeFileSync(tui, COMMENTED);
    assert.equal((await s.run(["install"])).code, 0);
    fs.writeFileSync(tui, fs.readFileSync(tui, "utf8").replace("tokyonight", "gruvbox"));
    const res = await s.run(["uninstall"]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /remove TUI plugin entry file:\S+\/js\/tui\/index\.tsx/);
    assert.equal(fs.readFileSync(tui, "utf8"), COMMENTED.replace("tokyonight", "gruvbox"));
  });

  test("tui.json deleted by the user: uninstall still removes the package copy", async () => {
    const s = sandbox();
    const cli = s.fakePackage();
    assert.equal((await s.run(["install"], { cli })).code, 0);
    fs.rmSync(path.join(s.configDir, "tui.json"));
    const res = await s.run(["uninstall"], { cli });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(fs.existsSync(s.copyDir()), false);
    assert.equal(fs.existsSync(s.recordsFile), false);
  });

  test("--dry-run writes nothing and shows the diff; --no-tui leaves tui.json alone", async () => {
    const s = sandbox();
    const dry = await s.run(["install", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\+\s+"file:\S+\/js\/tui\/index\.tsx"/m);
    assert.equal(fs.existsSync(path.join(s.configDir, "tui.json")), false);
    assert.equal(fs.existsSync(s.globalConfig()), false);
    const res = await s.run(["install", "--no-tui"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(fs.existsSync(s.globalConfig()), true);
    assert.equal(fs.existsSync(path.join(s.configDir, "tui.json")), false);
  });

  test("an unparsable tui.json stops install before anything is written, and is never rewritten", async () => {
    const s = sandbox();
    fs.mkdirSync(s.configDir, { recursive: true });
    const tui = path.join(s.configDir, "tui.json");
    const broken = '{\n  "plugin": ["a"\n}\n';
    fs.writeFileSync(tui, broken);
    const res = await s.run(["install"]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /tui\.json:3:1: .*The file was not changed/);
    assert.equal(fs.readFileSync(tui, "utf8"), broken);
    assert.equal(fs.existsSync(s.globalConfig()), false);
    assert.equal(fs.existsSync(`${tui}.bak`), false);
  });

  test("doctor reports the TUI entry, and its absence with a fix", async () => {
    const s = sandbox();
    assert.equal((await s.run(["install"])).code, 0);
    const ok = await s.run(["doctor", "--offline"]);
    assert.match(ok.stdout, /✓ TUI entry file:\S+\/js\/tui\/index\.tsx in \S+tui\.json/);
    fs.rmSync(path.join(s.configDir, "tui.json"));
    const missing = await s.run(["doctor", "--offline"]);
    assert.match(missing.stdout, /✗ no TUI config at \S+tui\.json: the usage status is not shown\n\s+fix: run npx opencode-chatgpt-wasm install/);
  });
});

// The installer under faults a real machine throws, against temp HOME/XDG dirs (Node and Bun): a read-only
// config, OpenCode rewriting the config while we install, two installs at once, specs that only look like
// ours, and an untrusted checkout's node_modules/.bin/opencode. Races are forced by wrapping node:fs calls
// in-process (runInstall, syncPackageCopy), and also run for real with two CLI processes.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { isOurSpec, planUninstall, runInstall } from "../../../js/install/install.js";
import { syncPackageCopy } from "../../../js/install/files.js";
import { ROOT, makeSandbox } from "../../helpers/installer.js";

const sandboxes = [];
const restores = [];
function sandbox() {
  const s = makeSandbox();
  sandboxes.push(s);
  return s;
}
after(() => {
  for (const r of restores) r();
  for (const s of sandboxes) s.cleanup();
});

/** Replaces fs[name] until the returned restore(); `hook(original, ...args)` decides what the call does. */
function wrap(name, hook) {
  const original = fs[name];
  fs[name] = (...args) => hook(original, ...args);
  const restore = () => (fs[name] = original);
  restores.push(restore);
  return restore;
}

const installOpts = (s, lines) => ({ cwd: s.work, env: s.env, project: false, dryRun: false, models: null, entryKind: "file", removeConflicts: false, pkgDir: path.join(ROOT, "js"), out: (l) => lines.push(l) });
const siblings = (file) => fs.readdirSync(path.dirname(file)).sort();

test("a read-only config is not replaced; the user is told how to go on", async () => {
  const s = sandbox();
  const text = '{\n  "theme": "x"\n}\n';
  const file = s.writeConfig(text);
  fs.chmodSync(file, 0o444);
  const res = await s.run(["install"]);
  assert.equal(res.code, 1, res.stdout);
  assert.match(res.stderr, /opencode\.json is read-only .*chmod u\+w/);
  assert.equal(fs.readFileSync(file, "utf8"), text);
  assert.equal(fs.statSync(file).mode & 0o777, 0o444);
  assert.deepEqual(siblings(file), ["opencode.json"], "no backup or temp file either");
});

test("OpenCode rewrites the config while we install: its edit is kept, our entry is added", () => {
  const s = sandbox();
  const file = s.writeConfig('{\n  "theme": "x"\n}\n');
  const theirs = '{\n  "theme": "x",\n  "model": "openai/gpt-5.4"\n}\n';
  let rewrites = 0;
  // Just as we write our temp file (after our read, before our rename), OpenCode saves the config.
  const restore = wrap("openSync", (original, p, ...rest) => {
    if (rewrites === 0 && typeof p === "string" && path.basename(p).startsWith(".opencode.json.") && !path.basename(p).startsWith(".opencode.json.bak.")) {
      rewrites++;
      fs.writeFileSync(file, theirs);
    }
    return original(p, ...rest);
  });
  const lines = [];
  try {
    assert.equal(runInstall(installOpts(s, lines)), 0);
  } finally {
    restore();
  }
  assert.equal(rewrites, 1, "the race was forced");
  const out = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.equal(out.model, "openai/gpt-5.4", "OpenCode's edit is not lost");
  assert.equal(out.theme, "x");
  assert.equal(out.plugin.length, 1, "our entry is there once");
  assert.deepEqual(siblings(file), ["opencode.json", "opencode.json.bak"]);
  assert.equal(fs.readFileSync(`${file}.bak`, "utf8"), theirs, "the backup is what was there just before our write");
});

test("only our real specs are ours: look-alikes are neither replaced nor uninstalled", () => {
  const env = { HOME: "/home/u", XDG_DATA_HOME: "/home/u/.local/share" };
  for (const spec of ["opencode-chatgpt-wasm", "opencode-chatgpt-wasm@0.0.9", "opencode-chatgpt-wasm@latest", "file:///home/u/.local/share/opencode-chatgpt-wasm/0.0.9/index.js", "file:///src/opencode-chatgpt-wasm/dist/index.js"]) {
    assert.equal(isOurSpec(spec, env), true, spec);
  }
  for (const spec of ["opencode-chatgpt-wasm-fork", "@someone/opencode-chatgpt-wasm", "my-opencode-chatgpt-wasm@1.0.0", "file:///src/opencode-chatgpt-wasm-helper/index.js", "file:///src/opencode-chatgpt-wasm/other-plugin.js", "https://example.com/opencode-chatgpt-wasm.js"]) {
    assert.equal(isOurSpec(spec, env), false, spec);
  }
  const text = '{\n  "plugin": ["opencode-chatgpt-wasm@0.1.0", "opencode-chatgpt-wasm-fork", "@someone/opencode-chatgpt-wasm"]\n}\n';
  const plan = planUninstall({ text, env });
  assert.deepEqual(JSON.parse(plan.text).plugin, ["opencode-chatgpt-wasm-fork", "@someone/opencode-chatgpt-wasm"]);
});

test("two installs copying the package at once: both succeed, no .old-<pid> or .tmp-<pid> left", () => {
  const s = sandbox();
  const from = path.dirname(s.fakePackage());
  const to = s.copyDir("9.9.9");
  syncPackageCopy(from, to); // an older copy is there
  fs.writeFileSync(path.join(to, "stale.txt"), "from an older version");
  let raced = false;
  // Right after we move the old copy aside, the other install finishes its own copy into place.
  const restore = wrap("renameSync", (original, a, b) => {
    const result = original(a, b);
    if (!raced && a === to) {
      raced = true;
      fs.cpSync(from, to, { recursive: true, dereference: true });
    }
    return result;
  });
  try {
    assert.equal(syncPackageCopy(from, to), "copied");
  } finally {
    restore();
  }
  assert.equal(raced, true, "the race was forced");
  assert.deepEqual(fs.readdirSync(path.dirname(to)).sort(), ["9.9.9"], "nothing left beside the copy");
  assert.equal(fs.existsSync(path.join(to, "stale.txt")), false);
});

test("two install processes at once, three times: both exit 0, one entry, no leftovers", async () => {
  const s = sandbox();
  const cli = s.fakePackage();
  for (let round = 0; round < 3; round++) {
    fs.rmSync(s.copyDir(), { recursive: true, force: true });
    const [a, b] = await Promise.all([s.run(["install"], { cli }), s.run(["install"], { cli })]);
    assert.deepEqual([a.code, b.code], [0, 0], `${a.stderr}\n${b.stderr}`);
    assert.equal(JSON.parse(fs.readFileSync(s.globalConfig(), "utf8")).plugin.length, 1);
    assert.deepEqual(fs.readdirSync(path.dirname(s.copyDir())).filter((n) => /\.(old|tmp)-/.test(n)), []);
    assert.deepEqual(fs.readdirSync(s.configDir).filter((n) => n.endsWith(".tmp")), []);
  }
});

test("install and doctor never run node_modules/.bin/opencode from the working directory's ancestors", async () => {
  const s = sandbox();
  // An untrusted checkout: its node_modules/.bin/opencode would run as us.
  const checkout = path.join(s.work, "checkout");
  const marker = path.join(s.dir, "ran-untrusted-opencode");
  fs.mkdirSync(path.join(checkout, "node_modules", ".bin"), { recursive: true });
  fs.mkdirSync(path.join(checkout, "src"));
  fs.writeFileSync(path.join(checkout, "node_modules", ".bin", "opencode"), `#!/bin/sh\ntouch ${JSON.stringify(marker)}\necho 1.18.33\n`, { mode: 0o755 });
  const doctor = await s.run(["doctor", "--offline"], { cwd: path.join(checkout, "src") });
  assert.match(doctor.stdout, /✗ OpenCode not found on PATH/);
  const install = await s.run(["install"], { cwd: path.join(checkout, "src") });
  assert.equal(install.code, 0, install.stderr);
  assert.equal(fs.existsSync(marker), false, "the checkout's binary was not run");
});

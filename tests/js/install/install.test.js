// The installer: pure planning functions directly, and the CLI (`node js/cli.js ...`) against temp HOME/XDG dirs.
// Runs under `node --test tests/js/` and `bun test tests/js/install.test.js`.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createScanner, parse, SyntaxKind } from "jsonc-parser";
import { unifiedDiff } from "../../../js/install/diff.js";
import {
  conflictName,
  detectFormatting,
  isOurSpec,
  lineColumn,
  parseConfig,
  planInstall,
  planUninstall,
} from "../../../js/install/install.js";
import { catalogModels, modelEntry } from "../../../js/request/catalog.js";
import { PKG_VERSION, REAL_OPENCODE, makeSandbox, runProcess } from "../../helpers/installer.js";

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
const ENTRY = "file:///home/u/.local/share/opencode-chatgpt-wasm/0.1.0/index.js";
const MODEL = { slug: "gpt-5.4", displayName: "GPT-5.4", contextWindow: 272000, efforts: ["low", "medium", "high", "xhigh"] };

function comments(text) {
  const scanner = createScanner(text, false);
  const found = [];
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind === SyntaxKind.LineCommentTrivia || kind === SyntaxKind.BlockCommentTrivia) found.push(scanner.getTokenValue());
  }
  return found;
}

const stat = (file) => {
  const s = fs.statSync(file);
  return { mode: s.mode & 0o777, mtimeMs: s.mtimeMs, size: s.size };
};

/** Applies a unified diff to `before` (test oracle for unifiedDiff). */
function applyUnified(before, diff) {
  const src = before === "" ? [] : before.replace(/\n$/, "").split("\n");
  const out = [];
  let at = 0;
  const lines = diff.split("\n");
  for (let i = 2; i < lines.length; i += 1) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(lines[i]);
    if (m) {
      const start = Number(m[1]) - (m[2] === "0" ? 0 : 1);
      while (at < start) out.push(src[at++]);
      continue;
    }
    if (lines[i] === "") continue;
    const op = lines[i][0];
    const text = lines[i].slice(1);
    if (op === " ") {
      assert.equal(src[at], text, `context mismatch at old line ${at + 1}`);
      out.push(text);
      at += 1;
    } else if (op === "-") {
      assert.equal(src[at], text, `removed line mismatch at old line ${at + 1}`);
      at += 1;
    } else if (op === "+") out.push(text);
  }
  while (at < src.length) out.push(src[at++]);
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

describe("unifiedDiff", () => {
  test("prints a hunk with three lines of context, removals before additions", () => {
    const before = "a\nb\nc\nd\ne\nf\ng\nh\n";
    const after = "a\nb\nc\nd\nE\nf\ng\nh\n";
    assert.equal(unifiedDiff(before, after, { oldLabel: "x", newLabel: "y" }), "--- x\n+++ y\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n");
  });

  test("equal texts give no diff; a missing file is /dev/null; a missing final newline is marked", () => {
    assert.equal(unifiedDiff("x\n", "x\n"), "");
    assert.equal(unifiedDiff(null, "{}\n", { newLabel: "n" }), "--- /dev/null\n+++ n\n@@ -0,0 +1 @@\n+{}\n");
    assert.equal(unifiedDiff("a", "a\n"), "--- a\n+++ b\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n");
  });

  test("applying the diff to the old text gives the new text (200 generated cases)", () => {
    let seed = 7;
    const rand = (n) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 200; round += 1) {
      const a = Array.from({ length: rand(30) }, () => `l${rand(6)}`);
      const b = a.filter(() => rand(4) !== 0).flatMap((line) => (rand(5) === 0 ? [line, `n${rand(6)}`] : [line]));
      const before = a.length ? `${a.join("\n")}\n` : "";
      const afterText = b.length ? `${b.join("\n")}\n` : "";
      const diff = unifiedDiff(before, afterText);
      if (before === afterText) assert.equal(diff, "");
      else assert.equal(applyUnified(before, diff), afterText, `round ${round}`);
    }
  });
});

describe("pure planning", () => {
  test("lineColumn and parse errors name the line and column", () => {
    assert.deepEqual(lineColumn("ab\ncd", 4), { line: 2, column: 2 });
    assert.throws(() => parseConfig('{\n  "a": 1\n  "b": 2\n}', "/x/opencode.json"), (e) => {
      assert.equal(e.exitCode, 2);
      assert.match(e.message, /^\/x\/opencode\.json:3:3: comma expected\./);
      return true;
    });
    assert.throws(() => parseConfig("[1]", "/x/o.json"), /must be a JSON object .* holds a list/);
  });

  test("recognizes our entries and conflicting plugins", () => {
    const ours = [
      "opencode-chatgpt-wasm",
      "opencode-chatgpt-wasm@0.0.9",
      "file:///home/u/.local/share/opencode-chatgpt-wasm/0.0.9/index.js",
      "file:///src/opencode-chatgpt-wasm/dist/index.js",
    ];
    for (const spec of ours) assert.equal(isOurSpec(spec, ENV), true, spec);
    for (const spec of ["opencode-openai-codex-auth@4.4.0", "file:///elsewhere/index.js", "oc-codex-multi-auth", null]) assert.equal(isOurSpec(spec, ENV), false, spec);
    assert.equal(isOurSpec("file:///tmp/dev/index.js", ENV, ["file:///tmp/dev/index.js"]), true);
    assert.deepEqual(
      ["opencode-openai-codex-auth@4.4.0", "oc-codex-multi-auth", "@x/opencode-codex-auth", "opencode-openai-auth", "my-codex-auth", "opencode-chatgpt-wasm", "other"].map(conflictName),
      ["opencode-openai-codex-auth", "oc-codex-multi-auth", "opencode-codex-auth", "opencode-openai-auth", "codex-auth", null, null],
    );
  });

  test("a model entry has names, limits and one variant per supported effort; other efforts are disabled", () => {
    const variant = (effort) => ({ reasoningEffort: effort, reasoningSummary: "auto", include: ["reasoning.encrypted_content"] });
    assert.deepEqual(modelEntry({ ...MODEL, efforts: ["low", "high"], maxOutputTokens: 64000 }), {
      name: "GPT-5.4",
      reasoning: true,
      limit: { context: 272000, input: 272000, output: 64000 },
      variants: {
        low: variant("low"),
        high: variant("high"),
        none: { disabled: true },
        minimal: { disabled: true },
        medium: { disabled: true },
        xhigh: { disabled: true },
        max: { disabled: true },
      },
    });
  });

  test("an older entry is replaced in place, its options kept, duplicates removed", () => {
    const text = '{\n  "plugin": [\n    ["opencode-chatgpt-wasm@0.0.5", { "debug": true }],\n    "other",\n    "opencode-chatgpt-wasm@0.0.4"\n  ]\n}\n';
    const plan = planInstall({ text, entry: ENTRY, env: ENV });
    assert.deepEqual(parse(plan.text), { plugin: [[ENTRY, { debug: true }], "other"] });
    assert.deepEqual(plan.changes, [`replace plugin entry opencode-chatgpt-wasm@0.0.5 with ${ENTRY}`, "remove duplicate plugin entry opencode-chatgpt-wasm@0.0.4"]);
  });

  test("keeps tabs, CRLF line endings and trailing commas", () => {
    const text = '{\r\n\t"theme": "x",\r\n\t"plugin": ["a"],\r\n}\r\n';
    assert.deepEqual(detectFormatting(text), { insertSpaces: false, tabSize: 4, eol: "\r\n" });
    const plan = planInstall({ text, entry: ENTRY, env: ENV });
    assert.equal(plan.text, `{\r\n\t"theme": "x",\r\n\t"plugin": ["a", "${ENTRY}"],\r\n}\r\n`);
    const models = planInstall({ text, entry: ENTRY, env: ENV, models: [MODEL] }).text;
    assert.match(models, /\t"plugin": \["a", "[^"]+"\],\r\n\t"provider": \{\r\n\t\t"openai": \{\r\n\t\t\t"models": \{\r\n\t\t\t\t"gpt-5\.4": \{\r\n\t\t\t\t\t"name"/);
    assert.match(models, /\r\n\t},\r\n}\r\n$/);
    assert.equal(models.replace(/\r\n/g, "").includes("\n"), false);
  });

  test("conflicts after our entry are flagged; removeConflicts removes them", () => {
    const text = JSON.stringify({ plugin: ["opencode-openai-auth", ENTRY, "oc-codex-multi-auth@1"] });
    const plan = planInstall({ text, entry: ENTRY, env: ENV });
    assert.deepEqual(plan.conflicts, [
      { spec: "opencode-openai-auth", name: "opencode-openai-auth", afterOurs: false, removed: false },
      { spec: "oc-codex-multi-auth@1", name: "oc-codex-multi-auth", afterOurs: true, removed: false },
    ]);
    assert.equal(plan.text, text);
    const removing = planInstall({ text, entry: ENTRY, env: ENV, removeConflicts: true });
    assert.deepEqual(parse(removing.text), { plugin: [ENTRY] });
  });

  test("models: adds missing ones, keeps the user's own, updates and retires the ones it wrote before", () => {
    const old = { ...modelEntry(MODEL), name: "GPT-5.4 (old)" };
    const retired = modelEntry({ ...MODEL, slug: "gpt-5.3-codex", displayName: "GPT-5.3 Codex" });
    const mine = { name: "my own 5.5" };
    const text = JSON.stringify({ plugin: [ENTRY], provider: { openai: { models: { "gpt-5.4": old, "gpt-5.5": mine, "gpt-5.3-codex": retired } } } }, null, 2);
    const record = { entry: ENTRY, models: { "gpt-5.4": old, "gpt-5.3-codex": retired } };
    const models = [MODEL, { ...MODEL, slug: "gpt-5.5", displayName: "GPT-5.5" }, { ...MODEL, slug: "gpt-5.4-mini", displayName: "GPT-5.4 Mini" }];
    const plan = planInstall({ text, entry: ENTRY, env: ENV, models, record });
    assert.deepEqual(parse(plan.text).provider.openai.models, {
      "gpt-5.4": modelEntry(MODEL),
      "gpt-5.5": mine,
      "gpt-5.4-mini": modelEntry(models[2]),
    });
    assert.deepEqual(plan.changes, ["update model openai/gpt-5.4", "add model openai/gpt-5.4-mini", "remove model openai/gpt-5.3-codex (no longer in the catalog)"]);
    assert.deepEqual(plan.notes, ["kept your own entry for openai/gpt-5.5"]);
    assert.deepEqual(Object.keys(plan.models).sort(), ["gpt-5.4", "gpt-5.4-mini"]);
  });

  test("without a record, uninstall removes our entries, catalog-equal models and the containers it emptied", () => {
    const text = JSON.stringify({ theme: "x", plugin: ["opencode-chatgpt-wasm@0.0.1", ENTRY], provider: { openai: { models: { "gpt-5.4": modelEntry(MODEL) } } } }, null, 2);
    const plan = planUninstall({ text, env: ENV, catalog: [MODEL] });
    assert.deepEqual(parse(plan.text), { theme: "x" });
  });

  test("uninstall(install(x)) gives x back byte for byte; empty containers at least parse equal", () => {
    const exact = [
      "{}",
      "{}\n",
      "{\n  // only a comment\n}\n",
      '{"theme":"x"}',
      '{"theme": "x", "plugin": ["a"]}',
      '{\n  "theme": "x"\n}\n',
      '{\n  "theme": "x", // c\n}\n',
      '{\n  "theme": "x" // c\n}\n',
      '{\n  "theme": "x" /* b */\n}',
      '{\n  "plugin": [\n    "a" // c\n  ]\n}\n',
      '{\n  "plugin": [\n    "a", // c\n  ],\n}\n',
      '{\n  "plugin": ["a",],\n}\n',
      '{\n  "plugin": []\n}\n',
      '{\n  "plugin": [\n    // none yet\n  ]\n}\n',
      '{\n  "provider": {}\n}\n',
      '{\n  "provider": {\n    "openai": {\n      "options": {"timeout": 1}\n    }\n  }\n}\n',
      '{\n  "provider": {\n    "openai": {\n      "models": {\n        "mine": {}\n      }\n    } // p\n  }\n}\n',
      '{\r\n\t"a": 1\r\n}\r\n',
      '{\n    "a": [1,\n      2]\n}',
      '{"plugin":["x","y"],"provider":{"openai":{}}}',
      '// top\n{\n  "$schema": "https://opencode.ai/config.json",\n  /* c */ "plugin": ["a", "b"] // end\n}\n// bottom\n',
      '{\n  "plugin": [\n    ["opt-plugin", {"a": 1}]\n  ]\n}\n',
    ];
    const blanksDiffer = ["{\n}\n", "{ }", '{\n  "plugin": [\n  ]\n}\n', '{\n  "plugin": [ /* none */ ]\n}\n'];
    for (const models of [null, [MODEL]]) {
      for (const text of [...exact, ...blanksDiffer]) {
        const installed = planInstall({ text, entry: ENTRY, env: ENV, models });
        const errors = [];
        parse(installed.text, errors, { allowTrailingComma: true });
        assert.deepEqual(errors, [], installed.text);
        assert.deepEqual(comments(installed.text), comments(text));
        const record = { entry: ENTRY, models: installed.models, created: installed.created };
        const back = planUninstall({ text: installed.text, env: ENV, record, catalog: [] }).text;
        if (exact.includes(text)) assert.equal(back, text, `models: ${Boolean(models)}`);
        else assert.deepEqual(parse(back), parse(text));
      }
    }
  });

  test("refuses a plugin list or provider that has the wrong type", () => {
    assert.throws(() => planInstall({ text: '{"plugin": "x"}', entry: ENTRY, env: ENV }), (e) => e.exitCode === 2 && /"plugin" must be a list, but it is a string/.test(e.message));
    assert.throws(() => planInstall({ text: '{"provider": {"openai": 1}}', entry: ENTRY, env: ENV, models: [MODEL] }), /"provider.openai" must be an object/);
  });
});

const COMMENTED = `// OpenCode config, by hand
{
  "$schema": "https://opencode.ai/config.json", // schema
  /* my plugins:
     keep them */
  "plugin": [
    "some-plugin@1.2.3", // pinned
  ],
  "theme": "tokyonight",
  "provider": {
    // local models
    "ollama": { "options": { "baseURL": "http://127.0.0.1:11434/v1" } }
  }
}
`;

describe("install (CLI)", () => {
  test("fresh install creates the config, copies the package to the data dir and writes a file:// entry", async () => {
    const s = sandbox();
    const cli = s.fakePackage();
    const res = await s.run(["install"], { cli });
    assert.equal(res.code, 0, res.stderr);
    const entry = pathToFileURL(path.join(s.copyDir(), "index.js")).href;
    assert.equal(fs.readFileSync(s.globalConfig(), "utf8"), `{\n  "$schema": "https://opencode.ai/config.json",\n  "plugin": [\n    "${entry}"\n  ]\n}\n`);
    assert.deepEqual(fs.readdirSync(s.copyDir()).sort(), fs.readdirSync(path.dirname(cli)).sort());
    assert.equal(fs.existsSync(path.join(s.copyDir(), "node_modules", "jsonc-parser", "package.json")), true);
    assert.equal(fs.lstatSync(path.join(s.copyDir(), "node_modules", "jsonc-parser")).isSymbolicLink(), false);
    assert.equal(fs.existsSync(`${s.globalConfig()}.bak`), false);
    assert.equal(stat(s.recordsFile).mode, 0o600);
    assert.match(res.stdout, /installed opencode-chatgpt-wasm \S+ in /);
    assert.match(res.stdout, /ours replaces it: config plugins register after the built-in ones/);
    // The copy is self-contained: its cli runs from there (and recognizes itself as installed).
    const again = await s.run(["install"], { cli: path.join(s.copyDir(), "cli.js") });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already installed, nothing changed/);
  });

  test("over a commented JSONC file: comments byte-identical, every other key unchanged", async () => {
    const s = sandbox();
    const file = s.writeConfig(COMMENTED, "opencode.jsonc");
    const res = await s.run(["install", "--models"], { cli: s.fakePackage() });
    assert.equal(res.code, 0, res.stderr);
    const text = fs.readFileSync(file, "utf8");
    assert.deepEqual(comments(text), comments(COMMENTED));
    const before = parse(COMMENTED);
    const now = parse(text);
    const entry = pathToFileURL(path.join(s.copyDir(), "index.js")).href;
    assert.deepEqual(now.plugin, ["some-plugin@1.2.3", entry]);
    assert.equal(now.theme, before.theme);
    assert.deepEqual(now.provider.ollama, before.provider.ollama);
    assert.deepEqual(Object.keys(now), ["$schema", "plugin", "theme", "provider"]);
    assert.deepEqual(Object.keys(now.provider.openai.models), (await catalogModels()).map((m) => m.slug));
    assert.equal(fs.readFileSync(`${file}.bak`, "utf8"), COMMENTED);
    assert.equal(fs.existsSync(s.globalConfig("opencode.json")), false);
  });

  test("a second run changes nothing and says so", async () => {
    const s = sandbox();
    const cli = s.fakePackage();
    const file = s.writeConfig(COMMENTED);
    assert.equal((await s.run(["install", "--models"], { cli })).code, 0);
    const first = stat(file);
    const text = fs.readFileSync(file, "utf8");
    const res = await s.run(["install", "--models"], { cli });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /already installed, nothing changed/);
    assert.deepEqual(stat(file), first);
    assert.equal(fs.readFileSync(file, "utf8"), text);
  });

  test("upgrade: an older entry of ours is replaced in place, not duplicated", async () => {
    const s = sandbox();
    const oldCopy = pathToFileURL(path.join(s.env.XDG_DATA_HOME, "opencode-chatgpt-wasm", "0.0.9", "index.js")).href;
    const file = s.writeConfig(JSON.stringify({ plugin: ["a", oldCopy, "b", "opencode-chatgpt-wasm@0.0.8"] }, null, 2));
    const res = await s.run(["install"], { cli: s.fakePackage() });
    assert.equal(res.code, 0, res.stderr);
    const entry = pathToFileURL(path.join(s.copyDir(), "index.js")).href;
    assert.deepEqual(parse(fs.readFileSync(file, "utf8")).plugin, ["a", entry, "b"]);
    assert.match(res.stdout, /replace plugin entry file:\S+0\.0\.9\/index\.js with/);
    assert.match(res.stdout, /remove duplicate plugin entry opencode-chatgpt-wasm@0\.0\.8/);
  });

  test("conflicting plugins are explained and kept, or removed with --remove-conflicts", async () => {
    const s = sandbox();
    const original = JSON.stringify({ plugin: ["opencode-openai-codex-auth@4.4.0", "oc-codex-multi-auth"] }, null, 2);
    const file = s.writeConfig(original);
    const res = await s.run(["install"]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /warning: conflicting plugin "opencode-openai-codex-auth@4\.4\.0"/);
    assert.match(res.stdout, /OpenCode 1\.18 already refuses to load opencode-openai-codex-auth/);
    assert.match(res.stdout, /warning: conflicting plugin "oc-codex-multi-auth"\n  it also logs in to ChatGPT and rewrites Codex requests/);
    assert.match(res.stdout, /fix: run again with --remove-conflicts/);
    assert.deepEqual(parse(fs.readFileSync(file, "utf8")).plugin.slice(0, 2), ["opencode-openai-codex-auth@4.4.0", "oc-codex-multi-auth"]);
    const removing = await s.run(["install", "--remove-conflicts"]);
    assert.equal(removing.code, 0, removing.stderr);
    assert.equal(parse(fs.readFileSync(file, "utf8")).plugin.length, 1);
    assert.match(removing.stdout, /remove conflicting plugin oc-codex-multi-auth/);
  });

  test("--dry-run prints the diff and touches nothing", async () => {
    const s = sandbox();
    const file = s.writeConfig(COMMENTED);
    const before = stat(file);
    const res = await s.run(["install", "--dry-run"], { cli: s.fakePackage() });
    assert.equal(res.code, 0, res.stderr);
    const entry = pathToFileURL(path.join(s.copyDir(), "index.js")).href;
    assert.match(res.stdout, new RegExp(`--- ${file}\\n\\+\\+\\+ ${file}\\n@@ `));
    assert.match(res.stdout, new RegExp(`^ {5}"some-plugin@1\\.2\\.3", // pinned\\n\\+ {4}"${entry.replace(/[.]/g, "\\.")}",$`, "m"));
    assert.match(res.stdout, /would copy .* to /);
    assert.match(res.stdout, /dry run: nothing was written/);
    assert.deepEqual(stat(file), before);
    assert.equal(fs.readFileSync(file, "utf8"), COMMENTED);
    assert.equal(fs.existsSync(`${file}.bak`), false);
    assert.equal(fs.existsSync(path.join(s.env.XDG_DATA_HOME, "opencode-chatgpt-wasm")), false);
  });

  test("a deleted package copy is restored; our entry in another global file OpenCode merges is pointed out", async () => {
    const s = sandbox();
    const cli = s.fakePackage();
    assert.equal((await s.run(["install"], { cli })).code, 0);
    fs.rmSync(s.copyDir(), { recursive: true });
    const res = await s.run(["install"], { cli });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /copied the package to .*\n.*the config already lists file:\S+; only the package copy was refreshed/);
    assert.equal(fs.existsSync(path.join(s.copyDir(), "index.js")), true);
    // opencode.jsonc now wins the choice; opencode.json still holds our entry.
    s.writeConfig("{}\n", "opencode.jsonc");
    const both = await s.run(["install"], { cli });
    assert.equal(both.code, 0, both.stderr);
    assert.match(both.stdout, /config: .*opencode\.jsonc \[global\]\nwarning: .*opencode\.json also lists file:\S+; OpenCode merges both files/);
  });

  test("--entry npm writes the registry spec; OPENCODE_CONFIG and --project pick the file", async () => {
    const s = sandbox();
    const envFile = path.join(s.dir, "custom", "oc.json");
    fs.mkdirSync(path.dirname(envFile));
    const res = await s.run(["install", "--entry", "npm"], { extraEnv: { OPENCODE_CONFIG: envFile } });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(parse(fs.readFileSync(envFile, "utf8")).plugin, [`opencode-chatgpt-wasm@${PKG_VERSION}`]);
    fs.writeFileSync(path.join(s.work, "opencode.jsonc"), "{}\n");
    const project = await s.run(["install", "--project", "--entry", "npm"]);
    assert.equal(project.code, 0, project.stderr);
    assert.deepEqual(parse(fs.readFileSync(path.join(s.work, "opencode.jsonc"), "utf8")).plugin, [`opencode-chatgpt-wasm@${PKG_VERSION}`]);
    assert.equal(fs.existsSync(path.join(s.work, "opencode.json")), false);
    assert.equal(fs.existsSync(s.globalConfig()), false);
  });
});

describe("uninstall (CLI)", () => {
  test("restores the original file byte for byte, and removes the package copy", async () => {
    const s = sandbox();
    const cli = s.fakePackage();
    const file = s.writeConfig(COMMENTED, "opencode.jsonc");
    fs.chmodSync(file, 0o640);
    assert.equal((await s.run(["install", "--models"], { cli })).code, 0);
    const res = await s.run(["uninstall"], { cli });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(fs.readFileSync(file, "utf8"), COMMENTED);
    assert.equal(stat(file).mode, 0o640);
    assert.equal(fs.existsSync(s.copyDir()), false);
    assert.equal(fs.existsSync(path.join(s.env.XDG_DATA_HOME, "opencode-chatgpt-wasm")), false);
    const again = await s.run(["uninstall"], { cli });
    assert.match(again.stdout, /is not installed in .*, nothing changed/);
  });

  test("removes a config file the installer created", async () => {
    const s = sandbox();
    assert.equal((await s.run(["install"])).code, 0);
    assert.equal(fs.existsSync(s.globalConfig()), true);
    const res = await s.run(["uninstall"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(fs.existsSync(s.globalConfig()), false);
  });

  test("a created file the user has since filled, then upgraded: uninstall removes our entry, never the file", async () => {
    const s = sandbox();
    assert.equal((await s.run(["install"])).code, 0); // creates the file: nothing was there before
    const file = s.globalConfig();
    const filled = fs.readFileSync(file, "utf8").replace('"$schema": "https://opencode.ai/config.json",', '"$schema": "https://opencode.ai/config.json",\n  "theme": "gruvbox",\n  "model": "openai/gpt-5.4",');
    fs.writeFileSync(file, filled);
    // Any upgrade changes the entry (here: file: → npm), and the install re-records what it wrote.
    const upgrade = await s.run(["install", "--entry", "npm"]);
    assert.equal(upgrade.code, 0, upgrade.stderr);
    const res = await s.run(["uninstall"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(fs.existsSync(file), true, "the user's settings are not deleted with the file");
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), { $schema: "https://opencode.ai/config.json", theme: "gruvbox", model: "openai/gpt-5.4" });
  });

  test("a created file left untouched through an upgrade is still removed (byte for byte what we wrote)", async () => {
    const s = sandbox();
    assert.equal((await s.run(["install"])).code, 0);
    assert.equal((await s.run(["install", "--entry", "npm"])).code, 0);
    const res = await s.run(["uninstall"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(fs.existsSync(s.globalConfig()), false);
  });

  test("without the install records, still recognizes and removes the entry this package writes", async () => {
    const s = sandbox();
    const file = s.writeConfig('{\n  "plugin": ["x"]\n}\n');
    assert.equal((await s.run(["install"])).code, 0);
    fs.rmSync(s.recordsFile);
    const res = await s.run(["uninstall"]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /remove plugin entry file:\S+\/js\/index\.js/);
    assert.equal(fs.readFileSync(file, "utf8"), '{\n  "plugin": ["x"]\n}\n');
  });

  test("after later edits by the user: removes only what install added", async () => {
    const s = sandbox();
    const file = s.writeConfig(COMMENTED);
    assert.equal((await s.run(["install", "--models"])).code, 0);
    const edited = fs.readFileSync(file, "utf8").replace('"theme": "tokyonight"', '"theme": "gruvbox"');
    fs.writeFileSync(file, edited);
    const dry = await s.run(["uninstall", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^-\s+"file:/m);
    assert.equal(fs.readFileSync(file, "utf8"), edited);
    const res = await s.run(["uninstall"]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(fs.readFileSync(file, "utf8"), COMMENTED.replace('"theme": "tokyonight"', '"theme": "gruvbox"'));
  });
});

describe("bad input (CLI)", () => {
  const MALFORMED = [
    ['{\n  "plugin": ["a"]\n  "theme": "x"\n}\n', 3, 3, /comma expected/],
    ['{\n  "theme": "x\n}\n', 2, 12, /unexpected end of string/],
    ['{\n  "theme": "x"\n}\n}\n', 4, 1, /unexpected text after the end of the object/],
    ['// only a comment\n', 2, 1, /value expected/],
  ];
  for (const [text, line, column, why] of MALFORMED) {
    test(`never overwrites a malformed file; names line ${line}, column ${column}`, async () => {
      const s = sandbox();
      const file = s.writeConfig(text);
      const before = stat(file);
      const res = await s.run(["install", "--models"]);
      assert.equal(res.code, 2);
      assert.match(res.stderr, new RegExp(`^error: ${file.replace(/[.]/g, "\\.")}:${line}:${column}: `));
      assert.match(res.stderr, why);
      assert.match(res.stderr, /The file was not changed/);
      assert.deepEqual(stat(file), before);
      assert.equal(fs.existsSync(`${file}.bak`), false);
      assert.equal((await s.run(["uninstall"])).code, 2);
      assert.equal(fs.readFileSync(file, "utf8"), text);
    });
  }

  test("a config that is not an object is refused", async () => {
    const s = sandbox();
    const file = s.writeConfig('["plugin"]\n');
    const res = await s.run(["install"]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /must be a JSON object \(\{ \.\.\. \}\), but this file holds a list/);
    assert.equal(fs.readFileSync(file, "utf8"), '["plugin"]\n');
  });

  test("a symlinked config is written through to its target; the link stays", async () => {
    const s = sandbox();
    const target = path.join(s.dir, "dotfiles", "opencode.json");
    fs.mkdirSync(path.dirname(target));
    fs.writeFileSync(target, '{ "theme": "x" }\n');
    fs.mkdirSync(s.configDir, { recursive: true });
    fs.symlinkSync(target, s.globalConfig());
    const res = await s.run(["install"]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /\(a link to .*dotfiles\/opencode\.json\)/);
    assert.equal(fs.lstatSync(s.globalConfig()).isSymbolicLink(), true);
    assert.equal(parse(fs.readFileSync(target, "utf8")).plugin.length, 1);
    assert.equal(fs.readFileSync(`${target}.bak`, "utf8"), '{ "theme": "x" }\n');
    assert.equal((await s.run(["uninstall"])).code, 0);
    assert.equal(fs.readFileSync(target, "utf8"), '{ "theme": "x" }\n');
    assert.equal(fs.lstatSync(s.globalConfig()).isSymbolicLink(), true);
  });

  test("a dangling symlink is an error, not replaced", async () => {
    const s = sandbox();
    fs.mkdirSync(s.configDir, { recursive: true });
    fs.symlinkSync(path.join(s.dir, "nowhere.json"), s.globalConfig());
    const res = await s.run(["install"]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /is a symbolic link to .*nowhere\.json, which does not exist/);
    assert.equal(fs.lstatSync(s.globalConfig()).isSymbolicLink(), true);
  });

  test("a config path whose parent is not a directory gives a clear error", async () => {
    const s = sandbox();
    fs.writeFileSync(path.join(s.dir, "afile"), "");
    const res = await s.run(["install", "--config", path.join(s.dir, "afile", "opencode.json")]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^error: cannot read .*afile\/opencode\.json: a parent of that path is not a directory\n$/);
  });

  test("an unwritable config directory gives a clear error", { skip: process.getuid?.() === 0 ? "root ignores permissions" : false }, async () => {
    const s = sandbox();
    const file = s.writeConfig("{}\n");
    fs.chmodSync(s.configDir, 0o555);
    try {
      const res = await s.run(["install"]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /cannot write .*: permission denied; fix the permissions or pick another file with --config PATH/);
      assert.equal(fs.readFileSync(file, "utf8"), "{}\n");
    } finally {
      fs.chmodSync(s.configDir, 0o755);
    }
  });

  test("unknown options and commands exit with code 2", async () => {
    const s = sandbox();
    for (const args of [["--nope"], ["frobnicate"], ["install", "--entry", "git"]]) {
      const res = await s.run(args);
      assert.equal(res.code, 2, args.join(" "));
      assert.match(res.stderr, /^error: /);
    }
  });
});

const realOpencodeSkip = !fs.existsSync(REAL_OPENCODE) ? "opencode-ai not installed" : process.versions.bun ? "runs under node --test only (OpenCode takes ~40 s)" : false;
describe("the real OpenCode reads what we wrote", () => {
  test("opencode debug config and opencode models openai --verbose", { skip: realOpencodeSkip, timeout: 180_000 }, async () => {
    const s = sandbox();
    s.writeConfig(COMMENTED, "opencode.jsonc");
    const res = await s.run(["install", "--models"], { cli: s.fakePackage() });
    assert.equal(res.code, 0, res.stderr);
    const entry = pathToFileURL(path.join(s.copyDir(), "index.js")).href;
    const runOpencode = (args) => runProcess(REAL_OPENCODE, args, { cwd: s.work, env: s.env, timeoutMs: 120_000 });

    const debug = await runOpencode(["debug", "config"]);
    assert.equal(debug.code, 0, debug.stderr);
    const resolved = JSON.parse(debug.stdout);
    assert.deepEqual(resolved.plugin, ["some-plugin@1.2.3", entry]);
    assert.deepEqual(resolved.provider.ollama, parse(COMMENTED).provider.ollama);
    assert.deepEqual(resolved.provider.openai.models["gpt-5.4"], modelEntry(MODEL));

    const models = await runOpencode(["models", "openai", "--verbose"]);
    assert.equal(models.code, 0, models.stderr);
    const block = /^openai\/gpt-5\.4\n(\{[\s\S]*?\n\})$/m.exec(models.stdout);
    assert.ok(block, "gpt-5.4 missing from opencode models");
    const info = JSON.parse(block[1]);
    assert.equal(info.name, "GPT-5.4");
    assert.deepEqual(info.limit, { context: 272000, input: 272000, output: 128000 });
    assert.deepEqual(Object.keys(info.variants).sort(), ["high", "low", "medium", "xhigh"]);
    assert.deepEqual(info.variants.xhigh, { reasoningEffort: "xhigh", reasoningSummary: "auto", include: ["reasoning.encrypted_content"] });
  });
});

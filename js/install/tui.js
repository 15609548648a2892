// The installer's part for OpenCode's TUI config (tui.json): adds our TUI entry point (the usage status,
// sidebar and "ChatGPT usage" command, js/tui/index.tsx) to its `plugin` list, and takes it out again,
// with the same care as opencode.json: JSONC comments and formatting kept (jsonc-edit.js), a `.bak`,
// atomic writes, idempotent, --dry-run, and uninstall restores the file byte for byte when it is still what
// we wrote. Never writes a file it could not parse. The plan functions are pure and tested directly.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { findNodeAtLocation } from "jsonc-parser";
import { unifiedDiff } from "./diff.js";
import { EXIT_BAD_INPUT, InstallError, PACKAGE_NAME, configRoot, ioError, readConfigFile, readRecords, sha256, writeFileAtomic, writeRecords } from "./files.js";
import { detectFormatting, isOurSpec, parseConfig, pluginSpec } from "./install.js";
import { appendAt, collapseAt, removeAt, setAt, tree as parseValid } from "./jsonc-edit.js";

export const TUI_SCHEMA_URL = "https://opencode.ai/tui.json";

/**
 * The tui.json to edit, beside the opencode.json being edited: `OPENCODE_TUI_CONFIG`; with `--config PATH`,
 * tui.json(c) in that file's directory; with `project`, ./.opencode/tui.json(c); else the global
 * `${XDG_CONFIG_HOME:-~/.config}/opencode/tui.json(c)`. An existing .jsonc wins over a new .json.
 */
export function locateTuiConfig({ configPath, project = false, cwd, env }) {
  if (env.OPENCODE_TUI_CONFIG) return path.resolve(cwd, env.OPENCODE_TUI_CONFIG);
  const dir = configPath ? path.dirname(path.resolve(cwd, configPath)) : project ? path.join(cwd, ".opencode") : path.join(configRoot(env), "opencode");
  const jsonc = path.join(dir, "tui.jsonc");
  return fs.existsSync(jsonc) ? jsonc : path.join(dir, "tui.json");
}

/** The TUI entry for a server entry: a file entry's `…/index.js` → `…/tui/index.tsx`; an npm spec stays (OpenCode reads `exports["./tui"]`). */
export function tuiEntryFor(entry) {
  if (!entry.startsWith("file:")) return entry;
  return pathToFileURL(path.join(path.dirname(fileURLToPath(entry)), "tui", "index.tsx")).href;
}

function pluginItems(text) {
  const node = findNodeAtLocation(parseValid(text), ["plugin"]);
  if (node && node.type !== "array") return null;
  return (node?.children ?? []).map((child, index) => ({ index, node: child, spec: pluginSpec(child) }));
}

function notAList(file) {
  return new InstallError(`${file}: "plugin" must be a list. The file was not changed.`, EXIT_BAD_INPUT);
}

/** Plans adding `entry` (text null or blank: a new file). Pure. Returns {text, changes, createdPlugin}. */
export function planTuiInstall({ text, file = "tui.json", entry, env, knownEntries = [] }) {
  const tree = parseConfig(text, file);
  let out = tree ? text : `${JSON.stringify({ $schema: TUI_SCHEMA_URL }, null, 2)}\n`;
  const fmt = detectFormatting(out);
  const items = pluginItems(out);
  if (items === null) throw notAList(file);
  const ours = items.filter((item) => item.spec === entry || isOurSpec(item.spec, env, knownEntries));
  const changes = [];
  const createdPlugin = !findNodeAtLocation(parseValid(out), ["plugin"]);
  if (createdPlugin) {
    out = setAt(out, ["plugin"], [entry], fmt);
    changes.push(`add TUI plugin entry ${entry}`);
    return { text: out, changes, createdPlugin };
  }
  const [first, ...dups] = ours;
  if (first && first.spec !== entry) {
    out = setAt(out, first.node.type === "array" ? ["plugin", first.index, 0] : ["plugin", first.index], entry, fmt);
    changes.push(`replace TUI plugin entry ${first.spec} with ${entry}`);
  }
  for (const dup of [...dups].reverse()) {
    out = removeAt(out, ["plugin", dup.index]);
    changes.push(`remove duplicate TUI plugin entry ${dup.spec}`);
  }
  if (!first) {
    out = appendAt(out, ["plugin"], entry, fmt);
    changes.push(`add TUI plugin entry ${entry}`);
  }
  return { text: out, changes, createdPlugin };
}

/** Plans removing every entry of ours. Pure. Returns {text, changes}. */
export function planTuiUninstall({ text, file = "tui.json", env, knownEntries = [], removeEmptyPlugin = false }) {
  if (!parseConfig(text, file)) return { text, changes: [] };
  const items = pluginItems(text);
  if (items === null) throw notAList(file);
  let out = text;
  const ours = items.filter((item) => isOurSpec(item.spec, env, knownEntries));
  for (const item of [...ours].reverse()) out = removeAt(out, ["plugin", item.index]);
  if (ours.length > 0 && (findNodeAtLocation(parseValid(out), ["plugin"])?.children ?? []).length === 0) {
    out = removeEmptyPlugin ? removeAt(out, ["plugin"]) : collapseAt(out, ["plugin"]);
  }
  return { text: out, changes: ours.map((item) => `remove TUI plugin entry ${item.spec}`) };
}

function isBareTui(text) {
  const keys = (parseConfig(text, "tui.json")?.children ?? []).map((p) => p.children?.[0]?.value);
  return keys.every((key) => key === "$schema");
}

function write(cfg, text) {
  if (cfg.text === null) {
    try {
      fs.mkdirSync(path.dirname(cfg.target), { recursive: true });
    } catch (error) {
      throw ioError(error, `cannot create ${path.dirname(cfg.target)}`);
    }
  } else writeFileAtomic(`${cfg.target}.bak`, cfg.text, { mode: cfg.mode });
  writeFileAtomic(cfg.target, text, { mode: cfg.mode, uid: cfg.uid, gid: cfg.gid });
}

/**
 * Reads and plans the tui.json edit for `entry` (the server entry install writes) without writing: call it
 * before touching opencode.json, so an unparsable tui.json stops the install before anything is written.
 * o = {cwd, env, configPath, project}. Throws InstallError.
 */
export function prepareTuiInstall(o, serverEntry) {
  const cfg = readConfigFile(locateTuiConfig(o));
  const entry = tuiEntryFor(serverEntry);
  const record = readRecords(o.env)[cfg.target] ?? null;
  const plan = planTuiInstall({ text: cfg.text, file: cfg.target, entry, env: o.env, knownEntries: record ? [record.entry] : [] });
  return { cfg, entry, record, plan };
}

/** Applies (or, with dryRun, prints) a prepared tui.json edit. o = {env, dryRun, out, version}. */
export function applyTuiInstall(o, { cfg, entry, record, plan }) {
  const changed = plan.text !== cfg.text;
  if (o.dryRun) {
    if (changed) o.out(unifiedDiff(cfg.text, plan.text, { oldLabel: cfg.target, newLabel: cfg.target }).trimEnd());
    else o.out(`TUI entry already in ${cfg.target}, nothing would change`);
    return;
  }
  if (!changed) return void o.out(`TUI entry already in ${cfg.target} (usage status and sidebar)`);
  write(cfg, plan.text);
  const records = readRecords(o.env);
  records[cfg.target] = {
    kind: "tui",
    entry,
    version: o.version,
    created: plan.createdPlugin || record?.created === true,
    originalSha256: record ? record.originalSha256 : sha256(cfg.text),
    writtenSha256: sha256(plan.text),
  };
  writeRecords(o.env, records);
  o.out(`added the TUI entry (usage status in the prompt line and sidebar) to ${cfg.target}:`);
  for (const change of plan.changes) o.out(`  ${change}`);
  if (cfg.text !== null) o.out(`backup of the previous file: ${cfg.target}.bak`);
}

/**
 * `uninstall` for tui.json: restores the `.bak` when the file is still what install wrote over it, deletes a file
 * install created, else removes our entries structurally. Run it before the opencode.json uninstall (that one
 * removes the package copy once no record points into it). o = {cwd, env, configPath, project, dryRun, out}.
 */
export function runTuiUninstall(o) {
  const cfg = readConfigFile(locateTuiConfig(o));
  const records = readRecords(o.env);
  const record = records[cfg.target] ?? null;
  if (cfg.text === null) {
    // Deleted by the user: forget our record too, so the package copy can go with the opencode.json uninstall.
    if (record && !o.dryRun) {
      delete records[cfg.target];
      writeRecords(o.env, records);
    }
    return;
  }
  parseConfig(cfg.text, cfg.target);
  let how = "edit";
  let next;
  let changes = [];
  if (record && sha256(cfg.text) === record.writtenSha256) {
    const bak = record.originalSha256 === null ? null : readText(`${cfg.target}.bak`);
    if (record.originalSha256 === null) how = "delete";
    else if (bak !== null && sha256(bak) === record.originalSha256) [how, next] = ["restore", bak];
  }
  if (how === "edit") {
    ({ text: next, changes } = planTuiUninstall({ text: cfg.text, file: cfg.target, env: o.env, knownEntries: record ? [record.entry] : [], removeEmptyPlugin: record?.created === true }));
    if (next === cfg.text) {
      if (record && !o.dryRun) {
        delete records[cfg.target];
        writeRecords(o.env, records);
      }
      return;
    }
    if (record?.originalSha256 === null && isBareTui(next)) how = "delete";
  }
  if (o.dryRun) {
    o.out(unifiedDiff(cfg.text, how === "delete" ? null : next, { oldLabel: cfg.target, newLabel: cfg.target }).trimEnd());
    return;
  }
  if (how === "delete") {
    try {
      fs.rmSync(cfg.target);
    } catch (error) {
      throw ioError(error, `cannot remove ${cfg.target}`);
    }
    o.out(`removed ${cfg.target}: the installer had created it`);
  } else {
    write(cfg, next);
    o.out(how === "restore" ? `restored ${cfg.target} as it was before install` : `removed the TUI entry from ${cfg.target}:`);
    for (const change of changes) o.out(`  ${change}`);
  }
  delete records[cfg.target];
  writeRecords(o.env, records);
}

function readText(file) {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** doctor: whether tui.json lists our TUI entry and that file exists: {status, detail, fix}. */
export function checkTui(o) {
  const file = locateTuiConfig(o);
  const fix = `run npx ${PACKAGE_NAME} install (it adds the TUI entry)`;
  let cfg;
  try {
    cfg = readConfigFile(file);
    if (cfg.text === null) return { status: "fail", detail: `no TUI config at ${file}: the usage status is not shown`, fix };
    const items = parseConfig(cfg.text, cfg.target) ? (pluginItems(cfg.text) ?? []) : [];
    const record = readRecords(o.env)[cfg.target];
    const ours = items.map((i) => i.spec).filter((spec) => isOurSpec(spec, o.env, record ? [record.entry] : []));
    if (ours.length === 0) return { status: "fail", detail: `${cfg.target} does not list the ${PACKAGE_NAME} TUI entry: the usage status is not shown`, fix };
    if (ours[0].startsWith("file:") && !fs.existsSync(fileURLToPath(ours[0]))) {
      return { status: "fail", detail: `TUI entry ${ours[0]} in ${cfg.target} points at a missing file`, fix };
    }
    return { status: "ok", detail: `TUI entry ${ours[0]} in ${cfg.target}` };
  } catch (error) {
    return { status: "fail", detail: String(error?.message ?? error), fix: "fix the file (see above)" };
  }
}

// The installer's logic: finds OpenCode's config file, plans the JSONC edit that adds (or removes) our plugin
// entry and model entries (parsed with jsonc-parser, edited by jsonc-edit.js: comments, formatting and key order
// kept), and writes it atomically with a `.bak`. Never writes a file it could not parse, never duplicates our
// entry. Argument parsing lives in cli.js; the plan functions are pure and tested directly.
import fs from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { fileURLToPath } from "node:url";
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode } from "jsonc-parser";
import { unifiedDiff } from "./diff.js";
import {
  EXIT_BAD_INPUT,
  ChangedMeanwhile,
  InstallError,
  PACKAGE_NAME,
  configRoot,
  ioError,
  isInside,
  ourDataDir,
  packageInfo,
  readConfigFile,
  readRecords,
  resolveEntry,
  sameTree,
  sha256,
  syncPackageCopy,
  writeFileAtomic,
  writeRecords,
} from "./files.js";
import { appendAt, collapseAt, removeAt, setAt, tree as parseValid } from "./jsonc-edit.js";
import { recordedCopies, sweepCopies } from "./copies.js";
import { modelEntry, OPENCODE_EFFORTS } from "../request/catalog.js";

export const SCHEMA_URL = "https://opencode.ai/config.json";
/** Other plugins that log in to ChatGPT and rewrite Codex requests for provider `openai` (most specific first). */
export const CONFLICTING_PLUGINS = ["opencode-openai-codex-auth", "oc-codex-multi-auth", "opencode-codex-auth", "opencode-openai-auth", "codex-auth"];
/** Plugins OpenCode 1.18 itself refuses to load (its own deny list). */
export const OPENCODE_SKIPPED_PLUGINS = ["opencode-openai-codex-auth"];
/** The text a first install starts a new config from. */
const NEW_CONFIG_TEXT = `${JSON.stringify({ $schema: SCHEMA_URL }, null, 2)}\n`;
const PARSE_OPTIONS = { allowTrailingComma: true, disallowComments: false };
const MODELS_PATH = ["provider", "openai", "models"];

function lexists(file) {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which config file to edit: `--config PATH`, else `OPENCODE_CONFIG`, else with `project` the working directory's
 * opencode.json / opencode.jsonc (the order OpenCode's own writer uses), else the global
 * `${XDG_CONFIG_HOME:-~/.config}/opencode/` opencode.jsonc / opencode.json / config.json. An existing file wins;
 * a new one is `opencode.json`. Returns {file, source, others: other existing candidates OpenCode also merges}.
 */
export function locateConfig({ configPath, project = false, cwd, env }) {
  if (configPath) return { file: path.resolve(cwd, configPath), source: "--config", others: [] };
  if (env.OPENCODE_CONFIG) return { file: path.resolve(cwd, env.OPENCODE_CONFIG), source: "OPENCODE_CONFIG", others: [] };
  const dir = project ? cwd : path.join(configRoot(env), "opencode");
  const names = project
    ? ["opencode.json", "opencode.jsonc", ".opencode/opencode.json", ".opencode/opencode.jsonc"]
    : ["opencode.jsonc", "opencode.json", "config.json"];
  const existing = names.map((name) => path.join(dir, name)).filter(lexists);
  const file = existing[0] ?? path.join(dir, "opencode.json");
  return { file, source: project ? "project" : "global", others: existing.slice(1) };
}

// ------------------------------------------------------------------------------------------------ parsing

/** 1-based line and column of a character offset. */
export function lineColumn(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

function describeParseError(code, text, offset) {
  if (offset === 0 && text.startsWith("\uFEFF")) return "the file starts with a byte order mark (save it as UTF-8 without BOM)";
  const name = printParseErrorCode(code);
  const special = { CloseBraceExpected: "'}' expected", CloseBracketExpected: "']' expected", EndOfFileExpected: "unexpected text after the end of the object" };
  return special[name] ?? name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

function kindOf(node) {
  if (!node) return "no value";
  return { object: "an object", array: "a list", string: "a string", number: "a number", boolean: "a boolean", null: "null" }[node.type] ?? node.type;
}

/**
 * Parses JSONC the way OpenCode does (comments and trailing commas allowed). Throws an InstallError with
 * `file:line:column` (exit code 2) on a syntax error or when the root is not an object. Empty text is a new config.
 */
export function parseConfig(text, file) {
  if (text === null || text.trim() === "") return undefined;
  const errors = [];
  const tree = parseTree(text, errors, PARSE_OPTIONS);
  if (errors.length > 0) {
    const { error, offset } = errors[0];
    const { line, column } = lineColumn(text, offset);
    throw new InstallError(
      `${file}:${line}:${column}: ${describeParseError(error, text, offset)}. The file was not changed: fix it and run again.`,
      EXIT_BAD_INPUT,
    );
  }
  if (tree?.type !== "object") {
    throw new InstallError(`${file}: OpenCode's config must be a JSON object ({ ... }), but this file holds ${kindOf(tree)}. The file was not changed.`, EXIT_BAD_INPUT);
  }
  return tree;
}

/** Formatting options matching the file: its indentation unit and line ending (2 spaces and \n by default). */
export function detectFormatting(text) {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const indent = /\n([ \t]+)\S/.exec(text)?.[1];
  if (indent?.startsWith("\t")) return { insertSpaces: false, tabSize: 4, eol };
  const width = indent ? Math.min(Math.max(indent.length, 1), 8) : 2;
  return { insertSpaces: true, tabSize: width, eol };
}

// -------------------------------------------------------------------------------------------- plugin entries

/** The module spec of a `plugin` item: "spec" or ["spec", {options}]; null for anything else. */
export function pluginSpec(node) {
  if (node?.type === "string") return node.value;
  if (node?.type === "array" && node.children?.[0]?.type === "string") return node.children[0].value;
  return null;
}

/** `opencode-chatgpt-wasm` from npm, any version or tag. */
const OUR_NPM_SPEC = new RegExp(`^${PACKAGE_NAME}(@[^/@\\s]+)?$`);
/** A checkout or package of ours: `…/opencode-chatgpt-wasm/index.js`, or its dist/ or js/ index.js. */
const OUR_FILE_PATH = new RegExp(`/${PACKAGE_NAME}/(dist/|js/)?index\\.js$`);

/**
 * Whether a plugin spec is one of ours: `extra` (what our installs wrote), our npm package at any version,
 * a file URL into our data dir, or a file URL to our package's index.js. Look-alikes (`…-fork`, a scoped
 * package, another file in a folder named after us) are not ours.
 */
export function isOurSpec(spec, env, extra = []) {
  if (typeof spec !== "string") return false;
  if (extra.includes(spec) || OUR_NPM_SPEC.test(spec)) return true;
  if (!spec.startsWith("file:")) return false;
  try {
    const file = fileURLToPath(spec);
    return isInside(file, ourDataDir(env)) || OUR_FILE_PATH.test(file.split(path.sep).join("/"));
  } catch {
    return false;
  }
}

/** The conflicting plugin a spec names, or null. */
export function conflictName(spec) {
  if (typeof spec !== "string" || spec.includes(PACKAGE_NAME)) return null;
  return CONFLICTING_PLUGINS.find((name) => spec.includes(name)) ?? null;
}

// --------------------------------------------------------------------------------------------- model entries

// ----------------------------------------------------------------------------------------------- planning

function nodeAt(text, jsonPath) {
  return findNodeAtLocation(parseValid(text), jsonPath);
}

/** The plain value of a node (jsonc-parser builds objects without a prototype, which deep equality tells apart). */
function plainValue(node) {
  return node === undefined ? undefined : JSON.parse(JSON.stringify(getNodeValue(node)));
}

function requireType(text, jsonPath, type, file) {
  const node = nodeAt(text, jsonPath);
  if (node && node.type !== type) {
    const want = type === "array" ? "a list" : "an object";
    throw new InstallError(`${file}: "${jsonPath.join(".")}" must be ${want}, but it is ${kindOf(node)}. The file was not changed.`, EXIT_BAD_INPUT);
  }
  return node;
}

function pluginItems(text) {
  const node = nodeAt(text, ["plugin"]);
  return (node?.children ?? []).map((child, index) => ({ index, node: child, spec: pluginSpec(child) }));
}

/** Recorded model entries that are still present and unchanged in `text`. */
function presentModels(text, models) {
  return Object.fromEntries(Object.entries(models).filter(([slug, value]) => {
    const node = nodeAt(text, [...MODELS_PATH, slug]);
    return node !== undefined && isDeepStrictEqual(plainValue(node), value);
  }));
}

/**
 * Plans an install on a config's text (null or blank: a new file). Pure.
 * - entry: the plugin spec to write; knownEntries: specs a previous install wrote (recognized as ours);
 * - models: catalog models to add to provider.openai.models, or null; record: the previous install record.
 * Our first entry is replaced in place (its options kept), duplicates removed, or the entry appended last;
 * conflicting plugins are reported (removed with removeConflicts). Model entries the user changed are kept.
 * Returns {text, changes: [sentences], notes: [sentences], conflicts: [{spec, name, afterOurs, removed}], models: record map,
 * created: dotted paths of the containers installs made (so uninstall removes them rather than emptying them)}.
 */
export function planInstall({ text, file = "config", entry, env, knownEntries = [], models = null, removeConflicts = false, record = null }) {
  const tree = parseConfig(text, file);
  let out = tree ? text : NEW_CONFIG_TEXT;
  const fmt = detectFormatting(out);
  const changes = [];
  const notes = [];
  const created = new Set(record?.created ?? []);
  const isOurs = (spec) => spec === entry || isOurSpec(spec, env, knownEntries);

  requireType(out, ["plugin"], "array", file);
  const items = pluginItems(out);
  const ours = items.filter((item) => isOurs(item.spec));
  const first = ours[0];
  const conflicts = items
    .filter((item) => !isOurs(item.spec) && conflictName(item.spec))
    .map((item) => ({ index: item.index, spec: item.spec, name: conflictName(item.spec), afterOurs: first !== undefined && item.index > first.index }));
  if (!nodeAt(out, ["plugin"])) {
    created.add("plugin");
    out = setAt(out, ["plugin"], [entry], fmt);
    changes.push(`add plugin entry ${entry}`);
  } else {
    // Replace first (indexes stay valid), then remove from the end, then append.
    if (first && first.spec !== entry) {
      out = setAt(out, first.node.type === "array" ? ["plugin", first.index, 0] : ["plugin", first.index], entry, fmt);
      changes.push(`replace plugin entry ${first.spec} with ${entry}`);
    }
    const removals = [
      ...ours.slice(1).map((item) => ({ index: item.index, why: `remove duplicate plugin entry ${item.spec}` })),
      ...(removeConflicts ? conflicts.map((c) => ({ index: c.index, why: `remove conflicting plugin ${c.spec}` })) : []),
    ].sort((a, b) => b.index - a.index);
    for (const removal of removals) {
      out = removeAt(out, ["plugin", removal.index]);
      changes.push(removal.why);
    }
    if (!first) {
      out = appendAt(out, ["plugin"], entry, fmt);
      changes.push(`add plugin entry ${entry}`);
    }
  }

  const recorded = record?.models ?? {};
  let modelRecord = { ...recorded };
  if (models) {
    for (let depth = 1; depth <= MODELS_PATH.length; depth += 1) {
      if (!requireType(out, MODELS_PATH.slice(0, depth), "object", file)) created.add(MODELS_PATH.slice(0, depth).join("."));
    }
    for (const model of models) {
      const want = modelEntry(model);
      const jsonPath = [...MODELS_PATH, model.slug];
      const node = nodeAt(out, jsonPath);
      const current = plainValue(node);
      if (node === undefined) {
        out = setAt(out, jsonPath, want, fmt);
        changes.push(`add model openai/${model.slug}`);
      } else if (isDeepStrictEqual(current, want)) {
        // already ours and current
      } else if (recorded[model.slug] !== undefined && isDeepStrictEqual(current, recorded[model.slug])) {
        out = setAt(out, jsonPath, want, fmt);
        changes.push(`update model openai/${model.slug}`);
      } else {
        notes.push(`kept your own entry for openai/${model.slug}`);
        continue;
      }
      modelRecord[model.slug] = want;
    }
    for (const [slug, value] of Object.entries(recorded)) {
      if (models.some((model) => model.slug === slug)) continue;
      const node = nodeAt(out, [...MODELS_PATH, slug]);
      if (node !== undefined && isDeepStrictEqual(plainValue(node), value)) {
        out = removeAt(out, [...MODELS_PATH, slug]);
        changes.push(`remove model openai/${slug} (no longer in the catalog)`);
      }
      delete modelRecord[slug];
    }
  }
  modelRecord = presentModels(out, modelRecord);
  return {
    text: out,
    changes,
    notes,
    conflicts: conflicts.map(({ spec, name, afterOurs }) => ({ spec, name, afterOurs, removed: removeConflicts })),
    models: modelRecord,
    created: [...created].filter((dotted) => nodeAt(out, dotted.split(".")) !== undefined).sort(),
  };
}

/**
 * Plans an uninstall: removes every plugin entry of ours and the model entries we wrote (as recorded, or equal to
 * what `catalog` generates) unless the user changed them; containers our removals emptied go too. Pure.
 * Returns {text, changes, notes}.
 */
export function planUninstall({ text, file = "config", env, knownEntries = [], record = null, catalog = [] }) {
  const tree = parseConfig(text, file);
  if (!tree) return { text, changes: [], notes: [] };
  let out = text;
  const changes = [];
  const notes = [];
  // A container our removals emptied goes away when install created it (or we cannot tell), else it is left empty.
  const emptied = (jsonPath) => {
    const node = nodeAt(out, jsonPath);
    if (node === undefined || (node.children ?? []).length > 0) return false;
    const dotted = jsonPath.join(".");
    out = !record?.created || record.created.includes(dotted) ? removeAt(out, jsonPath) : collapseAt(out, jsonPath);
    return true;
  };
  requireType(out, ["plugin"], "array", file);
  const ours = pluginItems(out).filter((item) => isOurSpec(item.spec, env, knownEntries));
  for (const item of [...ours].reverse()) {
    out = removeAt(out, ["plugin", item.index]);
    changes.push(`remove plugin entry ${item.spec}`);
  }
  if (ours.length > 0) emptied(["plugin"]);

  const modelsNode = nodeAt(out, MODELS_PATH);
  if (modelsNode?.type === "object") {
    const generated = Object.fromEntries(catalog.map((model) => [model.slug, modelEntry(model)]));
    let removed = 0;
    for (const property of modelsNode.children ?? []) {
      const slug = property.children?.[0]?.value;
      const value = plainValue(property.children?.[1]);
      const ourValues = [record?.models?.[slug], generated[slug]].filter((v) => v !== undefined);
      if (ourValues.some((v) => isDeepStrictEqual(v, value))) {
        out = removeAt(out, [...MODELS_PATH, slug]);
        changes.push(`remove model openai/${slug}`);
        removed += 1;
      } else if (record?.models?.[slug] !== undefined) {
        notes.push(`kept openai/${slug}: it was changed after install`);
      }
    }
    for (let depth = MODELS_PATH.length; removed > 0 && depth >= 1; depth -= 1) {
      if (!emptied(MODELS_PATH.slice(0, depth))) break;
    }
  }
  if (changes.length > 0) out = collapseAt(out, []);
  return { text: out, changes, notes };
}

// ---------------------------------------------------------------------------------------------- the commands

function readTextOrNull(file) {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function knownEntriesOf(record, entry) {
  return record ? [record.entry, entry] : [entry];
}

/** Our plugin entries in another config file OpenCode also reads (none when it does not parse). */
function otherEntries(file, env, known) {
  try {
    const { text } = readConfigFile(file);
    const tree = parseConfig(text, file);
    return (findNodeAtLocation(tree, ["plugin"])?.children ?? []).map(pluginSpec).filter((spec) => isOurSpec(spec, env, known));
  } catch {
    return [];
  }
}

function configLabel(cfg) {
  return cfg.target === cfg.file ? cfg.file : `${cfg.file} (a link to ${cfg.target})`;
}

/** The explanation printed for each conflicting plugin. */
export function conflictLines(conflicts) {
  const lines = [];
  for (const c of conflicts) {
    lines.push(`warning: conflicting plugin "${c.spec}"`);
    lines.push(`  it also logs in to ChatGPT and rewrites Codex requests for provider "openai"; two such plugins break each other's requests`);
    if (OPENCODE_SKIPPED_PLUGINS.includes(c.name)) lines.push(`  (OpenCode 1.18 already refuses to load ${c.name}: the entry is dead weight)`);
    else if (c.afterOurs) lines.push(`  it is listed after ours, so its login methods replace ours in \`opencode auth login\``);
    lines.push(c.removed ? "  removed (--remove-conflicts)" : `  fix: run again with --remove-conflicts, or delete it from the "plugin" list`);
  }
  return lines;
}

/** Refuses to replace a config its owner made read-only (root could, and a rename would anyway). */
function refuseReadOnly(cfg) {
  if (cfg.text === null || (cfg.mode & 0o222) !== 0) return;
  const mode = (cfg.mode & 0o777).toString(8).padStart(4, "0");
  throw new InstallError(`${cfg.target} is read-only (mode ${mode}); nothing was changed. To go on, make it writable (chmod u+w ${cfg.target}) or pick another file with --config PATH`);
}

/**
 * Runs `once()` again (up to 3 times in all) when the config changed under it (ChangedMeanwhile): the
 * next run reads the other program's version and edits that.
 */
function retryOnChange(once, out) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return once();
    } catch (error) {
      if (!(error instanceof ChangedMeanwhile) || attempt >= 3) throw error;
      out("note: the config was changed by another program while we were writing it; reading it again");
    }
  }
}

/** Sweeps the package copies after the other records (tui.json's) moved too; prints what it did. */
export function sweepPackageCopies(env, out) {
  for (const line of sweepLines(env, readRecords(env))) out(line);
}

/** Removes the package copies no record points at and no running OpenCode loaded (copies.js); the lines to print. */
function sweepLines(env, records) {
  const root = ourDataDir(env);
  const { removed, inUse } = sweepCopies(root, recordedCopies(root, records));
  return [
    ...removed.map((dir) => `removed the package copy ${dir}`),
    ...inUse.map(({ dir, pids }) => `kept the package copy ${dir}: OpenCode (pid ${pids.join(", ")}) still uses it; it is removed once that OpenCode has exited (the next start of OpenCode or of the installer does it)`),
  ];
}

/** Writes the new config text with a `.bak` of the previous content (mode kept); ChangedMeanwhile when it changed since read. */
function writeConfig(cfg, text) {
  if (cfg.text === null) {
    try {
      fs.mkdirSync(path.dirname(cfg.target), { recursive: true });
    } catch (error) {
      throw ioError(error, `cannot create ${path.dirname(cfg.target)}`);
    }
  } else {
    writeFileAtomic(`${cfg.target}.bak`, cfg.text, { mode: cfg.mode });
  }
  writeFileAtomic(cfg.target, text, { mode: cfg.mode, uid: cfg.uid, gid: cfg.gid, expect: cfg.text });
}

/**
 * `install`: o = {cwd, env, configPath, project, dryRun, models (catalog list or null), entryKind, removeConflicts,
 * pkgDir, out(line)}. Returns the exit code; throws InstallError.
 */
export function runInstall(o) {
  return retryOnChange(() => installOnce(o), o.out);
}

function installOnce(o) {
  const { env, out } = o;
  const located = locateConfig(o);
  const cfg = readConfigFile(located.file);
  parseConfig(cfg.text, cfg.target);
  const pkg = packageInfo(o.pkgDir);
  const { entry, copy } = resolveEntry({ pkg, env, entryKind: o.entryKind });
  const records = readRecords(env);
  const record = records[cfg.target] ?? null;
  const plan = planInstall({
    text: cfg.text,
    file: cfg.target,
    entry,
    env,
    knownEntries: record ? [record.entry] : [],
    models: o.models,
    removeConflicts: o.removeConflicts,
    record,
  });
  out(`config: ${configLabel(cfg)} [${located.source}]`);
  for (const other of located.others) {
    const ours = otherEntries(other, env, knownEntriesOf(record, entry));
    out(ours.length === 0
      ? `note: OpenCode also reads ${other}; it is left as it is`
      : `warning: ${other} also lists ${ours.join(", ")}; OpenCode merges both files, so remove it there (or run uninstall --config ${other})`);
  }
  for (const line of conflictLines(plan.conflicts)) out(line);
  for (const note of plan.notes) out(`note: ${note}`);
  const changed = plan.text !== cfg.text;
  if (!pkg.installed && o.entryKind !== "npm") {
    out(`note: running from a source checkout, so the entry points at ${path.join(pkg.dir, "index.js")}; for a loadable copy run scripts/build, then node dist/cli.js install`);
  }

  if (o.dryRun) {
    if (copy && !(fs.existsSync(copy.to) && sameTree(copy.from, copy.to))) out(`would copy ${copy.from} to ${copy.to}`);
    if (!changed) out("already installed, nothing would change");
    else out(unifiedDiff(cfg.text, plan.text, { oldLabel: cfg.target, newLabel: cfg.target }).trimEnd());
    out("dry run: nothing was written");
    return 0;
  }

  if (changed) refuseReadOnly(cfg);
  const copied = copy !== null && syncPackageCopy(copy.from, copy.to) === "copied";
  if (copied) out(`copied the package to ${copy.to}`);
  if (!changed) {
    out(copied ? `the config already lists ${entry}; only the package copy was refreshed` : `already installed, nothing changed (${entry})`);
    return 0;
  }
  writeConfig(cfg, plan.text);
  records[cfg.target] = {
    entry,
    version: pkg.version,
    models: plan.models,
    created: plan.created,
    originalSha256: record ? record.originalSha256 : sha256(cfg.text),
    // The file as we created it, while nobody else has changed it: only such a file may uninstall delete.
    createdSha256: cfg.text === null || (record?.createdSha256 != null && sha256(cfg.text) === record.createdSha256) ? sha256(plan.text) : null,
    writtenSha256: sha256(plan.text),
  };
  writeRecords(env, records);
  out(`installed ${PACKAGE_NAME} ${pkg.version} in ${cfg.target}:`);
  for (const change of plan.changes) out(`  ${change}`);
  if (o.sweep !== false) for (const line of sweepLines(env, records)) out(line);
  if (cfg.text !== null) out(`backup of the previous file: ${cfg.target}.bak`);
  out(`OpenCode's built-in ChatGPT login stays, but ours replaces it: config plugins register after the built-in ones, and the last plugin registering provider "openai" owns its login methods.`);
  out(`next: \`opencode auth login\`, choose OpenAI and sign in with ChatGPT; then check with \`npx ${PACKAGE_NAME} doctor\``);
  return 0;
}

/**
 * `uninstall`: restores the file byte for byte from the `.bak` when it is still exactly what our last install
 * wrote over that backup; otherwise removes our entries structurally. o = {cwd, env, configPath, project, dryRun,
 * catalog, pkgDir, out}. Returns the exit code; throws InstallError.
 */
export function runUninstall(o) {
  return retryOnChange(() => uninstallOnce(o), o.out);
}

function uninstallOnce(o) {
  const { env, out } = o;
  const located = locateConfig(o);
  const cfg = readConfigFile(located.file);
  if (cfg.text === null) {
    out(`no config at ${cfg.file}: nothing to uninstall`);
    return 0;
  }
  parseConfig(cfg.text, cfg.target);
  const records = readRecords(env);
  const record = records[cfg.target] ?? null;
  let how = "edit";
  let next;
  let plan = { changes: [], notes: [] };
  if (record && sha256(cfg.text) === record.writtenSha256) {
    const bak = readTextOrNull(`${cfg.target}.bak`);
    // Delete only a file byte for byte what we created (a user's later settings survive any upgrade).
    if (record.originalSha256 === null) how = record.createdSha256 != null && sha256(cfg.text) === record.createdSha256 ? "delete" : "edit";
    else if (bak !== null && sha256(bak) === record.originalSha256) {
      how = "restore";
      next = bak;
    }
  }
  if (how === "edit") {
    // Besides the recorded entry, the entries this very package would write are ours too (a dev checkout's path).
    const pkg = packageInfo(o.pkgDir);
    const knownEntries = [record?.entry, ...["file", "npm"].map((entryKind) => resolveEntry({ pkg, env, entryKind }).entry)].filter(Boolean);
    plan = planUninstall({ text: cfg.text, file: cfg.target, env, knownEntries, record, catalog: o.catalog ?? [] });
    next = plan.text;
    // What is left is byte for byte the skeleton a first install writes: nothing of the user's is in it.
    if (record?.originalSha256 === null && plan.changes.length > 0 && next === NEW_CONFIG_TEXT) how = "delete";
  }
  out(`config: ${configLabel(cfg)} [${located.source}]`);
  for (const note of plan.notes) out(`note: ${note}`);
  if (how === "edit" && next === cfg.text) {
    out(`${PACKAGE_NAME} is not installed in ${cfg.target}, nothing changed`);
    if (record && !o.dryRun) {
      delete records[cfg.target];
      writeRecords(env, records);
    }
    return 0;
  }
  if (o.dryRun) {
    out(unifiedDiff(cfg.text, how === "delete" ? null : next, { oldLabel: cfg.target, newLabel: cfg.target }).trimEnd());
    out("dry run: nothing was written");
    return 0;
  }
  refuseReadOnly(cfg);
  if (how === "delete") {
    try {
      fs.rmSync(cfg.target);
    } catch (error) {
      throw ioError(error, `cannot remove ${cfg.target}`);
    }
    out(`removed ${cfg.target}: the installer had created it`);
  } else {
    writeConfig(cfg, next);
    out(how === "restore" ? `restored ${cfg.target} as it was before install` : `removed ${PACKAGE_NAME} from ${cfg.target}:`);
    for (const change of plan.changes) out(`  ${change}`);
    out(`backup of the previous file: ${cfg.target}.bak`);
  }
  delete records[cfg.target];
  for (const line of sweepLines(env, records)) out(line);
  writeRecords(env, records);
  return 0;
}

// The package copies a `file` install keeps in <data>/opencode-chatgpt-wasm/<version>/, and who still uses them.
// Decides when an old copy may go: no install record points at it and no live process loaded it. A plugin loaded
// from a copy leaves a lease, <data>/opencode-chatgpt-wasm/.in-use/<version>/<pid>; a lease of a dead process counts
// for nothing. Never removes the copy a record points at, nor one a running OpenCode loaded (it still imports
// modules from it lazily). Imports only node:fs, node:path and node:url: the plugin calls it at load.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const VERSION_DIR = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/;
export const LEASES = ".in-use";

/** Whether process `pid` is alive (EPERM: alive, but someone else's). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** The copy `pkgDir` is, when it lies directly in `root` (our data dir): {root, version}; else null. */
export function copyOf(pkgDir, root) {
  const rel = path.relative(root, pkgDir);
  return rel !== "" && !rel.includes(path.sep) && VERSION_DIR.test(rel) ? { root, version: rel } : null;
}

/** Records that process `pid` loaded the copy `version`: an empty lease file named after the pid. */
export function markInUse(root, version, pid = process.pid) {
  const dir = path.join(root, LEASES, version);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, String(pid)), "");
}

/** Live pids holding a lease on `version`; leases of dead processes are removed on the way. */
export function liveUsers(root, version, alive = isAlive) {
  const dir = path.join(root, LEASES, version);
  let names;
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const live = [];
  for (const name of names) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) live.push(pid);
    else fs.rmSync(path.join(dir, name), { force: true });
  }
  if (live.length === 0) fs.rmSync(dir, { recursive: true, force: true });
  return live.sort((a, b) => a - b);
}

/**
 * Removes the copies in `root` that no entry in `keep` (directories of copies install records point at) names and
 * no live process uses. Returns {removed: [dirs], inUse: [{dir, pids}]}. Leftover lease dirs go when empty.
 */
export function sweepCopies(root, keep, alive = isAlive) {
  const kept = new Set(keep.map((dir) => path.resolve(dir)));
  const removed = [];
  const inUse = [];
  let names;
  try {
    names = fs.readdirSync(root);
  } catch {
    return { removed, inUse };
  }
  for (const name of names.filter((n) => VERSION_DIR.test(n)).sort()) {
    const dir = path.join(root, name);
    if (kept.has(dir)) continue;
    const pids = liveUsers(root, name, alive);
    if (pids.length > 0) {
      inUse.push({ dir, pids });
      continue;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  for (const name of safeReaddir(path.join(root, LEASES))) liveUsers(root, name, alive);
  try {
    fs.rmdirSync(path.join(root, LEASES)); // only when empty
  } catch {
    // leases remain, or none
  }
  return { removed, inUse };
}

/** The copy directories the install records (<root>/installs.json, {config: {entry}}) point at. */
export function recordedCopies(root, records = readRecordsIn(root)) {
  const dirs = [];
  for (const record of Object.values(records ?? {})) {
    if (typeof record?.entry !== "string" || !record.entry.startsWith("file:")) continue;
    try {
      const rel = path.relative(root, fileURLToPath(record.entry));
      if (rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel)) dirs.push(path.join(root, rel.split(path.sep)[0]));
    } catch {
      // not a file URL we can read: points at no copy
    }
  }
  return dirs;
}

function readRecordsIn(root) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, "installs.json"), "utf8"));
  } catch {
    return {};
  }
}

/**
 * Called by the plugin when OpenCode loads it from `pkgDir`: when that is one of our copies, leaves this process's
 * lease and removes the copies no record and no live process uses any more (those an upgrade left behind while
 * an OpenCode ran). Returns the sweep's result, or null when `pkgDir` is not a copy (a checkout, an npm entry).
 */
export function onPluginLoad(pkgDir, name) {
  const root = path.dirname(pkgDir);
  const copy = path.basename(root) === name ? copyOf(pkgDir, root) : null;
  if (!copy) return null;
  markInUse(root, copy.version);
  const records = readRecordsIn(root);
  // A copy with no record at all is kept: an unreadable installs.json must not cost the user their install.
  if (Object.keys(records ?? {}).length === 0) return { removed: [], inUse: [] };
  return sweepCopies(root, [pkgDir, ...recordedCopies(root, records)]);
}

function safeReaddir(dir) {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

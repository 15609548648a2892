// The OpenCode that hosts the plugin: its version, best effort, and the sentence for one older than the package
// supports (package.json `engines.opencode`). Reads two small files at most; never spawns a process, never throws,
// never blocks loading: an unknown version is not a reason to say anything.
import { readFileSync } from "node:fs";
import path from "node:path";

/** Compares dotted numeric versions: negative, 0 or positive. Pre-release suffixes are ignored. */
export function compareVersions(a, b) {
  const parts = (v) => v.split(/[-+]/)[0].split(".").map((n) => Number.parseInt(n, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The oldest OpenCode a package supports, from its package.json `engines.opencode` (">=X.Y.Z"); null when unset. */
export function minOpencodeVersion(manifest) {
  return /(\d+\.\d+\.\d+)/.exec(manifest?.engines?.opencode ?? "")?.[1] ?? null;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/**
 * The running OpenCode's version: `OPENCODE_VERSION` when set, else the package.json of the npm package whose
 * `bin/` holds the binary (`opencode-ai/bin/opencode.exe`, or a platform package `opencode-linux-x64/bin/opencode`).
 * Null when unknown (a standalone binary).
 */
export function hostOpencodeVersion({ env = process.env, execPath = process.execPath } = {}) {
  if (/^\d+\.\d+\.\d+/.test(env.OPENCODE_VERSION ?? "")) return env.OPENCODE_VERSION;
  const manifest = readJson(path.join(path.dirname(path.dirname(execPath)), "package.json"));
  const ours = /^opencode-(ai|linux|darwin|windows)(-|$)/.test(manifest?.name ?? "") && /^\d+\.\d+\.\d+/.test(manifest.version ?? "");
  return ours ? manifest.version : null;
}

/** The warning for an OpenCode older than `minVersion`, or null (new enough, or either version unknown). */
export function olderOpencodeWarning(version, minVersion) {
  if (!version || !minVersion || compareVersions(version, minVersion) >= 0) return null;
  return `OpenCode ${version} is older than ${minVersion}, the oldest this plugin works with: the login menu or requests may fail. Upgrade it: opencode upgrade (or npm install -g opencode-ai@latest)`;
}

/** The warning for the OpenCode running this process, against this package's own package.json; null when none. */
export function hostWarning({ env, execPath, manifest = readJson(new URL("./package.json", import.meta.url)) } = {}) {
  return olderOpencodeWarning(hostOpencodeVersion({ env, execPath }), minOpencodeVersion(manifest));
}

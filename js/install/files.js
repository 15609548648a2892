// The installer's files outside the config text: where things live (XDG dirs), reading a config file (through
// symlinks), atomic writes, the stable package copy in our data dir and the install records. No JSON editing here.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import { fsyncDir } from "../fsx.js";

export const PACKAGE_NAME = "opencode-chatgpt-wasm";
/** Exit code for input we refuse to touch: bad arguments, an unparsable config, a config that is not an object. */
export const EXIT_BAD_INPUT = 2;

/** An installer failure with the message to print and the process exit code. */
export class InstallError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.name = "InstallError";
    this.exitCode = exitCode;
  }
}

const IO_REASONS = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "a parent of that path is not a directory",
  ENOSPC: "no space left on device",
  EISDIR: "it is a directory",
  EEXIST: "a file is in the way",
};

/** Wraps a file-system error into an InstallError naming what we tried and how to get around it. */
export function ioError(error, what) {
  const reason = IO_REASONS[error?.code] ?? error?.message ?? String(error);
  const hint = ["EACCES", "EPERM", "EROFS"].includes(error?.code) ? "; fix the permissions or pick another file with --config PATH" : "";
  return new InstallError(`${what}: ${reason}${hint}`);
}

// ---------------------------------------------------------------------------------------------- locations

export function homeDir(env) {
  return env.HOME || os.homedir();
}

/** `${XDG_DATA_HOME:-~/.local/share}`: where OpenCode keeps auth.json and we keep our package copy. */
export function dataRoot(env) {
  return env.XDG_DATA_HOME || path.join(homeDir(env), ".local", "share");
}

export function configRoot(env) {
  return env.XDG_CONFIG_HOME || path.join(homeDir(env), ".config");
}

/** Our own data directory: stable package copies per version and the install records. */
export function ourDataDir(env) {
  return path.join(dataRoot(env), PACKAGE_NAME);
}

/**
 * Reads a config file: {file, target (the real file when `file` is a symlink), text (null when absent), mode, uid, gid}.
 * A dangling symlink or a non-file is an error, never silently replaced.
 */
export function readConfigFile(file) {
  let stat;
  try {
    stat = fs.lstatSync(file);
  } catch (error) {
    if (error.code === "ENOENT") return { file, target: file, text: null };
    throw ioError(error, `cannot read ${file}`);
  }
  let target = file;
  if (stat.isSymbolicLink()) {
    try {
      target = fs.realpathSync(file);
      stat = fs.statSync(target);
    } catch {
      throw new InstallError(`${file} is a symbolic link to ${fs.readlinkSync(file)}, which does not exist: create that file or remove the link`);
    }
  }
  if (!stat.isFile()) throw new InstallError(`${target} is not a regular file`);
  let text;
  try {
    text = fs.readFileSync(target, "utf8");
  } catch (error) {
    throw ioError(error, `cannot read ${target}`);
  }
  return { file, target, text, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
}

/** Whether `file` lies strictly inside `dir`. */
export function isInside(file, dir) {
  const rel = path.relative(dir, file);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

// ------------------------------------------------------------------------------------------------ writing

export function sha256(text) {
  return text === null ? null : crypto.createHash("sha256").update(text).digest("hex");
}

/** Thrown by writeFileAtomic({expect}) when the target changed since it was read: nothing was written. */
export class ChangedMeanwhile extends InstallError {
  constructor(file) {
    super(`${file} was changed by another program while we were writing it (OpenCode, an editor, another install); nothing was written: run the command again`);
    this.name = "ChangedMeanwhile";
  }
}

/** The text of `file`, or null when it does not exist. */
function currentText(file) {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return null;
    throw error;
  }
}

/**
 * Writes `data` to `file` atomically: a temp file in the same directory, written, chmod'ed to `mode` (default:
 * 0666 minus the umask), fsync'ed, then renamed over the target (owner kept when we may); the directory is fsync'ed after.
 * With `expect` (the text read before, null: absent), the target is re-read just before the rename and, when it
 * changed meanwhile, nothing is written (ChangedMeanwhile): another program's edit is never lost.
 */
export function writeFileAtomic(file, data, { mode, uid, gid, expect } = {}) {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  let fd;
  try {
    fd = fs.openSync(tmp, "wx", mode ?? 0o666);
    fs.writeFileSync(fd, data);
    if (mode !== undefined) fs.fchmodSync(fd, mode);
    if (uid !== undefined && typeof process.getuid === "function" && (uid !== process.getuid() || gid !== process.getgid())) {
      try {
        fs.fchownSync(fd, uid, gid);
      } catch {
        // not permitted: the file becomes ours, content and mode are still right
      }
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    if (expect !== undefined && currentText(file) !== expect) throw new ChangedMeanwhile(file);
    fs.renameSync(tmp, file);
  } catch (error) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw error instanceof InstallError ? error : ioError(error, `cannot write ${file}`);
  }
  fsyncDir(dir);
}

// ------------------------------------------------------------------------------------- the package and its copy

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/**
 * The package the CLI runs from: {dir, version, manifest, installed}. An installed copy (npx, global, dist/)
 * has our package.json beside cli.js; a source checkout (js/) takes the version from ../pkg-template.
 */
export function packageInfo(pkgDir) {
  const own = readJson(path.join(pkgDir, "package.json"));
  if (own?.name === PACKAGE_NAME) return { dir: pkgDir, version: own.version, manifest: own, installed: true };
  const template = readJson(path.join(pkgDir, "..", "pkg-template", "package.json"));
  if (template?.name === PACKAGE_NAME) return { dir: pkgDir, version: template.version, manifest: template, installed: false };
  throw new InstallError(`cannot find ${PACKAGE_NAME}'s package.json beside ${pkgDir}`);
}

/**
 * The plugin entry to write, and the package copy it needs. `npm`: `opencode-chatgpt-wasm@<version>` (OpenCode
 * installs it from the registry). `file`: an installed package is copied to `<data>/opencode-chatgpt-wasm/<version>/`
 * (survives npx cache cleaning) and the entry is that copy's index.js; a source checkout is used in place.
 */
export function resolveEntry({ pkg, env, entryKind = "file" }) {
  if (entryKind === "npm") return { entry: `${PACKAGE_NAME}@${pkg.version}`, copy: null };
  if (!pkg.installed) return { entry: pathToFileURL(path.join(pkg.dir, "index.js")).href, copy: null };
  const dest = path.join(ourDataDir(env), pkg.version);
  return { entry: pathToFileURL(path.join(dest, "index.js")).href, copy: { from: pkg.dir, to: dest } };
}

function listFiles(dir, prefix = "") {
  const out = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (fs.statSync(full).isDirectory()) out.push(...listFiles(full, path.join(prefix, name)));
    else out.push(path.join(prefix, name));
  }
  return out;
}

export function sameTree(a, b) {
  try {
    const files = listFiles(a);
    const other = listFiles(b);
    return isDeepStrictEqual(files, other) && files.every((f) => fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))));
  } catch {
    return false;
  }
}

/** Makes `to` an exact copy of the package dir `from` (symlinks followed); "in-place" | "unchanged" | "copied". */
export function syncPackageCopy(from, to) {
  if (path.resolve(from) === path.resolve(to)) return "in-place";
  if (fs.existsSync(to) && sameTree(from, to)) return "unchanged";
  // Names of our own (pid + random): another install running at the same time uses others.
  const tag = `${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  const tmp = `${to}.tmp-${tag}`;
  const old = `${to}.old-${tag}`;
  let movedOld = false;
  try {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(from, tmp, { recursive: true, dereference: true });
    try {
      fs.renameSync(to, old);
      movedOld = true;
    } catch (error) {
      if (error.code !== "ENOENT") throw error; // absent (or just moved aside by another install)
    }
    try {
      fs.renameSync(tmp, to);
    } catch (error) {
      // Another install put its copy in place meanwhile: fine when it is this very package.
      if (!["ENOTEMPTY", "EEXIST"].includes(error.code) || !sameTree(from, to)) {
        if (movedOld && !fs.existsSync(to)) fs.renameSync(old, to);
        throw error;
      }
    }
  } catch (error) {
    throw ioError(error, `cannot copy the package to ${to}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(old, { recursive: true, force: true });
  }
  return "copied";
}

// ------------------------------------------------------------------------------------------ install records

/**
 * What each install wrote: {"<config path>": {entry, version, models, created, originalSha256 (null: we created the file),
 * createdSha256 (the file as we created it while untouched by others, else null), writtenSha256}}.
 */
export function recordsPath(env) {
  return path.join(ourDataDir(env), "installs.json");
}

export function readRecords(env) {
  const data = readJson(recordsPath(env));
  return data && typeof data === "object" && !Array.isArray(data) ? data : {};
}

export function writeRecords(env, records) {
  const file = recordsPath(env);
  if (Object.keys(records).length === 0) {
    fs.rmSync(file, { force: true });
    try {
      fs.rmdirSync(path.dirname(file)); // only when nothing else (a package copy) is left in it
    } catch {
      // not empty, or already gone
    }
    return;
  }
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (error) {
    throw ioError(error, `cannot create ${path.dirname(file)}`);
  }
  writeFileAtomic(file, `${JSON.stringify(records, null, 2)}\n`, { mode: 0o600 });
}

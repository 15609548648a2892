// Files that hold account data (auth.json, the models cache): written atomically into a private
// directory. Decides only how bytes reach the disk: a temp file with a random name created
// exclusively (O_EXCL, never following a planted file or link), mode 0600, fsync'ed, renamed over
// the target, the directory fsync'ed; directories we create are 0700. Never parses or logs content.
import fs from "node:fs";
import path from "node:path";

/** `n` random bytes as hex, from WebCrypto (global in Node 18+ and Bun). */
export function randomHex(n) {
  return Array.from(globalThis.crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Creates `dir` (and missing parents) with mode 0700. An existing directory is left as it is, unless
 * `tighten` (a directory that is ours alone, e.g. our cache dir): then it is made 0700 too.
 */
export function ensurePrivateDir(dir, { tighten = false } = {}) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (tighten && (fs.statSync(dir).mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
}

/**
 * Replaces `file` with `data` atomically: readers see the old bytes or the new ones, never a part.
 * On any failure the target is untouched and the temp file removed; the error (with its `code`:
 * ENOSPC, EROFS, EACCES, …) is thrown. `fsImpl` lets tests inject a failing file system.
 * @param {string} file
 * @param {string | Uint8Array} data
 * @param {{mode?: number, fsImpl?: typeof fs}} [opts]
 */
export function writePrivateFileAtomic(file, data, { mode = 0o600, fsImpl = fs } = {}) {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomHex(8)}.tmp`);
  let fd;
  try {
    fd = fsImpl.openSync(tmp, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | (fs.constants.O_NOFOLLOW ?? 0), mode);
    fsImpl.writeFileSync(fd, data);
    fsImpl.fchmodSync(fd, mode); // the umask may have narrowed or the caller widened: exactly `mode`
    fsImpl.fsyncSync(fd);
    fsImpl.closeSync(fd);
    fd = undefined;
    fsImpl.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fsImpl.closeSync(fd);
      } catch {}
    }
    try {
      fs.unlinkSync(tmp);
    } catch {}
    throw err;
  }
  fsyncDir(dir);
}

/** fsync of a directory after a rename into it; some platforms cannot, and the rename is still atomic. */
export function fsyncDir(dir) {
  try {
    const dirFd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  }
}

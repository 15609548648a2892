// A cross-process file lock (a lock file created with O_EXCL holding {pid, host, time, id}) for
// refreshing the shared login: several OpenCode processes share one auth.json and refresh tokens
// rotate, so only one may refresh at a time. The holder keeps the file's mtime fresh (a heartbeat
// on its own open descriptor, so it can only ever touch its own lock); a lock whose holder died on
// this host, or whose mtime is older than `staleMs`, is broken. Judging, breaking and releasing
// compare one file identity (dev/ino): a lock that was replaced meanwhile is never removed.
// Never holds secrets.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** `n` random bytes as hex, from WebCrypto (global in Node 18+ and Bun; node:crypto costs ~10 ms to import). */
export function randomHex(n) {
  return Array.from(globalThis.crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export const LOCK_STALE_MS = 30_000;
/** Why a lock file cannot be made at all: the directory is read-only, not ours, or the disk is full. */
const CANNOT_LOCK = new Set(["EROFS", "EACCES", "EPERM", "ENOSPC", "EDQUOT"]);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/**
 * Whether two snapshots are the same lock: same file (dev/ino) and, since a deleted file's inode
 * number is soon reused, the same bytes and mtime too (a live holder's heartbeat moves the mtime).
 */
const sameLock = (a, b) => Boolean(a && b && a.dev === b.dev && a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.text === b.text);

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM"; // exists, owned by someone else
  }
}

/** The lock file as one snapshot: identity, mtime, bytes, and the holder's record (null when unreadable). */
function inspect(lockPath) {
  let fd;
  try {
    fd = fs.openSync(lockPath, "r");
  } catch {
    return null; // gone: the next O_EXCL attempt decides
  }
  try {
    const st = fs.fstatSync(fd);
    const text = fs.readFileSync(fd, "utf8");
    let holder = null;
    try {
      const rec = JSON.parse(text);
      holder = rec && typeof rec === "object" ? rec : null;
    } catch {}
    return { dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs, text, holder };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Stale: its holder, on this host, is dead; or nobody has touched it for `staleMs` (a live holder
 * touches it every staleMs/4, so only a dead or frozen one goes quiet). An unreadable record is
 * judged by the mtime alone (a holder may be writing it right now: then the mtime is fresh).
 */
function isStale(seen, staleMs, nowMs) {
  const h = seen.holder;
  if (h && h.host === os.hostname() && Number.isInteger(h.pid) && h.pid !== process.pid && !pidAlive(h.pid)) return true;
  return nowMs - seen.mtimeMs > staleMs;
}

/**
 * Moves the lock at `lockPath` aside (atomic) and removes it when `isExpected(snapshot)` says it is
 * the lock we judged (or our own); anything else is linked back (link never overwrites a lock
 * taken since). Returns whether it removed the lock.
 */
function takeAway(lockPath, isExpected) {
  const aside = `${lockPath}.aside-${process.pid}-${randomHex(4)}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch {
    return false; // already gone
  }
  const ours = isExpected(inspect(aside));
  if (!ours) {
    try {
      fs.linkSync(aside, lockPath);
    } catch {}
  }
  try {
    fs.unlinkSync(aside);
  } catch {}
  return ours;
}

/**
 * Waits for the lock and returns `release()`. Throws (code "lock-timeout") after `waitMs`. When no
 * lock file can be made there (read-only directory, full disk: CANNOT_LOCK), nothing could be saved
 * there either: it returns at once a `release()` that does nothing, with `release.unlocked` = the
 * error code, so the caller can go on (and say so) instead of failing.
 * @param {string} lockPath
 * @param {{staleMs?: number, waitMs?: number, now?: () => number}} [opts]  `now`: wall clock (compared with mtimes)
 */
export async function acquireLock(lockPath, { staleMs = LOCK_STALE_MS, waitMs = staleMs + 15_000, now = Date.now } = {}) {
  const unlocked = (code) => Object.assign(() => {}, { unlocked: code });
  try {
    fs.mkdirSync(path.dirname(lockPath), { recursive: true, mode: 0o700 });
  } catch (err) {
    if (CANNOT_LOCK.has(err.code)) return unlocked(err.code);
    throw err;
  }
  const id = randomHex(8);
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    let fd;
    try {
      fd = fs.openSync(lockPath, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_RDWR, 0o600);
    } catch (err) {
      if (CANNOT_LOCK.has(err.code)) return unlocked(err.code);
      if (err.code !== "EEXIST") throw err;
    }
    if (fd !== undefined) return holdLock(lockPath, fd, id, staleMs, now);
    const seen = inspect(lockPath);
    if (seen && isStale(seen, staleMs, now())) {
      takeAway(lockPath, (moved) => sameLock(moved, seen));
      continue;
    }
    if (Date.now() - started > waitMs) {
      const err = new Error(`another OpenCode process has held the login lock for too long (${lockPath}); try again, or delete that file if no OpenCode is running`);
      err.code = "lock-timeout";
      throw err;
    }
    await sleep(Math.min(200, 20 + attempt * 10) * (0.75 + Math.random() * 0.5));
  }
}

/** Writes the record, starts the heartbeat and returns `release()`. */
function holdLock(lockPath, fd, id, staleMs, now) {
  const created = fs.fstatSync(fd);
  const mine = (moved) => Boolean(moved && moved.dev === created.dev && moved.ino === created.ino && (moved.holder?.id === id || moved.text === ""));
  try {
    fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), time: now(), id }));
  } catch (err) {
    // A full disk took the file but not its record: an empty lock still excludes (others judge it by
    // its mtime, which the heartbeat keeps fresh), so hold it as it is.
    if (!["ENOSPC", "EDQUOT"].includes(err.code)) {
      fs.closeSync(fd);
      takeAway(lockPath, mine);
      throw err;
    }
  }
  // The heartbeat touches our own inode through our descriptor: never a lock someone else took since.
  const beat = setInterval(() => {
    try {
      const t = new Date(now());
      fs.futimesSync(fd, t, t);
    } catch {}
  }, Math.max(10, Math.floor(staleMs / 4)));
  beat.unref?.();
  let released = false;
  return function release() {
    if (released) return;
    released = true;
    clearInterval(beat);
    try {
      fs.closeSync(fd);
    } catch {}
    takeAway(lockPath, mine); // removes the lock only if it is still the file we created, holding our id
  };
}

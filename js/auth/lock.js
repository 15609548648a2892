// A cross-process file lock (a lock file created with O_EXCL holding {pid, host, time, id}) for
// refreshing the shared login: several OpenCode processes share one auth.json and refresh tokens
// rotate, so only one may refresh at a time. A lock whose holder died, or that is older than
// `staleMs`, is broken. Never holds secrets; never deletes a lock it does not own.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** `n` random bytes as hex, from WebCrypto (global in Node 18+ and Bun; node:crypto costs ~10 ms to import). */
export function randomHex(n) {
  return Array.from(globalThis.crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export const LOCK_STALE_MS = 30_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM"; // exists, owned by someone else
  }
}

/** The holder's record, or null when unreadable (being written, or not ours to parse). */
function readHolder(lockPath) {
  try {
    const text = fs.readFileSync(lockPath, "utf8");
    const rec = JSON.parse(text);
    return rec && typeof rec === "object" ? { ...rec, text } : null;
  } catch {
    return null;
  }
}

function isStale(lockPath, holder, staleMs, now) {
  if (!holder) {
    // Unreadable: stale only once the file itself is old (a holder may be writing it right now).
    try {
      return now - fs.statSync(lockPath).mtimeMs > staleMs;
    } catch {
      return false; // gone: the next O_EXCL attempt decides
    }
  }
  if (typeof holder.time !== "number" || now - holder.time > staleMs) return true;
  return holder.host === os.hostname() && Number.isInteger(holder.pid) && !pidAlive(holder.pid);
}

/**
 * Breaks a stale lock without ever removing a live one: the lock is renamed aside (atomic), and
 * if what was moved is not the stale record we judged (someone replaced it meanwhile), it is
 * linked back (link fails rather than overwrite a newer lock).
 */
function breakLock(lockPath, holder) {
  const aside = `${lockPath}.stale-${process.pid}-${randomHex(4)}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch {
    return; // already gone
  }
  let moved = null;
  try {
    moved = fs.readFileSync(aside, "utf8");
  } catch {}
  if (holder && moved !== holder.text) {
    try {
      fs.linkSync(aside, lockPath);
    } catch {}
  }
  try {
    fs.unlinkSync(aside);
  } catch {}
}

/**
 * Waits for the lock and returns `release()`. Throws (code "lock-timeout") after `waitMs`.
 * @param {string} lockPath
 * @param {{staleMs?: number, waitMs?: number, now?: () => number}} [opts]
 */
export async function acquireLock(lockPath, { staleMs = LOCK_STALE_MS, waitMs = staleMs + 15_000, now = Date.now } = {}) {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true, mode: 0o700 });
  const id = randomHex(8);
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const record = JSON.stringify({ pid: process.pid, host: os.hostname(), time: now(), id });
    let fd;
    try {
      fd = fs.openSync(lockPath, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
    }
    if (fd !== undefined) {
      try {
        fs.writeSync(fd, record);
      } finally {
        fs.closeSync(fd);
      }
      return function release() {
        // Only remove our own lock (it may have been broken as stale and re-taken).
        if (readHolder(lockPath)?.id === id) {
          try {
            fs.unlinkSync(lockPath);
          } catch {}
        }
      };
    }
    const holder = readHolder(lockPath);
    if (isStale(lockPath, holder, staleMs, now())) {
      breakLock(lockPath, holder);
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

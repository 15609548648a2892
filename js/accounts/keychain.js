// The OS keychain for the refresh tokens of pooled accounts (opt-in: OPENCODE_CODEX_KEYCHAIN=1 or
// the option `keychain: true`). While it is on, the pool file (accounts.json) and the per-account
// login files (`logins/<hex>.json`) hold the marker KEYCHAIN_REF in place of the refresh token, and
// the token lives in the OS secret store under service `opencode-chatgpt-wasm`, account `<pool key>`
// (one item per account: always its newest refresh token; older ones are spent). auth.json keeps
// the active login whole: OpenCode itself reads it.
//
// Back ends: Linux, libsecret's `secret-tool` (store / lookup / clear; the secret goes on stdin,
// never on argv); macOS, the `security` tool (written against its documented behaviour, untested
// here: `security -i` reads the add-generic-password command with the secret from stdin;
// find-generic-password -w; delete-generic-password; exit 44 is "not found").
//
// What it decides: nothing about accounts. What it never does: delete a JSON copy or a login
// because the keychain failed (a token it cannot store stays in the JSON file, said once), print
// a secret, or put one on a command line. Secrets read or stored in this process are remembered
// in memory, so a keychain that dies mid-session costs no login until the process ends.
import fs from "node:fs";
import { createRequire } from "node:module";
import { PACKAGE_NAME } from "../config.js";
import { configureKeychain, keychainNotice, keychainOn, keychainWanted } from "./keychain-setting.js";
import { acquireLock } from "../auth/lock.js";
import { readStoredLogin, writeStoredLogin } from "../auth/credentials.js";

/** What the pool file and the login files hold in `refresh` while the token is in the keychain. */
export const KEYCHAIN_REF = "@keychain";
export const SERVICE = PACKAGE_NAME;
const TIMEOUT_MS = 15_000;

export { configureKeychain, keychainOn, keychainWanted };

export const isRef = (v) => v === KEYCHAIN_REF;

export class KeychainError extends Error {
  constructor(message) {
    super(message);
    this.name = "KeychainError";
    this.code = "keychain-failed";
  }
}

/** Runs a tool with `input` on stdin: {code, stdout, stderr}; a tool that is not there throws KeychainError. */
function run(cmd, args, input, env) {
  return new Promise((resolve, reject) => {
    let child;
    try {
      // node:child_process (~3.5 ms to import in Node) is loaded when a keychain tool first runs, not at plugin load.
      const { spawn } = createRequire(import.meta.url)("node:child_process");
      child = spawn(cmd, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    } catch (err) {
      reject(new KeychainError(`${cmd} cannot be started (${err.code ?? err.message})`));
      return;
    }
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new KeychainError(err.code === "ENOENT" ? `${cmd} is not installed${cmd === "secret-tool" ? " (Debian/Ubuntu: apt install libsecret-tools)" : ""}` : `${cmd} failed (${err.code ?? err.message})`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? -1 : code, stdout, stderr: signal ? `timed out after ${TIMEOUT_MS / 1000} s` : stderr });
    });
    child.stdin.on("error", () => {}); // a tool that exits before reading: its exit code tells
    child.stdin.end(input ?? "");
  });
}

/** The one sentence for a keychain that stopped working (said once per process). */
const down = (err) => `the keychain is not available (${err.message}); the logins read earlier keep working in this session, and new refresh tokens are kept in the account pool's files (0600) until it works again, then they move back into it`;

const firstLine = (s) => String(s).trim().split("\n")[0].slice(0, 200) || "no message";

/** libsecret's secret-tool (the Secret Service: GNOME Keyring, KWallet, KeePassXC). */
function secretTool(env) {
  const attrs = (key) => ["service", SERVICE, "account", key];
  return {
    where: "the Secret Service (secret-tool)",
    async store(key, secret) {
      const r = await run("secret-tool", ["store", "--label", `${SERVICE} ${key}`, ...attrs(key)], secret, env);
      if (r.code !== 0) throw new KeychainError(`secret-tool store failed: ${firstLine(r.stderr)}`);
    },
    async lookup(key) {
      const r = await run("secret-tool", ["lookup", ...attrs(key)], "", env);
      if (r.code === 0) return r.stdout.replace(/\n$/, "");
      if (r.code === 1 && !r.stderr.trim()) return null; // no such item
      throw new KeychainError(`secret-tool lookup failed: ${firstLine(r.stderr)}`);
    },
    async clear(key) {
      const r = await run("secret-tool", ["clear", ...attrs(key)], "", env);
      if (r.code !== 0 && r.stderr.trim()) throw new KeychainError(`secret-tool clear failed: ${firstLine(r.stderr)}`);
    },
  };
}

/** macOS `security` (login keychain). Untested here: written against `man security`. */
function securityTool(env) {
  const q = (s) => `"${String(s).replace(/["\\]/g, "\\$&")}"`;
  return {
    where: "the macOS keychain (security)",
    async store(key, secret) {
      // -i: commands from stdin, so the secret is never on a command line; -U: update an existing item.
      const r = await run("security", ["-i"], `add-generic-password -U -s ${q(SERVICE)} -a ${q(key)} -l ${q(`${SERVICE} ${key}`)} -w ${q(secret)}\n`, env);
      if (r.code !== 0 || /error|fail/i.test(r.stderr)) throw new KeychainError(`security add-generic-password failed: ${firstLine(r.stderr)}`);
    },
    async lookup(key) {
      const r = await run("security", ["find-generic-password", "-s", SERVICE, "-a", key, "-w"], "", env);
      if (r.code === 0) return r.stdout.replace(/\n$/, "");
      if (r.code === 44) return null; // errSecItemNotFound
      throw new KeychainError(`security find-generic-password failed: ${firstLine(r.stderr)}`);
    },
    async clear(key) {
      const r = await run("security", ["delete-generic-password", "-s", SERVICE, "-a", key], "", env);
      if (r.code !== 0 && r.code !== 44) throw new KeychainError(`security delete-generic-password failed: ${firstLine(r.stderr)}`);
    },
  };
}

function backendFor(platform, env) {
  if (platform === "darwin") return securityTool(env);
  if (platform === "linux" || platform === "freebsd" || platform === "openbsd") return secretTool(env);
  return {
    where: "no keychain",
    store: async () => {
      throw new KeychainError(`no keychain is supported on ${platform}`);
    },
    lookup: async () => {
      throw new KeychainError(`no keychain is supported on ${platform}`);
    },
    clear: async () => {},
  };
}

/**
 * A keychain with an in-memory copy of what it read or stored in this process. `notice(message)`
 * is called once per kind of failure. `put` answers whether the secret is in the keychain now;
 * `get` a secret, or null when it is neither in the keychain nor remembered.
 */
export function createKeychain({ platform = process.platform, env = process.env, notice = () => {}, backend = backendFor(platform, env) } = {}) {
  const cache = new Map();
  const said = new Set();
  const say = (kind, message) => {
    if (said.has(kind)) return;
    said.add(kind);
    notice(message);
  };
  return {
    where: backend.where,
    async put(key, secret) {
      cache.set(key, secret);
      try {
        await backend.store(key, secret);
        return true;
      } catch (err) {
        say("down", down(err));
        return false;
      }
    },
    async get(key) {
      try {
        const secret = await backend.lookup(key);
        if (secret) {
          cache.set(key, secret);
          return secret;
        }
        if (cache.has(key)) return cache.get(key);
        say(`missing:${key}`, `the keychain holds no refresh token for ChatGPT account ${key}; log in with that account again (opencode auth login)`);
        return null;
      } catch (err) {
        if (cache.has(key)) {
          say("down", down(err));
          return cache.get(key);
        }
        say(`get:${err.message}:${key}`, `the keychain cannot be read (${err.message}), so ChatGPT account ${key} cannot refresh its login now; nothing was deleted: unlock or start the keychain, or turn it off (OPENCODE_CODEX_KEYCHAIN) to move the tokens back`);
        return null;
      }
    },
    /** {state: "ok" | "missing" | "failed", why?} without remembering or saying anything. */
    async probe(key) {
      try {
        return (await backend.lookup(key)) ? { state: "ok" } : { state: "missing" };
      } catch (err) {
        return { state: "failed", why: err.message };
      }
    },
    async clear(key) {
      cache.delete(key);
      await backend.clear(key);
    },
  };
}

let instance = null;

/** The keychain (also while off: refs left from when it was on are still read through it). */
export function keychain() {
  instance ??= createKeychain({ notice: (m) => keychainNotice(m) });
  return instance;
}

/** The login with its refresh token put in the keychain when it is on (else, or on failure, as it is). */
export async function conceal(key, login) {
  if (!keychainOn() || !login || typeof login.refresh !== "string" || !login.refresh || isRef(login.refresh)) return login;
  return (await keychain().put(key, login.refresh)) ? { ...login, refresh: KEYCHAIN_REF } : login;
}

/** The login with its refresh token read from the keychain when it holds a reference; null when it cannot be read. */
export async function reveal(key, login) {
  if (!login || !isRef(login.refresh)) return login;
  const secret = await keychain().get(key);
  return secret ? { ...login, refresh: secret } : null;
}

/** Writes a login file (auth.json's format) under its own lock, the one its refreshes take. */
async function rewriteLoginFile(file, login) {
  const release = await acquireLock(`${file}.lock`);
  try {
    writeStoredLogin(file, login);
  } finally {
    release();
  }
}

/**
 * Moves the pool's refresh tokens to where the setting says, inside updatePool (`doc`) with the
 * login files found by `shadowOf(key)`: on, each account's newest token goes into the keychain and
 * both copies keep only the reference (a token the keychain refuses stays where it is); off, each
 * reference is replaced by the token from the keychain, and the item is removed once both copies
 * hold it (an unreadable one stays a reference, said once). Returns {moved, kept}.
 */
export async function migrate(doc, shadowOf) {
  const on = keychainOn();
  let moved = 0;
  let kept = 0;
  const movedKeys = [];
  const logins = { ...doc.logins };
  for (const key of Object.keys(logins)) {
    const file = shadowOf(key);
    const shadow = readStoredLogin(file);
    const copies = [logins[key], shadow].filter(Boolean);
    if (on) {
      const real = copies.filter((l) => typeof l.refresh === "string" && l.refresh && !isRef(l.refresh)).sort((a, b) => (b.expires ?? 0) - (a.expires ?? 0));
      if (real.length === 0) {
        await keychain().get(key); // remembered for this session
        continue;
      }
      const refInNewest = copies.some((l) => isRef(l.refresh) && (l.expires ?? 0) > (real[0].expires ?? 0));
      if (!refInNewest && !(await keychain().put(key, real[0].refresh))) {
        kept += 1;
        continue;
      }
      if (logins[key] && !isRef(logins[key].refresh)) logins[key] = { ...logins[key], refresh: KEYCHAIN_REF };
      if (shadow && !isRef(shadow.refresh)) await rewriteLoginFile(file, { ...shadow, refresh: KEYCHAIN_REF });
      moved += 1;
    } else {
      if (!copies.some((l) => isRef(l.refresh))) continue;
      const secret = await keychain().get(key);
      if (!secret) {
        kept += 1;
        continue;
      }
      if (logins[key] && isRef(logins[key].refresh)) logins[key] = { ...logins[key], refresh: secret };
      if (shadow && isRef(shadow.refresh)) await rewriteLoginFile(file, { ...shadow, refresh: secret });
      moved += 1;
      movedKeys.push(key);
    }
  }
  doc.logins = logins;
  return { on, moved, kept, movedKeys };
}

/** Whether migrate() would move anything: on, a refresh token in a file; off, a reference. */
export function needsMigration(doc, shadowOf) {
  const on = keychainOn();
  for (const key of Object.keys(doc.logins)) {
    for (const l of [doc.logins[key], readStoredLogin(shadowOf(key))]) {
      if (!l || typeof l.refresh !== "string" || !l.refresh) continue;
      if (on !== isRef(l.refresh)) return true;
    }
  }
  return false;
}

/** After a migration back was written: the items of the accounts it moved (their copies hold the token again). */
export async function clearMoved(keys) {
  if (keychainOn()) return;
  for (const key of keys) {
    try {
      await keychain().clear(key);
    } catch {} // a leftover item is harmless: nothing refers to it
  }
}

/** doctor: where an account's refresh token lives and whether it can be read. */
export async function secretStatus(key, poolCopy, shadowFile) {
  const shadow = fs.existsSync(shadowFile) ? readStoredLogin(shadowFile) : null;
  if (!isRef(poolCopy?.refresh) && !isRef(shadow?.refresh)) return { status: "ok", detail: "refresh token in the account pool's files" };
  const p = await keychain().probe(key);
  if (p.state === "ok") return { status: "ok", detail: `refresh token in ${keychain().where} (readable)` };
  if (p.state === "missing") return { status: "fail", detail: `refresh token should be in ${keychain().where}, which holds none for it`, fix: "log in with this account again: opencode auth login" };
  return { status: "fail", detail: `refresh token in ${keychain().where}, which cannot be read now (${p.why})`, fix: "unlock or start the keychain; nothing was deleted" };
}

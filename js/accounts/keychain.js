// The OS keychain for the refresh tokens of pooled accounts (opt-in: OPENCODE_CODEX_KEYCHAIN=1 or
// the option `keychain: true`). While it is on, the pool file (accounts.json) and the per-account
// login files (`logins/<hex>.json`) hold the marker KEYCHAIN_REF in place of the refresh token, and
// the token lives in the OS secret store under service `opencode-chatgpt-wasm`, account `<pool key>`
// (one item per account: always its newest refresh token; older ones are spent). auth.json (the
// active login, OpenCode's file) holds `@keychain:<pool key>` (authRef) in its place: OpenCode
// hands that entry to our loader and, while this plugin owns provider openai, never refreshes it
// itself; js/auth/credentials.js reveals the token through revealAuth when a refresh is due and
// stores the new one through concealAuth. syncAuthJson moves auth.json's token in (after a
// read-back shows the keychain holds it) or back out, as the setting says; restoreAuthJson puts it
// back for `uninstall` (OpenCode's built-in login cannot read a reference).
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
import { callStartup } from "../core.js";
import { readStoredLogin, writeStoredLogin } from "../auth/credentials.js";

/** What the pool file and the login files hold in `refresh` while the token is in the keychain. */
export const KEYCHAIN_REF = "@keychain";
const AUTH_REF_PREFIX = `${KEYCHAIN_REF}:`;
export const SERVICE = PACKAGE_NAME;
const TIMEOUT_MS = 15_000;

export { configureKeychain, keychainOn, keychainWanted };

/** What auth.json holds in `refresh` while the active login's token is in the keychain: names its item. */
export const authRef = (key) => `${AUTH_REF_PREFIX}${key}`;
/** A reference (the pool's marker or auth.json's), never a refresh token. */
export const isRef = (v) => v === KEYCHAIN_REF || (typeof v === "string" && v.startsWith(AUTH_REF_PREFIX) && v.length > AUTH_REF_PREFIX.length);
/** The pool key auth.json's reference names, or null. */
export const refKey = (v) => (isRef(v) && v !== KEYCHAIN_REF ? v.slice(AUTH_REF_PREFIX.length) : null);

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
const down = (err) => `the keychain is not available (${err.message}); the logins read earlier keep working in this session, and new refresh tokens are kept in auth.json and the account pool's files (0600) until it works again, then they move back into it`;

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
    /** Stores, then reads back: true only when the keychain gives the same secret. */
    async put(key, secret) {
      cache.set(key, secret);
      try {
        await backend.store(key, secret);
        if ((await backend.lookup(key)) !== secret) throw new KeychainError("it did not give back the secret just stored");
        return true;
      } catch (err) {
        say("down", down(err));
        return false;
      }
    },
    /** `unreadable(err | null)`: the sentence to say instead of the default one (null: the item is missing). */
    async get(key, { unreadable } = {}) {
      try {
        const secret = await backend.lookup(key);
        if (secret) {
          cache.set(key, secret);
          return secret;
        }
        if (cache.has(key)) return cache.get(key);
        say(`missing:${key}`, unreadable ? unreadable(null) : `the keychain holds no refresh token for ChatGPT account ${key}; log in with that account again (opencode auth login)`);
        return null;
      } catch (err) {
        if (cache.has(key)) {
          say("down", down(err));
          return cache.get(key);
        }
        say(`get:${err.message}:${key}`, unreadable ? unreadable(err) : `the keychain cannot be read (${err.message}), so ChatGPT account ${key} cannot refresh its login now; nothing was deleted: unlock or start the keychain, or turn it off (OPENCODE_CODEX_KEYCHAIN) to move the tokens back`);
        return null;
      }
    },
    /** {secret} | {missing: true} | {why}: one read, without remembering or saying anything. */
    async read(key) {
      try {
        const secret = await backend.lookup(key);
        return secret ? { secret } : { missing: true };
      } catch (err) {
        return { why: err.message };
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

/** The login with its refresh token put in the keychain when it is on (else, or on failure, as it is); a reference becomes the pool's marker. */
export async function conceal(key, login) {
  if (login && isRef(login.refresh)) return login.refresh === KEYCHAIN_REF ? login : { ...login, refresh: KEYCHAIN_REF };
  if (!keychainOn() || !login || typeof login.refresh !== "string" || !login.refresh) return login;
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

/** After a migration back was written: the items of the accounts it moved (their copies hold the token again), but not one auth.json still refers to. */
export async function clearMoved(keys, { authPath } = {}) {
  if (keychainOn()) return;
  const held = authPath ? readStoredLogin(authPath) : null;
  const keep = isRef(held?.refresh) ? await keyOf(held) : null;
  for (const key of keys) {
    if (key === keep) continue;
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

// ------------------------------------------------------------------------------------ auth.json

/** The pool key of a login: the one its reference names, else its identity (the core's), else null. */
export async function keyOf(login) {
  const named = refKey(login?.refresh);
  if (named) return named;
  if (!login?.access) return null;
  try {
    return (await callStartup((c) => c.accountsIdentity(String(login.access), login.idToken ?? undefined, login.accountId ?? undefined))).key ?? null;
  } catch {
    return null;
  }
}

const isoTime = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

/** What the user reads, once, when auth.json's reference cannot be revealed (err null: the keychain holds no item). */
function authUnreadable(login, key) {
  return (err) => {
    const left =
      typeof login.expires !== "number"
        ? "its access token keeps working until it expires"
        : login.expires > Date.now()
          ? `its access token keeps working until ${isoTime(login.expires)}`
          : `its access token expired at ${isoTime(login.expires)}, so requests fail until this is fixed`;
    return err
      ? `the keychain cannot be read (${err.message}), so the ChatGPT login in auth.json (account ${key}) cannot be refreshed: ${left}. Nothing was deleted: unlock or start the keychain (then it refreshes as usual), or log in again (opencode auth login)`
      : `the keychain holds no refresh token for the ChatGPT login in auth.json (account ${key}): ${left}. Log in again to keep using it (opencode auth login)`;
  };
}

/** auth.json's login with its refresh token read from the keychain when it holds a reference; null when it cannot be read (said once, in words). */
export async function revealAuth(login) {
  if (!login || !isRef(login.refresh)) return login;
  const key = await keyOf(login);
  if (!key) return null;
  const secret = await keychain().get(key, { unreadable: authUnreadable(login, key) });
  return secret ? { ...login, refresh: secret } : null;
}

/**
 * auth.json's login with its refresh token in the keychain (read back) and a reference naming its
 * item, while the keychain is on (or `force`); else as it is (a failure is said once).
 */
export async function concealAuth(login, { force = false } = {}) {
  if (!(keychainOn() || force) || !login || typeof login.refresh !== "string" || !login.refresh || isRef(login.refresh)) return login;
  const key = await keyOf(login);
  if (!key) return login;
  return (await keychain().put(key, login.refresh)) ? { ...login, refresh: authRef(key) } : login;
}

/** auth.json's login with the keychain's token in place of a reference (null when it cannot be read), quietly: what a new login revokes. */
export async function storedAuthLogin(authPath) {
  const login = readStoredLogin(authPath);
  if (!login || !isRef(login.refresh)) return login;
  const key = await keyOf(login);
  const r = key ? await keychain().read(key) : {};
  return r.secret ? { ...login, refresh: r.secret } : null;
}

/** The secrets hook of auth.json's credentials (js/auth/credentials.js) in the plugin, which knows the setting. */
export const authSecrets = { isRef, reveal: revealAuth, conceal: (login) => concealAuth(login) };

/**
 * The same for a process that may not know the setting (the TUI's usage figures, the `usage`
 * command): a login whose stored copy was a reference stays one after a refresh, so such a
 * process never writes the clear token into auth.json behind the plugin's back.
 */
export const authSecretsKeepingRefs = { isRef, reveal: revealAuth, conceal: (login, { wasRef = false } = {}) => concealAuth(login, { force: wasRef }) };

/**
 * Moves auth.json's refresh token where the setting says, under auth.json's lock (the one refreshes
 * take): on, into the keychain (only once a read-back shows it there; else auth.json keeps it, said
 * once); off, back into auth.json (an unreadable item leaves the reference, said once). With
 * nothing to move, a reference is read once so the session outlives a keychain that dies later.
 * Returns "none" | "as-is" | "moved" | "kept".
 */
export async function syncAuthJson({ authPath, notice = () => {} }) {
  const on = keychainOn();
  const peek = readStoredLogin(authPath);
  if (!peek) return "none";
  if (on === isRef(peek.refresh)) {
    if (on) await revealAuth(peek);
    return "as-is";
  }
  const release = await acquireLock(`${authPath}.lock`);
  try {
    const login = readStoredLogin(authPath);
    if (!login || on === isRef(login.refresh)) return "as-is";
    const next = on ? await concealAuth(login) : await revealAuth(login);
    if (!next || isRef(next.refresh) !== on) return "kept";
    writeStoredLogin(authPath, next);
    notice(on ? `moved the refresh token of the ChatGPT login in auth.json into ${keychain().where}; auth.json keeps only a reference` : `the keychain is off: moved the refresh token of the ChatGPT login back into auth.json (0600)`);
    return "moved";
  } finally {
    release();
  }
}

/**
 * `uninstall`: OpenCode's built-in login cannot read a reference, so auth.json gets its refresh token
 * back. {state: "none"} (nothing to do), "restored", "would-restore" (dryRun) or "unreadable" with
 * `message` (nothing was changed).
 */
export async function restoreAuthJson(authPath, { dryRun = false } = {}) {
  const peek = readStoredLogin(authPath);
  if (!peek || !isRef(peek.refresh)) return { state: "none" };
  const release = dryRun ? () => {} : await acquireLock(`${authPath}.lock`);
  try {
    const login = readStoredLogin(authPath);
    if (!login || !isRef(login.refresh)) return { state: "none" };
    const key = await keyOf(login);
    const r = key ? await keychain().read(key) : { why: "its reference names no account" };
    if (!r.secret) {
      const why = r.missing ? `it holds no refresh token for account ${key}` : r.why;
      return { state: "unreadable", message: `the ChatGPT login in ${authPath} keeps its refresh token in ${keychain().where}, which cannot give it now (${why}); OpenCode's built-in login cannot use the reference auth.json holds, so nothing was uninstalled or changed. Unlock or start the keychain and run uninstall again (or sign out first: opencode auth logout)` };
    }
    if (dryRun) return { state: "would-restore" };
    writeStoredLogin(authPath, { ...login, refresh: r.secret });
    return { state: "restored" };
  } finally {
    release();
  }
}

/** doctor: where auth.json's refresh token lives and whether it can be read; null when there is nothing to say (no login, or the token in auth.json with the keychain off). */
export async function authSecretStatus(authPath) {
  const login = readStoredLogin(authPath);
  if (!login) return null;
  const where = keychain().where;
  if (!isRef(login.refresh)) {
    return keychainOn() ? { status: "ok", detail: `auth.json's refresh token is still in auth.json (0600); the keychain is on, so it moves into ${where} when OpenCode next starts with this plugin (or at the next accounts command)` } : null;
  }
  const key = await keyOf(login);
  const p = key ? await keychain().probe(key) : { state: "missing" };
  const off = keychainOn() ? "" : "; the keychain is off, so it moves back into auth.json when OpenCode next starts with this plugin";
  if (p.state === "ok") return { status: "ok", detail: `auth.json's refresh token is in ${where} (readable); auth.json holds only a reference${off}` };
  if (p.state === "missing") return { status: "fail", detail: `auth.json's refresh token should be in ${where}, which holds none for account ${key}`, fix: "log in again: opencode auth login" };
  return { status: "fail", detail: `auth.json's refresh token is in ${where}, which cannot be read now (${p.why}); the login works until its access token expires`, fix: "unlock or start the keychain; nothing was deleted" };
}

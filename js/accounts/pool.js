// The account pool on disk: `${XDG_DATA_HOME:-~/.local/share}/opencode-chatgpt-wasm/accounts.json`,
// `{pool, logins}`: `pool` is the core's data (accounts, active, pins, sticky conversations; see
// src/accounts/), `logins` maps an account key to its stored login (the tokens). The file is 0600
// in a 0700 dir, written atomically (a temp file created exclusively, fsync, rename, fsync of the
// dir), and changed only under a cross-process lock beside it (js/auth/lock.js). A file we cannot
// read is never overwritten: every change is refused with a sentence, once, and auth.json's login
// keeps working. auth.json keeps holding the active login; this file holds a copy of every login.
// Decides nothing about accounts (the core does); never prints a token.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { callStartup } from "../core.js";
import { PACKAGE_NAME } from "../config.js";
import { acquireLock } from "../auth/lock.js";
import { ensurePrivateDir, writePrivateFileAtomic } from "../fsx.js";
import { conceal, concealAuth, isRef } from "./keychain.js";

/** `${XDG_DATA_HOME:-~/.local/share}/opencode-chatgpt-wasm/accounts.json`. */
export function defaultPoolPath(env = process.env) {
  const data = env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
  return path.join(data, PACKAGE_NAME, "accounts.json");
}

/** A pool file that exists but cannot be used; `code` "accounts-bad-pool". */
export class PoolDamagedError extends Error {
  constructor(file, why) {
    super(`the account pool ${file} cannot be read (${why}); it is left as it is and your login in auth.json keeps working. Fix it, or move it away to start a new pool`);
    this.name = "PoolDamagedError";
    this.code = "accounts-bad-pool";
  }
}

/**
 * Reads the pool file: `{state: "missing" | "ok", pool, logins}`; throws PoolDamagedError.
 * @param {string} file
 */
export async function readPool(file) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (err.code === "ENOENT") return { state: "missing", pool: await callStartup((c) => c.accountsEmptyPool()), logins: {} };
    throw new PoolDamagedError(file, err.code ?? "unreadable");
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new PoolDamagedError(file, "not valid JSON");
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc) || !doc.pool || typeof doc.logins !== "object" || doc.logins === null || Array.isArray(doc.logins)) {
    throw new PoolDamagedError(file, "not an account pool");
  }
  let pool;
  try {
    pool = await callStartup((c) => c.accountsParsePool(JSON.stringify(doc.pool)));
  } catch (err) {
    throw new PoolDamagedError(file, err.message.replace(/^the account pool cannot be read \((.*)\)$/, "$1"));
  }
  return { state: "ok", pool, logins: doc.logins };
}

/** Writes `{pool, logins}` atomically (js/fsx.js: exclusive 0600 temp file, fsync, rename, fsync of the dir) in a 0700 dir. */
export function writePool(file, doc) {
  ensurePrivateDir(path.dirname(file), { tighten: true });
  writePrivateFileAtomic(file, JSON.stringify({ pool: doc.pool, logins: doc.logins }, null, 2));
}

/**
 * Under the pool's lock: reads the file, runs `change({pool, logins})` (which may return a new
 * `{pool, logins}`, or nothing for no change) and writes the result. A damaged file is never
 * written (PoolDamagedError). Returns `change`'s result.
 * @template T
 * @param {string} file
 * @param {(doc: {state: string, pool: any, logins: Record<string, any>}) => Promise<T> | T} change
 */
export async function updatePool(file, change) {
  const release = await acquireLock(`${file}.lock`);
  try {
    const doc = await readPool(file);
    const before = JSON.stringify({ pool: doc.pool, logins: doc.logins });
    const result = await change(doc);
    if (JSON.stringify({ pool: doc.pool, logins: doc.logins }) !== before || doc.state === "missing") {
      if (doc.pool.accounts.length > 0 || doc.state !== "missing") writePool(file, doc);
    }
    return result;
  } finally {
    release();
  }
}

/** Applies a core event to `doc.pool` in place; returns the core's `applied`. */
export async function applyEvent(doc, event) {
  const { pool, applied } = await callStartup((c) => c.accountsApply(doc.pool, event));
  doc.pool = pool;
  return applied;
}

/** The identity of a stored login (`{type: "oauth", access, refresh, expires, accountId}`). */
export function identityOf(login) {
  return callStartup((c) => c.accountsIdentity(String(login.access ?? ""), login.idToken ?? undefined, login.accountId ?? undefined));
}

/**
 * A login joins the pool (or refreshes its stored copy): under the lock. `activate`: it is what
 * auth.json holds now. Returns `{key, index, added}`.
 */
export async function joinLogin(file, login, { activate = true, now = Date.now } = {}) {
  if (login?.type !== "oauth" || typeof login.refresh !== "string" || !login.refresh) return null;
  const identity = await identityOf(login);
  return updatePool(file, async (doc) => {
    const applied = await applyEvent(doc, { type: "joined", identity, activate, nowMs: now() });
    const had = doc.logins[identity.key];
    // With the keychain on, the refresh token goes there (already there: the same login, kept as it is).
    const keep = isRef(had?.refresh) && had.access === login.access;
    doc.logins = { ...doc.logins, [identity.key]: keep ? had : await conceal(identity.key, storedLogin(login, identity)) };
    return { key: identity.key, index: applied.index, added: applied.added };
  });
}

/** The login as the pool keeps it: OpenCode's oauth fields, nothing else. */
export function storedLogin(login, identity) {
  const out = { type: "oauth", refresh: login.refresh, access: login.access, expires: login.expires };
  const accountId = login.accountId ?? identity?.accountId;
  if (accountId) out.accountId = accountId;
  return out;
}

const said = new Set();
/**
 * The plugin's hook when it loads a login from auth.json: a login the pool does not know joins it
 * (as the active one: auth.json holds the active login); a known one refreshes its stored copy.
 * Never throws: a damaged pool is reported once through `notice` and left alone.
 */
export async function syncLogin(login, { file = defaultPoolPath(), notice = (m) => console.error(`${PACKAGE_NAME}: ${m}`), now = Date.now } = {}) {
  try {
    return await joinLogin(file, login, { activate: true, now });
  } catch (err) {
    const message = err?.code === "accounts-no-account-id" ? `this login cannot join the account pool: ${err.message}` : String(err?.message ?? err);
    if (!said.has(message)) {
      said.add(message);
      notice(message);
    }
    return null;
  }
}

/**
 * Wraps the auth methods so each successful login joins the pool. With the keychain on, the result
 * OpenCode writes into auth.json carries the reference in place of the refresh token once the
 * keychain holds it (read back), so the clear token never reaches auth.json; else it is unchanged.
 */
export function joiningMethods(methods, opts = {}) {
  const join = async (result) => {
    if (result?.type === "success" && result.refresh) {
      const { type, ...rest } = result;
      await syncLogin({ type: "oauth", ...rest }, opts);
      const stored = await concealAuth({ type: "oauth", ...rest }).catch(() => null); // a failure is said once; the token stays clear
      return isRef(stored?.refresh) ? { ...result, refresh: stored.refresh } : result;
    }
    return result;
  };
  return methods.map((m) => {
    if (typeof m.authorize !== "function") return m;
    return {
      ...m,
      async authorize(...args) {
        const flow = await m.authorize(...args);
        if (!flow || typeof flow.callback !== "function") return flow;
        return { ...flow, callback: async (...cbArgs) => join(await flow.callback(...cbArgs)) };
      },
    };
  });
}

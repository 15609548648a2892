// The stored ChatGPT login as the Codex fetch uses it: `current()` returns a fresh access token,
// refreshing before expiry; `onUnauthorized()` refreshes after a 401. One refresh at a time per
// process (one shared promise) and across processes (a lock file beside auth.json, then a re-read
// of the stored login). The Rust core decides (needsRefresh, refreshDecision, parseTokenResponse);
// this file does the fetch, the lock and the files. With the keychain on, the stored `refresh` is a
// reference: a `secrets` hook (js/accounts/keychain.js) reveals it for a refresh and conceals the
// new token before it is saved; a reference is never sent. Never puts a token in a message or a log.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { callStartup } from "../core.js";
import { acquireLock } from "./lock.js";
import { credentialUrl, NO_REDIRECT } from "../transport/guard.js";
import { readCapped, SMALL_BODY_BYTES } from "../transport/body.js";
import { ensurePrivateDir, writePrivateFileAtomic } from "../fsx.js";

export const PROVIDER_ID = "openai";
const REFRESH_TIMEOUT_MS = 20_000; // well under the lock's stale time
const PERSIST_TIMEOUT_MS = 5_000;
const RECENT_REFRESH_MS = 5_000; // a 401 this soon after a refresh was for the old token
const SAVE_REASONS = { ENOSPC: "the disk is full", EROFS: "read-only file system", EACCES: "permission denied", EPERM: "operation not permitted", EDQUOT: "disk quota exceeded" };

/** OpenCode's auth.json: `${XDG_DATA_HOME:-~/.local/share}/opencode/auth.json`. */
export function defaultAuthPath(env = process.env) {
  const data = env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
  return path.join(data, "opencode", "auth.json");
}

/**
 * An Error for the user; `code` is the core's (refresh-permanent, refresh-reused, token-transient,
 * …); `status` is the HTTP status the fetch should answer with: 503 when trying again may help
 * (OpenCode retries it), else 401 (OpenCode stops and shows the message).
 */
export class LoginError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "LoginError";
    this.code = code;
    this.status = TRANSIENT.has(code) ? 503 : 401;
  }
}
const TRANSIENT = new Set(["token-transient", "token-bad-response", "lock-timeout"]);

/**
 * auth.json as `{all}` (a missing file is an empty one), or `{unparsable: reason}` when it exists but
 * is not a JSON object (a hand edit, or OpenCode mid-rewrite): such a file is never rewritten.
 * Other read errors (EACCES, EISDIR, …) are thrown.
 */
function readAuthFile(authPath) {
  let text;
  try {
    text = fs.readFileSync(authPath, "utf8");
  } catch (err) {
    if (err?.code === "ENOENT") return { all: {} };
    throw err;
  }
  let all;
  try {
    all = JSON.parse(text);
  } catch {
    return { unparsable: "not valid JSON" }; // the parser's message may quote the file: never shown
  }
  return all && typeof all === "object" && !Array.isArray(all) ? { all } : { unparsable: "not a JSON object" };
}

/** The stored `openai` oauth login on disk, or null (also when the file cannot be read or parsed). */
export function readStoredLogin(authPath) {
  let entry;
  try {
    entry = readAuthFile(authPath).all?.[PROVIDER_ID];
  } catch {
    return null;
  }
  return entry?.type === "oauth" && typeof entry.refresh === "string" ? entry : null;
}

/**
 * Replaces the `openai` entry of auth.json (others kept): exclusive temp file, fsync, rename, 0600 in
 * a 0700 dir. A file that does not parse is left alone: throws code "auth-unparsable", writes nothing.
 */
export function writeStoredLogin(authPath, login, { fsImpl } = {}) {
  const read = readAuthFile(authPath);
  if (read.unparsable) throw Object.assign(new Error(`${authPath} does not parse (${read.unparsable})`), { code: "auth-unparsable" });
  const all = { ...read.all, [PROVIDER_ID]: login };
  ensurePrivateDir(path.dirname(authPath));
  writePrivateFileAtomic(authPath, JSON.stringify(all, null, 2), { mode: 0o600, fsImpl });
}

const withTimeout = (promise, ms) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), ms).unref?.())]);

/**
 * @param {object} deps
 * @param {() => Promise<any>} deps.getAuth  OpenCode's stored login for `openai`
 * @param {any} [deps.client]  the plugin's OpenCode client (`client.auth.set` persists a login)
 * @param {{issuer: string}} deps.cfg
 * @param {string} [deps.authPath]  auth.json; the lock is `${authPath}.lock`
 * @param {() => number} [deps.now]
 * @param {typeof fetch} [deps.fetch]
 * @param {(line: string) => void} [deps.log]  debug lines (never secrets)
 * @param {(message: string) => void} [deps.notice]  a sentence for the user (a login that could not be saved)
 * @param {typeof fs} [deps.fsImpl]  the file system auth.json is written through (tests inject faults)
 */
export function createCredentials({ getAuth, client, cfg, authPath = defaultAuthPath(), now = Date.now, fetch: fetchImpl = fetch, log = () => {}, notice = () => {}, fsImpl, secrets }) {
  // secrets (auth.json or a pooled account's login file, with the keychain on): the file holds a
  // reference in place of the refresh token; `reveal` reads the token (null: it cannot be read),
  // `conceal` stores it and gives the reference, `isRef` tells a reference. A reference is never sent.
  const readStored = async (file) => (secrets ? secrets.reveal(readStoredLogin(file)) : readStoredLogin(file));
  const isRef = (v) => Boolean(secrets?.isRef?.(v));
  // A rotated-out login is found by its refresh token; a reference is the same for every login of an account, so with its access token.
  const rotationKey = (l) => (isRef(l.refresh) ? `${l.refresh}\n${l.access}` : l.refresh);
  const lockPath = `${authPath}.lock`;
  const toldSaveFailure = new Set(); // kinds of save failure the user was told about
  let inflight = null; // the one refresh under way in this process
  let lastUsed = null; // the login behind the last request (what a 401 refers to)
  let refreshedAt = -Infinity; // when this process last got a new login
  const rotated = new Map(); // refresh token we replaced -> the login that replaced it

  /** What OpenCode holds; a login this process already rotated out is mapped to its successor. */
  async function held() {
    let login = await getAuth();
    if (login?.type !== "oauth" || !login.refresh) {
      throw new LoginError("no ChatGPT login is stored; run `opencode auth login` and choose OpenAI", "no-login");
    }
    while (rotated.has(rotationKey(login))) login = rotated.get(rotationKey(login));
    return login;
  }

  const secretsOf = (...logins) => logins.flatMap((l) => (l ? [l.access, l.refresh] : [])).filter(Boolean);

  async function postRefresh(base) {
    const endpoints = await callStartup((core) => core.oauthEndpoints(cfg.issuer));
    const tokenUrl = credentialUrl(endpoints.token, cfg.issuer); // https (or loopback) under the issuer, or throw
    const body = await callStartup((core) => core.refreshBody(base.refresh));
    let status = 0;
    let text = "";
    try {
      const res = await fetchImpl(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body,
        signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
        redirect: NO_REDIRECT, // a 3xx is an answer (transient), never followed with the refresh token
      });
      status = res.status;
      ({ text } = await readCapped(res, { maxBytes: SMALL_BODY_BYTES, timeoutMs: REFRESH_TIMEOUT_MS })); // an endless reply is cut (then unusable)
    } catch {
      status = 0; // could not reach the issuer: the core calls that transient
    }
    return callStartup((core) => core.parseTokenResponse(status, text, now(), base.refresh));
  }

  /** Saves through OpenCode, then makes sure auth.json on disk holds it (else writes it). */
  async function persist(login) {
    let read;
    try {
      read = readAuthFile(authPath);
    } catch {
      read = { all: null }; // unreadable for now: the write below reports it
    }
    if (read.unparsable) {
      // OpenCode's client.auth.set rewrites the whole file from what it parsed: it would drop every other entry.
      throw Object.assign(new Error(`${authPath} does not parse (${read.unparsable})`), { code: "auth-unparsable" });
    }
    if (typeof client?.auth?.set === "function") {
      try {
        const res = await withTimeout(client.auth.set({ path: { id: PROVIDER_ID }, body: login }), PERSIST_TIMEOUT_MS);
        if (res?.error) log("client.auth.set refused the login; writing auth.json directly");
      } catch {
        log("client.auth.set failed; writing auth.json directly");
      }
    }
    const onDisk = readStoredLogin(authPath);
    if (onDisk?.refresh !== login.refresh || onDisk?.access !== login.access) writeStoredLogin(authPath, login, { fsImpl });
    else {
      try {
        fs.chmodSync(authPath, 0o600);
      } catch {}
    }
  }

  /** Tells the user once per kind of failure that the refreshed login could not be saved, and what to do. */
  function saveFailed(err) {
    const kind = err?.code ?? "write-failed";
    log(`could not save the refreshed login to ${authPath} (${kind})`);
    if (toldSaveFailure.has(kind)) return;
    toldSaveFailure.add(kind);
    const why =
      kind === "auth-unparsable"
        ? `${authPath} does not parse (a hand edit?), so it was left as it is`
        : `${authPath} could not be written (${SAVE_REASONS[kind] ?? kind}); the old file is intact`;
    const todo =
      kind === "auth-unparsable"
        ? "fix the file (or move it aside and run `opencode auth login`)"
        : "free space or fix the permissions of that directory";
    notice(`${why}. The refreshed ChatGPT login was not saved: it works until OpenCode exits. To keep it, ${todo}.`);
  }

  /** Under the lock: re-read, decide, refresh and persist. Returns the login to use. */
  async function refreshLocked(mine) {
    const release = await acquireLock(lockPath);
    if (release.unlocked) log(`no lock file can be made beside ${authPath} (${release.unlocked}); refreshing without it`);
    try {
      const raw = readStoredLogin(authPath);
      const stored = secrets ? await secrets.reveal(raw) : raw;
      // What OpenCode holds may name the keychain's item: compared as tokens (the item holds the account's newest).
      const mineRevealed = isRef(mine.refresh) ? ((await secrets.reveal(mine)) ?? mine) : mine;
      const decision = await callStartup((core) => core.refreshDecision(mineRevealed, stored ?? null, now()));
      if (decision === "use-stored") {
        log("another process refreshed the login; using it");
        return stored;
      }
      const base = stored ?? mineRevealed; // the stored refresh token is the newest
      if (isRef(base.refresh)) {
        // The keychain could not give the token (said once, in words, by `reveal`): nothing is sent, nothing deleted.
        throw new LoginError("the ChatGPT login's refresh token is in the keychain, which cannot give it now; unlock or start the keychain, or log in again (opencode auth login)", "keychain-unreadable");
      }
      let fresh;
      try {
        fresh = await postRefresh(base);
      } catch (err) {
        if (err?.code === "refresh-reused") {
          const again = await readStored(authPath);
          if (again && again.refresh !== base.refresh) return again;
        }
        throw err;
      }
      const { type, refresh, access, expires, accountId, ...rest } = base;
      const login = { ...rest, type: "oauth", refresh: fresh.refresh, access: fresh.access, expires: fresh.expires };
      const account = fresh.accountId ?? accountId;
      if (account) login.accountId = account;
      try {
        await persist(secrets ? await secrets.conceal(login, { wasRef: isRef(raw?.refresh) || isRef(mine.refresh) }) : login);
      } catch (err) {
        // The old refresh token is spent: keep the new login in memory rather than lose it.
        saveFailed(err);
      }
      log("refreshed the ChatGPT login");
      return login;
    } finally {
      release();
    }
  }

  /** The single flight: every caller during one refresh shares its promise. */
  function refresh(mine) {
    inflight ??= (async () => {
      try {
        const login = await refreshLocked(mine);
        if (login.refresh !== mine.refresh) rotated.set(rotationKey(mine), login);
        refreshedAt = now();
        return login;
      } catch (err) {
        const message = await callStartup((core) => core.redact(String(err?.message ?? err), secretsOf(mine, readStoredLogin(authPath))));
        throw new LoginError(message, err?.code ?? "refresh-failed");
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  }

  function present(login) {
    lastUsed = login;
    return { access: login.access, accountId: login.accountId || undefined };
  }

  return {
    /** `{access, accountId}` of a login that is not about to expire. */
    async current() {
      if (inflight) return present(await inflight);
      const login = await held();
      if (!(await callStartup((core) => core.needsRefresh(login, now())))) {
        if (!login.accountId) {
          const claims = await callStartup((core) => core.decodeJwt(login.access)).catch(() => null);
          if (claims?.accountId) return present({ ...login, accountId: claims.accountId });
        }
        return present(login);
      }
      return present(await refresh(login));
    },
    /** After a 401: refresh (unless another process already did) and say to retry. Throws when the login cannot be renewed. */
    async onUnauthorized() {
      // Parallel requests sent with the old token all get a 401: one refresh serves them all.
      if (inflight) return present(await inflight), true;
      if (now() - refreshedAt < RECENT_REFRESH_MS) return true;
      const mine = lastUsed ?? (await held());
      present(await refresh(mine));
      return true;
    },
  };
}

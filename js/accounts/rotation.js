// Rotation in the request path: which account sends this request, and sending it again on the
// next account when the first answers a usage limit or its login is dead. The core decides
// (accountsSelect: sticky per conversation, project pin, active; cooldown, health, headroom); this
// file reads the pool, keeps one credentials object per account and sends. The active account uses
// the login in auth.json (js/auth/credentials.js as always); another account refreshes through the
// same code on its own file beside the pool (`logins/<hex key>.json`, same lock and single flight),
// so each account is refreshed once across processes. With fewer than two accounts it is a
// pass-through. Never logs a token.
import fs from "node:fs";
import path from "node:path";
import { callCore } from "../core.js";
import { createCredentials, defaultAuthPath, readStoredLogin, writeStoredLogin } from "../auth/credentials.js";
import { classifyHttpError, errorResponse } from "../transport/errors.js";
import { randomHex } from "../auth/lock.js";
import { applyEvent, defaultPoolPath, identityOf, readPool, updatePool } from "./pool.js";
import { clearMoved, conceal, isRef, keychain, keychainOn, migrate, needsMigration, reveal, revealAuth, syncAuthJson } from "./keychain.js";

/** The file a non-active account's login is refreshed in (auth.json's format). */
export function shadowPath(poolPath, key) {
  return path.join(path.dirname(poolPath), "logins", `${Buffer.from(key).toString("hex")}.json`);
}

/** Creates the account's login file from the pool's copy unless it exists (link: never overwrites). */
function ensureShadow(file, login) {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomHex(4)}.tmp`;
  writeStoredLogin(tmp, login);
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if (err.code !== "EEXIST") throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** The newest login of an account: its refresh file or the pool's copy (the later expiry). */
export function newestLogin(poolPath, key, poolCopy) {
  const shadow = readStoredLogin(shadowPath(poolPath, key));
  if (!shadow) return poolCopy ?? null;
  if (!poolCopy) return shadow;
  return (shadow.expires ?? 0) >= (poolCopy.expires ?? 0) ? shadow : poolCopy;
}

/**
 * Moves the refresh tokens of auth.json, the pool and its login files into the keychain (on) or
 * back (off): the pool under its lock (keychain.js: migrate), auth.json under its own (syncAuthJson;
 * last when moving in, so the item ends with auth.json's token, the newest; first when moving out,
 * so no item it refers to is cleared). Never throws: a damaged pool or file, or a failing keychain,
 * is said once through `notice` and changes nothing it cannot finish.
 */
export async function syncKeychain({ poolPath = defaultPoolPath(), authPath = defaultAuthPath(), notice = () => {} } = {}) {
  const auth = () => syncAuthJson({ authPath, notice }).catch((err) => notice(String(err?.message ?? err)));
  if (keychainOn()) {
    // auth.json's reference is read first: for the active login, its own sentence is the one said if the keychain cannot give it.
    const held = readStoredLogin(authPath);
    if (isRef(held?.refresh)) await revealAuth(held).catch(() => null);
    const r = await syncPoolKeychain({ poolPath, authPath, notice });
    await auth();
    return r;
  }
  await auth();
  return syncPoolKeychain({ poolPath, authPath, notice });
}

async function syncPoolKeychain({ poolPath, authPath, notice }) {
  try {
    // Read first without the lock: in the usual case (nothing to move) no lock is taken and nothing written.
    const shadowOf = (key) => shadowPath(poolPath, key);
    const peek = await readPool(poolPath).catch(() => null);
    if (!peek || peek.state !== "ok" || !needsMigration(peek, shadowOf)) {
      if (peek?.state === "ok" && keychainOn()) for (const key of Object.keys(peek.logins)) if (isRef(peek.logins[key]?.refresh)) await keychain().get(key); // remembered for this session
      return { moved: 0, kept: 0, movedKeys: [] };
    }
    const r = await updatePool(poolPath, (doc) => (doc.state === "ok" ? migrate(doc, (key) => shadowPath(poolPath, key)) : { moved: 0, kept: 0, movedKeys: [] }));
    if (r.moved && r.on) notice(`moved the refresh tokens of ${r.moved} ChatGPT account${r.moved === 1 ? "" : "s"} into the keychain; the account pool keeps only a reference`);
    if (r.moved && !r.on) notice(`the keychain is off: moved the refresh tokens of ${r.moved} ChatGPT account${r.moved === 1 ? "" : "s"} back into the account pool's files (0600)`);
    if (r.movedKeys?.length) await clearMoved(r.movedKeys, { authPath });
    return r;
  } catch (err) {
    notice(String(err?.message ?? err));
    return null;
  }
}

function conversationOf(input, init) {
  const h = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  const id = h.get("session_id") ?? h.get("session-id");
  if (id) return id;
  const body = typeof init?.body === "string" ? init.body : null;
  return body?.match(/"prompt_cache_key"\s*:\s*"([^"\\]{1,200})"/)?.[1] ?? null;
}

/**
 * @param {object} o
 * @param {(deps: {credentials: any, transport: typeof fetch}) => typeof fetch} o.makeFetch  a Codex fetch for one account
 * @param {any} o.credentials  the active account's (auth.json)
 * @param {string} [o.authPath]  auth.json: rotation runs only while it holds the pool's active account
 * @param {{issuer: string, accountsLeavePin?: boolean}} o.cfg
 * @param {string} [o.project]  the pin's key (projectOf(worktree))
 * @param {(message: string) => void} [o.notice]  a toast
 */
export function createRotatingFetch({ makeFetch, credentials, cfg, project = null, poolPath = defaultPoolPath(), authPath = defaultAuthPath(), notice = () => {}, log = () => {}, now = Date.now }) {
  const plain = makeFetch({ credentials, transport: (...a) => fetch(...a) });
  const perAccount = new Map();
  const toasted = new Set();
  const credentialsFor = (key, doc) => {
    if (key === doc.pool.active) return credentials;
    if (!perAccount.has(key)) {
      const file = shadowPath(poolPath, key);
      const copy = doc.logins[key];
      if (!copy?.refresh) return null;
      ensureShadow(file, copy);
      // With the keychain on, the file holds a reference: the token is read from and stored in the keychain.
      const secrets = { isRef, reveal: (l) => reveal(key, l), conceal: (l) => conceal(key, l) };
      perAccount.set(key, createCredentials({ getAuth: async () => reveal(key, readStoredLogin(file)), cfg, authPath: file, now, log, secrets }));
    }
    return perAccount.get(key);
  };
  let held = { access: null, key: null };
  const heldKey = async () => {
    const login = readStoredLogin(authPath);
    if (!login) return null;
    if (login.access !== held.access) held = { access: login.access, key: (await identityOf(login).catch(() => null))?.key ?? null };
    return held.key;
  };
  const record = (event) => updatePool(poolPath, (doc) => applyEvent(doc, { ...event, nowMs: now() }).catch(() => null)).catch((err) => log(`account pool not updated (${err.code ?? err.message})`));

  return async function rotatingFetch(input, init) {
    let doc;
    try {
      doc = await readPool(poolPath);
    } catch {
      return plain(input, init); // a damaged pool: the login in auth.json, as without accounts
    }
    if (doc.pool.accounts.length < 2) return plain(input, init);
    // Only while auth.json holds the pool's active account (else a login changed under us: OpenCode's is used).
    if ((await heldKey()) !== doc.pool.active) return plain(input, init);
    const ask = { conversation: conversationOf(input, init), project, nowMs: now(), allowLeavePin: Boolean(cfg.accountsLeavePin) };
    let last = null;
    for (let attempt = 0; attempt <= doc.pool.accounts.length; attempt++) {
      ask.nowMs = now();
      const selection = await updatePool(poolPath, async (d) => {
        const r = await callCore((c) => c.accountsSelect(d.pool, ask));
        d.pool = r.pool;
        doc = d;
        return r.selection;
      });
      // Every account exhausted: the core's message names the earliest reset across them.
      if (selection.type !== "serve") return errorResponse({ status: 429, kind: "usage_limit", message: selection.message });
      // Said once per move (same accounts, same reset), not for every new conversation it affects.
      const said = selection.moved && `${selection.moved.from}>${selection.key}@${selection.moved.fromUntilMs}`;
      if (said && !toasted.has(said)) {
        toasted.add(said);
        notice(selection.moved.message);
      }
      // Another account's encrypted reasoning is refused: drop it from a conversation that moved.
      const dropped = selection.dropReasoning && typeof init?.body === "string" ? await callCore((c) => c.accountsDropReasoning(init.body)) : null;
      const sendInit = dropped ? { ...init, body: dropped } : init;
      const creds = credentialsFor(selection.key, doc);
      if (!creds) {
        await record({ type: "loginDead", key: selection.key });
        continue;
      }
      let limit = null;
      let snapshot = null;
      const transport = async (url, opts) => {
        const res = await fetch(url, opts);
        if (res.status === 429 || res.status === 403) {
          const info = await classifyHttpError(res.status, res.headers, await res.clone().text().catch(() => ""), now());
          if (info.kind === "usage_limit") limit = info;
        }
        const codex = {};
        for (const [k, v] of res.headers) if (k.startsWith("x-codex-")) codex[k] = v;
        snapshot = Object.keys(codex).length ? codex : snapshot;
        return res;
      };
      const res = await makeFetch({ credentials: creds, transport })(input, sendInit);
      if (snapshot) {
        const limits = await callCore((c) => c.parseRateLimits(snapshot)).catch(() => null);
        if (limits) await record({ type: "usage", key: selection.key, limits });
      }
      if (limit) {
        await record({ type: "usageLimit", key: selection.key, resetsAtMs: limit.resetsAtMs ?? null });
        last = res;
        continue;
      }
      if (res.status === 401) {
        const type = await res.clone().json().then((j) => j?.error?.type).catch(() => null);
        if (type === "auth") {
          await record({ type: "loginDead", key: selection.key });
          last = res;
          continue;
        }
      }
      if (res.status >= 500) await record({ type: "failed", key: selection.key });
      else if (res.ok) {
        const acc = doc.pool.accounts.find((a) => a.identity?.key === selection.key || a.key === selection.key);
        const h = acc?.health;
        if (h && (h.failures || h.coolingUntilMs != null || h.dead)) await record({ type: "succeeded", key: selection.key });
      }
      return res;
    }
    return last;
  };
}

// `accounts export <file> [--force]` and `accounts import <file> [--dry-run]`: the account pool with
// the newest login of every account (auth.json's for the active one, a rotation file under
// `logins/` or the pool's copy for the others), in the format the core defines and checks
// (src/accounts/transfer.rs: name, version, every login names its account). Export writes a new
// 0600 file (created exclusively; `--force` replaces through an exclusive temp file and a rename)
// and says that it holds secrets. Import checks the whole file before anything changes, shows
// what it adds, updates or leaves alone, then under the pool's lock writes a backup of the pool
// (an export, 0600, in `backups/` beside it) and only then the pool, the logins and, when the
// pool was empty or the active account got a newer login, auth.json. Decides nothing about which
// account is which (the core does); never prints a token.
import fs from "node:fs";
import path from "node:path";
import { callCore } from "../core.js";
import { acquireLock, randomHex } from "../auth/lock.js";
import { readStoredLogin, writeStoredLogin } from "../auth/credentials.js";
import { identityOf, readPool, storedLogin, writePool } from "./pool.js";
import { shadowPath } from "./rotation.js";

/** Largest file `import` reads (64 accounts of logins fit in a fraction of it). */
const MAX_IMPORT_BYTES = 4 * 1024 * 1024;

/** An error the CLI shows as bad input (exit 2). */
function badInput(message) {
  const err = new Error(message);
  err.code = "accounts-bad-export";
  return err;
}

/**
 * The newest login of every account in `doc` (key → stored login) among auth.json (for the account
 * it holds), its rotation file and the pool's copy; a copy whose token cannot be read gives way.
 * `resolve(key, login)` (optional) completes a login whose secret lives elsewhere (the keychain).
 */
export async function newestLogins(doc, { poolPath, authPath, resolve = (_k, l) => l }) {
  const held = readStoredLogin(authPath);
  const heldKey = held ? ((await identityOf(held).catch(() => null))?.key ?? null) : null;
  const out = {};
  for (const acc of doc.pool.accounts) {
    // Newest first (auth.json wins a tie); one whose token cannot be read (keychain) gives way to the next.
    const copies = [acc.key === heldKey ? held : null, readStoredLogin(shadowPath(poolPath, acc.key)), doc.logins[acc.key]].filter(Boolean);
    copies.sort((a, b) => (b.expires ?? 0) - (a.expires ?? 0));
    for (const copy of copies) {
      const login = await resolve(acc.key, copy);
      if (login?.refresh) {
        out[acc.key] = storedLogin(login, { accountId: acc.accountId });
        break;
      }
    }
  }
  return { logins: out, heldKey };
}

/** Writes `text` to a new file, 0600: exclusive create; with `force`, an exclusive temp file renamed over it. */
export function writePrivateFile(file, text, { force = false } = {}) {
  const target = force ? `${file}.${process.pid}.${randomHex(4)}.tmp` : file;
  let fd;
  try {
    fd = fs.openSync(target, "wx", 0o600);
  } catch (err) {
    if (err.code === "EEXIST") throw badInput(`${file} already exists; choose another file, or add --force to replace it`);
    if (err.code === "ENOENT") throw badInput(`cannot create ${file}: its directory does not exist`);
    throw err;
  }
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    if (force) fs.renameSync(target, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(target, { force: true });
    throw err;
  }
}

/** The export text of the pool in `doc` (newest logins). */
async function exportText(doc, o) {
  const { logins } = await newestLogins(doc, o);
  const missing = doc.pool.accounts.filter((a) => !logins[a.key]).map((a) => a.key);
  if (missing.length) {
    throw new Error(`no usable login for ${missing.join(", ")}: its refresh token is in a keychain that cannot be read now (or was never stored); nothing was written. Unlock or start the keychain and try again`);
  }
  return callCore((c) => c.accountsMakeExport(doc.pool, logins, o.now()));
}

/**
 * `accounts export <file> [--force]`. o: {poolPath, authPath, now, out, resolve?}. Under the pool's
 * lock (nothing in the pool changes). Returns the number of accounts written.
 */
export async function exportAccounts(o, file, { force = false } = {}) {
  const release = await acquireLock(`${o.poolPath}.lock`);
  let count;
  try {
    const doc = await readPool(o.poolPath);
    if (doc.pool.accounts.length === 0) throw badInput("the account pool is empty: there is nothing to export (log in first: opencode auth login → OpenAI)");
    writePrivateFile(file, await exportText(doc, o), { force });
    count = doc.pool.accounts.length;
  } finally {
    release();
  }
  o.out(`exported ${count} ChatGPT account${count === 1 ? "" : "s"} to ${file} (mode 0600)`);
  o.out(`this file holds the refresh tokens of those accounts: whoever has it can use them. Keep it private, and delete it once it is imported`);
  return count;
}

/** The export in `file`, checked whole by the core; throws a bad-input error saying what is wrong. */
async function readExport(file) {
  let text;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw badInput(`${file} is not a file`);
    if (st.size > MAX_IMPORT_BYTES) throw badInput(`${file} is larger than an account export can be (${MAX_IMPORT_BYTES} bytes); nothing was changed`);
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (err.code === "accounts-bad-export") throw err;
    throw badInput(`cannot read ${file} (${err.code ?? err.message}); nothing was changed`);
  }
  try {
    return await callCore((c) => c.accountsParseExport(text));
  } catch (err) {
    throw badInput(`${file}: ${err.message}; nothing was changed`);
  }
}

const WORDS = { add: "add   ", update: "update", same: "leave " };
const WHY = {
  add: "not in the pool",
  update: (i) => (i.login ? "its login in the file is newer" : "it brings a label"),
  same: "the pool's login is as new or newer",
};

/** The backup of the pool before an import: an export in `backups/` beside the pool, 0600 in 0700. */
function backupPath(poolPath, now) {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, "-");
  return path.join(path.dirname(poolPath), "backups", `accounts-${stamp}-${randomHex(3)}.json`);
}

/**
 * `accounts import <file> [--dry-run]`. o: {poolPath, authPath, now, out, resolve?, store?, storeAuth?}
 * (`storeAuth(login)`: the login as auth.json keeps it, e.g. with its token in the keychain).
 * `store(doc, key, login)` (optional) files a login in the pool (the keychain moves its secret);
 * default: the pool's copy. Returns the plan's items.
 */
export async function importAccounts(o, file, { dryRun = false } = {}) {
  const exported = await readExport(file);
  const release = await acquireLock(`${o.poolPath}.lock`);
  let items;
  let backup = null;
  try {
    const doc = await readPool(o.poolPath); // a damaged pool is refused: nothing changes
    const { logins: current, heldKey } = await newestLogins(doc, o);
    const expires = Object.fromEntries(doc.pool.accounts.map((a) => [a.key, current[a.key]?.expires ?? null]));
    const plan = await callCore((c) => c.accountsPlanImport(doc.pool, expires, exported));
    items = plan.items;
    o.out(`${dryRun ? "would import" : "importing"} ${items.length} account${items.length === 1 ? "" : "s"} from ${file}:`);
    for (const i of items) o.out(`  ${WORDS[i.action]}  #${i.n} ${i.name} (${i.key}): ${typeof WHY[i.action] === "function" ? WHY[i.action](i) : WHY[i.action]}`);
    const changes = items.some((i) => i.action !== "same");
    if (dryRun) {
      o.out("dry run: nothing was changed");
      return items;
    }
    if (!changes) {
      o.out("the pool already holds all of it: nothing was changed");
      return items;
    }
    if (doc.pool.accounts.length > 0) {
      backup = backupPath(o.poolPath, o.now());
      fs.mkdirSync(path.dirname(backup), { recursive: true, mode: 0o700 });
      fs.chmodSync(path.dirname(backup), 0o700);
      writePrivateFile(backup, await exportText(doc, o));
    }
    const wasEmpty = doc.pool.accounts.length === 0;
    doc.pool = plan.pool;
    const taken = items.filter((i) => i.login).map((i) => i.key);
    for (const key of taken) {
      const login = exported.logins[key];
      doc.logins = { ...doc.logins, [key]: o.store ? await o.store(doc, key, login) : login };
    }
    writePool(o.poolPath, doc);
    for (const key of taken) fs.rmSync(shadowPath(o.poolPath, key), { force: true }); // the imported login is newer
    // auth.json holds the active login: the imported one when the pool was empty and auth.json holds none, or when it is newer.
    const active = doc.pool.active;
    const held = readStoredLogin(o.authPath);
    if (active && ((wasEmpty && !held) || (taken.includes(active) && heldKey === active))) {
      const lock = await acquireLock(`${o.authPath}.lock`);
      try {
        writeStoredLogin(o.authPath, o.storeAuth ? await o.storeAuth(exported.logins[active]) : exported.logins[active]);
      } finally {
        lock();
      }
    }
  } finally {
    release();
  }
  if (backup) o.out(`the pool as it was is saved in ${backup} (mode 0600; accounts import ${backup} restores its accounts)`);
  const n = (a) => items.filter((i) => i.action === a).length;
  o.out(`imported: ${n("add")} added, ${n("update")} updated, ${n("same")} left as they were`);
  return items;
}

// `opencode-chatgpt-wasm accounts …`: list the pool (`--json` too), `use <n|label|email> [--project]`,
// `label <n> <name>`, `remove <n>`, `export <file>`, `import <file>` (transfer.js); and the per-account lines of `doctor`. Reads and changes the
// pool through pool.js (lock, atomic write) and auth.json through js/auth/credentials.js (auth.json
// keeps holding the active login). Which account a selector names, and every sentence about health
// and usage, come from the core. Never prints a token.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { callCore } from "../core.js";
import { projectOf } from "./project.js";
import { PACKAGE_NAME } from "../config.js";
import { acquireLock } from "../auth/lock.js";
import { defaultAuthPath, readStoredLogin, writeStoredLogin } from "../auth/credentials.js";
import { applyEvent, defaultPoolPath, identityOf, readPool, storedLogin, syncLogin, updatePool } from "./pool.js";
import { newestLogin, shadowPath, syncKeychain } from "./rotation.js";
import { conceal, concealAuth, reveal, secretStatus } from "./keychain.js";
import { exportAccounts, importAccounts } from "./transfer.js";

export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export const ACCOUNTS_USAGE = `Usage: ${PACKAGE_NAME} accounts [--json]
       ${PACKAGE_NAME} accounts use <n|label|email> [--project]
       ${PACKAGE_NAME} accounts label <n> <name>
       ${PACKAGE_NAME} accounts remove <n>
       ${PACKAGE_NAME} accounts export <file> [--force]
       ${PACKAGE_NAME} accounts import <file> [--dry-run]

  (no command)  list the ChatGPT accounts: label, email, plan, workspace, active, health, usage
  use           make an account the active one (auth.json holds it); --project: pin it to this project
  label         name an account (a blank name removes the label)
  remove        forget an account (not the only one)
  export        write every account with its login to a new file (0600; it holds secrets);
                --force replaces an existing file
  import        add or update the accounts of an exported file (a backup of the pool is written
                first); --dry-run only shows what would be added, updated or left alone
Add an account by logging in again: opencode auth login → OpenAI.
`;

export { projectOf };

class UsageError extends Error {
  constructor(message) {
    super(message);
    this.exitCode = EXIT_BAD_INPUT;
  }
}

const BAD_INPUT_CODES = new Set(["accounts-not-found", "accounts-ambiguous", "accounts-bad-label", "accounts-last", "accounts-bad-export"]);

/** A login held in auth.json joins (or refreshes its copy in) the pool before anything is shown. */
async function syncAuthJson(o) {
  const login = readStoredLogin(o.authPath);
  if (login) await syncLogin(login, { file: o.poolPath, notice: (m) => o.err(`warning: ${m}`), now: o.now });
}

/** Writes `login` to auth.json under the login lock (the one refreshes take); with the keychain on, its refresh token goes there (auth.json: a reference). */
async function setAuthJson(authPath, login) {
  const concealed = await concealAuth(login);
  const release = await acquireLock(`${authPath}.lock`);
  try {
    writeStoredLogin(authPath, concealed);
  } finally {
    release();
  }
}

/**
 * Makes `key` the active account: the login auth.json holds now is saved into the pool first
 * (its refresh token may have rotated), then `key`'s login goes into auth.json. Inside updatePool.
 */
async function activate(o, doc, key) {
  const held = readStoredLogin(o.authPath);
  let heldKey = null;
  if (held) {
    const id = await identityOf(held).catch(() => null);
    if (id) {
      heldKey = id.key;
      await applyEvent(doc, { type: "joined", identity: id, activate: false, nowMs: o.now() });
      doc.logins = { ...doc.logins, [id.key]: await conceal(id.key, storedLogin(held, id)) };
      fs.rmSync(shadowPath(o.poolPath, id.key), { force: true }); // auth.json's copy is the newer one
    }
  }
  if (heldKey !== key) {
    // Rotation may have refreshed it in its own file: the newer of that and the pool's copy.
    const stored = newestLogin(o.poolPath, key, doc.logins[key]);
    const login = await reveal(key, stored); // the keychain's token, when the pool holds a reference
    if (!login?.refresh) throw new Error(stored?.refresh ? `that account's refresh token is in the keychain, which cannot give it now; nothing was changed: unlock or start the keychain and try again` : `the pool holds no login for that account; log in with it again (opencode auth login)`);
    await setAuthJson(o.authPath, login);
    doc.logins = { ...doc.logins, [key]: storedLogin(stored) };
    fs.rmSync(shadowPath(o.poolPath, key), { force: true });
  }
}

const name = (v) => `#${v.n} ${v.label ?? v.email ?? v.workspace}`;

function table(views) {
  const rows = [["#", "label", "email", "plan", "workspace", "active", "health", "usage"]];
  for (const v of views) {
    rows.push([String(v.n), v.label ?? "", v.email ?? "", v.plan ?? "", v.workspace, v.active ? "*" : v.pinnedHere ? "pinned here" : "", v.health.text, v.usage?.text || "no figures yet"]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd());
}

/**
 * Runs `accounts …`. o: {argv, env, cwd, out, err, now, authPath?, poolPath?, revoke?}.
 * `revoke(login)` (optional): revokes a removed account's refresh token; without it, remove says
 * that the token was not revoked.
 */
export async function runAccounts(o) {
  const env = o.env ?? process.env;
  const ctx = {
    ...o,
    now: o.now ?? Date.now,
    err: o.err ?? ((line) => process.stderr.write(`${line}\n`)),
    authPath: o.authPath ?? defaultAuthPath(env),
    poolPath: o.poolPath ?? defaultPoolPath(env),
  };
  let parsed;
  try {
    parsed = parseArgs({ args: o.argv, options: { json: { type: "boolean" }, project: { type: "boolean" }, force: { type: "boolean" }, "dry-run": { type: "boolean" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    ctx.err(`error: ${error.message}\n${ACCOUNTS_USAGE}`);
    return EXIT_BAD_INPUT;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    ctx.out(ACCOUNTS_USAGE);
    return 0;
  }
  const [command = "list", ...rest] = positionals;
  try {
    // The keychain setting (OPENCODE_CODEX_KEYCHAIN) is applied first: tokens move in or back out.
    if (!(command === "import" && values["dry-run"])) await syncKeychain({ poolPath: ctx.poolPath, authPath: ctx.authPath, notice: (m) => ctx.err(`note: ${m}`) });
    switch (command) {
      case "list":
        if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}`);
        return await list(ctx, values.json ?? false);
      case "use":
        if (rest.length !== 1) throw new UsageError("use takes one account: a number, label or email");
        return await use(ctx, rest[0], values.project ?? false);
      case "label":
        if (rest.length < 1) throw new UsageError("label takes an account number and a name");
        return await label(ctx, rest[0], rest.slice(1).join(" "));
      case "remove":
        if (rest.length !== 1) throw new UsageError("remove takes one account number");
        return await remove(ctx, rest[0]);
      case "export":
        if (rest.length !== 1) throw new UsageError("export takes one file");
        await syncAuthJson(ctx);
        await exportAccounts({ ...ctx, resolve: reveal }, path.resolve(ctx.cwd ?? process.cwd(), rest[0]), { force: values.force ?? false });
        return 0;
      case "import":
        if (rest.length !== 1) throw new UsageError("import takes one file");
        if (!values["dry-run"]) await syncAuthJson(ctx);
        await importAccounts({ ...ctx, resolve: reveal, store: (_doc, key, login) => conceal(key, login), storeAuth: concealAuth }, path.resolve(ctx.cwd ?? process.cwd(), rest[0]), { dryRun: values["dry-run"] ?? false });
        return 0;
      default:
        throw new UsageError(`unknown accounts command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.err(`error: ${error.message}\n${ACCOUNTS_USAGE}`);
      return EXIT_BAD_INPUT;
    }
    ctx.err(`error: ${error.message}`);
    return BAD_INPUT_CODES.has(error.code) ? EXIT_BAD_INPUT : EXIT_FAILED;
  }
}

async function list(o, json) {
  await syncAuthJson(o);
  const { pool } = await readPool(o.poolPath);
  const views = await callCore((c) => c.accountsList(pool, o.now(), projectOf(o.cwd)));
  if (json) {
    o.out(JSON.stringify({ pool: o.poolPath, project: projectOf(o.cwd), accounts: views }, null, 2));
    return 0;
  }
  if (views.length === 0) {
    o.out(`no ChatGPT accounts yet: log in with opencode auth login → OpenAI (each login joins the pool)`);
    return 0;
  }
  for (const line of table(views)) o.out(line);
  return 0;
}

async function use(o, selector, project) {
  await syncAuthJson(o);
  const dir = projectOf(o.cwd);
  const done = await updatePool(o.poolPath, async (doc) => {
    const key = await callCore((c) => c.accountsResolve(doc.pool, selector));
    if (!project) await activate(o, doc, key);
    await applyEvent(doc, { type: "use", key, project: project ? dir : null });
    return (await callCore((c) => c.accountsList(doc.pool, o.now(), dir))).find((v) => v.key === key);
  });
  o.out(project ? `${dir} now uses ChatGPT account ${name(done)}; other projects keep the active account` : `ChatGPT account ${name(done)} is now active (auth.json holds its login)`);
  return 0;
}

async function label(o, n, text) {
  await syncAuthJson(o);
  const done = await updatePool(o.poolPath, async (doc) => {
    const key = await callCore((c) => c.accountsResolve(doc.pool, n));
    await applyEvent(doc, { type: "label", key, label: text });
    return (await callCore((c) => c.accountsList(doc.pool, o.now(), null))).find((v) => v.key === key);
  });
  o.out(done.label ? `account #${done.n} is now labelled ${done.label}` : `account #${done.n} has no label now`);
  return 0;
}

async function remove(o, n) {
  await syncAuthJson(o);
  const removed = await updatePool(o.poolPath, async (doc) => {
    const key = await callCore((c) => c.accountsResolve(doc.pool, n));
    if (doc.pool.accounts.length === 1) {
      const err = new Error("that is the only account in the pool; to sign out, run opencode auth logout");
      err.code = "accounts-last";
      throw err;
    }
    const view = (await callCore((c) => c.accountsList(doc.pool, o.now(), null))).find((v) => v.key === key);
    const wasActive = doc.pool.active === key;
    const login = await reveal(key, newestLogin(o.poolPath, key, doc.logins[key])).catch(() => null);
    await applyEvent(doc, { type: "remove", key });
    fs.rmSync(shadowPath(o.poolPath, key), { force: true });
    const { [key]: _gone, ...logins } = doc.logins;
    doc.logins = logins;
    if (wasActive) {
      const next = doc.pool.active;
      const nextLogin = await reveal(next, newestLogin(o.poolPath, next, doc.logins[next]));
      if (!nextLogin?.refresh) throw new Error("the next account has no stored login; log in with it again first");
      await setAuthJson(o.authPath, nextLogin);
      fs.rmSync(shadowPath(o.poolPath, next), { force: true });
    }
    return { view, login, wasActive, next: doc.pool.active };
  });
  o.out(`removed ChatGPT account ${name(removed.view)}`);
  if (removed.wasActive) {
    const views = await callCore(async (c) => c.accountsList((await readPool(o.poolPath)).pool, o.now(), null));
    const next = views.find((v) => v.key === removed.next);
    if (next) o.out(`ChatGPT account ${name(next)} is now active (auth.json holds its login)`);
  }
  if (typeof o.revoke === "function" && removed.login) {
    try {
      await o.revoke(removed.login);
      o.out("its refresh token was revoked");
    } catch (error) {
      o.err(`warning: its refresh token could not be revoked (${error.message}); it stops working when it expires or when you sign out of that account at chatgpt.com`);
    }
  } else {
    o.out("its refresh token was not revoked (this version cannot revoke); sign out of that account at chatgpt.com to end it now");
  }
  return 0;
}

/** `doctor`: one check per account (`{status, detail, fix?}`), or one saying why there are none. */
export async function accountChecks(env, nowMs) {
  const file = defaultPoolPath(env);
  let doc;
  try {
    doc = await readPool(file);
  } catch (error) {
    return [{ status: "fail", detail: error.message, fix: `move ${file} away; the next login starts a new pool` }];
  }
  if (doc.state === "missing") return [{ status: "skip", detail: "no account pool yet (the plugin creates it when it loads your login)" }];
  const views = await callCore((c) => c.accountsList(doc.pool, nowMs, null));
  const checks = [];
  for (const v of views) {
    // Where its refresh token lives (the pool's files or the keychain) and whether it can be read.
    const secret = await secretStatus(v.key, doc.logins[v.key], shadowPath(file, v.key));
    const dead = v.health.state === "dead";
    checks.push({
      status: dead || secret.status === "fail" ? "fail" : "ok",
      detail: `account ${name(v)}${v.active ? " (active)" : ""}: ${v.plan ?? "plan unknown"}, workspace ${v.workspace}; ${v.health.text}${v.usage?.text ? `; ${v.usage.text}` : ""}; ${secret.detail}`,
      fix: dead ? "log in again with this account: opencode auth login" : secret.fix,
    });
  }
  return checks;
}

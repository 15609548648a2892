// `doctor`: checks an installation end to end and reports each check as ✓/✗ with a fix in words.
// Reads files, runs `opencode --version`, imports our plugin entry, binds the callback port for a moment and,
// unless offline, makes three unauthenticated requests (issuer, backend, npm registry: registry.js). Never prints a token: a stored login is summarized from
// its JWT payload (account, plan, expiry) only.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { findNodeAtLocation } from "jsonc-parser";
import { InstallError, PACKAGE_NAME, dataRoot, packageInfo, readConfigFile, readRecords } from "./files.js";
import { conflictName, isOurSpec, locateConfig, parseConfig, pluginSpec } from "./install.js";
import { checkLatest, entryVersion } from "./registry.js";
import { compareVersions, minOpencodeVersion } from "../host.js";
import { defaultQuotaPath, readQuotaFile } from "../transport/quota.js";
import { checkTui } from "./tui.js";
import { accountChecks } from "../accounts/cli.js";
import { authSecretStatus } from "../accounts/keychain.js";

export const DEFAULT_ISSUER = "https://auth.openai.com";
export const DEFAULT_ENDPOINT = "https://chatgpt.com/backend-api/codex";
export const DEFAULT_CALLBACK_PORT = 1455;
const LOAD_TIMEOUT_MS = 20_000;
const NETWORK_TIMEOUT_MS = 8_000;

// --------------------------------------------------------------------------------------------- OpenCode itself

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The `opencode` binary on PATH, or null. Never node_modules/.bin of the working directory or its
 * parents: inside an untrusted checkout that would run the checkout's own program as the user.
 */
export function findOpencode({ env }) {
  const names = process.platform === "win32" ? ["opencode.cmd", "opencode.exe", "opencode"] : ["opencode"];
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    if (!path.isAbsolute(dir)) continue; // a relative PATH entry ("." or "node_modules/.bin") means the working directory
    for (const name of names) if (isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** `opencode --version` as "X.Y.Z", or null when it does not run or prints no version. */
export function opencodeVersion(bin, env) {
  const result = spawnSync(bin, ["--version"], { env, encoding: "utf8", timeout: 30_000, shell: process.platform === "win32" });
  return /(\d+\.\d+\.\d+)/.exec(result.stdout ?? "")?.[1] ?? null;
}

export { compareVersions, minOpencodeVersion };

/** The OpenCode check shared by doctor and install: {status, detail, fix}. */
export function checkOpencode({ env, cwd, minVersion }) {
  const bin = findOpencode({ env });
  if (!bin) {
    return { status: "fail", detail: "OpenCode not found on PATH", fix: "install it: npm install -g opencode-ai (or see https://opencode.ai)" };
  }
  const version = opencodeVersion(bin, env);
  if (!version) return { status: "fail", detail: `${bin} --version printed no version`, fix: "reinstall OpenCode: npm install -g opencode-ai" };
  if (minVersion && compareVersions(version, minVersion) < 0) {
    return {
      status: "fail",
      detail: `OpenCode ${version} at ${bin} is older than ${minVersion}, the oldest whose plugin API this plugin uses`,
      fix: "upgrade it: opencode upgrade (or npm install -g opencode-ai@latest)",
    };
  }
  return { status: "ok", detail: `OpenCode ${version} at ${bin}${minVersion ? ` (needs >= ${minVersion})` : ""}` };
}

// --------------------------------------------------------------------------------------------- the stored login

/** The JSON payload of a JWT (base64url, not verified), or null. */
export function decodeJwtPayload(token) {
  if (typeof token !== "string") return null;
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return payload && typeof payload === "object" && !Array.isArray(payload) ? payload : null;
  } catch {
    return null;
  }
}

function duration(ms) {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

/**
 * Summarizes OpenCode's stored `openai` credentials without revealing them: {status, detail, fix}.
 * `entry` is auth.json's `openai` value; account and plan come from the access token's ChatGPT claims.
 */
export function summarizeLogin(entry, nowMs) {
  const login = "opencode auth login, choose OpenAI, and sign in with ChatGPT";
  if (!entry || typeof entry !== "object") return { status: "fail", detail: "no ChatGPT login stored for provider openai", fix: `run ${login}` };
  if (entry.type !== "oauth") {
    return { status: "fail", detail: `provider openai holds credentials of type "${entry.type}", not a ChatGPT login`, fix: `run ${login} (it replaces them)` };
  }
  const claims = decodeJwtPayload(entry.access) ?? {};
  const auth = claims["https://api.openai.com/auth"] ?? {};
  const email = claims.email ?? claims["https://api.openai.com/profile"]?.email;
  const account = entry.accountId ?? auth.chatgpt_account_id;
  const expires = typeof entry.expires === "number" ? entry.expires : typeof claims.exp === "number" ? claims.exp * 1000 : null;
  const who = [`account ${account ?? "unknown"}`, `plan ${auth.chatgpt_plan_type ?? "unknown"}`, email].filter(Boolean).join(", ");
  if (!entry.refresh) return { status: "fail", detail: `ChatGPT login (${who}) has no refresh token`, fix: `run ${login} again` };
  if (expires === null) return { status: "ok", detail: `ChatGPT login: ${who}; access token expiry unknown` };
  const when = new Date(expires).toISOString().replace(/\.\d+Z$/, "Z");
  const expiry = expires > nowMs ? `access token valid until ${when} (in ${duration(expires - nowMs)})` : `access token expired ${duration(nowMs - expires)} ago (${when}), refreshed on next use`;
  return { status: "ok", detail: `ChatGPT login: ${who}; ${expiry}` };
}

function checkLogin(env, nowMs) {
  const file = path.join(dataRoot(env), "opencode", "auth.json");
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return { ...summarizeLogin(undefined, nowMs), detail: `no ChatGPT login stored (${file} does not exist)` };
    return { status: "fail", detail: `cannot read ${file}: ${error.code ?? error.message}`, fix: "check the file's permissions" };
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return { status: "fail", detail: `${file} is not valid JSON`, fix: "remove it and log in again: opencode auth login" };
  }
  const result = summarizeLogin(data?.openai, nowMs);
  const mode = fs.statSync(file).mode & 0o777;
  if (result.status === "ok" && process.platform !== "win32" && (mode & 0o077) !== 0) {
    return { status: "fail", detail: `${result.detail}; but ${file} is readable by other users (mode ${mode.toString(8)})`, fix: `chmod 600 ${file}` };
  }
  return result;
}

// ------------------------------------------------------------------------------------------------ the others

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Imports the plugin module and runs its selfTest() (which instantiates the wasm core) when it has one. */
export async function checkLoadable(url, label) {
  try {
    const mod = await withTimeout(import(url), LOAD_TIMEOUT_MS, "loading the plugin");
    const plugin = mod.default;
    if (typeof plugin?.server !== "function" && !Object.values(mod).some((v) => typeof v === "function")) {
      return { status: "fail", detail: `${label} loads but exports no plugin`, fix: `reinstall: npx ${PACKAGE_NAME} install` };
    }
    if (typeof mod.selfTest !== "function") return { status: "ok", detail: `${label} loads` };
    const result = await withTimeout(Promise.resolve(mod.selfTest()), LOAD_TIMEOUT_MS, "the self test");
    if (result?.ok === false) return { status: "fail", detail: `${label} loads but its self test failed`, fix: `reinstall: npx ${PACKAGE_NAME} install` };
    return { status: "ok", detail: `${label} loads and its wasm core works` };
  } catch (error) {
    const message = String(error?.message ?? error).split("\n")[0];
    return { status: "fail", detail: `${label} does not load: ${message}`, fix: `reinstall: npx ${PACKAGE_NAME} install` };
  }
}

/** Whether we can bind 127.0.0.1:port, where the browser login's callback server listens. */
export function checkPort(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (error) => {
      resolve(
        error.code === "EADDRINUSE"
          ? { status: "fail", detail: `callback port ${port} is in use`, fix: `close the program listening on ${port} (often a stale login) or choose the headless (device code) login` }
          : { status: "fail", detail: `cannot listen on 127.0.0.1:${port}: ${error.code ?? error.message}`, fix: "choose the headless (device code) login" },
      );
    });
    server.listen(port, "127.0.0.1", () => server.close(() => resolve({ status: "ok", detail: `callback port ${port} is free` })));
  });
}

/** Any HTTP answer from `url` counts as reachable (no credentials are sent, so 401/403 are expected). */
export async function checkReachable(url, label) {
  try {
    const response = await fetch(url, { method: "GET", redirect: "manual", signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS) });
    await response.body?.cancel();
    return { status: "ok", detail: `${label} reachable (${new URL(url).host}, HTTP ${response.status})` };
  } catch (error) {
    const cause = error?.cause?.code ?? error?.cause?.message ?? error?.name ?? String(error);
    return { status: "fail", detail: `${label} not reachable at ${url}: ${cause}`, fix: "check your network connection, proxy or firewall" };
  }
}

// ------------------------------------------------------------------------------------------------ the report

function entryCheck(o) {
  const located = locateConfig(o);
  let cfg;
  try {
    cfg = readConfigFile(located.file);
    if (cfg.text === null) {
      return { check: { status: "fail", detail: `no OpenCode config at ${located.file}`, fix: `run npx ${PACKAGE_NAME} install` } };
    }
    const tree = parseConfig(cfg.text, cfg.target);
    const items = findNodeAtLocation(tree, ["plugin"])?.children ?? [];
    const specs = items.map(pluginSpec);
    const record = readRecords(o.env)[cfg.target];
    const ours = specs.filter((spec) => isOurSpec(spec, o.env, record ? [record.entry] : []));
    const conflicts = specs.filter((spec) => !ours.includes(spec) && conflictName(spec));
    if (ours.length === 0) {
      return { check: { status: "fail", detail: `${PACKAGE_NAME} is not in the plugin list of ${cfg.target}`, fix: `run npx ${PACKAGE_NAME} install` } };
    }
    if (conflicts.length > 0) {
      return {
        entry: ours[0],
        check: {
          status: "fail",
          detail: `plugin entry ${ours[0]} in ${cfg.target}, next to conflicting ${conflicts.join(", ")}`,
          fix: `remove them: npx ${PACKAGE_NAME} install --remove-conflicts`,
        },
      };
    }
    return { entry: ours[0], check: { status: "ok", detail: `plugin entry ${ours[0]} in ${cfg.target}` } };
  } catch (error) {
    if (error instanceof InstallError) return { check: { status: "fail", detail: error.message, fix: "fix the config file (see above)" } };
    throw error;
  }
}

/** The model list the plugin resolves against: the live list it last fetched (cache file), else the bundled one. */
async function checkModels(env) {
  try {
    const { resolveConfig } = await import("../config.js");
    const { getCatalogWithCache, defaultModelsCachePath } = await import("../request/models.js");
    const cachePath = defaultModelsCachePath(env);
    const catalog = await getCatalogWithCache(resolveConfig({}, env), cachePath);
    const slugs = catalog.models().map((m) => `${m.slug} (${m.efforts.join("/")})`);
    const source = fs.existsSync(cachePath) ? `live list cached in ${cachePath}` : "bundled snapshot; the plugin fetches the live list on the first turn";
    return { status: "ok", detail: `models (${source}): ${slugs.join(", ")}` };
  } catch (err) {
    return { status: "fail", detail: `model catalog could not be read (${err.message})`, fix: "rebuild or reinstall the package" };
  }
}

/** The latest x-codex-* usage snapshot the plugin saw (written by js/quota.js after each response). */
function checkQuota(env, nowMs) {
  const q = readQuotaFile(defaultQuotaPath(env));
  if (!q) return { status: "skip", detail: "no usage figures yet (they are saved after the first ChatGPT response)" };
  const fmt = (w, name) => {
    if (!w || typeof w.usedPercent !== "number") return null;
    const reset = typeof w.resetsAtS === "number" ? `, resets ${new Date(w.resetsAtS * 1000).toLocaleString()}` : "";
    return `${name} ${w.usedPercent}% used${w.windowMinutes ? ` of ${w.windowMinutes} min window` : ""}${reset}`;
  };
  const parts = [fmt(q.snapshot.primary, "primary"), fmt(q.snapshot.secondary, "secondary")].filter(Boolean);
  const age = Math.max(0, Math.round((nowMs - q.savedAt) / 60_000));
  const high = [q.snapshot.primary, q.snapshot.secondary].some((w) => typeof w?.usedPercent === "number" && w.usedPercent >= 95);
  return {
    status: high ? "fail" : "ok",
    detail: `ChatGPT usage (seen ${age} min ago): ${parts.join("; ") || "no window figures"}`,
    fix: high ? "a usage window is nearly exhausted: wait for its reset or switch to a smaller model" : undefined,
  };
}

const MARK = { ok: "✓", fail: "✗", warn: "!", skip: "-" };

/** `doctor`: o = {cwd, env, configPath, project, offline, pkgDir, out, now}. Returns 0 when every check passed, else 1. */
export async function runDoctor(o) {
  const { env, out } = o;
  const pkg = packageInfo(o.pkgDir);
  const checks = [];
  const report = (check) => {
    checks.push(check);
    out(`${MARK[check.status]} ${check.detail}`);
    if (check.fix) out(`    fix: ${check.fix}`);
  };
  out(`${PACKAGE_NAME} ${pkg.version} doctor`);
  report(checkOpencode({ env, cwd: o.cwd, minVersion: minOpencodeVersion(pkg.manifest) }));
  const { entry, check } = entryCheck(o);
  report(check);
  if (entry?.startsWith("file:")) {
    report(await checkLoadable(entry, `plugin ${fileURLToPath(entry)}`));
  } else if (entry) {
    // OpenCode installs registry entries itself; check the package doctor runs from instead.
    report(await checkLoadable(pathToFileURL(path.join(pkg.dir, "index.js")).href, `plugin ${pkg.version} (this copy; OpenCode fetches ${entry} itself)`));
  } else {
    report({ status: "skip", detail: "plugin load check skipped (no plugin entry)" });
  }
  report(checkLogin(env, o.now ?? Date.now()));
  // With the keychain on (or a reference left from when it was): where auth.json's refresh token lives and whether it can be read.
  const authSecret = await authSecretStatus(path.join(dataRoot(env), "opencode", "auth.json")).catch((error) => ({ status: "fail", detail: `auth.json's refresh token: ${error.message}` }));
  if (authSecret) report(authSecret);
  const port = Number(env.OPENCODE_CODEX_CALLBACK_PORT) || DEFAULT_CALLBACK_PORT;
  report(await checkPort(port));
  if (o.offline) {
    report({ status: "skip", detail: "network checks skipped (--offline)" });
  } else {
    const issuer = (env.OPENCODE_CODEX_ISSUER ?? DEFAULT_ISSUER).replace(/\/+$/, "");
    const endpoint = (env.OPENCODE_CODEX_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, "");
    const [a, b, c] = await Promise.all([
      checkReachable(`${issuer}/.well-known/openid-configuration`, "login issuer"),
      checkReachable(`${endpoint}/models`, "Codex backend"),
      checkLatest({ env, name: PACKAGE_NAME, current: entryVersion(entry, PACKAGE_NAME) ?? pkg.version, npmEntry: entry?.startsWith(`${PACKAGE_NAME}@`) ?? false }),
    ]);
    report(a);
    report(b);
    report(c);
  }
  report(await checkModels(env));
  report(checkQuota(env, o.now ?? Date.now()));
  if (entry) report(checkTui(o));
  for (const c of await accountChecks(env, o.now ?? Date.now())) report(c);
  const failed = checks.filter((c) => c.status === "fail").length;
  out(failed === 0 ? "all checks passed" : `${failed} check${failed === 1 ? "" : "s"} failed`);
  return failed === 0 ? 0 : 1;
}

// The model catalog the transform resolves names against: the bundled snapshot in the wasm core,
// merged with the live `GET {endpoint}/models` list (ETag, 5 min cache in memory, last good list in
// a cache file for offline starts). Refreshes run in the background: they never block plugin load
// or a turn, and a failure only leaves the catalog as it was (a debug log line, nothing else).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadCore } from "../core.js";
import { PACKAGE_NAME } from "../config.js";
import { credentialUrl, NO_REDIRECT } from "../transport/guard.js";
import { ensurePrivateDir, writePrivateFileAtomic } from "../fsx.js";
import { readCapped, MODEL_LIST_BYTES } from "../transport/body.js";

export const MODELS_TTL_MS = 5 * 60_000;
export const DEFAULT_CLIENT_VERSION = "0.99.0";
const RETRY_MS = 60_000; // after a failed refresh
const TIMEOUT_MS = 15_000;

let catalog;
let processRefresher;
let cachePrimed = false;
const shownNotices = new Set();

/** The process-wide Catalog (wasm object), created from the bundled snapshot on first use. */
export async function getCatalog() {
  if (!catalog) {
    const core = await loadCore();
    catalog ??= new core.Catalog();
  }
  return catalog;
}

/** Calls `show(notice)` once per distinct notice (e.g. a retired model name remapped). */
export function noticeOnce(notice, show) {
  if (!notice || shownNotices.has(notice)) return;
  shownNotices.add(notice);
  show(notice);
}

/** `${XDG_CACHE_HOME:-~/.cache}/opencode-chatgpt-wasm/models.json`. */
export function defaultModelsCachePath(env = process.env) {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), PACKAGE_NAME, "models.json");
}

/** The cache file's `{etag?, fetchedAt, body}` when it holds a list for `endpoint`, else null. */
function readModelsCache(cachePath, endpoint) {
  try {
    const c = cachePath ? JSON.parse(fs.readFileSync(cachePath, "utf8")) : null;
    if (c?.endpoint !== endpoint || typeof c.body !== "string") return null;
    return { etag: typeof c.etag === "string" ? c.etag : undefined, fetchedAt: Number.isFinite(c.fetchedAt) ? c.fetchedAt : 0, body: c.body };
  } catch {
    return null;
  }
}

/**
 * The process catalog, with the last good live list from the cache file merged in when no refresh has
 * run yet (the `provider` hook may run before the auth loader starts one).
 */
export async function getCatalogWithCache(cfg, cachePath = defaultModelsCachePath()) {
  const c = await getCatalog();
  if (!processRefresher && !cachePrimed) {
    cachePrimed = true;
    const cached = readModelsCache(cachePath, cfg.endpoint);
    try {
      if (cached) c.mergeRemote(cached.body);
    } catch {}
  }
  return c;
}

/**
 * Keeps `catalog` fresh from `{cfg.endpoint}/models`. `refresh()` never rejects; concurrent calls share
 * one fetch; within the TTL it does nothing. The cache file {endpoint, etag, fetchedAt, body} is read once.
 * @param {object} deps
 * @param {{mergeRemote: (json: string) => void}} deps.catalog
 * @param {{endpoint: string, clientVersion?: string, originator: string, userAgent: string}} deps.cfg
 * @param {{current: () => Promise<{access: string, accountId?: string}>}} deps.credentials
 */
export function createModelsRefresher({ catalog, cfg, credentials, fetch: fetchImpl = fetch, cachePath = defaultModelsCachePath(), now = Date.now, log = () => {} }) {
  let etag;
  let freshUntil = -Infinity;
  let inflight = null;
  let cacheRead = false;

  const merge = (body) => {
    try {
      catalog.mergeRemote(body);
      return true;
    } catch (err) {
      log(`model list rejected (${err?.code ?? "error"}): ${err?.message ?? err}`);
      return false;
    }
  };

  function readCache() {
    cacheRead = true;
    const cached = readModelsCache(cachePath, cfg.endpoint);
    if (!cached || !merge(cached.body)) return;
    etag = cached.etag;
    if (cached.fetchedAt <= now()) freshUntil = cached.fetchedAt + MODELS_TTL_MS;
  }

  function writeCache(body) {
    if (!cachePath) return;
    try {
      ensurePrivateDir(path.dirname(cachePath), { tighten: true }); // account data: 0600 file, 0700 dir, exclusive temp file
      writePrivateFileAtomic(cachePath, JSON.stringify({ endpoint: cfg.endpoint, etag, fetchedAt: now(), body }));
    } catch (err) {
      log(`could not write the model cache ${cachePath} (${err?.code ?? err})`);
    }
  }

  async function send() {
    const login = await credentials.current();
    const url = credentialUrl(`${cfg.endpoint}/models?client_version=${encodeURIComponent(cfg.clientVersion || DEFAULT_CLIENT_VERSION)}`, cfg.endpoint);
    const headers = { authorization: `Bearer ${login.access}`, originator: cfg.originator, "user-agent": cfg.userAgent, accept: "application/json" };
    if (login.accountId) headers["chatgpt-account-id"] = login.accountId;
    if (cfg.clientVersion) headers.version = cfg.clientVersion;
    if (etag) headers["if-none-match"] = etag;
    return fetchImpl(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: NO_REDIRECT });
  }

  async function fetchOnce() {
    let res = await send();
    // A token revoked or expired early: refresh once (the same single-flight refresh a turn uses), retry once.
    if (res.status === 401 && credentials.onUnauthorized) {
      await res.body?.cancel().catch(() => {});
      if (await credentials.onUnauthorized()) res = await send();
    }
    if (res.status === 304) {
      freshUntil = now() + MODELS_TTL_MS;
      log("model list unchanged (304)");
      return;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`HTTP ${res.status}`);
    }
    const { text: body, truncated, timedOut } = await readCapped(res, { maxBytes: MODEL_LIST_BYTES, timeoutMs: TIMEOUT_MS });
    if (truncated) throw new Error(`the list is larger than ${MODEL_LIST_BYTES >> 20} MiB`);
    if (timedOut) throw new Error(`the list took longer than ${TIMEOUT_MS / 1000} s`);
    if (!merge(body)) return void (freshUntil = now() + RETRY_MS);
    etag = res.headers.get("etag") ?? undefined;
    freshUntil = now() + MODELS_TTL_MS;
    writeCache(body);
    log("model list refreshed");
  }

  return {
    /** Fetches the live list unless the last one is under 5 min old. Never rejects. */
    refresh() {
      if (!cacheRead) readCache();
      if (inflight) return inflight;
      if (now() < freshUntil) return Promise.resolve();
      inflight = fetchOnce()
        .catch((err) => {
          freshUntil = now() + RETRY_MS;
          log(`could not refresh the model list (${err?.code ?? err?.message ?? err}); keeping the current one`);
        })
        .finally(() => (inflight = null));
      return inflight;
    },
  };
}

/**
 * Starts (in the background) keeping the process catalog fresh; returns `refresh()` for later calls
 * (each turn calls it: cheap within the TTL). The first login's refresher serves the whole process.
 */
export function startModelsRefresh(deps) {
  const refresher = (processRefresher ??= getCatalog().then((c) => createModelsRefresher({ ...deps, catalog: c })));
  const refresh = () => refresher.then((r) => r.refresh()).catch(() => {});
  refresh();
  return refresh;
}

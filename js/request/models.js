// The model catalog the transform resolves names against: the bundled snapshot in the wasm core,
// with the live `GET {endpoint}/models?client_version=<our version>` list laid over it (ETag, 5 min
// cache in memory, last good list in a cache file for offline starts; a `/responses` reply whose
// `X-Models-Etag` differs from ours refreshes it at once). Refreshes run in the background: they
// never block plugin load or a turn, and a failure only leaves the catalog as it was (a debug log
// line, nothing else). The client version is the core's (src/request/client.rs), never chosen here.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadStartup } from "../core.js";
import { PACKAGE_NAME } from "../config.js";
import { credentialUrl, NO_REDIRECT } from "../transport/guard.js";
import { ensurePrivateDir, writePrivateFileAtomic } from "../fsx.js";
import { readCapped, MODEL_LIST_BYTES } from "../transport/body.js";

export const MODELS_TTL_MS = 5 * 60_000;
const RETRY_MS = 60_000; // after a failed refresh
const TIMEOUT_MS = 15_000;

let catalog;
let processRefresher;
let cachePrimed = false;
const shownNotices = new Set();

/**
 * The process-wide catalog, created from the bundled snapshot on first use: the startup module's Catalog
 * (the provider's models and the loader need no more), with `in(core)` for the core's transform.
 */
export async function getCatalog() {
  if (!catalog) {
    const startup = await loadStartup();
    catalog ??= processCatalog(new startup.Catalog());
  }
  return catalog;
}

/**
 * A wasm Catalog lives in one module's memory, and the core's transformRequest takes the core's own. A
 * merge replaces the live list (bundled snapshot + that list), so the catalog is the bundled snapshot and
 * the last list merged: `in(core)` is the core's Catalog with that list merged too, once per new list.
 */
function processCatalog(primary) {
  let last = null; // the last live list merged
  let generation = 0;
  const copies = new Map(); // a loaded core → { catalog, generation }
  return {
    models: () => primary.models(),
    usable: () => primary.usable(),
    resolve: (name, defaultModel) => primary.resolve(name, defaultModel),
    highestMinClientVersion: () => primary.highestMinClientVersion(),
    /** Throws (and changes nothing) when the core refuses the list, as Catalog.mergeRemote does. */
    mergeRemote(body) {
      primary.mergeRemote(body);
      last = body;
      generation += 1;
    },
    /** This catalog as a Catalog object of `core` (a module loaded by core.js). */
    in(core) {
      let copy = copies.get(core);
      if (!copy) copies.set(core, (copy = { catalog: new core.Catalog(), generation: 0 }));
      if (copy.generation !== generation) {
        if (last !== null) copy.catalog.mergeRemote(last); // the same text the same core code accepted
        copy.generation = generation;
      }
      return copy.catalog;
    },
  };
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

/**
 * The cache file's `{etag?, fetchedAt, body}` when it holds a list for `endpoint` asked as client version
 * `version` (the live list depends on it, as codex-rs keys its cache; a file from another version, or from
 * before versions were recorded, is not used), else null. `version` undefined: any.
 */
function readModelsCache(cachePath, endpoint, version) {
  try {
    const c = cachePath ? JSON.parse(fs.readFileSync(cachePath, "utf8")) : null;
    if (c?.endpoint !== endpoint || typeof c.body !== "string") return null;
    if (version !== undefined && c.clientVersion !== version) return null;
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
    const cached = readModelsCache(cachePath, cfg.endpoint, cfg.clientVersionWhole);
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
  let askedAs; // the client_version of the last list fetched

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
    const cached = readModelsCache(cachePath, cfg.endpoint, cfg.clientVersionWhole);
    if (!cached || !merge(cached.body)) return;
    etag = cached.etag;
    if (cached.fetchedAt <= now()) freshUntil = cached.fetchedAt + MODELS_TTL_MS;
  }

  function writeCache(body) {
    if (!cachePath) return;
    try {
      ensurePrivateDir(path.dirname(cachePath), { tighten: true }); // account data: 0600 file, 0700 dir, exclusive temp file
      writePrivateFileAtomic(cachePath, JSON.stringify({ endpoint: cfg.endpoint, clientVersion: askedAs, etag, fetchedAt: now(), body }));
    } catch (err) {
      log(`could not write the model cache ${cachePath} (${err?.code ?? err})`);
    }
  }

  /** The identity to ask with: cfg's (withClientIdentity), else the core's default for a bare cfg. */
  async function identity() {
    if (cfg.clientVersionWhole) return { version: cfg.clientVersion, whole: cfg.clientVersionWhole, userAgent: cfg.userAgent };
    const core = await loadStartup();
    const id = core.clientIdentity(null, cfg.originator ?? "opencode", os.platform(), os.release(), os.arch(), PACKAGE_NAME);
    return { ...id, userAgent: cfg.userAgent ?? id.userAgent };
  }

  async function send() {
    const login = await credentials.current();
    const id = await identity();
    askedAs = id.whole;
    const url = credentialUrl(`${cfg.endpoint}/models?client_version=${encodeURIComponent(id.whole)}`, cfg.endpoint);
    const headers = { authorization: `Bearer ${login.access}`, originator: cfg.originator, "user-agent": id.userAgent, version: id.version, accept: "application/json" };
    if (login.accountId) headers["chatgpt-account-id"] = login.accountId;
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
    /** The ETag of the list we hold (from the cache file or the last fetch), or undefined. */
    etag: () => etag,
    /**
     * A `/responses` reply carried `X-Models-Etag: tag`: when it differs from the list we hold, the
     * backend's catalog changed, so the TTL no longer counts: refresh now (in the background).
     */
    sawEtag(tag) {
      if (!cacheRead) readCache();
      if (!tag || tag === etag) return Promise.resolve();
      freshUntil = -Infinity;
      return this.refresh();
    },
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

/** `X-Models-Etag` seen on a `/responses` reply: refreshes the process catalog if it differs. Never rejects. */
export function noteModelsEtag(tag) {
  if (!tag || !processRefresher) return;
  processRefresher.then((r) => r.sawEtag(tag)).catch(() => {});
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

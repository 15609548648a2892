// `doctor`'s question to the npm registry: is a newer version of the package published? One unauthenticated GET of
// the package's abbreviated metadata, with a short timeout. Decides which registry (the one npm and OpenCode would
// use) and how to word the answer; never sends a token, never retries, never fails the doctor run for it (a
// registry we cannot reach is reported and skipped: the plugin works without it).
import fs from "node:fs";
import path from "node:path";
import { compareVersions } from "../host.js";
import { homeDir } from "./files.js";

export const DEFAULT_REGISTRY = "https://registry.npmjs.org/";
export const REGISTRY_TIMEOUT_MS = 3_000;

/** The `registry=` line of an .npmrc text, or null. */
export function npmrcRegistry(text) {
  for (const line of String(text).split(/\r?\n/)) {
    const match = /^\s*registry\s*=\s*(\S+)\s*$/.exec(line);
    if (match) return match[1];
  }
  return null;
}

/**
 * The registry npm would use: `npm_config_registry` (any case, as npm and OpenCode read it), else `registry=` in the
 * user's .npmrc (`npm_config_userconfig`, else ~/.npmrc), else the public registry. Always ends with "/".
 */
export function registryUrl(env) {
  const fromEnv = Object.entries(env).find(([key, value]) => key.toLowerCase() === "npm_config_registry" && value)?.[1];
  let url = fromEnv ?? null;
  if (!url) {
    const userconfig = env.npm_config_userconfig || env.NPM_CONFIG_USERCONFIG || path.join(homeDir(env), ".npmrc");
    try {
      url = npmrcRegistry(fs.readFileSync(userconfig, "utf8"));
    } catch {
      url = null;
    }
  }
  url = url || DEFAULT_REGISTRY;
  return url.endsWith("/") ? url : `${url}/`;
}

/** The version a plugin entry names: "name@X" → X; a file entry → its package.json's version; else null. */
export function entryVersion(entry, name) {
  if (typeof entry !== "string") return null;
  if (entry.startsWith(`${name}@`)) return entry.slice(name.length + 1) || null;
  if (!entry.startsWith("file:")) return null;
  try {
    const manifest = JSON.parse(fs.readFileSync(new URL("package.json", entry), "utf8"));
    return manifest?.name === name && typeof manifest.version === "string" ? manifest.version : null;
  } catch {
    return null;
  }
}

/** dist-tags.latest of `name` on `registry`; throws an Error saying what went wrong. */
export async function latestVersion({ registry, name, timeoutMs = REGISTRY_TIMEOUT_MS }) {
  let response;
  try {
    response = await fetch(`${registry}${name.replace("/", "%2f")}`, {
      headers: { accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8" },
      redirect: "follow",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = error?.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s` : (error?.cause?.code ?? error?.cause?.message ?? error?.message ?? String(error));
    throw new Error(cause);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(response.status === 404 ? `${name} is not published there (HTTP 404)` : `HTTP ${response.status}`);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error("the answer is not JSON");
  }
  const latest = body?.["dist-tags"]?.latest;
  if (typeof latest !== "string" || !/^\d+\.\d+\.\d+/.test(latest)) throw new Error("the answer names no latest version");
  return latest;
}

/**
 * The doctor check: {status: "ok" | "warn" | "skip", detail, fix?}. `current` is the version the plugin entry
 * names; `npmEntry` whether the entry is "name@version" (the upgrade command keeps that kind).
 */
export async function checkLatest({ env, name, current, npmEntry = false, timeoutMs }) {
  const registry = registryUrl(env);
  const where = registry === DEFAULT_REGISTRY ? "npm" : registry;
  let latest;
  try {
    latest = await latestVersion({ registry, name, timeoutMs });
  } catch (error) {
    return { status: "skip", detail: `could not ask ${where} for the latest ${name}: ${error.message}` };
  }
  if (!current) return { status: "ok", detail: `${name} ${latest} is the latest on ${where}` };
  if (compareVersions(latest, current) > 0) {
    return {
      status: "warn",
      detail: `a newer ${name} is on ${where}: ${latest} (the plugin entry has ${current})`,
      fix: `upgrade: npx ${name}@latest install${npmEntry ? " --entry npm" : ""}`,
    };
  }
  return { status: "ok", detail: `${name} ${current} is the latest on ${where}` };
}

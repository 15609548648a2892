// Keeps the latest Codex rate-limit snapshot (x-codex-* headers of every response) in memory and
// warns once when a usage window crosses 80 % / 95 % (OpenCode toast when available, else stderr).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { callCore } from "../core.js";
import { PACKAGE_NAME } from "../config.js";

let latest = null;

/** `${XDG_CACHE_HOME:-~/.cache}/opencode-chatgpt-wasm/quota.json`: the latest snapshot, for `doctor`. */
export function defaultQuotaPath(env = process.env) {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), PACKAGE_NAME, "quota.json");
}

/** `{savedAt, snapshot}` from the quota file, or null. */
export function readQuotaFile(file = defaultQuotaPath()) {
  try {
    const q = JSON.parse(fs.readFileSync(file, "utf8"));
    return q && typeof q === "object" && q.snapshot ? q : null;
  } catch {
    return null;
  }
}

async function writeQuotaFile(file, snapshot) {
  try {
    // fsx.js is loaded with the first snapshot, not at plugin load.
    const { ensurePrivateDir, writePrivateFileAtomic } = await import("../fsx.js");
    ensurePrivateDir(path.dirname(file), { tighten: true }); // account data: 0600 file, 0700 dir, exclusive temp file
    writePrivateFileAtomic(file, JSON.stringify({ savedAt: Date.now(), snapshot }));
  } catch {} // a status cache: never fails a turn
}

/** The latest snapshot (see parseRateLimits in the core), or null: for doctor/status. */
export function latestRateLimits() {
  return latest;
}

/** `{observe(headers)}` for createCodexFetch. */
export function createQuota({ client, log = (m) => console.error(m), file = defaultQuotaPath() } = {}) {
  const warn = async (message) => {
    try {
      if (client?.tui?.showToast) return void (await client.tui.showToast({ body: { message, variant: "warning" } }));
    } catch {}
    log(message);
  };
  return {
    async observe(headers) {
      const plain = {};
      for (const [k, v] of headers) if (k.startsWith("x-codex-")) plain[k] = v;
      const next = await callCore((core) => core.parseRateLimits(plain)).catch(() => null);
      if (!next) return;
      const message = await callCore((core) => core.quotaWarning(latest, next)).catch(() => null);
      latest = next;
      if (file) await writeQuotaFile(file, next);
      if (message) await warn(message);
    },
  };
}

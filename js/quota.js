// Keeps the latest Codex rate-limit snapshot (x-codex-* headers of every response) in memory and
// warns once when a usage window crosses 80 % / 95 % (OpenCode toast when available, else stderr).
import { callCore } from "./core.js";

let latest = null;

/** The latest snapshot (see parseRateLimits in the core), or null: for doctor/status. */
export function latestRateLimits() {
  return latest;
}

/** `{observe(headers)}` for createCodexFetch. */
export function createQuota({ client, log = (m) => console.error(m) } = {}) {
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
      if (message) await warn(message);
    },
  };
}

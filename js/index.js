// The OpenCode plugin: ChatGPT Plus/Pro login for provider `openai`, requests sent to the Codex
// backend through the Rust/wasm core. Default export is OpenCode's V1 plugin module `{id, server}`.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { resolveConfig, withClientIdentity, PACKAGE_NAME } from "./config.js";
import { loadCore } from "./core.js";
import { createCodexFetch } from "./transport/fetch.js";
import { createCredentials, defaultAuthPath, readStoredLogin } from "./auth/credentials.js";
import { loginMethods } from "./auth/login.js";
import { createQuota } from "./transport/quota.js";
import { startModelsRefresh } from "./request/models.js";
import { joiningMethods, syncLogin } from "./accounts/pool.js";
import { accountTools } from "./accounts/tools.js";
import { createRotatingFetch, syncKeychain } from "./accounts/rotation.js";
import { authSecrets, configureKeychain } from "./accounts/keychain.js";
import { projectOf } from "./accounts/cli.js";
import { hostWarning } from "./host.js";

export { latestRateLimits } from "./transport/quota.js";

let hostChecked = false;
const SYNC_WAIT_MS = 5_000; // how long the loader waits for the account pool and keychain to be in step

/** Placeholder key: OpenCode's OpenAI client wants one; the real bearer is set in our fetch. */
export const OAUTH_DUMMY_KEY = "chatgpt-oauth";

async function server(input, options) {
  const core = await loadCore(); // instantiate once at plugin load: a broken install fails here, loudly
  // One Codex client version for /models, the `version` header and the User-Agent.
  const cfg = withClientIdentity(resolveConfig(options ?? {}), core);
  // Refresh tokens of pooled accounts in the OS keychain (opt-in): logins made before the loader runs obey it too.
  // Keychain trouble is said once: a toast where the TUI runs, and OpenCode's log (a toast vanishes; `opencode run --print-logs` shows the log).
  const keychainNotice = (m) => {
    showNotice(input?.client, m, "warning");
    Promise.resolve(input?.client?.app?.log?.({ body: { service: PACKAGE_NAME, level: "warn", message: m } })).catch(() => {});
  };
  configureKeychain({ enabled: cfg.keychain, notice: keychainNotice });
  // Loaded from an installer copy: lease it for this process, and remove copies an upgrade left behind (never awaited).
  import("./install/copies.js")
    .then(({ onPluginLoad }) => onPluginLoad(path.dirname(fileURLToPath(import.meta.url)), PACKAGE_NAME))
    .catch(() => {});
  const quota = createQuota({ client: input?.client });
  if (!hostChecked) {
    hostChecked = true;
    const older = hostWarning();
    if (older) {
      // a toast in the TUI, and OpenCode's log (where `opencode run --print-logs` shows it); never awaited
      showNotice(input?.client, older, "warning");
      Promise.resolve(input?.client?.app?.log?.({ body: { service: PACKAGE_NAME, level: "warn", message: older } })).catch(() => {});
    }
  }

  return {
    auth: {
      provider: "openai",
      async loader(getAuth) {
        const auth = await getAuth();
        // API key: OpenCode's own OpenAI client (public Responses API); only the base is overridable.
        if (auth?.type === "api") return cfg.apiBase ? { baseURL: cfg.apiBase } : {};
        if (auth?.type !== "oauth") return {};
        // auth.json's login joins the account pool; then the refresh tokens (auth.json's too) move to (or from) the keychain as configured.
        // Awaited within a bound: the clear token leaves auth.json before the first request (OpenCode may exit right after a
        // short `opencode run`), while a keychain that prompts or hangs holds OpenCode's start no longer than that (it goes on in the background).
        const synced = syncLogin(readStoredLogin(defaultAuthPath()), { notice: (m) => showNotice(input?.client, m, "warning") }).then(() => syncKeychain({ notice: keychainNotice }));
        await Promise.race([synced, new Promise((resolve) => setTimeout(resolve, SYNC_WAIT_MS).unref?.())]);
        const log = cfg.debug ? (line) => console.error(`[${PACKAGE_NAME}] ${line}`) : undefined;
        const notice = (message) => showNotice(input?.client, message);
        const warn = (message) => showNotice(input?.client, message, "warning");
        // With the keychain on, auth.json's `refresh` names the keychain's item: revealed for a refresh, concealed when the new login is saved.
        const credentials = createCredentials({ getAuth, client: input?.client, cfg, authPath: defaultAuthPath(), log, notice: warn, secrets: authSecrets });
        const refreshModels = startModelsRefresh({ cfg, credentials, log: log ?? (() => {}) });
        const makeFetch = (deps) => createCodexFetch({ cfg, quota, notice, refreshModels, ...deps });
        const project = projectOf(input?.worktree && input.worktree !== "/" ? input.worktree : (input?.directory ?? process.cwd()));
        return { apiKey: OAUTH_DUMMY_KEY, baseURL: cfg.endpoint, fetch: createRotatingFetch({ makeFetch, credentials, cfg, project, notice, log }) };
      },
      methods: joiningMethods(loginMethods(cfg)), // each new login joins the account pool
    },
    tool: accountTools(),
    // ChatGPT logins: list what the catalog says this login can use, with its effort variants.
    provider: {
      id: "openai",
      async models(provider, ctx) {
        if (ctx?.auth?.type !== "oauth") return provider?.models ?? {};
        const { providerModels } = await import("./request/catalog.js"); // loaded on demand: keeps plugin load light
        return providerModels(provider?.models ?? {}, cfg);
      },
    },
  };
}

/** A one-line notice for the user: an OpenCode toast where the TUI runs, else stderr. */
export function showNotice(client, message, variant = "info") {
  const line = `${PACKAGE_NAME}: ${message}`;
  const toast = client?.tui?.showToast?.({ body: { message: line, variant } });
  if (toast && typeof toast.catch === "function") toast.catch(() => console.error(line));
  else if (!toast) console.error(line);
}

export default { id: PACKAGE_NAME, server };

/** Loads the wasm core and runs one call through it: used by `doctor` and the tests. */
export async function selfTest() {
  const core = await loadCore();
  const p = core.pkceGenerate();
  return { ok: core.pkceChallenge(p.verifier) === p.challenge };
}

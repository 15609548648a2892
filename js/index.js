// The OpenCode plugin: ChatGPT Plus/Pro login for provider `openai`, requests sent to the Codex
// backend through the Rust/wasm core. Default export is OpenCode's V1 plugin module `{id, server}`.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { resolveConfig, withClientIdentity, PACKAGE_NAME } from "./config.js";
import { callCore, loadStartup, warmStartup } from "./core.js";
import { lazyLoginMethods } from "./auth/methods.js";
import { accountTools } from "./accounts/tools.js";
import { configureKeychain } from "./accounts/keychain-setting.js";

let quotaModule = null; // transport/quota.js, once the loader has loaded it

/** The latest rate-limit snapshot (see parseRateLimits in the core), or null: for doctor/status. Null until a
 * loader has run (quota.js, loaded by the loader, is where snapshots are kept). */
export function latestRateLimits() {
  return quotaModule?.latestRateLimits() ?? null;
}

let hostChecked = false;
const SYNC_WAIT_MS = 5_000; // how long the loader waits for the account pool and keychain to be in step

/** Placeholder key: OpenCode's OpenAI client wants one; the real bearer is set in our fetch. */
export const OAUTH_DUMMY_KEY = "chatgpt-oauth";

// Plugin load (server()) waits for no wasm compile and imports only what the hooks' shapes need: the
// loader, the provider's models and the login methods load the core (and their own modules) on
// first use, so a broken install fails there, loudly (core.js: "core-missing"), and in `doctor`
// (selfTest()). Right after the hooks are returned (afterLoad), the startup module starts compiling in
// the background, the host's version is checked and an installer copy takes its lease.
async function server(input, options) {
  const base = resolveConfig(options ?? {});
  // One Codex client version for /models, the `version` header and the User-Agent: it comes from the core.
  let withIdentity;
  const config = () =>
    (withIdentity ??= loadStartup()
      .then((core) => withClientIdentity(base, core))
      .catch((err) => {
        withIdentity = undefined; // the next use tries (and reports) again
        throw err;
      }));
  // Refresh tokens of pooled accounts in the OS keychain (opt-in): logins made before the loader runs obey it too.
  // Keychain trouble is said once: a toast where the TUI runs, and OpenCode's log (a toast vanishes; `opencode run --print-logs` shows the log).
  const keychainNotice = (m) => {
    showNotice(input?.client, m, "warning");
    Promise.resolve(input?.client?.app?.log?.({ body: { service: PACKAGE_NAME, level: "warn", message: m } })).catch(() => {});
  };
  configureKeychain({ enabled: base.keychain, notice: keychainNotice });
  let quota;
  setTimeout(() => afterLoad(input), 0).unref?.();

  return {
    auth: {
      provider: "openai",
      async loader(getAuth) {
        const auth = await getAuth();
        // API key: OpenCode's own OpenAI client (public Responses API); only the base is overridable.
        if (auth?.type === "api") return base.apiBase ? { baseURL: base.apiBase } : {};
        if (auth?.type !== "oauth") return {};
        const [cfg, { createCodexFetch }, { createCredentials, defaultAuthPath, readStoredLogin }, { startModelsRefresh }, { syncLogin }, { createRotatingFetch, syncKeychain }, { projectOf }, quotaJs, { authSecrets }] = await Promise.all([
          config(),
          import("./transport/fetch.js"),
          import("./auth/credentials.js"),
          import("./request/models.js"),
          import("./accounts/pool.js"),
          import("./accounts/rotation.js"),
          import("./accounts/project.js"),
          import("./transport/quota.js"),
          import("./accounts/keychain.js"),
        ]);
        quotaModule = quotaJs;
        quota ??= quotaJs.createQuota({ client: input?.client });
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
      // each new login joins the account pool; the login needs no client identity (base settings)
      methods: lazyLoginMethods(base),
    },
    tool: accountTools(),
    // ChatGPT logins: list what the catalog says this login can use, with its effort variants.
    provider: {
      id: "openai",
      async models(provider, ctx) {
        if (ctx?.auth?.type !== "oauth") return provider?.models ?? {};
        const [{ providerModels }, cfg] = await Promise.all([import("./request/catalog.js"), config()]);
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

/** After plugin load, off its path: the startup module's compile, the host check (an OpenCode older than
 * engines.opencode), and an installer copy's lease (with the removal of copies an upgrade left behind).
 * Never throws: a broken install is reported by the first use. */
function afterLoad(input) {
  warmStartup();
  if (!hostChecked) {
    hostChecked = true;
    import("./host.js")
      .then(({ hostWarning }) => {
        const older = hostWarning();
        if (!older) return;
        // a toast in the TUI, and OpenCode's log (where `opencode run --print-logs` shows it); never awaited
        showNotice(input?.client, older, "warning");
        Promise.resolve(input?.client?.app?.log?.({ body: { service: PACKAGE_NAME, level: "warn", message: older } })).catch(() => {});
      })
      .catch(() => {});
  }
  import("./install/copies.js")
    .then(({ onPluginLoad }) => onPluginLoad(path.dirname(fileURLToPath(import.meta.url)), PACKAGE_NAME))
    .catch(() => {});
}

/** Loads both wasm modules and runs one call through each: used by `doctor` and the tests. A missing or
 * damaged module throws the CoreError "core-missing" naming the file. */
export async function selfTest() {
  const startup = await loadStartup();
  const small = startup.redact("token 0123456789abcdef0123", ["0123456789abcdef0123"]) === "token [redacted]";
  const whole = await callCore((c) => {
    const p = c.pkceGenerate();
    return c.pkceChallenge(p.verifier) === p.challenge;
  });
  return { ok: small && whole };
}

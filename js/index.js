// The OpenCode plugin: ChatGPT Plus/Pro login for provider `openai`, requests sent to the Codex
// backend through the Rust/wasm core. Default export is OpenCode's V1 plugin module `{id, server}`.
import { resolveConfig, PACKAGE_NAME } from "./config.js";
import { callCore, loadCore } from "./core.js";
import { createCodexFetch } from "./fetch.js";
import { createQuota } from "./quota.js";

export { latestRateLimits } from "./quota.js";

/** Placeholder key: OpenCode's OpenAI client wants one; the real bearer is set in our fetch. */
export const OAUTH_DUMMY_KEY = "chatgpt-oauth";

async function server(input, options) {
  const cfg = resolveConfig(options ?? {});
  await loadCore(); // instantiate once at plugin load: a broken install fails here, loudly
  const quota = createQuota({ client: input?.client });

  return {
    auth: {
      provider: "openai",
      async loader(getAuth) {
        const auth = await getAuth();
        if (auth?.type !== "oauth") return {};
        const credentials = {
          async current() {
            const current = await getAuth();
            if (current?.type !== "oauth" || !current.access) {
              throw new Error("no ChatGPT login is stored; run `opencode auth login` and choose OpenAI");
            }
            let accountId = current.accountId;
            if (!accountId) {
              accountId = await callCore((core) => core.decodeJwt(current.access).accountId).catch(() => undefined);
            }
            return { access: current.access, accountId };
          },
        };
        return { apiKey: OAUTH_DUMMY_KEY, baseURL: cfg.endpoint, fetch: createCodexFetch({ credentials, cfg, quota }) };
      },
      methods: [
        {
          type: "api",
          label: "Manually enter API Key",
        },
      ],
    },
  };
}

export default { id: PACKAGE_NAME, server };

/** Loads the wasm core and runs one call through it: used by `doctor` and the tests. */
export async function selfTest() {
  const core = await loadCore();
  const p = core.pkceGenerate();
  return { ok: core.pkceChallenge(p.verifier) === p.challenge };
}

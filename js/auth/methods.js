// The `auth.methods` hook without the login code at plugin load: the methods' shapes (type and label,
// in the order js/auth/login.js's loginMethods() lists them) are fixed here, and each authorize()
// loads the login code and the account pool (each new login joins it) on first use. A broken
// install fails that first authorize() loudly (the core's "core-missing"). tests/js/plugin.test.js
// checks these shapes against loginMethods(). Decides nothing about the login itself.
/** The methods' names, as OpenCode lists them (login.js re-exports them). */
export const LABELS = Object.freeze({
  browser: "ChatGPT Plus/Pro (browser)",
  device: "ChatGPT Plus/Pro (headless / SSH / device code)",
  paste: "ChatGPT Plus/Pro (paste the redirect URL or code)",
  apiKey: "OpenAI API key (or set OPENAI_API_KEY)",
});

/** `[browser, device, paste, api key]`, as joiningMethods(loginMethods(cfg)) but loaded on the first authorize(). */
export function lazyLoginMethods(cfg) {
  let loaded;
  const load = () =>
    (loaded ??= Promise.all([import("./login.js"), import("../accounts/pool.js")])
      .then(([login, pool]) => pool.joiningMethods(login.loginMethods(cfg)))
      .catch((err) => {
        loaded = undefined; // the next authorize() tries (and reports) again
        throw err;
      }));
  const oauth = [LABELS.browser, LABELS.device, LABELS.paste].map((label, i) => ({
    type: "oauth",
    label,
    async authorize(...args) {
      return (await load())[i].authorize(...args);
    },
  }));
  return [...oauth, { type: "api", label: LABELS.apiKey }];
}

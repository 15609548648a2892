// The least any ChatGPT login plugin for OpenCode does, as the baseline of scripts/bench-turn.js: for an
// OAuth login of provider `openai` it points OpenCode's OpenAI client at the Codex endpoint
// (OPENCODE_CODEX_ENDPOINT) and sets `Authorization: Bearer <access>` and `chatgpt-account-id` (from the
// token's claims) on each request. The body and the reply pass untouched: no transform, no compression, no
// stream guard, no refresh. A benchmark baseline, not a plugin anyone should use.

function accountIdOf(jwt) {
  try {
    const claims = JSON.parse(Buffer.from(String(jwt).split(".")[1], "base64url").toString("utf8"));
    return claims["https://api.openai.com/auth"]?.chatgpt_account_id;
  } catch {
    return undefined;
  }
}

async function server() {
  return {
    auth: {
      provider: "openai",
      async loader(getAuth) {
        const auth = await getAuth();
        if (auth?.type !== "oauth") return {};
        const accountId = accountIdOf(auth.access);
        return {
          apiKey: "passthrough",
          baseURL: process.env.OPENCODE_CODEX_ENDPOINT,
          fetch(input, init) {
            const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
            headers.set("authorization", `Bearer ${auth.access}`);
            if (accountId) headers.set("chatgpt-account-id", accountId);
            return fetch(input, { ...init, headers });
          },
        };
      },
      methods: [],
    },
  };
}

export default { id: "bench-passthrough", server };

// A pass-through OpenCode plugin for capturing what OpenCode itself sends (before any transform):
// used by scripts/capture-requests to refresh the golden inputs in tests/fixtures/requests/.
export default {
  id: "capture-plugin",
  server: async () => ({
    auth: {
      provider: "openai",
      async loader(getAuth) {
        const auth = await getAuth();
        if (auth?.type !== "oauth") return {};
        return { apiKey: "capture", baseURL: process.env.OPENCODE_CODEX_ENDPOINT, fetch: (input, init) => fetch(input, init) };
      },
      methods: [{ type: "api", label: "capture" }],
    },
  }),
};

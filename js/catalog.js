// PLACEHOLDER model catalog for `install --models` until the wasm catalog (src/models.rs) is wired in.
// Shape the installer reads: slug, displayName, contextWindow, efforts (in order); optional maxOutputTokens.

/** The ChatGPT-login Codex models to list in OpenCode's `provider.openai.models`. May also return a Promise. */
export function catalogModels() {
  return [
    { slug: "gpt-5.5", displayName: "GPT-5.5", contextWindow: 272000, efforts: ["low", "medium", "high", "xhigh"] },
    { slug: "gpt-5.4", displayName: "GPT-5.4", contextWindow: 272000, efforts: ["low", "medium", "high", "xhigh"] },
    { slug: "gpt-5.4-mini", displayName: "GPT-5.4 Mini", contextWindow: 272000, efforts: ["low", "medium", "high", "xhigh"] },
  ];
}

// The Codex models as OpenCode sees them: `catalogModels()` for the installer's `--models` (the bundled
// snapshot in the wasm core: deterministic, offline) and `providerModels()` for the plugin's `provider`
// hook (the process catalog, live list merged when fetched). Efforts OpenCode has no variant for
// (e.g. `ultra`) are left out.
import { loadStartup } from "../core.js";
import { getCatalogWithCache } from "./models.js";

/** Every reasoning-effort variant name OpenCode 1.18 may generate for an OpenAI model. */
export const OPENCODE_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];
const DEFAULT_OUTPUT_TOKENS = 128000;

/**
 * OpenCode 1.18 `provider.openai.models.<slug>` entry for a catalog model: name, limits, and one variant per
 * supported effort in the shape OpenCode's own OpenAI variants use; the other efforts OpenCode knows are
 * disabled so the variant picker offers only what the ChatGPT backend accepts for this model.
 */
export function modelEntry(model) {
  const variants = {};
  for (const effort of model.efforts) {
    variants[effort] = { reasoningEffort: effort, reasoningSummary: "auto", include: ["reasoning.encrypted_content"] };
  }
  for (const effort of OPENCODE_EFFORTS) if (!model.efforts.includes(effort)) variants[effort] = { disabled: true };
  return {
    name: model.displayName,
    reasoning: true,
    limit: { context: model.contextWindow, input: model.contextWindow, output: model.maxOutputTokens ?? DEFAULT_OUTPUT_TOKENS },
    variants,
  };
}

const installerShape = (m) => ({ slug: m.slug, displayName: m.displayName, contextWindow: m.contextWindow, efforts: m.efforts.filter((e) => OPENCODE_EFFORTS.includes(e)) });

/** The ChatGPT-login Codex models to list in OpenCode's `provider.openai.models` (bundled snapshot, by priority). */
export async function catalogModels() {
  const core = await loadStartup();
  const catalog = new core.Catalog();
  try {
    return catalog.models().map(installerShape);
  } finally {
    catalog.free?.();
  }
}

const ZERO_COST = { input: 0, output: 0, cache: { read: 0, write: 0 } };
const MODALITIES = (image) => ({ text: true, audio: false, image, video: false, pdf: false });
/** A whole OpenCode model entry, for when OpenCode has no OpenAI model to copy from. */
const SKELETON = {
  providerID: "openai",
  api: { url: "", npm: "@ai-sdk/openai" },
  family: "gpt",
  capabilities: { temperature: false, reasoning: true, attachment: true, toolcall: true, input: MODALITIES(true), output: MODALITIES(false), interleaved: false },
  limit: { output: 128000 },
  status: "active",
  options: {},
  headers: {},
  release_date: "",
};

/** `entry` with the catalog's facts for model `m`: limits from its context window, cost 0, its effort variants. */
function fitted(entry, m) {
  const { limit, variants } = modelEntry(installerShape(m));
  return {
    ...entry,
    cost: ZERO_COST,
    limit: { ...limit, output: entry.limit?.output ?? limit.output },
    capabilities: { ...entry.capabilities, reasoning: true },
    variants: Object.fromEntries(Object.entries(variants).filter(([, v]) => !v.disabled)),
  };
}

/**
 * The `provider.models` hook result for a ChatGPT login: every visible catalog model (OpenCode's own entry
 * kept when it has one, else one built from an existing entry as template), fitted to the catalog. OpenCode's
 * entries for other ids are kept only when the catalog resolves them without a remap (`gpt-5.4-high`, and
 * `-fast` ones for models with the priority tier); retired and unknown names are dropped. `cfg.endpoint`
 * picks the cache file's list when no refresh has run yet in this process.
 */
export async function providerModels(existing, cfg) {
  const catalog = await getCatalogWithCache(cfg);
  const live = new Map(catalog.models().map((m) => [m.slug, m]));
  const template = existing["gpt-5.5"] ?? Object.values(existing).find((m) => /^gpt-/.test(m?.api?.id ?? "")) ?? SKELETON;
  const out = {};
  for (const [id, entry] of Object.entries(existing)) {
    const r = catalog.resolve(id);
    const m = live.get(r.model);
    if (!r.notice && m && (!r.fast || m.serviceTiers.includes("priority"))) out[id] = fitted(entry, m);
  }
  for (const m of live.values()) {
    out[m.slug] ??= fitted({ ...template, id: m.slug, name: m.displayName, api: { ...template.api, id: m.slug } }, m);
  }
  return out;
}

// `opencode-chatgpt-wasm usage [--json]`: the table the TUI shows, for people who do not use the TUI. Asks
// the usage endpoint with the stored ChatGPT login (refreshing it when due), falls back to the figures of
// the last reply, and prints the core's lines (or its display model as JSON). Never prints a token, an
// account id or an e-mail address.
import { createUsageModel } from "./model.js";

/** o = {env, json, out(line), err(line), fetch?}. Returns the exit code: 0 with figures, 1 without. */
export async function runUsage({ env, json = false, out, err, fetch: fetchImpl = fetch }) {
  const model = createUsageModel({ env, fetch: fetchImpl });
  if (!model.hasLogin()) {
    const message = "no ChatGPT login is stored (an API key has no usage windows); run `opencode auth login`, choose OpenAI and sign in with ChatGPT";
    if (json) out(JSON.stringify({ error: message }));
    else err(`error: ${message}`);
    return 1;
  }
  await model.refresh({ force: true });
  const view = await model.view();
  const error = model.lastError();
  const hasFigures = view.accounts.some((a) => a.windows.length > 0 || a.credits);
  if (json) out(JSON.stringify({ ...view, error }, null, 2));
  else {
    for (const line of view.lines) out(line);
    if (error) err(`warning: ${error}`);
  }
  return hasFigures ? 0 : 1;
}

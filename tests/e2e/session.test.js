// End to end with the real OpenCode: a session with a `read` tool call (the mock backend asks for it, then
// answers with text) where every request body must be a valid Codex request, and `opencode models openai`
// listing what the catalog says (bundled on a first start, the live list from the cache file after it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startMockBackend, sseEvent, textStream } from "../helpers/mock-backend.js";
import { makeSandbox, OTHER_OPENCODE } from "../helpers/sandbox.js";
import { chatgptToken } from "../helpers/jwt.js";
import { isMainTurn, instructionsOf } from "../helpers/codex-body.js";

let backend;
let sandbox;
const isMain = isMainTurn;

function readCallStream(filePath) {
  const item = { id: "fc_1", type: "function_call", status: "completed", call_id: "call_read_1", name: "read", arguments: JSON.stringify({ filePath }) };
  return [
    sseEvent("response.created", { response: { id: "resp_1", status: "in_progress", output: [] } }),
    sseEvent("response.output_item.added", { output_index: 0, item: { ...item, arguments: "" } }),
    sseEvent("response.function_call_arguments.delta", { item_id: "fc_1", output_index: 0, delta: item.arguments }),
    sseEvent("response.output_item.done", { output_index: 0, item }),
    sseEvent("response.completed", { response: { id: "resp_1", status: "completed", output: [item], usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } } }),
  ].join("");
}

before(async () => {
  backend = await startMockBackend({
    handler: (req, rec) => {
      if (req.method !== "POST" || !req.url.endsWith("/responses")) return undefined;
      if (!isMain(rec.json)) return textStream("Session title");
      // A turn's first request gets the read call; the follow-up (it carries the read's output) the answer.
      const answered = rec.json.input.some((item) => item.type === "function_call_output");
      return answered ? textStream("The file says: hello from a file.") : readCallStream(path.join(sandbox.work, "hello.txt"));
    },
  });
  sandbox = makeSandbox();
  fs.writeFileSync(path.join(sandbox.work, "hello.txt"), "hello from a file\n");
  sandbox.writeAuth({ openai: { type: "oauth", refresh: "rt-session", access: chatgptToken(), expires: Date.now() + 3600_000 } });
});
after(async () => {
  await backend?.close();
  sandbox?.cleanup();
});
const run = (args, env = {}) => sandbox.run(args, { extraEnv: { OPENCODE_CODEX_ENDPOINT: backend.endpoint, ...env } });

/** Every rule a Codex request body must satisfy (store:false: ids and pairing matter). */
function assertCodexBody(json, label) {
  assert.ok(json, `${label}: body is not JSON`);
  assert.equal(json.store, false, label);
  assert.equal(json.stream, true, label);
  assert.ok(json.include?.includes("reasoning.encrypted_content"), `${label}: include`);
  assert.ok(typeof instructionsOf(json) === "string" && instructionsOf(json).length > 0, `${label}: instructions`);
  for (const key of ["temperature", "max_output_tokens", "max_tokens", "top_p"]) assert.equal(key in json, false, `${label}: ${key} sent`);
  if (isMain(json)) assert.equal(json.tool_choice, "auto", `${label}: tool_choice`);
  const calls = new Set();
  for (const [i, item] of json.input.entries()) {
    assert.equal("id" in item, false, `${label}: input[${i}] (${item.type}) carries an id`);
    assert.notEqual(item.type, "item_reference", `${label}: input[${i}] is an item_reference`);
    if (item.type === "function_call") calls.add(item.call_id);
    if (item.type === "function_call_output") assert.ok(calls.has(item.call_id), `${label}: output ${item.call_id} without its call`);
  }
}

/** One `opencode run` turn with a read tool call on `model`; checks every request; returns the two main requests. */
async function sessionWithReadCall(model) {
  const before = backend.responses().length;
  const res = await run(["run", "-m", `openai/${model}`, "read hello.txt and tell me what it says"]);
  assert.equal(res.timedOut, false, "opencode run timed out");
  assert.equal(res.code, 0, `opencode run failed:\n${res.stderr.slice(-2000)}`);
  assert.match(res.stdout, /The file says: hello from a file\./);

  const calls = backend.responses().slice(before);
  calls.forEach((c, i) => assertCodexBody(c.json, `request ${i}`));
  const mains = calls.filter((c) => isMain(c.json));
  assert.equal(mains.length, 2, "a turn with the tool call, then the follow-up");
  const [, followUp] = mains;
  const output = followUp.json.input.find((item) => item.type === "function_call_output");
  assert.equal(output?.call_id, "call_read_1", "the follow-up carries the read result");
  assert.match(JSON.stringify(output.output), /hello from a file/);
  assert.ok(followUp.json.input.some((item) => item.type === "function_call" && item.call_id === "call_read_1" && item.name === "read"));
  for (const c of mains) assert.equal(c.json.model, model);
  assert.ok(mains[0].json.prompt_cache_key, "prompt_cache_key set");
  assert.equal(mains[1].json.prompt_cache_key, mains[0].json.prompt_cache_key, "prompt_cache_key stable across the turns");
  assert.equal(mains[1].headers.session_id, mains[0].headers.session_id);
  return mains;
}

test("a session with a read tool call completes and every request is a valid Codex request", async () => {
  const mains = await sessionWithReadCall("gpt-5.5");
  for (const c of mains) assert.equal(c.json.input[0].type === "additional_tools" || "x-openai-internal-codex-responses-lite" in c.headers, false, "gpt-5.5 is not a lite model");
});

test("the same session on a responses-lite model (gpt-5.6-sol): the lite shape on every request of the turn, accepted by the strict mock", async () => {
  const mains = await sessionWithReadCall("gpt-5.6-sol");
  for (const c of mains) {
    assert.equal(c.headers["x-openai-internal-codex-responses-lite"], "true");
    assert.deepEqual([c.json.input[0].type, c.json.input[1].role], ["additional_tools", "developer"]);
    assert.equal("tools" in c.json || "instructions" in c.json, false);
  }
  // The follow-up replays the call and its output after the lite opening, with the same tools.
  assert.deepEqual(mains[1].json.input[0], mains[0].json.input[0]);
});

/** `opencode models openai --verbose` as {id: entry}. */
async function listModels(env) {
  const res = await run(["models", "openai", "--verbose"], env);
  assert.equal(res.code, 0, res.stderr.slice(-2000));
  const out = {};
  for (const m of res.stdout.matchAll(/^openai\/(\S+)\n(\{[\s\S]*?\n\})$/gm)) out[m[1]] = JSON.parse(m[2]);
  return out;
}

test("opencode models openai lists the catalog with effort variants; the live list once the cache file has it", async () => {
  // A first start (empty cache dir): the bundled snapshot. (`opencode models` exits before a background
  // refresh could finish; the `opencode run` of the session test above had time to fetch the live list.)
  const emptyCache = fs.mkdtempSync(path.join(sandbox.dir, "cache-empty-"));
  const first = await listModels({ XDG_CACHE_HOME: emptyCache });
  for (const id of ["gpt-5.6-sol", "gpt-6-astra", "gpt-5.5", "gpt-5.4", "gpt-5.4-mini"]) assert.ok(first[id], `bundled ${id} listed`);
  for (const id of ["gpt-5.3-codex-spark", "gpt-5.3-codex", "gpt-5.2"]) assert.equal(first[id], undefined, `retired ${id} is not listed`);
  assert.equal(first["gpt-5.4-mini-fast"], undefined, "no -fast entry for a model without the priority tier");
  assert.ok(first["gpt-5.5-fast"], "-fast kept for a model with the priority tier");
  const sol = first["gpt-5.6-sol"];
  assert.deepEqual(Object.keys(sol.variants), ["low", "medium", "high", "xhigh", "max"]);
  assert.deepEqual(sol.variants.high, { reasoningEffort: "high", reasoningSummary: "auto", include: ["reasoning.encrypted_content"] });
  assert.equal(sol.limit.context, 372000);
  assert.deepEqual(sol.cost, { input: 0, output: 0, cache: { read: 0, write: 0 } });
  assert.equal(first["gpt-5.5"].limit.context, 272000);

  // The session's run fetched the live list (mock: gpt-6-astra, gpt-5.5, gpt-5.4 without the priority tier) into the
  // cache file: a later start lists it, laid over the bundled models (never dropped: they are sent as named).
  const cacheFile = path.join(sandbox.env.XDG_CACHE_HOME, "opencode-chatgpt-wasm", "models.json");
  assert.ok(fs.existsSync(cacheFile), "the session run wrote the model cache file");
  const second = await listModels();
  // OpenCode 1.17.0 (the oldest supported) does not list the -fast entries of bundled-only models once a live list
  // exists (README, "OpenCode versions"); the pinned OpenCode lists them all.
  const bundledOnly = ["gpt-5.4-mini", "gpt-5.6-luna", "gpt-5.6-sol", "gpt-5.6-terra", ...(OTHER_OPENCODE ? [] : ["gpt-5.6-luna-fast", "gpt-5.6-sol-fast", "gpt-5.6-terra-fast"])];
  assert.deepEqual(Object.keys(second).sort(), ["gpt-5.4", "gpt-5.5", "gpt-5.5-fast", "gpt-6-astra", ...bundledOnly].sort());
  assert.deepEqual(Object.keys(second["gpt-6-astra"].variants), ["low", "medium", "high"]);
  assert.equal(second["gpt-6-astra"].limit.context, 500000);
  assert.equal(second["gpt-6-astra"].name, "GPT-6 Astra");
});

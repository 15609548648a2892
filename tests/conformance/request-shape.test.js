// Conformance with the reference client (openai/codex codex-rs, core/tests/suite/client.rs): for each
// request-shape behaviour we share, the same input and the same expectation, through our whole request
// path (the wasm transform and the Codex fetch) into the mock backend. The codex-rs test each case
// mirrors is named in its title. Where we deliberately differ, docs/protocol-notes.md says so.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { loadCore } from "../../dist/core.js";
import { resolveConfig, withClientIdentity } from "../../dist/config.js";
import { createCodexFetch } from "../../dist/transport/fetch.js";
import { getCatalog } from "../../dist/request/models.js";
import { startMockBackend } from "../helpers/mock-backend.js";

const core = await loadCore();
const backend = await startMockBackend();
after(() => backend.close());
const cfg = { ...withClientIdentity(resolveConfig({ endpoint: backend.endpoint }, {}), core), stallSeconds: 300 };
const credentials = { current: async () => ({ access: "Access Token", accountId: "account_id" }) };
const codexFetch = createCodexFetch({ credentials, cfg });
const user = [{ type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] }];

/** Sends one OpenCode-shaped request; returns what the backend received. */
async function send(extra) {
  const res = await codexFetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ stream: true, instructions: "be helpful", input: user, ...extra }) });
  assert.equal(res.status, 200, await res.clone().text());
  await res.text();
  return backend.responses().at(-1);
}

test("chatgpt_auth_sends_correct_request: POST {base}/responses with the bearer, the account id, the originator; stream, encrypted reasoning", async () => {
  const r = await send({ model: "gpt-5.4" });
  assert.equal(r.url, "/backend-api/codex/responses");
  assert.equal(r.headers.authorization, "Bearer Access Token");
  assert.equal(r.headers["chatgpt-account-id"], "account_id");
  assert.equal(r.headers.originator, cfg.originator);
  assert.equal(r.headers.accept, "text/event-stream");
  assert.equal(r.json.stream, true);
  assert.equal(r.json.include[0], "reasoning.encrypted_content");
});

test("azure_responses_request_does_not_store...: store is false, stream is true, tool_choice auto", async () => {
  const r = await send({ model: "gpt-5.4", store: true });
  assert.deepEqual([r.json.store, r.json.stream, r.json.tool_choice], [false, true, "auto"]);
});

test("includes_configured_max_effort_in_request: effort max → reasoning.effort \"max\"", async () => {
  const r = await send({ model: "gpt-5.6-sol", reasoning: { effort: "max" } });
  assert.equal(r.json.reasoning.effort, "max");
});

test("includes_default_reasoning_effort_in_request_when_defined_by_model_info: gpt-5.4 → \"medium\"", async () => {
  const r = await send({ model: "gpt-5.4" });
  assert.equal(r.json.reasoning.effort, "medium");
});

test("configured_reasoning_summary_is_sent: summary concise → reasoning.summary \"concise\", no reasoning.context", async () => {
  const r = await send({ model: "gpt-5.4", reasoning: { effort: "high", summary: "concise" } });
  assert.deepEqual(r.json.reasoning, { effort: "high", summary: "concise" });
  assert.equal("context" in r.json.reasoning, false);
});

test("reasoning_summary_is_omitted_when_disabled: summary none → no reasoning.summary", async () => {
  const r = await send({ model: "gpt-5.4", reasoning: { effort: "high", summary: "none" } });
  assert.deepEqual(r.json.reasoning, { effort: "high" });
});

test("reasoning_summary_none_overrides_model_catalog_default, and the catalog default applies when none is configured", async () => {
  const catalog = await getCatalog();
  catalog.mergeRemote(JSON.stringify({ models: [{ slug: "summarizer", priority: 99, visibility: "list", supported_reasoning_levels: ["low", "high"], default_reasoning_level: "high", supports_reasoning_summaries: true, default_reasoning_summary: "detailed", support_verbosity: false }] }));
  assert.deepEqual((await send({ model: "summarizer" })).json.reasoning, { effort: "high", summary: "detailed" });
  assert.deepEqual((await send({ model: "summarizer", reasoning: { summary: "none" } })).json.reasoning, { effort: "high" });
  // The bundled gpt-5.6 models default to "none": no summary unless one is asked for.
  assert.deepEqual((await send({ model: "gpt-5.6-sol" })).json.reasoning, { effort: "low", context: "all_turns" });
});

test("model_without_summary_parameter_support_omits_configured_summary: reasoning == {effort: high}, include == [encrypted]", async () => {
  const catalog = await getCatalog();
  catalog.mergeRemote(JSON.stringify({ models: [{ slug: "no-summaries", priority: 98, visibility: "list", supported_reasoning_levels: ["low", "high"], default_reasoning_level: "low", supports_reasoning_summaries: false }] }));
  const r = await send({ model: "no-summaries", reasoning: { effort: "high", summary: "concise" } });
  assert.deepEqual(r.json.reasoning, { effort: "high" });
  assert.deepEqual(r.json.include, ["reasoning.encrypted_content"]);
});

test("includes_default_verbosity_in_request: gpt-5.4 → text.verbosity \"low\"; a model without verbosity support → none", async () => {
  assert.deepEqual((await send({ model: "gpt-5.4" })).json.text, { verbosity: "low" });
  const catalog = await getCatalog();
  catalog.mergeRemote(JSON.stringify({ models: [{ slug: "quiet", priority: 97, visibility: "list", supported_reasoning_levels: ["low"], default_reasoning_level: "low", support_verbosity: false }] }));
  assert.equal("text" in (await send({ model: "quiet" })).json, false);
});

test("efforts (issue 14): ultra is never sent; none/minimal rise to the model's lowest level", async () => {
  assert.equal((await send({ model: "gpt-5.6-sol", reasoning: { effort: "ultra" } })).json.reasoning.effort, "max");
  assert.equal((await send({ model: "gpt-5.6-terra", reasoning: { effort: "none" } })).json.reasoning.effort, "low");
  assert.equal((await send({ model: "gpt-5.6-luna", reasoning: { effort: "minimal" } })).json.reasoning.effort, "low");
});

test("responses_lite_sets_all_turns_context_and_disables_parallel_tool_calls: a use_responses_lite model → reasoning.context all_turns, parallel_tool_calls false, the lite header", async () => {
  const tools = [{ type: "function", name: "read", description: "reads", parameters: { type: "object", properties: {} }, strict: false }];
  const r = await send({ model: "gpt-5.6-sol", tools, parallel_tool_calls: true });
  assert.equal(r.json.reasoning.context, "all_turns");
  assert.equal(r.json.parallel_tool_calls, false);
  assert.equal(r.headers["x-openai-internal-codex-responses-lite"], "true");
  // The lite shape (codex-rs client.rs): no top-level instructions or tools; they open the input.
  assert.equal("instructions" in r.json, false);
  assert.equal("tools" in r.json, false);
  assert.deepEqual(r.json.input.slice(0, 2), [
    { type: "additional_tools", role: "developer", tools },
    { type: "message", role: "developer", content: [{ type: "input_text", text: "be helpful" }] },
  ]);
  assert.deepEqual(r.json.input.slice(2), user);
  // The same request for a model without the flag: the full shape, no header, no context.
  const full = await send({ model: "gpt-5.4", tools, parallel_tool_calls: true });
  assert.equal(full.headers["x-openai-internal-codex-responses-lite"], undefined);
  assert.deepEqual([full.json.instructions, full.json.tools, full.json.parallel_tool_calls], ["be helpful", tools, true]);
  assert.equal("context" in full.json.reasoning, false);
});

test("responses_lite_request_copies_strip_image_details: images in messages and tool outputs lose detail", async () => {
  const input = [
    { type: "message", role: "user", content: [{ type: "input_image", image_url: "https://example.com/image.png", detail: "original" }] },
    { type: "function_call", call_id: "function-call", name: "shot", arguments: "{}" },
    { type: "function_call_output", call_id: "function-call", output: [{ type: "input_image", image_url: "data:image/png;base64,function", detail: "high" }] },
  ];
  const r = await send({ model: "gpt-5.6-terra", input });
  assert.deepEqual(r.json.input.slice(2), [
    { type: "message", role: "user", content: [{ type: "input_image", image_url: "https://example.com/image.png" }] },
    input[1],
    { type: "function_call_output", call_id: "function-call", output: [{ type: "input_image", image_url: "data:image/png;base64,function" }] },
  ]);
  // The full shape keeps them.
  assert.deepEqual((await send({ model: "gpt-5.4", input })).json.input, input);
});

// Conformance with the reference client (codex-rs), stream side: the same input as its tests, the
// same expectation, in our words. Sources (see docs/research/codex-findings.md §5, §12):
// codex-api/src/sse/responses.rs tests error_when_missing_completed, error_when_error_event,
// context_window_error_is_fatal, quota_exceeded_error_is_fatal, test_try_parse_retry_after(_azure);
// core/tests/suite/client.rs incomplete_response_emits_content_filter_error_message;
// model-provider-info DEFAULT_STREAM_MAX_RETRIES = 5; core/src/util.rs backoff() (200 ms × 2^(n-1), 0.9..1.1).
// Where we differ on purpose: codex may re-send after output was streamed; we never re-send once
// OpenCode has shown output (the user reads what happened).
import { test } from "node:test";
import assert from "node:assert/strict";
import plugin from "../../dist/index.js";
import { loadCore } from "../../dist/core.js";
import { startMockIssuer } from "../helpers/mock-issuer.js";
import { startMockBackend, sseEvent } from "../helpers/mock-backend.js";
import { chatgptToken } from "../helpers/jwt.js";

const core = await loadCore();
const BODY = JSON.stringify({ stream: true, model: "gpt-5.4", instructions: "x", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }] });

async function withPlugin(handler, fn) {
  const backend = await startMockBackend({ handler: (req, rec) => (req.method === "POST" ? handler(rec, backend.responses().length) : undefined) });
  const issuer = await startMockIssuer();
  try {
    const hooks = await plugin.server({ client: {} }, { endpoint: backend.endpoint, issuer: issuer.url });
    const opts = await hooks.auth.loader(async () => ({ type: "oauth", access: chatgptToken({ accountId: "acc-c" }), refresh: "r", expires: Date.now() + 3600_000 }));
    return await fn(() => opts.fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: BODY }), backend);
  } finally {
    await backend.close();
    await issuer.close();
  }
}

/** The rewriter's verdict on one SSE body (holding mode, as the fetch uses it). */
function rewrite(sse) {
  const r = new core.StreamRewriter(true);
  try {
    const forwarded = r.push(new TextEncoder().encode(sse)) + r.finish();
    return { forwarded, completed: r.completed, failed: r.failed, kind: r.errorKind(), message: r.errorMessage(), retryAfterMs: r.retryAfterMs, outputStarted: r.outputStarted };
  } finally {
    r.free();
  }
}

const created = sseEvent("response.created", { response: { id: "resp1" } });
const itemDone = sseEvent("response.output_item.done", { item: { type: "message", role: "assistant", id: "id1", content: [{ type: "output_text", text: "Hello" }] } });
const completed = sseEvent("response.completed", { response: { id: "resp1", output: [] } });
const failedWith = (error) => sseEvent("response.failed", { response: { id: "resp_689bcf18d7f08194bf3440ba62fe05d803fee0cdac429894", object: "response", status: "failed", error } });

test("error_when_missing_completed: a stream without response.completed is an error, re-sent while nothing was shown", async () => {
  const v = rewrite(created + itemDone);
  assert.deepEqual([v.completed, v.failed, v.outputStarted], [false, false, true]);
  // After output: reported, once.
  await withPlugin(() => created + itemDone, async (call, backend) => {
    await assert.rejects((await call()).text(), /ended before the response completed/);
    assert.equal(backend.responses().length, 1);
  });
  // Before output: the same stop is retryable (codex: ApiError::Stream), so it is re-sent.
  await withPlugin((_rec, n) => (n === 1 ? created : created + itemDone + completed), async (call, backend) => {
    assert.match(await (await call()).text(), /response\.completed/);
    assert.equal(backend.responses().length, 2);
  });
});

test("error_when_error_event: rate_limit_exceeded 'try again in 11.054s' is retryable after 11.054 s", () => {
  const v = rewrite(created + failedWith({ code: "rate_limit_exceeded", message: "Rate limit reached for gpt-5.1 in organization org-AAA on tokens per min (TPM): Limit 30000, Used 22999, Requested 12528. Please try again in 11.054s. Visit https://platform.openai.com/account/rate-limits to learn more." }));
  assert.equal(v.failed, true);
  assert.equal(v.kind, "rate_limited");
  assert.equal(v.retryAfterMs, 11054);
  assert.equal(v.forwarded, 0, "nothing of a stream that failed before output reaches OpenCode");
  assert.deepEqual(core.streamRetry(1, v.kind, v.retryAfterMs, 0.5, false), { delayMs: 11054, dropReasoning: false });
});

test("test_try_parse_retry_after / _azure: 28ms and 'Try again in 35 seconds'", () => {
  const ms = (message) => rewrite(failedWith({ code: "rate_limit_exceeded", message })).retryAfterMs;
  assert.equal(ms("Rate limit reached for gpt-5.1 in organization <ORG> on tokens per min (TPM): Limit 1, Used 1, Requested 19304. Please try again in 28ms. Visit https://platform.openai.com/account/rate-limits to learn more."), 28);
  assert.equal(ms("Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-02-01 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit. Try again in 35 seconds."), 35_000);
});

test("context_window_error_is_fatal / quota_exceeded_error_is_fatal: never re-sent", async () => {
  for (const error of [
    { code: "context_length_exceeded", message: "Your input exceeds the context window of this model. Please adjust your input and try again." },
    { code: "insufficient_quota", message: "You exceeded your current quota, please check your plan and billing details." },
  ]) {
    const v = rewrite(created + failedWith(error));
    assert.equal(v.failed, true, error.code);
    assert.equal(core.streamRetry(1, v.kind, v.retryAfterMs, 0.5, false), null, error.code);
    await withPlugin(() => created + failedWith(error), async (call, backend) => {
      await assert.rejects((await call()).text());
      assert.equal(backend.responses().length, 1, error.code);
    });
  }
});

test("incomplete_response_emits_content_filter_error_message: the reason reaches the user; 1 request after output", async () => {
  const delta = sseEvent("response.output_text.delta", { delta: "partial" });
  const incomplete = sseEvent("response.incomplete", { response: { id: "resp_incomplete", status: "incomplete", incomplete_details: { reason: "content_filter" } } });
  await withPlugin(() => created + delta + incomplete, async (call, backend) => {
    await assert.rejects((await call()).text(), /incomplete \(reason: content_filter\)/);
    assert.equal(backend.responses().length, 1);
  });
  // codex-rs: a retryable Stream error, so before output it is re-sent like a drop.
  const v = rewrite(created + incomplete);
  assert.equal(v.kind, "response_incomplete");
  assert.deepEqual(core.streamRetry(1, v.kind, undefined, 0.5, false), { delayMs: 200, dropReasoning: false });
});

test("stream_max_retries = 5 and backoff(attempt) = 200 ms × 2^(attempt-1) × 0.9..1.1", () => {
  const delays = [1, 2, 3, 4, 5, 6].map((n) => core.streamRetry(n, "ended_early", undefined, 0.5, false)?.delayMs ?? null);
  assert.deepEqual(delays, [200, 400, 800, 1600, 3200, null]);
  assert.equal(core.streamRetry(3, "stall", undefined, 0, false).delayMs, 720);
  assert.equal(core.streamRetry(3, "stall", undefined, 1, false).delayMs, 880);
});

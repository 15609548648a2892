// Conformance with the reference client on error classes and rate-limit headers (codex-rs
// codex-api/src/sse/responses.rs, codex-api/src/rate_limits.rs and core/tests/suite/client.rs tests):
// the same input, the same expectation, through our wasm core's exports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCore } from "../../dist/core.js";

const core = await loadCore();
const classify = (status, body, headers = {}) => core.classifyHttpError(status, headers, JSON.stringify(body), 1_704_067_000_000, 0, undefined);

test("context_window_error_is_fatal: context_length_exceeded is not retried", () => {
  const e = classify(400, { error: { code: "context_length_exceeded", message: "Your input exceeds the context window of this model." } });
  assert.deepEqual([e.kind, e.retryable], ["context_length", false]);
});

test("quota_exceeded_error_is_fatal: insufficient_quota is not retried and is not the plan's usage limit", () => {
  const e = classify(429, { error: { code: "insufficient_quota", message: "You exceeded your current quota." } });
  assert.deepEqual([e.kind, e.retryable], ["quota_exceeded", false]);
  assert.equal(core.retryDelayMs(1, "quota_exceeded", null, 0.5), undefined);
});

test("usage_limit_error_emits_rate_limit_event: usage_limit_reached carries resets_at and the plan", () => {
  const e = classify(429, { error: { type: "usage_limit_reached", message: "limit reached", resets_at: 1704067242, plan_type: "pro" } });
  assert.deepEqual([e.kind, e.resetsAtMs, e.plan, e.retryable], ["usage_limit", 1704067242000, "pro", false]);
});

test("error_when_error_event / test_try_parse_retry_after(_azure): the wait is read from the message", () => {
  const e = classify(429, { error: { code: "rate_limit_exceeded", message: "Rate limit reached for gpt-5.1 in organization org-AAA on tokens per min (TPM): Limit 30000, Used 22999, Requested 12528. Please try again in 11.054s. Visit https://platform.openai.com/account/rate-limits to learn more." } });
  assert.deepEqual([e.kind, e.retryAfterMs], ["rate_limited", 11054]);
  assert.equal(classify(429, { error: { code: "rate_limit_exceeded", message: "Please try again in 28ms." } }).retryAfterMs, 28);
  assert.equal(classify(429, { error: { code: "rate_limit_exceeded", message: "Rate limit exceeded. Try again in 35 seconds." } }).retryAfterMs, 35000);
});

test("token_count_includes_rate_limits_snapshot: x-codex-{primary,secondary}-{used-percent,window-minutes,reset-at}", () => {
  const r = core.parseRateLimits({
    "x-codex-primary-used-percent": "12.5",
    "x-codex-primary-window-minutes": "10",
    "x-codex-primary-reset-at": "1704069000",
    "x-codex-secondary-used-percent": "40.0",
    "x-codex-secondary-window-minutes": "60",
    "x-codex-secondary-reset-at": "1704074400",
  });
  assert.deepEqual(r.primary, { usedPercent: 12.5, windowMinutes: 10, resetsAtS: 1704069000, resetsAfterS: null });
  assert.deepEqual(r.secondary, { usedPercent: 40, windowMinutes: 60, resetsAtS: 1704074400, resetsAfterS: null });
});

test("parse_rate_limit_for_limit_prefers_limit_name_header / parse_rate_limit_updates_reads_all_limit_families", () => {
  const r = core.parseRateLimits({
    "x-codex-primary-used-percent": "5",
    "x-codex-primary-window-minutes": "300",
    "x-codex-bengalfox-primary-used-percent": "80",
    "x-codex-bengalfox-primary-window-minutes": "10080",
    "x-codex-bengalfox-limit-name": "gpt-5.6-sol weekly",
    "x-codex-other-primary-used-percent": "0",
    "x-codex-other-primary-window-minutes": "0",
  });
  assert.deepEqual(r.families, [{ id: "codex_bengalfox", name: "gpt-5.6-sol weekly", primary: { usedPercent: 80, windowMinutes: 10080, resetsAtS: null, resetsAfterS: null }, secondary: null }]);
  assert.equal(r.primary.usedPercent, 5);
});

test("a window at 0 %, 0 minutes and no reset is off (codex-rs window rule)", () => {
  const r = core.parseRateLimits({ "x-codex-primary-used-percent": "3", "x-codex-secondary-used-percent": "0", "x-codex-secondary-window-minutes": "0" });
  assert.equal(r.secondary, null);
  assert.equal(r.primary.usedPercent, 3);
});

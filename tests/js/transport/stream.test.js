// The response side of the built package (dist/) under Node and Bun: the guarded SSE body
// (chunked, truncated, stalled, failed, oversize), SSE → JSON, each HTTP error class from the mock
// backend, retries (with an abort in the middle) and quota warnings.
import { test } from "node:test";
import assert from "node:assert/strict";
import plugin from "../../../dist/index.js";
import { guardStream, ENDED_EARLY } from "../../../dist/transport/stream.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";
import { startMockBackend, textStream, sseEvent } from "../../helpers/mock-backend.js";
import { chatgptToken } from "../../helpers/jwt.js";

const BODY = JSON.stringify({ stream: true, model: "gpt-5.4", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }], instructions: "x" });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn(fetch, backend, toasts)` against a mock answering with `handler`. */
async function withPlugin(handler, fn, options = {}) {
  const backend = await startMockBackend({ handler });
  // A 401 makes the plugin try one refresh: it must reach a mock issuer, never the internet.
  const issuer = await startMockIssuer();
  const toasts = [];
  try {
    const client = { tui: { showToast: async ({ body }) => void toasts.push(body) } };
    const hooks = await plugin.server({ client }, { endpoint: backend.endpoint, issuer: issuer.url, ...options });
    const access = chatgptToken({ accountId: "acc-s" });
    const opts = await hooks.auth.loader(async () => ({ type: "oauth", access, refresh: "r", expires: Date.now() + 3600_000 }));
    const call = (init = {}) => opts.fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: BODY, ...init });
    return await fn(call, backend, toasts);
  } finally {
    await backend.close();
    await issuer.close();
  }
}

async function* pieces(text, size, pause = 0) {
  for (let i = 0; i < text.length; i += size) {
    yield text.slice(i, i + size);
    if (pause) await sleep(pause);
  }
}

const SSE = { "content-type": "text/event-stream" };
const stream = (s) => ({ status: 200, headers: SSE, stream: s });

test("a chunked stream is forwarded byte-identical, event by event", async () => {
  const full = textStream("Héllo wörld 😀 from a chunked stream.");
  await withPlugin(() => stream(pieces(full, 7, 1)), async (call) => {
    const res = await call();
    assert.equal(res.status, 200);
    assert.equal(await res.text(), full);
  });
});

test("a truncated stream ends with an error, not a silent success", async () => {
  const full = textStream("cut short");
  const cut = full.indexOf("event: response.completed");
  await withPlugin(() => stream(pieces(full.slice(0, cut), 50)), async (call) => {
    const res = await call();
    await assert.rejects(res.text(), { message: ENDED_EARLY });
  });
});

test("a stalled stream is stopped after stallSeconds", async () => {
  // A stall after output started is reported; one before output is re-sent (tests/js/transport/resend.test.js).
  async function* stall() {
    yield sseEvent("response.created", { response: {} }) + sseEvent("response.output_item.added", { output_index: 0, item: { type: "message" } });
    await sleep(3000);
  }
  await withPlugin(() => stream(stall()), async (call) => {
    const t0 = Date.now();
    const res = await call();
    await assert.rejects(res.text(), /no data from the ChatGPT backend for 0.2 s/);
    assert.ok(Date.now() - t0 < 2000);
  }, { stallSeconds: 0.2 });
});

test("a consumer that cancels during a pending read stops the upstream; a slow consumer is no stall", async () => {
  let upstreamCancelled = false;
  const upstream = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(sseEvent("response.created", { response: {} })));
    },
    cancel() {
      upstreamCancelled = true;
    },
  });
  const res = await guardStream(new Response(upstream), { stallSeconds: 5 });
  const reader = res.body.getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /response\.created/);
  const pending = reader.read(); // waits on an upstream that sends nothing more
  await sleep(50);
  await reader.cancel("user stopped");
  assert.deepEqual(await pending, { done: true, value: undefined });
  assert.ok(upstreamCancelled, "the upstream body was not cancelled");

  // Backpressure is not a stall: the consumer pauses 3x longer than stallSeconds between reads.
  const whole = textStream("slow reader");
  const events = whole.split(/(?<=\n\n)/);
  const many = new ReadableStream({ start(c) { for (const e of events) c.enqueue(new TextEncoder().encode(e)); c.close(); } });
  const res2 = await guardStream(new Response(many), { stallSeconds: 0.1 });
  const r2 = res2.body.getReader();
  let text = "";
  let reads = 0;
  for (;;) {
    const { done, value } = await r2.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    reads += 1;
    if (reads <= 3) await sleep(300);
  }
  assert.equal(text, whole);
  assert.ok(reads >= 3, `only ${reads} reads`);
});

test("response.failed becomes a readable error", async () => {
  const failed = sseEvent("response.created", { response: {} }) + sseEvent("response.failed", { response: { error: { code: "context_length_exceeded", message: "Your input exceeds the context window of this model." } } });
  await withPlugin(() => stream(pieces(failed, 13)), async (call) => {
    const res = await call();
    await assert.rejects(res.text(), (err) => err.message.includes("too long for this model's context window") && err.kind === "context_length");
  });
});

test("an oversize event stops the stream with a clear error", async () => {
  const big = new Uint8Array(17 * 1024 * 1024).fill(97);
  const upstream = new Response(new Blob([new TextEncoder().encode("data: "), big]).stream(), { headers: SSE });
  const res = await guardStream(upstream, { stallSeconds: 5 });
  await assert.rejects(res.text(), /larger than 16 MB/);
});

test("callers that did not ask for a stream get JSON: stream absent (the API default) or a nested key", async () => {
  await withPlugin(undefined, async (call) => {
    const { stream, ...rest } = JSON.parse(BODY);
    assert.equal(stream, true);
    for (const body of [rest, { ...rest, text: { stream: true } }]) {
      const res = await call({ body: JSON.stringify(body) });
      assert.equal(res.headers.get("content-type"), "application/json", JSON.stringify(body));
      assert.equal((await res.json()).status, "completed");
    }
    const res = await call({ body: BODY });
    assert.match(res.headers.get("content-type"), /text\/event-stream/);
  });
});

test("stream:false callers get the final Responses JSON", async () => {
  await withPlugin(undefined, async (call) => {
    const res = await call({ body: JSON.stringify({ ...JSON.parse(BODY), stream: false }) });
    assert.equal(res.headers.get("content-type"), "application/json");
    const json = await res.json();
    assert.equal(json.status, "completed");
    assert.equal(json.output[0].content[0].text, "Hello from the mock backend.");
  });
});

const resetsAt = Math.floor(Date.now() / 1000) + 2 * 3600 + 13 * 60 + 30;
const CLASSES = [
  ["usage limit", { status: 429, body: { error: { type: "usage_limit_reached", plan_type: "plus", resets_at: resetsAt } } }, 402, /^ChatGPT usage limit reached for your plus plan; resets at \d\d:\d\d \(in 2 h 13 min\)$/, 1],
  ["plan without Codex", { status: 403, body: { error: { code: "usage_not_included", message: "nope" } } }, 403, /does not include Codex/, 1],
  ["entitlement", { status: 403, body: { detail: "Forbidden" } }, 403, /refused access \(403\): Forbidden/, 1],
  ["model not supported", { status: 404, body: { detail: "The 'gpt-4o' model is not supported when using Codex with a ChatGPT account." } }, 400, /^the model gpt-4o is not available with this ChatGPT login \(retired, or not in your plan\); or pick a model this login can use: gpt-5\.6-sol, gpt-6-astra, /, 1],
  ["unauthorized (refresh refused too)", { status: 401, body: { error: { message: "bad token" } } }, 401, /opencode auth login/, 1],
  ["bad request", { status: 400, body: { error: { message: "Invalid 'input'", type: "invalid_request_error" } } }, 400, /rejected the request \(400\): Invalid 'input'/, 1],
  ["server (HTML), retried 4 times", { status: 503, text: "<html><body><h1>Service Unavailable</h1></body></html>" }, 503, /^ChatGPT backend is unavailable \(503\): Service Unavailable; try again in a moment$/, 4],
  ["context length", { status: 400, body: { error: { code: "context_length_exceeded", message: "too long" } } }, 400, /context window/, 1],
];

for (const [name, answer, status, message, attempts] of CLASSES) {
  test(`HTTP error class: ${name}`, async () => {
    const handler = () => ({ status: answer.status, headers: { "content-type": answer.text ? "text/html" : "application/json" }, body: answer.text ?? JSON.stringify(answer.body) });
    await withPlugin(handler, async (call, backend) => {
      const res = await call();
      assert.equal(res.status, status);
      const json = await res.json();
      assert.match(json.error.message, message);
      assert.ok(!json.error.message.includes("<"));
      assert.equal(backend.responses().length, attempts);
    });
  });
}

test("a rate limit with Retry-After is retried once, then succeeds", async () => {
  let n = 0;
  const handler = () => (n++ === 0 ? { status: 429, headers: { "retry-after": "0.1" }, body: "{}" } : undefined);
  await withPlugin(handler, async (call, backend) => {
    const res = await call();
    assert.equal(res.status, 200);
    assert.match(await res.text(), /response\.completed/);
    assert.equal(backend.responses().length, 2);
  });
});

test("a rate limit that persists is returned as 429 after one retry", async () => {
  const handler = () => ({ status: 429, headers: { "retry-after": "0" }, body: JSON.stringify({ error: { code: "rate_limit_exceeded", message: "Please try again in 0s" } }) });
  await withPlugin(handler, async (call, backend) => {
    const res = await call();
    assert.equal(res.status, 429);
    assert.match((await res.json()).error.message, /rate limit reached/);
    assert.equal(backend.responses().length, 2);
  });
});

test("retries stop at an abort in the middle, in bounded time", async () => {
  await withPlugin(() => ({ status: 503, body: "{}" }), async (call, backend) => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    await assert.rejects(call({ signal: ac.signal }), (err) => err.name === "AbortError");
    assert.ok(Date.now() - t0 < 1000, "abort was not honoured promptly");
    const sent = backend.responses().length;
    assert.ok(sent >= 2 && sent < 4, `sent ${sent}`);
    await sleep(1200);
    assert.equal(backend.responses().length, sent, "a retry was sent after the abort");
  });
});

test("quota headers warn once per threshold via the OpenCode toast", async () => {
  const used = [50, 82, 85, 96];
  let i = 0;
  const handler = () => ({ status: 200, headers: { ...SSE, "x-codex-primary-used-percent": String(used[i++]), "x-codex-primary-window-minutes": "300" }, body: textStream("q") });
  await withPlugin(handler, async (call, _backend, toasts) => {
    for (let k = 0; k < used.length; k++) await (await call()).text();
    await sleep(50);
    assert.deepEqual(toasts, [
      { message: "ChatGPT usage: 82% of your 5 h limit used", variant: "warning" },
      { message: "ChatGPT usage: 96% of your 5 h limit used", variant: "warning" },
    ]);
  });
  const { latestRateLimits } = await import("../../../dist/index.js");
  assert.equal(latestRateLimits().primary.usedPercent, 96);
});

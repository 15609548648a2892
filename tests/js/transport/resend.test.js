// Stream retries and turn state in the built package (dist/), under Node and Bun, against the mock
// backend: a stream that stops before output is re-sent (bounded, backoff from the core, never past
// the abort signal); after output the user reads the error; `response.incomplete` is an error with
// its reason; `invalid_encrypted_content` is answered by one re-send without encrypted reasoning;
// `x-codex-turn-state` is echoed within a turn and never on the next turn or in another session.
import { test } from "node:test";
import assert from "node:assert/strict";
import plugin from "../../../dist/index.js";
import { resendingStream } from "../../../dist/transport/resend.js";
import { ENDED_EARLY } from "../../../dist/transport/stream.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";
import { startMockBackend, textStream, sseEvent, incompleteStream } from "../../helpers/mock-backend.js";
import { chatgptToken } from "../../helpers/jwt.js";

const user = (text) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const body = (input, extra = {}) => JSON.stringify({ stream: true, model: "gpt-5.4", instructions: "x", input, ...extra });
const BODY = body([user("hi")]);
const SSE = { "content-type": "text/event-stream" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withPlugin(backendOpts, fn, options = {}) {
  const backend = await startMockBackend(backendOpts);
  const issuer = await startMockIssuer();
  try {
    const hooks = await plugin.server({ client: {} }, { endpoint: backend.endpoint, issuer: issuer.url, ...options });
    const access = chatgptToken({ accountId: "acc-r" });
    const opts = await hooks.auth.loader(async () => ({ type: "oauth", access, refresh: "r", expires: Date.now() + 3600_000 }));
    const call = (init = {}) => opts.fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: BODY, ...init });
    return await fn(call, backend);
  } finally {
    await backend.close();
    await issuer.close();
  }
}

const ITEM = sseEvent("response.output_item.added", { output_index: 0, item: { id: "msg_1", type: "message", role: "assistant", content: [] } });
const CREATED = sseEvent("response.created", { response: { id: "r", status: "in_progress", output: [] } });

test("a stream dropped before output (after the headers, after response.created) is re-sent and the answer arrives whole", async () => {
  for (const after of ["headers", "created"]) {
    await withPlugin({ drops: { times: 2, after }, defaultText: "the answer" }, async (call, backend) => {
      const res = await call();
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.equal(text, textStream("the answer"), `${after}: only the last attempt's stream, byte for byte`);
      assert.equal(backend.responses().length, 3, after);
      assert.deepEqual(backend.responses().map((r) => r.dropped === true), [true, true, false]);
      assert.equal(backend.responses()[2].raw, backend.responses()[0].raw, "the same body re-sent");
    });
  }
});

test("re-sends stop after 5 (6 sends), then the user reads that the stream ended early", { timeout: 30_000 }, async () => {
  await withPlugin({ drops: { times: 100, after: "created" } }, async (call, backend) => {
    const res = await call();
    await assert.rejects(res.text(), /the connection to the ChatGPT backend broke before the response completed \(.+\); try again/);
    assert.equal(backend.responses().length, 6);
  });
});

test("the core's backoff: 200 ms × 2^(n-1) with ±10 % jitter, 5 re-sends at most", async () => {
  const delays = [];
  const ended = () => new Response(new Blob([CREATED]).stream(), { headers: SSE });
  let sends = 1;
  for (const [random, want] of [[0.5, [200, 400, 800, 1600, 3200]], [0, [180, 360, 720, 1440, 2880]], [1, [220, 440, 880, 1760, 3520]]]) {
    delays.length = 0;
    const res = await resendingStream(ended(), { resend: async () => (sends++, ended()), random: () => random, onRetry: ({ delayMs }) => delays.push(delayMs), wait: async () => {} });
    await assert.rejects(res.text(), { message: ENDED_EARLY });
    assert.deepEqual(delays, want, `random ${random}`);
  }
  assert.equal(sends, 1 + 15);
});

test("an abort during the backoff ends the request at once: no re-send after it", async () => {
  const ac = new AbortController();
  let resends = 0;
  const ended = () => new Response(new Blob([CREATED]).stream(), { headers: SSE });
  const res = await resendingStream(ended(), {
    resend: async () => (resends++, ended()),
    signal: ac.signal,
    random: () => 0.5,
    onRetry: ({ retry }) => retry === 3 && setTimeout(() => ac.abort(), 50), // during the 800 ms wait
  });
  await assert.rejects(res.text(), (err) => err.name === "AbortError");
  assert.equal(resends, 2);
  await sleep(900);
  assert.equal(resends, 2, "a re-send went out after the abort");

  // Aborted before the stream failed: no re-send at all.
  const ac2 = new AbortController();
  ac2.abort();
  let resends2 = 0;
  const res2 = await resendingStream(ended(), { resend: async () => (resends2++, ended()), signal: ac2.signal });
  await assert.rejects(res2.text(), (err) => err.name === "AbortError");
  assert.equal(resends2, 0);
});

test("a stream dropped after output started is not re-sent: the user reads what happened", async () => {
  const handler = (req) => (req.method === "POST" ? { status: 200, headers: SSE, body: CREATED + ITEM } : undefined);
  await withPlugin({ handler }, async (call, backend) => {
    const res = await call();
    await assert.rejects(res.text(), { message: ENDED_EARLY });
    assert.equal(backend.responses().length, 1);
  });
});

test("a stall before output is re-sent; a retryable failure event before output too; a refusal is not", async () => {
  let n = 0;
  async function* stall() {
    yield CREATED;
    await sleep(2000);
  }
  const stalls = () => (++n === 1 ? { status: 200, headers: SSE, stream: stall() } : textStream("after a stall"));
  await withPlugin({ handler: (req) => (req.method === "POST" ? stalls() : undefined) }, async (call, backend) => {
    assert.match(await (await call()).text(), /after a stall/);
    assert.equal(backend.responses().length, 2);
  }, { stallSeconds: 0.2 });

  let m = 0;
  const failing = () => (++m === 1 ? CREATED + sseEvent("response.failed", { response: { error: { code: "server_error", message: "An error occurred while processing your request." } } }) : textStream("second try"));
  await withPlugin({ handler: (req) => (req.method === "POST" ? failing() : undefined) }, async (call, backend) => {
    assert.match(await (await call()).text(), /second try/);
    assert.equal(backend.responses().length, 2);
  });

  const refused = CREATED + sseEvent("response.failed", { response: { error: { code: "context_length_exceeded", message: "Your input exceeds the context window of this model." } } });
  await withPlugin({ handler: (req) => (req.method === "POST" ? refused : undefined) }, async (call, backend) => {
    await assert.rejects((await call()).text(), /context window/);
    assert.equal(backend.responses().length, 1);
  });
});

test("response.incomplete after output is an error with its reason, not a finished answer", async () => {
  await withPlugin({ handler: (req) => (req.method === "POST" ? incompleteStream("a long answer", "max_output_tokens") : undefined) }, async (call, backend) => {
    const res = await call();
    await assert.rejects(res.text(), (err) => err.kind === "response_incomplete" && /incomplete \(reason: max_output_tokens\)/.test(err.message));
    assert.equal(backend.responses().length, 1);
  });
  // stream:false callers read the same sentence.
  await withPlugin({ handler: (req) => (req.method === "POST" ? incompleteStream("x", "content_filter") : undefined) }, async (call) => {
    const res = await call({ body: body([user("hi")], { stream: false }) });
    assert.equal(res.status, 502);
    assert.match((await res.json()).error.message, /reason: content_filter/);
  });
});

const REASONING = { type: "reasoning", summary: [], encrypted_content: "gAAAA-from-another-workspace" };
const WITH_REASONING = body([user("hi"), REASONING, { type: "function_call", call_id: "c1", name: "read", arguments: "{}" }, { type: "function_call_output", call_id: "c1", output: "ok" }]);
const ENCRYPTED = { error: { type: "invalid_request_error", code: "invalid_encrypted_content", message: "The encrypted content could not be verified." } };
const hasReasoning = (rec) => rec.json.input.some((i) => i.type === "reasoning");

test("invalid_encrypted_content (HTTP 400 or in the stream) is answered by one re-send without encrypted reasoning", async () => {
  for (const where of ["http", "stream"]) {
    const handler = (req, rec) => {
      if (req.method !== "POST") return undefined;
      if (!hasReasoning(rec)) return textStream("without the old reasoning");
      return where === "http" ? { status: 400, body: JSON.stringify(ENCRYPTED) } : CREATED + sseEvent("error", ENCRYPTED);
    };
    await withPlugin({ handler }, async (call, backend) => {
      const res = await call({ body: WITH_REASONING });
      assert.equal(res.status, 200, where);
      assert.match(await res.text(), /without the old reasoning/);
      const sent = backend.responses();
      assert.deepEqual(sent.map(hasReasoning), [true, false], where);
      assert.deepEqual(sent[1].json.input.map((i) => i.type ?? "message"), ["message", "function_call", "function_call_output"]);
    });
  }
  // Refused again without it: once is enough, the user reads why.
  await withPlugin({ handler: (req) => (req.method === "POST" ? { status: 400, body: JSON.stringify(ENCRYPTED) } : undefined) }, async (call, backend) => {
    const res = await call({ body: WITH_REASONING });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /reasoning saved from an earlier turn/);
    assert.equal(backend.responses().length, 2);
  });
});

test("x-codex-turn-state is echoed within a turn and absent on the next turn and in other sessions", async () => {
  await withPlugin({ turnState: true }, async (call, backend) => {
    const session = { session_id: "ses_A" };
    const call1 = { type: "function_call", call_id: "c1", name: "read", arguments: "{}" };
    const out1 = { type: "function_call_output", call_id: "c1", output: "file" };
    const answer = { type: "message", role: "assistant", content: [{ type: "output_text", text: "done" }] };
    const send = async (input, headers = session) => (await call({ body: body(input), headers: { "content-type": "application/json", ...headers } })).text();
    await send([user("read it")]); // turn 1, first request
    await send([user("read it"), call1, out1]); // turn 1, follow-up
    await send([user("read it"), call1, out1, answer, user("again")]); // turn 2
    await send([user("read it"), call1, out1, answer, user("again"), call1, out1]); // turn 2, follow-up
    await send([user("read it"), call1, out1], { session_id: "ses_B" }); // another session
    const sent = backend.responses().map((r) => r.headers["x-codex-turn-state"]);
    assert.deepEqual(sent, [undefined, "ts-1", undefined, "ts-2", undefined]);
    assert.deepEqual(backend.turnStateViolations(), []);
  });
});

test("a re-sent stream carries the turn's token; the mock would notice a wrong one", async () => {
  await withPlugin({ turnState: true, drops: { times: 1, after: "created" } }, async (call, backend) => {
    await (await call({ headers: { "content-type": "application/json", session_id: "ses_R" } })).text();
    assert.deepEqual(backend.responses().map((r) => r.headers["x-codex-turn-state"]), [undefined, "ts-1"]);
    assert.deepEqual(backend.turnStateViolations(), []);
  });
});

test("output and a failure in one chunk: the reader gets the output, then the error (and it is not re-sent)", async () => {
  const { guardStream } = await import("../../../dist/transport/stream.js");
  const failed = sseEvent("response.failed", { response: { error: { code: "server_error", message: "boom" } } });
  for (const hold of [false, true]) {
    const res = await guardStream(new Response(new Blob([CREATED + ITEM + failed]).stream(), { headers: SSE }), { hold });
    const reader = res.body.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), CREATED + ITEM, `hold ${hold}`);
    await assert.rejects(reader.read(), (err) => /boom/.test(err.message) && err.outputStarted === true);
  }
  let resends = 0;
  const res = await resendingStream(new Response(new Blob([CREATED + ITEM + failed]).stream(), { headers: SSE }), { resend: async () => (resends++, null) });
  await assert.rejects(res.text(), /boom/);
  assert.equal(resends, 0);
});

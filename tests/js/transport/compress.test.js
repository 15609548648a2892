// zstd request bodies (issue 18 item 1) in the built package (dist/), under Node and Bun, against the mock
// backend, which decodes what came and records how it came: `/responses` bodies of 4 KiB and more go
// `Content-Encoding: zstd` where the runtime has an encoder (Bun; Node >= 22.15), decoding to exactly the
// transformed body; small bodies, the switch off and Node 20 send plain JSON; a backend that refuses the
// encoding (415, or a 400 naming it) gets the request once more plain, and plain bodies for the rest of the
// process; stream re-sends and the re-send without encrypted reasoning carry the right body, encoded again.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import plugin from "../../../dist/index.js";
import { createCodexFetch } from "../../../dist/transport/fetch.js";
import { runtimeZstd, resetEncodingRefused, encodingRefused } from "../../../dist/transport/compress.js";
import { resolveConfig, requestEncoding, refusesEncoding, COMPRESS_MIN_BYTES, ZSTD_LEVEL } from "../../../dist/config.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";
import { startMockBackend, textStream, zstdDecode, zstdStored } from "../../helpers/mock-backend.js";
import { chatgptToken } from "../../helpers/jwt.js";

const HAS_ZSTD = typeof globalThis.Bun?.zstdCompress === "function" || typeof zlib.zstdCompress === "function";
const user = (text) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
/** A request body of about `kb` KiB: a session of file reads (compressible text, as real tool output is). */
function bodyOf(kb, extra = {}) {
  const input = [user("read the files")];
  for (let i = 0; JSON.stringify(input).length < kb * 1024; i++) {
    input.push({ type: "function_call", call_id: `c${i}`, name: "read", arguments: JSON.stringify({ filePath: `src/f${i}.js` }) });
    input.push({ type: "function_call_output", call_id: `c${i}`, output: Array.from({ length: 40 }, (_, l) => `${l + 1}: export const value${i}_${l} = compute(${l}, "line ${l}");`).join("\n") });
  }
  input.push(user("what do they do?"));
  return JSON.stringify({ stream: true, model: "gpt-5.4", instructions: "x", input, ...extra });
}
const BIG = bodyOf(64);
const SMALL = JSON.stringify({ stream: true, model: "gpt-5.4", instructions: "x", input: [user("hi")] });

beforeEach(() => resetEncodingRefused());

test("requestEncoding: zstd only when on, available, not refused, no caller encoding, and at least COMPRESS_MIN_BYTES", () => {
  const on = { enabled: true, available: true, refused: false, bytes: COMPRESS_MIN_BYTES };
  const cases = [
    [on, "zstd"],
    [{ ...on, bytes: 2 * 1024 * 1024 }, "zstd"],
    [{ ...on, bytes: COMPRESS_MIN_BYTES - 1 }, "identity"],
    [{ ...on, bytes: 0 }, "identity"],
    [{ ...on, enabled: false }, "identity"],
    [{ ...on, available: false }, "identity"],
    [{ ...on, refused: true }, "identity"],
    [{ ...on, callerEncoding: "gzip" }, "identity"],
  ];
  assert.deepEqual(cases.map(([o]) => requestEncoding(o)), cases.map(([, want]) => want));
  assert.equal(COMPRESS_MIN_BYTES, 4096);
  assert.equal(ZSTD_LEVEL, 3, "the Codex CLI's level");
});

test("refusesEncoding: a 415 always; a 400 only when it names the content encoding or zstd", () => {
  const cases = [
    [415, "", true],
    [415, "anything", true],
    [400, '{"error":{"message":"Unsupported Content-Encoding: zstd"}}', true],
    [400, '{"detail":"invalid zstd request body"}', true],
    [400, '{"error":{"code":"unsupported_content_encoding"}}', true],
    [400, '{"detail":"Request body must be valid JSON."}', false],
    [400, '{"error":{"code":"invalid_encrypted_content"}}', false],
    [422, "content-encoding", false],
    [500, "zstd", false],
  ];
  assert.deepEqual(cases.map(([s, t]) => refusesEncoding(s, t)), cases.map(([, , want]) => want));
});

test("compressRequests: on by default; off by option or OPENCODE_CODEX_COMPRESS=0/false/no/off; the option wins", () => {
  assert.equal(resolveConfig({}, {}).compressRequests, true);
  assert.equal(resolveConfig({ compressRequests: false }, {}).compressRequests, false);
  for (const v of ["0", "false", "no", "off", "OFF"]) assert.equal(resolveConfig({}, { OPENCODE_CODEX_COMPRESS: v }).compressRequests, false, v);
  assert.equal(resolveConfig({}, { OPENCODE_CODEX_COMPRESS: "1" }).compressRequests, true);
  assert.equal(resolveConfig({ compressRequests: true }, { OPENCODE_CODEX_COMPRESS: "0" }).compressRequests, true);
});

test("runtimeZstd: the runtime's encoder where it has one (Bun, Node >= 22.15), else null; its output decodes to the input", async () => {
  const zstd = runtimeZstd();
  assert.equal(zstd !== null, HAS_ZSTD, `runtime ${globalThis.Bun ? `bun ${Bun.version}` : `node ${process.version}`}`);
  if (!zstd) return;
  const input = new TextEncoder().encode(BIG);
  const out = await zstd(input);
  assert.ok(out.byteLength < input.byteLength / 4, `${out.byteLength} of ${input.byteLength}`);
  assert.equal(Buffer.from(zstdDecode(Buffer.from(out))).toString("utf8"), BIG);
});

test("runtimeZstd without Bun's own API: node:zlib's zstdCompress where it exists (Node >= 22.15, Bun), else null", async () => {
  const zstd = runtimeZstd(3, undefined);
  assert.equal(zstd !== null, typeof zlib.zstdCompress === "function");
  if (!zstd) return;
  const out = await zstd(new TextEncoder().encode(BIG));
  assert.ok(out.byteLength < Buffer.byteLength(BIG) / 4);
  assert.equal(Buffer.from(zstdDecode(Buffer.from(out))).toString("utf8"), BIG);
});

async function withPlugin(options, fn, backendOpts = {}) {
  const backend = await startMockBackend(backendOpts);
  const issuer = await startMockIssuer();
  try {
    const hooks = await plugin.server({ client: {} }, { endpoint: backend.endpoint, issuer: issuer.url, ...options });
    const access = chatgptToken({ accountId: "acc-z" });
    const opts = await hooks.auth.loader(async () => ({ type: "oauth", access, refresh: "r", expires: Date.now() + 3600_000 }));
    const call = (body) => opts.fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json", session_id: "ses_z" }, body });
    return await fn(call, backend);
  } finally {
    await backend.close();
    await issuer.close();
  }
}

test("through the plugin: a large body goes zstd where the runtime has it and decodes to the body sent plain with the switch off", async () => {
  const sent = {};
  for (const compressRequests of [true, false]) {
    await withPlugin({ compressRequests }, async (call, backend) => {
      const res = await call(BIG);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /Hello from the mock backend/);
      const [rec] = backend.responses();
      sent[compressRequests] = rec;
    });
  }
  const on = sent[true];
  const off = sent[false];
  assert.equal(on.encoding, HAS_ZSTD ? "zstd" : "identity");
  assert.equal(on.headers["content-encoding"], HAS_ZSTD ? "zstd" : undefined);
  assert.equal(off.encoding, "identity", "the switch off sends plain JSON");
  assert.equal(off.headers["content-encoding"], undefined);
  assert.deepEqual(on.json, off.json, "decoded, the compressed body is the transformed body");
  assert.equal(on.raw, off.raw, "byte for byte");
  assert.equal(Number(on.headers["content-length"]), on.wireBytes, "Content-Length counts the bytes sent");
  if (HAS_ZSTD) assert.ok(on.wireBytes < off.wireBytes / 4, `${on.wireBytes} bytes sent for ${off.wireBytes}`);
});

test("through the plugin: a body under COMPRESS_MIN_BYTES goes plain", async () => {
  await withPlugin({}, async (call, backend) => {
    assert.equal((await call(SMALL)).status, 200);
    const [rec] = backend.responses();
    assert.ok(rec.wireBytes < COMPRESS_MIN_BYTES, `${rec.wireBytes}`);
    assert.equal(rec.encoding, "identity");
    assert.equal(rec.headers["content-encoding"], undefined);
  });
});

// The fetch itself, with an encoder on every runtime: the runtime's, or stored zstd blocks where it has none.
const ENCODER = runtimeZstd() ?? (async (bytes) => zstdStored(bytes));
const utf8 = (t) => new TextEncoder().encode(t);
async function withFetch(backendOpts, fn, { zstd = ENCODER, cfg = {} } = {}) {
  const backend = await startMockBackend(backendOpts);
  const lines = [];
  try {
    const credentials = { current: async () => ({ access: "tok", accountId: "acc" }) };
    const f = createCodexFetch({ credentials, cfg: { endpoint: backend.endpoint, originator: "opencode", userAgent: "ua/1", stallSeconds: 30, compressRequests: true, ...cfg }, transform: async (t) => ({ body: utf8(t) }), zstd, log: (l) => lines.push(l) });
    const call = (body = BIG) => f(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });
    return await fn(call, backend, lines);
  } finally {
    await backend.close();
  }
}

test("a backend that refuses zstd (415, or a 400 naming it): the request is re-sent plain once, later ones go plain, debug says so", async () => {
  for (const refuseZstd of [415, 400]) {
    resetEncodingRefused();
    await withFetch({ refuseZstd, defaultText: "answered plain" }, async (call, backend, lines) => {
      const res = await call();
      assert.equal(res.status, 200, `${refuseZstd}`);
      assert.match(await res.text(), /answered plain/);
      assert.equal((await (await call()).text()).includes("answered plain"), true);
      const sent = backend.responses().map((r) => ({ encoding: r.encoding, refused: r.refused }));
      assert.deepEqual(sent, [{ encoding: "zstd", refused: refuseZstd }, { encoding: "identity", refused: undefined }, { encoding: "identity", refused: undefined }]);
      assert.equal(backend.responses()[1].raw, BIG, "the re-send is the same body, plain");
      assert.equal(encodingRefused(), true);
      assert.deepEqual(lines, [`the backend refused Content-Encoding: zstd (HTTP ${refuseZstd}); re-sending plain, and request bodies stay plain JSON for the rest of this process`]);
    });
  }
});

test("requests already under way when the refusal comes are each re-sent plain; debug says it once", async () => {
  await withFetch({ refuseZstd: 415, defaultText: "ok" }, async (call, backend, lines) => {
    const replies = await Promise.all([call(), call(), call()]);
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200]);
    await Promise.all(replies.map((r) => r.text()));
    const sent = backend.responses();
    assert.ok(sent.filter((r) => r.refused === 415).length >= 2, "more than one went compressed before the refusal came");
    assert.deepEqual(sent.filter((r) => !r.refused).map((r) => [r.encoding, r.raw === BIG]), [["identity", true], ["identity", true], ["identity", true]]);
    assert.equal(lines.length, 1, lines.join("\n"));
  });
});

test("a 400 that does not name the encoding is the backend's answer: no plain re-send, compression stays on", async () => {
  const refusal = { detail: "The 'gpt-5.4' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again." };
  await withFetch({ handler: (req) => (req.method === "POST" ? { status: 400, body: JSON.stringify(refusal) } : undefined) }, async (call, backend, lines) => {
    const res = await call();
    assert.equal(res.status, 400);
    assert.deepEqual(backend.responses().map((r) => r.encoding), ["zstd"]);
    assert.equal(encodingRefused(), false);
    assert.deepEqual(lines, []);
  });
});

test("compressRequests off, a small body, no encoder, or an encoder that fails: plain JSON, and the request succeeds", async () => {
  const runs = [
    [{ cfg: { compressRequests: false } }, BIG, []],
    [{}, SMALL, []],
    [{ zstd: null }, BIG, []],
    [{ zstd: async () => { throw new Error("encoder broke"); } }, BIG, ["zstd compression failed (encoder broke); this request goes as plain JSON"]],
  ];
  for (const [opts, body, wantLines] of runs) {
    await withFetch({}, async (call, backend, lines) => {
      assert.equal((await call(body)).status, 200);
      const [rec] = backend.responses();
      assert.deepEqual({ encoding: rec.encoding, ce: rec.headers["content-encoding"], raw: rec.raw === body }, { encoding: "identity", ce: undefined, raw: true });
      assert.deepEqual(lines, wantLines);
    }, opts);
  }
});

test("a stream dropped before output is re-sent with the same body, encoded again", async () => {
  await withFetch({ drops: { times: 1, after: "created" }, defaultText: "whole" }, async (call, backend) => {
    const res = await call();
    assert.equal(await res.text(), textStream("whole"));
    const sent = backend.responses();
    assert.deepEqual(sent.map((r) => [r.encoding, r.dropped === true]), [["zstd", true], ["zstd", false]]);
    assert.equal(sent[0].raw, BIG);
    assert.equal(sent[1].raw, BIG);
  });
});

test("invalid_encrypted_content: the re-send without encrypted reasoning is compressed from the new body", async () => {
  const reasoning = { type: "reasoning", summary: [], encrypted_content: "gAAAA" + "x".repeat(2000) };
  const withReasoning = JSON.parse(BIG);
  withReasoning.input.splice(1, 0, reasoning);
  const body = JSON.stringify(withReasoning);
  const ENCRYPTED = { error: { type: "invalid_request_error", code: "invalid_encrypted_content", message: "The encrypted content could not be verified." } };
  const has = (rec) => rec.json.input.some((i) => i.type === "reasoning");
  await withFetch({ handler: (req, rec) => (req.method !== "POST" ? undefined : has(rec) ? { status: 400, body: JSON.stringify(ENCRYPTED) } : textStream("without it")) }, async (call, backend) => {
    const res = await call(body);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /without it/);
    const sent = backend.responses();
    assert.deepEqual(sent.map((r) => [r.encoding, has(r)]), [["zstd", true], ["zstd", false]]);
    assert.deepEqual(sent[1].json.input, JSON.parse(BIG).input, "the body less the reasoning item");
  });
});

test("the mock is strict: an encoding it does not know is refused with 415, a body that is not zstd with 400", async () => {
  const backend = await startMockBackend();
  try {
    const post = (headers, body) => fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const gzip = await post({ "content-encoding": "gzip" }, zlib.gzipSync(SMALL));
    assert.equal(gzip.status, 415);
    assert.match((await gzip.json()).error.message, /Unsupported Content-Encoding: gzip/);
    const bad = await post({ "content-encoding": "zstd" }, SMALL);
    assert.equal(bad.status, 400);
    const good = await post({ "content-encoding": "zstd" }, zstdStored(utf8(SMALL)));
    assert.equal(good.status, 200);
    assert.deepEqual(backend.responses().map((r) => [r.encoding, r.refused]), [["gzip", 415], ["zstd", 400], ["zstd", undefined]]);
    assert.equal(backend.responses()[2].raw, SMALL);
    await good.text();
  } finally {
    await backend.close();
  }
});

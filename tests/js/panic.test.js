// A panic in the Rust core (a wasm trap) must never take OpenCode down: callCore() (the core) and
// callStartup() (the startup module) turn it into a CoreError with code "core-panic" and the panic message,
// and the next call runs on a fresh instance of that module. Runs against the built package (dist/)
// under Node (`node --test`) and Bun (`bun test`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { callStartup, callCore, CoreError } from "../../dist/core.js";

const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; // RFC 7636 appendix B

async function panicOnce(call = callCore) {
  const err = await call((core) => core.__panicForTest()).then(
    () => assert.fail("__panicForTest returned"),
    (e) => e,
  );
  assert.ok(err instanceof CoreError, `expected a CoreError, got ${err?.constructor?.name}: ${err}`);
  assert.equal(err.code, "core-panic");
  assert.match(err.message, /deliberate panic for tests\/js\/panic\.test\.js/);
  assert.match(err.message, /internal error in the plugin core/);
}

const SECRET = "0123456789abcdef0123";
const redacted = () => callCore((core) => core.redact(`token ${SECRET}`, [SECRET]));

test("a panic becomes a core-panic CoreError with the panic message", async () => {
  assert.equal(await redacted(), "token [redacted]");
  await panicOnce();
});

test("the call after a panic runs on a fresh, working instance", async () => {
  const before = await callCore((core) => core);
  await panicOnce();
  const after = await callCore((core) => core);
  // A distinct glue module (its own wasm instance and memory), in Node and in Bun alike.
  assert.notEqual(after, before);
  assert.equal(await callCore((core) => core), after, "instantiated once, then reused");
  assert.equal(await redacted(), "token [redacted]");
  // Typed core errors still keep their own code on the new instance.
  const err = await callCore((core) => core.decodeJwt("not-a-jwt")).then(() => assert.fail("decoded garbage"), (e) => e);
  assert.ok(err instanceof CoreError);
  assert.equal(err.code, "jwt-malformed");
});

test("repeated panics never leave the core unusable", async () => {
  for (let i = 0; i < 5; i++) {
    await panicOnce();
    assert.equal(await redacted(), "token [redacted]");
  }
});

test("the startup module recovers from a panic on its own, and leaves the core's instance alone", async () => {
  const whole = await callCore((core) => core);
  const before = await callStartup((core) => core);
  assert.notEqual(before, whole, "two modules");
  assert.equal(await callStartup((core) => core.redact(`token ${SECRET}`, [SECRET])), "token [redacted]");
  await panicOnce(callStartup);
  const after = await callStartup((core) => core);
  assert.notEqual(after, before, "a fresh startup instance");
  assert.equal(await callCore((core) => core), whole, "the core's instance is kept");
  assert.equal(await callStartup((core) => core.redact(`token ${SECRET}`, [SECRET])), "token [redacted]");
  assert.equal(await callCore((core) => core.pkceChallenge(VERIFIER)), CHALLENGE);
  // and the other way round: a panic in the core keeps the startup instance
  await panicOnce(callCore);
  assert.equal(await callStartup((core) => core), after);
});

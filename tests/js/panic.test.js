// A panic in the Rust core (a wasm trap) must never take OpenCode down: callCore() (startup module)
// and callCold() (cold module) turn it into a CoreError with code "core-panic" and the panic message,
// and the next call runs on a fresh instance of that module. Runs against the built package (dist/)
// under Node (`node --test`) and Bun (`bun test`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { callCold, callCore, CoreError } from "../../dist/core.js";

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

test("the cold module recovers from a panic on its own, and leaves the startup module's instance alone", async () => {
  const hot = await callCore((core) => core);
  const before = await callCold((core) => core);
  assert.notEqual(before, hot, "two modules");
  assert.equal(await callCold((core) => core.pkceChallenge(VERIFIER)), CHALLENGE);
  await panicOnce(callCold);
  const after = await callCold((core) => core);
  assert.notEqual(after, before, "a fresh cold instance");
  assert.equal(await callCore((core) => core), hot, "the startup module's instance is kept");
  assert.equal(await callCold((core) => core.pkceChallenge(VERIFIER)), CHALLENGE);
  assert.match(await callCold((core) => core.generateState()), /^[A-Za-z0-9_-]{20,}$/);
  // and the other way round: a startup-module panic keeps the cold instance
  await panicOnce(callCore);
  assert.equal(await callCold((core) => core), after);
});

// Run by tests/js/secrets.test.js in a child process with debug logging on: walks the plugin's
// logging paths (paste and device sign-in, a pasted code with the wrong state, refresh of an
// expired login, 401 → refresh → retry, a refresh refused for good, a 429 usage limit, a 500
// retried, a stream that fails) against the parent's mock issuer and backend, printing only what
// a user would see (statuses, error bodies, plugin messages). Its stdout+stderr is then searched
// for secrets. The OAuth states (not known to the issuer) go to SECRETS_SIDE_FILE, never stdout.
// env: ISSUER_URL, ENDPOINT, XDG_DATA_HOME, SECRETS_SIDE_FILE
import fs from "node:fs";
import path from "node:path";
import plugin from "../../dist/index.js";
import { httpGet } from "./mock-issuer.js";

const { ISSUER_URL, ENDPOINT, XDG_DATA_HOME, SECRETS_SIDE_FILE } = process.env;
const authPath = path.join(XDG_DATA_HOME, "opencode", "auth.json");
const states = [];

const hooks = await plugin.server({ client: {} }, { debug: true, endpoint: ENDPOINT, issuer: ISSUER_URL });
const [, device, paste] = hooks.auth.methods;

/** auth.json holding `login` (mode 0644, so a later write must tighten it). */
function store(login) {
  fs.mkdirSync(path.dirname(authPath), { recursive: true });
  fs.writeFileSync(authPath, JSON.stringify({ openai: login }), { mode: 0o644 });
  fs.chmodSync(authPath, 0o644);
}
const fromDisk = async () => JSON.parse(fs.readFileSync(authPath, "utf8")).openai;
const asStored = ({ access, refresh, expires, accountId }) => ({ type: "oauth", access, refresh, expires, accountId });

/** A paste sign-in; `spoilState` pastes the redirect with another state (must fail). */
async function pasteSignIn(spoilState = false) {
  const auth = await paste.authorize();
  console.log(`paste instructions: ${auth.instructions}`);
  states.push(new URL(auth.url).searchParams.get("state"));
  const redirect = await httpGet(auth.url);
  const location = new URL(redirect.location);
  if (spoilState) location.searchParams.set("state", "not-the-state-we-sent");
  const result = await auth.callback(location.href);
  console.log(`paste sign-in${spoilState ? " (wrong state)" : ""}: ${result.type}`);
  return result;
}

async function deviceSignIn() {
  const auth = await device.authorize();
  console.log(`device instructions: ${auth.instructions}`);
  const result = await auth.callback();
  console.log(`device sign-in: ${result.type}`);
  return result;
}

/** One request through a fresh loader (its own credentials) reading auth.json; prints what the user sees. */
async function turn(label, text) {
  const opts = await hooks.auth.loader(fromDisk);
  const body = JSON.stringify({ stream: true, model: "gpt-5.4", instructions: "x", input: [{ type: "message", role: "user", content: [{ type: "input_text", text }] }] });
  const res = await opts.fetch(`${ENDPOINT}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });
  try {
    const out = await res.text();
    console.log(`${label}: ${res.status} ${res.ok ? `${out.length} bytes` : out}`);
  } catch (err) {
    console.error(`${label}: ${res.status}, stream error: ${err.message}`);
  }
}

const a = await pasteSignIn();
await pasteSignIn(true);
const b = await deviceSignIn();
if (a.type !== "success" || b.type !== "success") throw new Error("sign-in failed");

store({ ...asStored(a), expires: Date.now() - 60_000 });
await turn("expired login, refreshed", "ok"); // spends a.refresh
store({ ...asStored(a), expires: Date.now() - 60_000 });
await turn("refresh refused for good", "ok"); // a.refresh was spent: refresh_token_reused
store(asStored(b));
await turn("401 then refresh and retry", "401-once"); // writes auth.json with the new login
await turn("usage limit", "429");
await turn("500 retried", "500-once");
await turn("failed stream", "fail-stream");

fs.writeFileSync(SECRETS_SIDE_FILE, JSON.stringify({ states }));
console.log("child done");

// Deterministic benchmark inputs (seeded PRNG, no clock, no network): a ~2 MB long agent session
// request built around the real captured OpenCode body, and a ~5 MB Codex SSE stream (~17k events).
// Same seed → byte-identical output on every machine and runtime. Nothing multi-MB is committed:
// scripts/bench calls this at start and writes into a temp dir.
// Usage: node scripts/gen-fixtures.js OUT_DIR [--seed N]
//   writes OUT_DIR/{small.json, session.json, stream.sse, manifest.json}
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

export const CAPTURED = new URL("../tests/fixtures/requests/captured/opencode-1.18.33-turn2.json", import.meta.url);
export const DEFAULT_SEED = 20260;
const SESSION_TARGET = 2 * 1024 * 1024;
const SSE_TARGET = 5 * 1024 * 1024;

/** mulberry32: a tiny seeded PRNG with a full 2^32 period. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const chars = (alphabet, n) => {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    return s;
  };
  return { next, int, pick, chars };
}

const HEX = "0123456789abcdef";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64URL = ALNUM + "-_";
const WORDS = ("the a to of and in is it that for on with as this be are file function test error value request stream " +
  "build the config we should check read edit bash output line module import export return async await type string " +
  "number array object handle parse body model token session tool call result update fix add remove rename refactor " +
  "because so then first next finally looks like seems need let me now I'll").split(" ");
const IDENTS = ["body", "input", "items", "result", "cfg", "stream", "chunk", "decoder", "offset", "callId", "response",
  "handler", "ctx", "opts", "buf", "len", "index", "model", "tokens", "session", "reader", "writer", "state", "cache"];
const UNICODE = ["é", "ü", "→", "✓", "—", "“", "”", "日本語", "🚀", "Ω", "ß", "…"];

function sentence(r, min, max) {
  const n = r.int(min, max);
  const out = [];
  for (let i = 0; i < n; i++) out.push(r.next() < 0.01 ? r.pick(UNICODE) : r.pick(WORDS));
  const s = out.join(" ");
  return s.charAt(0).toUpperCase() + s.slice(1) + r.pick([".", ".", ".", ":", "?", "!"]);
}

/** Source-code-like text: indentation, quotes, backslashes, tabs, some non-ASCII (escape-heavy JSON). */
function codeLine(r) {
  const indent = "  ".repeat(r.int(0, 4));
  const id = r.pick(IDENTS);
  switch (r.int(0, 7)) {
    case 0: return `${indent}const ${id} = await ${r.pick(IDENTS)}.${r.pick(IDENTS)}(${r.pick(IDENTS)}, "${r.chars(ALNUM, r.int(3, 12))}");`;
    case 1: return `${indent}if (${id} === null || ${id}.length > ${r.int(0, 4096)}) return { ok: false, error: "${sentence(r, 2, 6)}" };`;
    case 2: return `${indent}// ${sentence(r, 4, 14)}`;
    case 3: return `${indent}throw new Error(\`unexpected \${${id}} at line \${${r.pick(IDENTS)}}\\n\`);`;
    case 4: return `${indent}${id}.push({ type: "${r.pick(["text", "tool", "image"])}", value: '${r.chars(ALNUM, r.int(2, 10))}' });`;
    case 5: return `${indent}\treturn ${id}.replace(/\\\\n/g, "\\n").split("\\t");`;
    case 6: return `${indent}}`;
    default: return `${indent}export function ${id}${r.int(0, 99)}(${r.pick(IDENTS)}, ${r.pick(IDENTS)}) {`;
  }
}

function fileText(r, bytes) {
  const lines = [];
  let size = 0;
  while (size < bytes) {
    const line = `${lines.length + 1}: ${codeLine(r)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n");
}

const encrypted = (r, bytes) => "gAAAAAB" + r.chars(B64URL, bytes - 7);
const itemId = (r, prefix) => `${prefix}_${r.chars(HEX, 48)}`;
const callId = (r) => `call_${r.chars(ALNUM, 24)}`;

function toolCall(r) {
  const path = `/home/dev/project/src/${r.pick(IDENTS)}/${r.pick(IDENTS)}.${r.pick(["ts", "js", "rs", "md"])}`;
  switch (r.int(0, 4)) {
    case 0: return { name: "read", args: { filePath: path } };
    case 1: return { name: "bash", args: { command: `rg -n "${r.pick(IDENTS)}" src | head -50`, description: sentence(r, 3, 8) } };
    case 2: return { name: "grep", args: { pattern: `${r.pick(IDENTS)}\\(`, path: "src", include: "*.ts" } };
    case 3: return { name: "glob", args: { pattern: `src/**/${r.pick(IDENTS)}*.ts` } };
    default: return { name: "apply_patch", args: { patchText: `*** Begin Patch\n*** Update File: ${path}\n@@\n-${codeLine(r)}\n+${codeLine(r)}\n*** End Patch` } };
  }
}

/** A long agent session: turns of user text, reasoning (encrypted, with ids), tool calls with large outputs,
 * assistant text with ids, item_reference items, and a few orphaned tool outputs; wrapped in the captured body. */
export function genSession(seed = DEFAULT_SEED, target = SESSION_TARGET) {
  const r = rng(seed);
  const base = JSON.parse(readFileSync(CAPTURED, "utf8"));
  const input = [];
  const reasoningIds = [];
  let size = JSON.stringify(base).length;
  const add = (item) => {
    input.push(item);
    size += JSON.stringify(item).length + 1;
  };
  let turn = 0;
  while (size < target) {
    turn += 1;
    add({ role: "user", content: [{ type: "input_text", text: sentence(r, 6, 40) }] });
    const steps = r.int(1, 3);
    for (let s = 0; s < steps; s++) {
      const rid = itemId(r, "rs");
      reasoningIds.push(rid);
      add({ type: "reasoning", id: rid, summary: [{ type: "summary_text", text: sentence(r, 8, 30) }], encrypted_content: encrypted(r, r.int(2048, 8192)) });
      const { name, args } = toolCall(r);
      const cid = callId(r);
      add({ type: "function_call", id: itemId(r, "fc"), call_id: cid, name, arguments: JSON.stringify(args) });
      const body = fileText(r, r.int(400, 12000));
      add({ type: "function_call_output", call_id: cid, output: name === "read" ? `<path>${args.filePath}</path>\n<type>file</type>\n<content>\n${body}\n\n(End of file - total ${body.split("\n").length} lines)\n</content>` : body });
    }
    add({ role: "assistant", id: itemId(r, "msg"), content: [{ type: "output_text", text: Array.from({ length: r.int(1, 5) }, () => sentence(r, 8, 30)).join(" ") }] });
    if (turn % 9 === 0 && reasoningIds.length > 2) add({ type: "item_reference", id: r.pick(reasoningIds) });
    if (turn % 23 === 0) add({ type: "function_call_output", call_id: callId(r), output: fileText(r, r.int(200, 2000)) });
  }
  input.push({ role: "user", content: [{ type: "input_text", text: sentence(r, 6, 20) }] });
  return JSON.stringify({ ...base, input });
}

/** A Codex SSE stream: reasoning summaries, assistant text, function calls, each streamed as deltas and closed
 * by output_item.done, ending with response.completed carrying the full output and usage. */
export function genSse(seed = DEFAULT_SEED + 1, target = SSE_TARGET) {
  const r = rng(seed);
  const respId = itemId(r, "resp");
  const created = 1767225600;
  const parts = [];
  let seq = 0;
  let bytes = 0;
  const ev = (type, data) => {
    const text = `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    parts.push(text);
    bytes += Buffer.byteLength(text);
  };
  const resp = (status, output, usage) => ({ id: respId, object: "response", created_at: created, status, model: "gpt-5.4", output, parallel_tool_calls: true, reasoning: { effort: "medium", summary: "auto" }, store: false, text: { format: { type: "text" }, verbosity: "low" }, tool_choice: "auto", usage });
  const obf = () => r.chars(ALNUM, r.int(2, 14));
  ev("response.created", { response: resp("in_progress", [], null) });
  ev("response.in_progress", { response: resp("in_progress", [], null) });
  const output = [];
  let words = 0;
  const deltaText = () => {
    const n = r.int(1, 3);
    let s = "";
    for (let i = 0; i < n; i++) s += (r.next() < 0.08 ? "\n" : " ") + (r.next() < 0.01 ? r.pick(UNICODE) : r.pick(WORDS));
    words += n;
    return s;
  };
  // Leave room for response.completed, which repeats every output item.
  while (bytes * 1.05 < target) {
    const idx = output.length;
    const kind = r.int(0, 2);
    if (kind === 0) {
      const id = itemId(r, "rs");
      ev("response.output_item.added", { output_index: idx, item: { id, type: "reasoning", summary: [] } });
      ev("response.reasoning_summary_part.added", { item_id: id, output_index: idx, summary_index: 0, part: { type: "summary_text", text: "" } });
      let text = "";
      for (let i = r.int(40, 160); i > 0; i--) {
        const d = deltaText();
        text += d;
        ev("response.reasoning_summary_text.delta", { item_id: id, output_index: idx, summary_index: 0, delta: d, obfuscation: obf() });
      }
      ev("response.reasoning_summary_text.done", { item_id: id, output_index: idx, summary_index: 0, text });
      ev("response.reasoning_summary_part.done", { item_id: id, output_index: idx, summary_index: 0, part: { type: "summary_text", text } });
      const item = { id, type: "reasoning", encrypted_content: encrypted(r, r.int(2048, 8192)), summary: [{ type: "summary_text", text }] };
      ev("response.output_item.done", { output_index: idx, item });
      output.push(item);
    } else if (kind === 1) {
      const id = itemId(r, "msg");
      ev("response.output_item.added", { output_index: idx, item: { id, type: "message", status: "in_progress", content: [], role: "assistant" } });
      ev("response.content_part.added", { item_id: id, output_index: idx, content_index: 0, part: { type: "output_text", annotations: [], logprobs: [], text: "" } });
      let text = "";
      for (let i = r.int(200, 900); i > 0; i--) {
        const d = deltaText();
        text += d;
        ev("response.output_text.delta", { item_id: id, output_index: idx, content_index: 0, delta: d, logprobs: [], obfuscation: obf() });
      }
      ev("response.output_text.done", { item_id: id, output_index: idx, content_index: 0, text, logprobs: [] });
      const part = { type: "output_text", annotations: [], logprobs: [], text };
      ev("response.content_part.done", { item_id: id, output_index: idx, content_index: 0, part });
      const item = { id, type: "message", status: "completed", content: [part], role: "assistant" };
      ev("response.output_item.done", { output_index: idx, item });
      output.push(item);
    } else {
      const id = itemId(r, "fc");
      const cid = callId(r);
      const { name, args } = toolCall(r);
      const full = JSON.stringify({ ...args, note: fileText(r, r.int(200, 1500)) });
      ev("response.output_item.added", { output_index: idx, item: { id, type: "function_call", status: "in_progress", arguments: "", call_id: cid, name } });
      for (let at = 0; at < full.length;) {
        const n = r.int(2, 12);
        ev("response.function_call_arguments.delta", { item_id: id, output_index: idx, delta: full.slice(at, at + n), obfuscation: obf() });
        at += n;
      }
      ev("response.function_call_arguments.done", { item_id: id, output_index: idx, arguments: full });
      const item = { id, type: "function_call", status: "completed", arguments: full, call_id: cid, name };
      ev("response.output_item.done", { output_index: idx, item });
      output.push(item);
    }
  }
  ev("response.completed", { response: resp("completed", output, { input_tokens: 183412, input_tokens_details: { cached_tokens: 181248 }, output_tokens: words * 2, output_tokens_details: { reasoning_tokens: words }, total_tokens: 183412 + words * 2 }) });
  return { text: parts.join(""), events: seq };
}

const sha256 = (s) => createHash("sha256").update(s).digest("hex");

/** Writes the three inputs and a manifest (sizes, counts, sha256) into `dir`; returns the manifest. */
export function writeFixtures(dir, seed = DEFAULT_SEED) {
  mkdirSync(dir, { recursive: true });
  const small = readFileSync(CAPTURED, "utf8");
  const session = genSession(seed);
  const sse = genSse(seed + 1);
  writeFileSync(join(dir, "small.json"), small);
  writeFileSync(join(dir, "session.json"), session);
  writeFileSync(join(dir, "stream.sse"), sse.text);
  const sessionItems = JSON.parse(session).input;
  const count = (t) => sessionItems.filter((i) => i.type === t).length;
  const manifest = {
    seed,
    small: { file: "tests/fixtures/requests/captured/opencode-1.18.33-turn2.json", bytes: Buffer.byteLength(small), sha256: sha256(small) },
    session: {
      bytes: Buffer.byteLength(session), sha256: sha256(session), items: sessionItems.length,
      messages: sessionItems.filter((i) => i.role).length, reasoning: count("reasoning"), function_call: count("function_call"),
      function_call_output: count("function_call_output"), item_reference: count("item_reference"),
    },
    sse: { bytes: Buffer.byteLength(sse.text), sha256: sha256(sse.text), events: sse.events, chunkBytes: 16384 },
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2];
  if (!dir) {
    console.error("usage: node scripts/gen-fixtures.js OUT_DIR [--seed N]");
    process.exit(2);
  }
  const i = process.argv.indexOf("--seed");
  const seed = i > 0 ? Number(process.argv[i + 1]) : DEFAULT_SEED;
  console.log(JSON.stringify(writeFixtures(resolve(dir), seed), null, 2));
}

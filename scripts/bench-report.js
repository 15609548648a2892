// Turns a scripts/bench-run.js report into the console table, docs/benchmarks.md and the SVG bar chart
// (hand-written SVG, no chart library). Pure formatting: no measuring, no I/O.
import { renderTurn } from "./bench-turn.js";

const SIG = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));
const kB = (b) => `${(b / 1000).toFixed(1)} kB`;
const MB = (b) => `${(b / 1e6).toFixed(2)} MB`;

/** One line of the results: stats (or {na}) for the floor, the anchor and ours, in `unit`, plus the target check. */
function rows(report) {
  const out = [];
  const { inputs } = report;
  for (const [rt, r] of Object.entries(report.results)) {
    const t = r.transform ?? {};
    const pick = (o, k) => (o?.error ? { na: "worker failed" } : o?.[k]);
    const add = (row) => out.push({ runtime: rt, ...row });
    add({ key: "req-small", label: `request transform, ${kB(inputs.small.bytes)} OpenCode body`, unit: "ms",
      floor: pick(t.small, "floor"), anchor: pick(t.small, "anchor"), ours: pick(t.small, "ours") });
    add({ key: "req-session", label: `request transform, ${MB(inputs.session.bytes)} agent session`, unit: "ms",
      floor: pick(t.session, "floor"), anchor: pick(t.session, "anchor"), ours: pick(t.session, "ours"),
      target: "≤ 0.5× floor and ≥ 3× faster than anchor", check: (of, ao) => of <= 0.5 && ao >= 3 });
    add({ key: "sse-json", label: `SSE → JSON, ${MB(inputs.sse.bytes)} / ${inputs.sse.events} events`, unit: "ms",
      floor: pick(r.sse, "floor"), anchor: pick(r.sse, "anchor"), ours: pick(r.sse, "ours"),
      target: "≥ 3× faster than anchor", check: (of, ao) => ao >= 3 });
    add({ key: "sse-rewrite", label: "SSE stream rewrite, core only (StreamRewriter)", unit: "ms",
      floor: pick(r.sse, "floor"), anchor: null, ours: pick(r.sse, "oursRewrite") });
    add({ key: "drain", label: "streaming pass-through: drain the 5 MB body", unit: "ms",
      floor: pick(r.stream?.drain, "floor"), anchor: pick(r.stream?.drain, "anchor"), ours: pick(r.stream?.drain, "ours"),
      target: "≤ 1.5× untouched (issue 18)", check: (of) => of <= 1.5 });
    const us = (s) => (s && !s.na ? { median: s.median * 1000, p25: s.p25 * 1000, p75: s.p75 * 1000, min: s.min * 1000 } : s);
    add({ key: "event", label: "streaming pass-through: latency per event", unit: "µs",
      floor: us(pick(r.stream?.perEvent, "floor")), anchor: us(pick(r.stream?.perEvent, "anchor")), ours: us(pick(r.stream?.perEvent, "ours")) });
    const field = (c, f) => (c?.na ? c : c?.[f]);
    add({ key: "load", label: "load: import + server() returns hooks", unit: "ms",
      floor: null, anchor: field(r.cold?.anchor, "loadMs"), ours: field(r.cold?.ours, "loadMs"), target: "≤ 10 ms", check: (_of, _ao, ours) => ours <= 10 });
    add({ key: "cold", label: "cold start: load + wasm instantiate + first transform", unit: "ms",
      floor: null, anchor: field(r.cold?.anchor, "totalMs"), ours: field(r.cold?.ours, "totalMs") });
    const mem = (c) => (c?.na ? c : c?.peakDeltaMB);
    add({ key: "memory", label: "peak RSS above baseline, SSE → JSON", unit: "MB",
      floor: mem(r.memory?.floor), anchor: mem(r.memory?.anchor), ours: mem(r.memory?.ours) });
  }
  for (const row of out) {
    const ok = (s) => s && !s.na && Number.isFinite(s.median);
    row.oursFloor = ok(row.ours) && ok(row.floor) ? row.ours.median / row.floor.median : undefined;
    row.anchorOurs = ok(row.ours) && ok(row.anchor) ? row.anchor.median / row.ours.median : undefined;
    row.anchorFloor = ok(row.anchor) && ok(row.floor) ? row.anchor.median / row.floor.median : undefined;
    if (row.check) {
      row.status = !ok(row.ours) ? "n/a" : row.check(row.oursFloor, row.anchorOurs, row.ours.median) ? "met" : "missed";
    }
  }
  return out;
}

const cell = (s) => (s === null || s === undefined ? "—" : s.na ? "n/a" : `${SIG(s.median)} (${SIG(s.p25)}–${SIG(s.p75)})`);
const ratio = (x, suffix = "×") => (x === undefined ? "—" : `${SIG(x)}${suffix}`);
const targetCell = (r) => (r.target ? `${r.target}: **${r.status}**` : "—");
const wasmTarget = (w) => (w.raw <= 250_000 && w.gzip <= 100_000 ? "met" : "missed");
/** The npm tarball's budget (issue 19): what `npx opencode-chatgpt-wasm` and OpenCode download and unpack. */
export const TARBALL_BUDGET = { packed: 300_000, unpacked: 1_000_000 };
const tarballTarget = (t) => (t.packed <= TARBALL_BUDGET.packed && t.unpacked <= TARBALL_BUDGET.unpacked ? "met" : "missed");
const tarballBudget = `≤ ${kB(TARBALL_BUDGET.packed)} packed / ${kB(TARBALL_BUDGET.unpacked)} unpacked`;

export function renderConsole(report) {
  const head = ["case", "rt", "unit", "floor", "anchor", "ours", "ours÷floor", "anchor÷ours", "target"];
  const body = rows(report).map((r) => [r.label, r.runtime, r.unit, cell(r.floor), cell(r.anchor), cell(r.ours),
    ratio(r.oursFloor), ratio(r.anchorOurs), r.target ? `${r.status} (${r.target})` : ""]);
  body.push(["wasm size, startup module (gzip -9)", "—", "kB", "—", "—", `${kB(report.wasm.raw)} raw / ${kB(report.wasm.gzip)} gz`, "", "",
    `${wasmTarget(report.wasm)} (≤ 250 kB raw / 100 kB gzip)`]);
  if (report.tarball) {
    body.push(["npm tarball (npm pack of dist/)", "—", "kB", "—", "—", `${kB(report.tarball.packed)} packed / ${kB(report.tarball.unpacked)} unpacked, ${report.tarball.files} files`, "", "",
      `${tarballTarget(report.tarball)} (${tarballBudget})`]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cols) => cols.map((c, i) => String(c).padEnd(widths[i])).join("  ").trimEnd();
  const na = naNotes(report);
  return [
    `\nmedian (p25–p75) over many runs; lower is better; ratios of medians. ${report.quick ? "QUICK run (small budgets): smoke only." : ""}`,
    line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line),
    ...(na.length ? ["", ...na.map((n) => `n/a: ${n}`)] : []),
    `load average ${report.machine.loadBefore.map((x) => x.toFixed(1)).join(" ")} → ${report.machine.loadAfter.map((x) => x.toFixed(1)).join(" ")} on ${report.machine.cores} cores`,
  ].join("\n");
}

function naNotes(report) {
  const seen = new Set();
  const walk = (o, path) => {
    if (!o || typeof o !== "object") return;
    if (typeof o.na === "string") seen.add(`${path}: ${o.na}`);
    if (typeof o.error === "string") seen.add(`${path}: ${o.error.split("\n")[0]}`);
    for (const [k, v] of Object.entries(o)) if (k !== "na" && k !== "error") walk(v, path ? `${path}.${k}` : k);
  };
  walk(report.results, "");
  return [...seen];
}

// ---------------------------------------------------------------- SVG
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Horizontal bars on a log axis: each implementation's median relative to the floor (= 1, the vertical line),
 * drawn from the floor line, per case and runtime. */
export function renderSvg(report) {
  const groups = rows(report).filter((r) => r.floor && !r.floor.na && r.key !== "event");
  const values = groups.flatMap((g) => [g.anchorFloor, g.oursFloor]).filter((x) => x !== undefined);
  const lo = Math.min(0.1, ...values.map((v) => v / 1.5));
  const hi = Math.max(10, ...values.map((v) => v * 1.5));
  const [left, right, top, barH, gap] = [330, 830, 58, 13, 14];
  const x = (v) => left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (right - left);
  const height = top + groups.length * (2 * barH + gap) + 40;
  const colors = { anchor: "#e8833a", ours: "#2b6cb0" };
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="880" height="${height}" viewBox="0 0 880 ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="880" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Time (memory for the last case) relative to the floor; log scale, lower is better</text>`,
    `<text x="10" y="38" fill="#555">median of many runs; floor = JSON.parse+stringify (requests), line split (SSE), untouched stream (pass-through); ${esc(report.startedAt.slice(0, 10))}, commit ${esc(report.commit)}</text>`,
    `<rect x="${left}" y="44" width="10" height="10" fill="${colors.anchor}"/><text x="${left + 14}" y="53">anchor: opencode-openai-codex-auth 4.4.0</text>`,
    `<rect x="${left + 250}" y="44" width="10" height="10" fill="${colors.ours}"/><text x="${left + 264}" y="53">ours: wasm core (dist/)</text>`,
  ];
  for (let p = Math.ceil(Math.log10(lo)); p <= Math.floor(Math.log10(hi)); p++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** p;
      if (v < lo || v > hi) continue;
      svg.push(`<line x1="${x(v).toFixed(1)}" y1="${top}" x2="${x(v).toFixed(1)}" y2="${height - 30}" stroke="${v === 1 ? "#000" : "#e2e2e2"}" stroke-width="${v === 1 ? 1.5 : 1}"/>`);
      svg.push(`<text x="${x(v).toFixed(1)}" y="${height - 16}" text-anchor="middle" fill="#555">${v === 1 ? "floor" : `${v}×`}</text>`);
    }
  }
  let y = top + 4;
  for (const g of groups) {
    svg.push(`<text x="${left - 8}" y="${y + barH + 4}" text-anchor="end">${esc(g.label.replace(/, core only.*$/, " (core)"))} · ${g.runtime}</text>`);
    for (const [name, v] of [["anchor", g.anchorFloor], ["ours", g.oursFloor]]) {
      if (v === undefined) {
        const why = g[name] === null ? "no equivalent" : "n/a (not in this build)";
        svg.push(`<text x="${x(1) + 4}" y="${y + barH - 3}" fill="#888">${name}: ${why}</text>`);
      } else {
        const [a, b] = [Math.min(x(1), x(v)), Math.max(x(1), x(v))];
        svg.push(`<rect x="${a.toFixed(1)}" y="${y}" width="${Math.max(1, b - a).toFixed(1)}" height="${barH - 2}" fill="${colors[name]}"/>`);
        const label = `${SIG(v)}×`;
        svg.push(v >= 1 ? `<text x="${(b + 3).toFixed(1)}" y="${y + barH - 3}">${label}</text>` : `<text x="${(a - 3).toFixed(1)}" y="${y + barH - 3}" text-anchor="end">${label}</text>`);
      }
      y += barH;
    }
    y += gap;
  }
  svg.push("</svg>");
  return svg.join("\n") + "\n";
}

// ---------------------------------------------------------------- docs/benchmarks.md
export function renderMarkdown(report) {
  const all = rows(report);
  const { inputs, machine, wasm } = report;
  const mdRow = (cols) => `| ${cols.join(" | ")} |`;
  const results = [
    mdRow(["case", "runtime", "unit", "floor", "anchor", "ours", "ours ÷ floor", "anchor ÷ ours", "target (issue 7)"]),
    mdRow(Array(9).fill("---")),
    ...all.map((r) => mdRow([r.label, r.runtime, r.unit, cell(r.floor), cell(r.anchor), cell(r.ours), ratio(r.oursFloor), ratio(r.anchorOurs), targetCell(r)])),
    mdRow(["wasm size, startup module `opencode_chatgpt_wasm_startup_bg.wasm` (what OpenCode's startup loads; gzip -9)", "—", "kB", "—", "—", `${kB(wasm.raw)} raw / ${kB(wasm.gzip)} gzip`, "—", "—", `≤ 250 kB raw / 100 kB gzip: **${wasmTarget(wasm)}**`]),
    ...(wasm.core ? [mdRow(["wasm size, core `opencode_chatgpt_wasm_bg.wasm` (every export; loaded by the first request, login or usage view)", "—", "kB", "—", "—", `${kB(wasm.core.raw)} raw / ${kB(wasm.core.gzip)} gzip`, "—", "—", "—"])] : []),
    ...(report.tarball
      ? [mdRow(["npm tarball, `npm pack` of `dist/`", "—", "kB", "—", "—", `${kB(report.tarball.packed)} packed / ${kB(report.tarball.unpacked)} unpacked, ${report.tarball.files} files`, "—", "—", `${tarballBudget}: **${tarballTarget(report.tarball)}**`])]
      : []),
  ];

  const variants = [mdRow(["input", "runtime", "floor", "string → UTF-8 (into wasm)", "UTF-8 → string (out of wasm)", "anchor, codexMode off (no file I/O)", "anchor, default codexMode (reads its prompt cache)", "anchor, its fetch path", "ours", "ours API"]), mdRow(Array(10).fill("---"))];
  const mbps = [mdRow(["case", "runtime", "floor MB/s", "anchor MB/s", "ours MB/s"]), mdRow(Array(5).fill("---"))];
  const thr = (bytes, s) => (s && !s.na && s.median ? (bytes / 1e6 / (s.median / 1000)).toFixed(0) : "n/a");
  const cold = [mdRow(["runtime", "impl", "import", "startup module", "core instantiate", "first call (32 KB transform)", "total", "process wall (incl. runtime start)"]), mdRow(Array(8).fill("---"))];
  const other = [];
  for (const [rt, r] of Object.entries(report.results)) {
    for (const size of ["small", "session"]) {
      const t = r.transform?.[size];
      if (!t) continue;
      variants.push(mdRow([size === "small" ? kB(t.inBytes) : MB(t.inBytes), rt, cell(t.floor), cell(t.toWasm), cell(t.fromWasm), cell(t.anchor), cell(t.anchorCodexMode), cell(t.anchorFetch), cell(t.ours), r.transform.oursApi ? `\`${r.transform.oursApi}\`` : "n/a"]));
      mbps.push(mdRow([`request ${size === "small" ? kB(t.inBytes) : MB(t.inBytes)}`, rt, thr(t.inBytes, t.floor), thr(t.inBytes, t.anchor), thr(t.inBytes, t.ours)]));
    }
    if (r.sse && !r.sse.error) {
      mbps.push(mdRow(["SSE → JSON", rt, thr(r.sse.inBytes, r.sse.floor), thr(r.sse.inBytes, r.sse.anchor), thr(r.sse.inBytes, r.sse.ours)]));
      mbps.push(mdRow(["SSE rewrite (core)", rt, thr(r.sse.inBytes, r.sse.floor), "—", thr(r.sse.inBytes, r.sse.oursRewrite)]));
    }
    for (const impl of ["anchor", "ours"]) {
      const c = r.cold?.[impl];
      if (!c) continue;
      cold.push(c.na ? mdRow([rt, impl, "n/a", "", "", "", "", ""]) : mdRow([rt, impl, ...["importMs", "startupMs", "instantiateMs", "firstCallMs", "totalMs", "wallMs"].map((f) => (c[f] === undefined ? "—" : `${cell(c[f])} ms`))]));
    }
    const wc = r.stream?.wrapperCall;
    if (wc) other.push(`- ${rt}: one call of the fetch wrapper up to the returned Response (request side, no body transform, mocked backend): ours ${cell(wc.ours)} ms, anchor's \`handleSuccessResponse\` ${cell(wc.anchor)} ms.`);
    const m = r.memory;
    if (m) other.push(`- ${rt}: SSE → JSON peak RSS (absolute, MB): floor ${cell(m.floor?.peakMB)}, anchor ${cell(m.anchor?.peakMB)}, ours ${cell(m.ours?.peakMB)}; baseline before the run ${cell(m.floor?.baseMB)}.`);
    if (r.transform?.exports) other.push(`- ${rt}: wasm exports found: ${r.transform.exports.filter((e) => !["default", "initSync", "start"].includes(e)).map((e) => `\`${e}\``).join(", ")}.`);
  }
  const minCell = (x) => (x && !x.na && Number.isFinite(x.min) ? SIG(x.min) : x === null || x === undefined ? "—" : "n/a");
  const minRatio = (a, b) => (a && b && !a.na && !b.na && a.min && b.min ? `${SIG(a.min / b.min)}×` : "—");
  const best = [mdRow(["case", "runtime", "unit", "floor", "anchor", "ours", "ours ÷ floor", "anchor ÷ ours"]), mdRow(Array(8).fill("---")),
    ...all.filter((r) => ["ms", "µs"].includes(r.unit)).map((r) => mdRow([r.label, r.runtime, r.unit, minCell(r.floor), minCell(r.anchor), minCell(r.ours), minRatio(r.ours, r.floor), minRatio(r.anchor, r.ours)]))];
  const na = naNotes(report);
  const chart = "![Time relative to the floor, per case and runtime](benchmarks.svg)";
  return `# Benchmarks

Generated by \`bash scripts/bench\` on ${report.startedAt.slice(0, 16).replace("T", " ")} UTC (commit \`${report.commit}\`, ${report.seconds} s${report.quick ? ", QUICK run" : ""}).
Do not edit by hand: re-run the script after \`bash scripts/build\`. It is a benchmark, not a test: \`scripts/test\` never runs it.

Three implementations, the same inputs, one run, under Node ${machine.node} and Bun ${machine.bun}:

- **floor**: what any JS plugin pays at least: \`JSON.stringify(JSON.parse(body))\` for a request; for SSE, decoding the
  16 KB chunks and splitting them into lines; for pass-through, draining the untouched response body.
- **anchor**: [opencode-openai-codex-auth](https://github.com/numman-ali/opencode-openai-codex-auth) 4.4.0, the JS plugin
  most users ran before this one, called through its exported functions (network stubbed, see Method).
- **ours**: this package as built in \`dist/\` (Rust → wasm core + JS shim).

Cells are the median with p25–p75 in parentheses; ratios are of medians (ours ÷ floor below 1 = cheaper than the floor;
anchor ÷ ours above 1 = faster than the anchor). "n/a" = the export or wrapper is not in this build (see the notes).

## Results

${results.join("\n")}

${chart}

**Noise.** The machine (${machine.cpu}, ${machine.cores} cores) is shared with builds and tests of other work; load average
was ${machine.loadBefore.map((x) => x.toFixed(1)).join(" / ")} at the start and ${machine.loadAfter.map((x) => x.toFixed(1)).join(" / ")} at the end. Read the p25–p75 spread
before trusting a ratio; a ratio whose two spreads overlap is a tie.
${na.length ? `\n**n/a and failures in this run:**\n${na.map((n) => `- ${n}`).join("\n")}\n` : ""}${renderTurn(report.turn)}
## What limits the targets this build misses

Written by hand from profiles and measurements on this machine (2026-11-23); the table above is the
run itself.

- **Pass-through ≤ 1.5× the untouched drain** (issue 18; measured 2026-11-25). The untouched drain does no work:
  the runtime hands the same chunk objects through (~0.1 ms for 5 MB on Bun). Since issue 18 ours copies
  nothing into wasm after the first output event: per chunk it searches back from the chunk's end to its
  last blank line and reads the \`event:\` line of the events there (native \`lastIndexOf\`/\`indexOf\`:
  Buffer in Node, the typed array's in Bun), forwards the chunk as it came, and hands the core only the
  events that may end the stream (\`response.completed\`/\`failed\`/\`incomplete\`, \`error\`, untyped), ~1 per
  stream. A long one that is one line after its first 512 bytes (the 260 KB \`response.completed\`) is
  given to the core by that head only (\`headCompletes\`: the core says whether it is a completion
  whatever the rest of that line holds; a second line, a CR or a failure is read whole); fast-way
  chunks are handled in the read's own callback (no async function per chunk) and a head cut by the
  chunk edge is read from a scratch array. In Bun these took the drain from ~6.1× to ~4.5× the untouched
  one (same process, interleaved, 60–80 rounds: 0.41–0.45 → 0.30–0.31 ms; the stream case of
  \`bench-worker.js\`, alternating old and new builds: ~5.3× → ~4.6× by median). Node's spread on this
  shared machine while this was measured (p25–p75 2–3× wide, load 5–7 on 2 cores) was wider than the
  change. Ablations of the new guard in Bun: the fast way reduced to forwarding the chunk costs what the
  bare layer costs (0.13 ms: the read loop and the first chunk through the core add nothing), the search
  for the chunk's last blank line +0.06 ms, the \`event:\` line there +0.06 ms, the walk back to the
  previous event's head +0.06 ms: each is ~0.02–0.06 µs in a tight loop, 3× that in the stream, where
  each chunk's tail is read cold. What remains:
  the one JS stream layer any pass-through needs (a bare read → enqueue layer alone measured 1.7–2.1×
  the untouched drain in Bun and 2.7–3.9× in Node, apart from the bench: a promise and a queue step per
  chunk), the per-chunk search for the last blank line and the previous event's head (~0.2 µs on Bun,
  ~0.35 µs on Node in a tight loop, more in the stream) and the first chunk through the core (the
  events before output decide re-sends, ~12 µs). 1.5× would leave ~0.05 ms for 320 chunks on Bun, less
  than the bare layer costs; it would need a plugin that does not wrap the body.
  Measured and left out: a substring search over every byte for the markers (\`Buffer.indexOf\`, ~4 GB/s:
  ~1.3 ms per marker for 5 MB, 10× the drain), Bun's \`type: "direct"\` streams (18× the drain), Bun's
  \`reader.readMany()\` (3.7×, slower than one read per chunk), a TransformStream (slower than a pull
  layer), and JS byte loops instead of the native searches for the last blank line (slower in both
  runtimes even over the ~150 bytes back to it: 0.12 vs 0.07 µs per chunk in Bun).
- **Load ≤ 10 ms.** Measured after the runtime's module loader is up (OpenCode's is, when it loads
  plugins), from \`import\` of the plugin entry to \`server()\` resolving with its hooks (issue 18). No wasm
  is compiled on this path: the loader, the provider's models, the login methods and the tools load
  their modules and the wasm on first use, and the startup module starts compiling right after the
  hooks are returned. What is left is evaluating six small JS modules (\`index\`, \`config\`, \`core\`,
  \`auth/methods\`, \`accounts/tools\`, \`accounts/keychain-setting\`; ~0.4–1 ms each in Node on this
  machine, plus the first file import the runtime does, ~2.5 ms in Node) and \`server()\` itself (under
  1 ms): ~5.5 ms in both runtimes on a quiet run. This machine is shared: single fresh-process samples of
  the same build range from 5.3 to 150 ms, so read the p25 and the minimum beside the median. The
  compiles moved to the first use: the cold-start table (load, the startup module, the core, the first
  transform).
- **wasm ≤ 250 KB raw / 100 KB gzip for what loads at startup.** Two modules from one crate (Cargo
  features): the startup module (no features, \`opt-level = "z"\`) holds what OpenCode asks for before any
  request (the provider's models: the catalog and the client identity; the auth loader: the account
  pool's reading and updating, sign-in state, refresh decisions, JWT claims, redaction); the core
  (\`full\`, \`opt-level = 3\`: the transform and SSE targets need it) holds every export and is compiled by
  the first request, login or usage view (tests/js/core-load.test.js checks that OpenCode's startup
  compiles only the startup module and that the first request compiles the core). What made the startup
  module small enough: no serde derive is left in it (the pool, the rate limits, the token replies, the
  JWT claims, the catalog's output are read and written through \`src/json.rs\` over one serde_json
  \`Value\` parser), and the transform, the
  SSE code, the error classes and the login are not in it. The core pays one compile on the first
  request (the cold-start table). docs/wasm-size.md has what each module holds and the cuts measured.

## Details

Best of all samples (the minimum: the run least disturbed by other processes; on a loaded machine the most
stable estimate of the intrinsic cost, though the median is what a user sees):

${best.join("\n")}

Request transform, every anchor variant (ms). The two boundary columns are the least that crossing into wasm costs
before any work in the core: \`TextEncoder.encodeInto(body, buffer)\` (how wasm-bindgen passes a string in) and
\`TextDecoder.decode(utf8)\` (how a string result comes back). A core that returns UTF-8 bytes for fetch to send skips the second.

${variants.join("\n")}

Throughput (input bytes ÷ median time):

${mbps.join("\n")}

Cold start, fresh process each time (ms):

${cold.join("\n")}

${other.join("\n")}

## Method

**Inputs** (generated deterministically by \`scripts/gen-fixtures.js\`, seed ${inputs.seed}, into a temp dir at bench start; nothing multi-MB is committed):

- small: \`${inputs.small.file}\`, ${inputs.small.bytes} B, a real body captured from OpenCode 1.18.33 (second turn, after a \`read\` tool call); sha256 \`${inputs.small.sha256.slice(0, 16)}…\`.
- session: ${inputs.session.bytes} B, the captured body's model/instructions/tools around ${inputs.session.items} input items: ${inputs.session.messages} user/assistant
  messages (assistant ones with \`msg_\` ids), ${inputs.session.reasoning} reasoning items (\`rs_\` ids, summary, 2–8 KB \`encrypted_content\`), ${inputs.session.function_call} \`function_call\`
  (\`fc_\` ids) with their ${inputs.session.function_call_output} \`function_call_output\` (0.4–12 KB of source-like text with quotes, backslashes, tabs and
  some non-ASCII; a few orphaned), ${inputs.session.item_reference} \`item_reference\` items; sha256 \`${inputs.session.sha256.slice(0, 16)}…\`.
- SSE: ${inputs.sse.bytes} B, ${inputs.sse.events} events of one Codex response (reasoning summary deltas, output text deltas, function-call
  argument deltas, \`output_item.done\` with encrypted reasoning, \`response.completed\` with the full output and usage), cut into
  ${inputs.sse.chunkBytes}-byte chunks (cuts fall inside lines and UTF-8 characters) and served by a fresh \`ReadableStream\` per run; sha256 \`${inputs.sse.sha256.slice(0, 16)}…\`.

**What is called.**
- Request: floor \`JSON.stringify(JSON.parse(body))\`. Anchor: \`JSON.stringify(await transformRequestBody(JSON.parse(body),
  instructions, {global:{}, models:{}}, codexMode))\` from \`dist/lib/request/request-transformer.js\`; the **anchor** column is
  codexMode off (pure CPU); the details also give its default codexMode (which reads OpenCode's prompt from its cache with a
  \`mkdir\` and two file reads on every call) and its whole fetch path (\`index.js\` parses the body for \`stream\`, then
  \`transformRequestForCodex\` from \`fetch-helpers.js\` parses again, reads the cached Codex instructions, transforms and
  stringifies). Ours: \`transformRequest\` of the wasm core (\`loadCore()\` from \`dist/core.js\`); when a \`Catalog\` export exists
  the bench builds one (\`Catalog.bundled()\`/\`builtin()\`/\`default()\`… or \`new Catalog()\`) and takes \`.body\` of the result.
  Every output is parsed once and checked (\`store:false\`, \`stream:true\`, an \`input\` array) before timing.
- SSE → JSON: floor = \`TextDecoder\` (stream mode) + \`split("\\n")\` per chunk with the remainder carried over. Anchor =
  \`convertSseToJson(new Response(stream), headers)\` from \`response-handler.js\` (timed until its Response is returned; it has
  already stringified the JSON). Ours = \`new SseCollector()\`, \`push(chunk)\` per chunk, \`finish()\` → JSON string. All three read
  the same chunks through a \`ReadableStream\` reader. The rewrite row is \`new StreamRewriter()\`, \`push\` per chunk, \`finish()\`.
- Pass-through: the mocked backend answers a \`Response\` over the chunk stream; ours goes through \`createCodexFetch\` from
  \`dist/transport/fetch.js\` (identity body transform, stub credentials), the anchor through its \`handleSuccessResponse(res, true)\`. Only the
  draining of the returned body is timed (the wrapper's own per-request cost is listed apart). Per-event latency: the first
  ${report.results[Object.keys(report.results)[0]]?.stream?.perEvent?.events ?? "N"} events are enqueued one at a time into a live body and each is awaited at the reader's end (counted by its
  blank-line terminator); median round trip per event.
- Cold start: a fresh process per sample: \`import\` of the plugin entry (\`dist/index.js\`; the anchor's \`dist/index.js\` and its
  request modules) and \`server()\` resolving with its hooks: together "load", the measure of the 10 ms target (the anchor's
  load is its import). Then \`loadStartup()\` (the startup module's compile + instantiate, already started by \`server()\`: what
  the provider's models and the auth loader wait for), \`loadCore()\` (the core's: what the first request waits for) and one
  transform of the small body: with the load, "cold start". Process start itself is in neither (it is in "process wall").
- Memory: a fresh process per sample; after the inputs and modules are loaded and a GC, the kernel's peak-RSS mark is reset
  (\`/proc/self/clear_refs\` ← 5) and the baseline RSS read; after one SSE → JSON of the whole stream, \`VmHWM\` − baseline.
  RSS includes wasm linear memory, which the JS heap counters miss.

**The anchor's network, stubbed.** Its \`getCodexInstructions\` (GitHub releases API + raw.githubusercontent.com) and
\`getOpenCodeCodexPrompt\` (raw.githubusercontent.com) read \`~/.opencode/cache/*\` and only go to the network when the cache
metadata's \`lastChecked\` is older than 15 minutes. Each worker runs with \`HOME\` pointing at a temp dir whose
\`.opencode/cache/\` holds \`opencode-codex.txt\` and \`<family>-instructions.md\` for all five model families, each with a
\`-meta.json\` whose \`lastChecked\` is a year in the future, so every read is local. The cached string is the \`instructions\`
field of the captured body (${inputs.small.file}; OpenCode's own Codex prompt, ~10 KB). \`transformRequestBody\` takes the
instructions as an argument and gets the same string. \`globalThis.fetch\` is replaced by a function that throws and counts;
the count is reported (anchorFetches = ${[...new Set(Object.values(report.results).flatMap((r) => [r.transform?.anchorFetches, r.sse?.anchorFetches, r.stream?.anchorFetches]).filter((x) => x !== undefined))].join(", ") || "?"}).

**Timing.** In each throughput case the implementations run in interleaved rounds (rotating order), so background load
hits them alike. Each sample times a batch of k calls (k per implementation, doubled until a batch lasts ≥ 5 ms) after a forced GC
(\`--expose-gc\` / \`Bun.gc(true)\`), after 3 warm-up calls; rounds continue until the case's time budget is spent (at least 7).
The raw numbers (every median, p25, p75, min and sample count) are in \`docs/benchmarks.json\`.
`;
}

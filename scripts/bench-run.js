// The benchmark driver behind scripts/bench: generates the inputs (scripts/gen-fixtures.js) into a temp dir,
// stubs the anchor's prompt downloads with a local cache under a temp $HOME, runs every case of
// scripts/bench-worker.js under Node and Bun (fresh processes for cold start and memory), prints the table,
// and writes docs/benchmarks.{md,svg,json} (scripts/bench-report.js). Never run by scripts/test.
import { spawnSync, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { writeFixtures } from "./gen-fixtures.js";
import { renderConsole, renderMarkdown, renderSvg } from "./bench-report.js";
import { runTurnBench, renderTurn } from "./bench-turn.js";
import { spread } from "./bench-stats.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const write = args.includes("--write") || (!quick && !args.includes("--no-write"));
const onlyRuntime = args.includes("--runtime") ? args[args.indexOf("--runtime") + 1] : undefined;
const turnCase = !args.includes("--no-turn"); // the real-turn figure (scripts/bench-turn.js): ~4 min full, ~1.5 min --quick
if (args.includes("--help")) {
  console.log("usage: scripts/bench [--quick] [--no-write|--write] [--runtime node|bun] [--no-turn]\n" +
    "  full run (~3 min) writes docs/benchmarks.{md,svg,json}; --quick (~30 s) prints the table only");
  process.exit(0);
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKER = join(ROOT, "scripts", "bench-worker.js");
const WASM = join(ROOT, "dist", "wasm", "opencode_chatgpt_wasm_bg.wasm");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

if (!existsSync(WASM)) {
  console.error("bench: dist/ has no wasm build; run `bash scripts/build` first");
  process.exit(1);
}
const newest = (dir) => readdirSync(dir, { recursive: true }).map((f) => statSync(join(dir, f)).mtimeMs).reduce((a, b) => Math.max(a, b), 0);
if (Math.max(newest(join(ROOT, "src")), newest(join(ROOT, "js"))) > statSync(WASM).mtimeMs) {
  log("warning: src/ or js/ changed after the last build; run `bash scripts/build` to measure the current code");
}

// ---------------------------------------------------------------- inputs and the anchor's stubbed prompt cache
const tmp = mkdtempSync(join(tmpdir(), "ocw-bench-"));
const fixDir = join(tmp, "fixtures");
const t0 = Date.now();
const manifest = writeFixtures(fixDir);
log(`inputs in ${fixDir} (${Date.now() - t0} ms): 32 KB captured body, ${(manifest.session.bytes / 1e6).toFixed(2)} MB session, ` +
  `${(manifest.sse.bytes / 1e6).toFixed(2)} MB SSE / ${manifest.sse.events} events`);

// opencode-openai-codex-auth 4.4.0 keeps its prompts in ~/.opencode/cache and only goes to GitHub when the
// cached copy's lastChecked is older than 15 min. A lastChecked far in the future keeps every read local.
const home = join(tmp, "home");
const cache = join(home, ".opencode", "cache");
mkdirSync(cache, { recursive: true });
const instructions = JSON.parse(readFileSync(join(fixDir, "small.json"), "utf8")).instructions;
const fresh = Date.now() + 365 * 24 * 3600 * 1000;
writeFileSync(join(cache, "opencode-codex.txt"), instructions);
writeFileSync(join(cache, "opencode-codex-meta.json"), JSON.stringify({ etag: "bench", lastChecked: fresh }));
for (const family of ["gpt-5.2-codex", "codex-max", "codex", "gpt-5.2", "gpt-5.1"]) {
  writeFileSync(join(cache, `${family}-instructions.md`), instructions);
  writeFileSync(join(cache, `${family}-instructions-meta.json`), JSON.stringify({ etag: "bench", tag: "bench", lastChecked: fresh }));
}

// ---------------------------------------------------------------- runs
const runtimes = [
  { name: "node", cmd: process.execPath, flags: ["--expose-gc"] },
  { name: "bun", cmd: BUN, flags: [] },
].filter((r) => !onlyRuntime || r.name === onlyRuntime);

function run(rt, kase, extra = []) {
  const start = performance.now();
  const p = spawnSync(rt.cmd, [...rt.flags, WORKER, kase, fixDir, ...(quick ? ["--quick"] : []), ...extra], {
    cwd: ROOT, env: { ...process.env, HOME: home }, encoding: "utf8", timeout: 180_000, maxBuffer: 64 << 20,
  });
  const wallMs = performance.now() - start;
  const line = p.stdout?.trim().split("\n").at(-1);
  let out;
  try {
    out = JSON.parse(line);
  } catch {
    out = { error: `${rt.name} ${kase} exited ${p.status ?? p.signal}: ${(p.stderr || p.error?.message || "").slice(-800)}` };
  }
  if (out.error) log(`${rt.name} ${kase} ${extra.join(" ")} failed: ${out.error.split("\n")[0]}`);
  return { ...out, wallMs };
}


/** Fresh processes, interleaved across implementations; the spread of each numeric field. */
function repeat(rt, kase, impls, times) {
  const runs = Object.fromEntries(impls.map((i) => [i, []]));
  for (let n = 0; n < times; n++) for (const i of impls) runs[i].push(run(rt, kase, ["--impl", i]));
  return Object.fromEntries(impls.map((i) => {
    const ok = runs[i].filter((r) => !r.error && !r.na);
    if (!ok.length) return [i, { na: runs[i][0]?.na ?? runs[i][0]?.error?.split("\n")[0] ?? "n/a" }];
    const fields = Object.keys(ok[0]).filter((k) => typeof ok[0][k] === "number");
    return [i, Object.fromEntries(fields.map((f) => [f, spread(ok.map((r) => r[f]))]))];
  }));
}

const startedAt = new Date();
const loadBefore = loadavg();
const results = {};
for (const rt of runtimes) {
  const r = (results[rt.name] = {});
  const stage = (key, what, fn) => {
    const t = Date.now();
    r[key] = fn();
    log(`${rt.name}: ${what} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  };
  stage("transform", "request transform", () => run(rt, "transform"));
  stage("sse", "SSE → JSON", () => run(rt, "sse"));
  stage("stream", "streaming pass-through", () => run(rt, "stream"));
  stage("cold", "cold start, fresh processes", () => repeat(rt, "cold", ["ours", "anchor"], quick ? 3 : 20));
  stage("memory", "peak memory of SSE → JSON, fresh processes", () => repeat(rt, "memory", ["floor", "anchor", "ours"], quick ? 1 : 3));
}

// The real OpenCode turn and transform + zstd (scripts/bench-turn.js), in their own processes.
const turn = turnCase ? runTurnBench({ fixDir, quick, bun: BUN, log }) : undefined;

/** A wasm module's size, raw and gzip -9, when the build has it. */
function wasmSize(file) {
  if (!existsSync(file)) return undefined;
  const bytes = readFileSync(file);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
// The published tarball as `npm pack` builds it from dist/ (dry run: nothing written, no registry contacted).
function tarball() {
  const p = spawnSync("npm", ["pack", "--dry-run", "--json"], {
    cwd: join(ROOT, "dist"), encoding: "utf8", timeout: 120_000,
    env: { ...process.env, npm_config_update_notifier: "false", npm_config_registry: "http://127.0.0.1:9/" },
  });
  try {
    const [info] = JSON.parse(p.stdout);
    return { packed: info.size, unpacked: info.unpackedSize, files: info.entryCount };
  } catch {
    log(`npm pack --dry-run failed: ${(p.stderr || p.error?.message || "").slice(-400)}`);
    return null;
  }
}
const git = (...a) => {
  try {
    return execFileSync("git", ["-C", ROOT, ...a], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
};
const report = {
  startedAt: startedAt.toISOString(),
  seconds: Math.round((Date.now() - startedAt) / 1000),
  quick,
  commit: git("rev-parse", "--short", "HEAD") + (git("status", "--porcelain", "src", "js") ? "+dirty" : ""),
  machine: {
    cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, loadBefore, loadAfter: loadavg(),
    node: process.versions.node, bun: spawnSync(BUN, ["--version"], { encoding: "utf8" }).stdout?.trim(),
  },
  inputs: manifest,
  // the startup module (issue 18's target: what loads at startup), and the core the first request loads
  wasm: { ...wasmSize(join(ROOT, "dist", "wasm", "opencode_chatgpt_wasm_startup_bg.wasm")), core: wasmSize(WASM) },
  tarball: tarball(),
  results,
  turn,
};
rmSync(tmp, { recursive: true, force: true });

console.log(renderConsole(report));
if (turn) console.log(renderTurn(turn));
if (write) {
  mkdirSync(join(ROOT, "docs"), { recursive: true });
  writeFileSync(join(ROOT, "docs", "benchmarks.json"), JSON.stringify(report, null, 1) + "\n");
  writeFileSync(join(ROOT, "docs", "benchmarks.svg"), renderSvg(report));
  writeFileSync(join(ROOT, "docs", "benchmarks.md"), renderMarkdown(report));
  log("wrote docs/benchmarks.md, docs/benchmarks.svg, docs/benchmarks.json");
}
log(`done in ${report.seconds} s`);

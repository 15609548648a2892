// The real-turn figure (issue 18 item 5) and the transform + compression case, for scripts/bench. Never run by
// scripts/test; no assertion on time anywhere.
//
// `node scripts/bench-turn.js turns FIXDIR [--quick]`: the whole `opencode run` turn through the real OpenCode
// (its own Bun) against the mock backend, on a long session built from the 2.11 MB agent-session fixture
// (scripts/gen-fixtures.js): the mock replays the fixture's reasoning (encrypted) and tool calls as `read`s
// of files holding the fixture's tool outputs, and OpenCode keeps them, so its next request is the long
// session. That session is kept as a template; every measured run starts from a fresh copy of it and runs
// `opencode run --continue` through STEPS requests (a small read each, then an answer), with
//   pass:  tests/helpers/passthrough-plugin.js (Authorization + chatgpt-account-id, nothing else),
//   plain: our plugin with OPENCODE_CODEX_COMPRESS=0,
//   zstd:  our plugin as shipped (zstd bodies).
// Per request after the first, the mock reads the OpenCode process's CPU time (all its threads, ns, from
// /proc/PID/task/*/schedstat) and the clock when the body has arrived: the difference between two requests
// is one step of the turn (answer parsed, tool run, body built, transformed, compressed, sent). The whole
// process's CPU (bash `times`) and wall time are reported too. Then the same with the mock reading request
// bodies at 20 Mbit/s (a slow uplink).
//
// `bun scripts/bench-turn.js micro FIXDIR [--quick]`: on the 2.11 MB fixture, in one process, interleaved:
// the JSON floor (JSON.parse + JSON.stringify), our transform (wasm), the runtime's zstd at level 3, and
// transform + zstd as the plugin runs them; bytes sent vs the JSON; the share of the body that is encrypted
// reasoning (random base64: no encoder gets it under 75 %).
//
// Each mode prints one JSON line. renderTurn(report.turn) is the Markdown section bench-report.js adds.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { spread } from "./bench-stats.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = new URL("../dist/", import.meta.url);
const STEPS = process.argv.includes("--quick") ? 6 : 12; // requests per measured run; the first is not measured (it carries OpenCode's start-up)
const THROTTLE_BPS = 20e6;
const now = () => performance.now();


// ---------------------------------------------------------------- micro: transform + zstd vs the JSON floor (Bun)
async function micro(fixDir, quick) {
  const text = readFileSync(join(fixDir, "session.json"), "utf8");
  const { loadCore } = await import(new URL("core.js", DIST).href);
  const { runtimeZstd } = await import(new URL("transport/compress.js", DIST).href);
  const core = await loadCore();
  const catalog = new core.Catalog();
  const zstd = runtimeZstd();
  const zstd1 = runtimeZstd(1); // for the report: what a faster level would cost
  if (!zstd) return { runtime: runtimeName(), na: "this runtime has no zstd" };
  const transform = (t) => core.transformRequest(t, catalog, {}).body;
  const transformed = transform(text);
  const compressed = await zstd(transformed);
  const impls = {
    floor: async () => JSON.stringify(JSON.parse(text)),
    transform: async () => transform(text),
    zstd: async () => zstd(transformed),
    zstd1: async () => zstd1(transformed),
    ours: async () => zstd(transform(text)),
  };
  const samples = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
  for (const f of Object.values(impls)) for (let i = 0; i < 5; i++) await f(); // warm-up
  const until = now() + (quick ? 1500 : 8000);
  for (let round = 0; round < 400 && (round < 15 || now() < until); round++) {
    for (const [name, f] of Object.entries(impls)) {
      globalThis.Bun?.gc?.(true);
      const t = now();
      await f();
      samples[name].push(now() - t);
    }
  }
  const fetchPath = await pluginFetch(text, quick);
  const json = JSON.parse(text);
  let encrypted = 0;
  for (const item of json.input) if (typeof item.encrypted_content === "string") encrypted += item.encrypted_content.length;
  return {
    runtime: runtimeName(),
    inBytes: Buffer.byteLength(text),
    transformedBytes: transformed.byteLength,
    sentBytes: compressed.byteLength,
    encryptedBytes: encrypted,
    ms: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, spread(v)])),
    fetchPath,
  };
}

/**
 * One `/responses` request with the fixture as OpenCode's body through each plugin's fetch, against the mock
 * backend in another process (its decoding is not ours): the process CPU (process.cpuUsage: every thread,
 * the zstd pool's too) and wall time from the call to the last byte of the reply, per request. The mock
 * forgets the requests it records (2 MB bodies, hundreds of them: its heap ran out once the plugin got faster).
 */
async function pluginFetch(text, quick) {
  const mock = spawn(process.env.NODE_BIN || "node", ["--input-type=module", "-e", `import { startMockBackend } from ${JSON.stringify(pathToFileURL(join(ROOT, "tests/helpers/mock-backend.js")).href)}; const b = await startMockBackend(); setInterval(() => { b.requests.length = 0; }, 500); console.log(b.endpoint);`], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const endpoint = await new Promise((resolve, reject) => {
      mock.stdout.once("data", (d) => resolve(String(d).trim()));
      mock.once("exit", (code) => reject(new Error(`mock exited ${code}`)));
    });
    process.env.OPENCODE_CODEX_ENDPOINT = endpoint;
    const { chatgptToken } = await import(pathToFileURL(join(ROOT, "tests/helpers/jwt.js")).href);
    const auth = async () => ({ type: "oauth", access: chatgptToken(), refresh: "r", expires: Date.now() + 3600_000 });
    const load = async (mod, options) => (await (await import(mod)).default.server({ client: {} }, options)).auth.loader(auth);
    const fetches = {
      pass: (await load(pathToFileURL(join(ROOT, "tests/helpers/passthrough-plugin.js")).href, {})).fetch,
      plain: (await load(new URL("index.js", DIST).href, { endpoint, compressRequests: false })).fetch,
      zstd: (await load(new URL("index.js", DIST).href, { endpoint })).fetch,
    };
    const call = async (f) => {
      const c0 = process.cpuUsage();
      const t0 = now();
      const res = await f(`${endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json", session_id: "ses_bench" }, body: text });
      await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const c = process.cpuUsage(c0);
      return { cpuMs: (c.user + c.system) / 1000, wallMs: now() - t0 };
    };
    const samples = Object.fromEntries(Object.keys(fetches).map((k) => [k, []]));
    for (const f of Object.values(fetches)) for (let i = 0; i < 3; i++) await call(f);
    const until = now() + (quick ? 3000 : 15000);
    for (let round = 0; round < 300 && (round < 10 || now() < until); round++) {
      for (const [name, f] of Object.entries(fetches)) {
        globalThis.Bun?.gc?.(true);
        samples[name].push(await call(f));
      }
    }
    return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { cpuMs: spread(v.map((x) => x.cpuMs)), wallMs: spread(v.map((x) => x.wallMs)) }]));
  } finally {
    mock.kill();
  }
}

const runtimeName = () => (globalThis.Bun ? `bun ${Bun.version}` : `node ${process.versions.node}`);

// ---------------------------------------------------------------- turns: the real OpenCode against the mock
/** CPU time (ns) of a process: every live thread's run time (/proc/PID/task/TID/schedstat, field 1). */
function cpuNs(pid) {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {}
    }
  } catch {
    return null;
  }
  return total;
}

/** The fixture's agent loop as replay rounds: [{reasoning: [...items], reads: [{file, text}]}]. */
function replayRounds(fixDir, perRound) {
  const { input } = JSON.parse(readFileSync(join(fixDir, "session.json"), "utf8"));
  const steps = [];
  let reasoning = [];
  for (const item of input) {
    if (item.type === "reasoning") reasoning.push({ summary: item.summary, encrypted_content: item.encrypted_content });
    if (item.type === "function_call_output" && typeof item.output === "string") {
      // OpenCode's read tool returns at most 2000 lines / 50 KB: keep each file under both
      const text = item.output.split("\n").slice(0, 1900).join("\n").slice(0, 45_000);
      steps.push({ reasoning, text });
      reasoning = [];
    }
  }
  const rounds = [];
  for (let i = 0; i < steps.length; i += perRound) rounds.push(steps.slice(i, i + perRound));
  return rounds;
}

const sse = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
function toolStream(items, id) {
  const out = [sse("response.created", { response: { id, status: "in_progress", output: [] } })];
  items.forEach((item, i) => {
    const open = item.type === "function_call" ? { ...item, arguments: "" } : { ...item, summary: [], encrypted_content: undefined };
    out.push(sse("response.output_item.added", { output_index: i, item: open }));
    if (item.type === "function_call") out.push(sse("response.function_call_arguments.delta", { item_id: item.id, output_index: i, delta: item.arguments }));
    out.push(sse("response.output_item.done", { output_index: i, item }));
  });
  out.push(sse("response.completed", { response: { id, status: "completed", output: items, usage: { input_tokens: 100, output_tokens: 10, total_tokens: 110 } } }));
  return out.join("");
}

async function turns(fixDir, quick) {
  const { startMockBackend, textStream } = await import(pathToFileURL(join(ROOT, "tests/helpers/mock-backend.js")).href);
  const { makeSandbox, OPENCODE } = await import(pathToFileURL(join(ROOT, "tests/helpers/sandbox.js")).href);
  const { chatgptToken } = await import(pathToFileURL(join(ROOT, "tests/helpers/jwt.js")).href);
  const ours = pathToFileURL(join(ROOT, "dist/index.js")).href;
  const pass = pathToFileURL(join(ROOT, "tests/helpers/passthrough-plugin.js")).href;
  const isMain = (json) => Array.isArray(json?.tools) && json.tools.length > 0;

  const sandbox = makeSandbox({ plugin: ours });
  const rounds = replayRounds(fixDir, 16);
  let state = { mode: "idle" };
  const backend = await startMockBackend({
    handler: (req, rec) => {
      if (req.method !== "POST" || !req.url.endsWith("/responses")) return undefined;
      if (!isMain(rec.json)) return textStream("Title");
      if (state.mode === "setup") {
        const r = state.round++;
        state.last = rec;
        if (r >= rounds.length) return textStream("Read them all.");
        const items = rounds[r].flatMap((step, s) => {
          const n = `${r}_${s}`;
          const file = join(sandbox.work, `f${n}.txt`);
          return [
            ...step.reasoning.map((x, k) => ({ type: "reasoning", id: `rs_${n}_${k}`, ...x })),
            { type: "function_call", id: `fc_${n}`, status: "completed", call_id: `call_${n}`, name: "read", arguments: JSON.stringify({ filePath: file }) },
          ];
        });
        return toolStream(items, `resp_setup_${r}`);
      }
      // a measured run: STEPS requests, each sampled when its body has arrived
      state.samples.push({ t: now(), cpu: cpuNs(state.pid), wire: rec.wireBytes, raw: Buffer.byteLength(rec.raw), encoding: rec.encoding, plugin: rec.headers.version ? "ours" : "pass" });
      const step = state.samples.length;
      if (step >= STEPS) return textStream("Nothing more to read.");
      const item = { type: "function_call", id: `fc_m${step}`, status: "completed", call_id: `call_m${step}`, name: "read", arguments: JSON.stringify({ filePath: join(sandbox.work, "tiny.txt") }) };
      return toolStream([item], `resp_m${step}`);
    },
  });
  const log = (m) => process.stderr.write(`bench-turn: ${m}\n`);
  try {
    // the long session: the fixture replayed through OpenCode once, with our plugin
    for (const [r, round] of rounds.entries()) round.forEach((step, s) => writeFileSync(join(sandbox.work, `f${r}_${s}.txt`), step.text));
    writeFileSync(join(sandbox.work, "tiny.txt"), "one line\n");
    sandbox.writeAuth({ openai: { type: "oauth", refresh: "rt-bench", access: chatgptToken(), expires: Date.now() + 24 * 3600_000 } });
    const env = { OPENCODE_CODEX_ENDPOINT: backend.endpoint };
    state = { mode: "setup", round: 0 };
    const t0 = now();
    const setup = await sandbox.run(["run", "-m", "openai/gpt-5.5", "read every file you are asked to"], { extraEnv: env, timeoutMs: 600_000 });
    if (setup.code !== 0) throw new Error(`setup run failed (${setup.code}): ${setup.stderr.slice(-800)}`);
    const sessionBytes = Buffer.byteLength(state.last.raw);
    log(`session built in ${((now() - t0) / 1000).toFixed(1)} s: ${rounds.length} rounds, OpenCode's next body ${(sessionBytes / 1e6).toFixed(2)} MB`);
    const dataDir = sandbox.env.XDG_DATA_HOME;
    const template = `${sandbox.dir}/data-template`;
    cpSync(dataDir, template, { recursive: true });
    const configFile = join(sandbox.configDir, "opencode.json");
    const config = JSON.parse(readFileSync(configFile, "utf8"));

    const variants = { pass: { plugin: pass, env: {} }, plain: { plugin: ours, env: { OPENCODE_CODEX_COMPRESS: "0" } }, zstd: { plugin: ours, env: {} } };
    const once = async (name, throttle) => {
      const v = variants[name];
      rmSync(dataDir, { recursive: true, force: true });
      cpSync(template, dataDir, { recursive: true });
      writeFileSync(configFile, JSON.stringify({ ...config, plugin: [v.plugin] }, null, 2));
      backend.setThrottle(throttle);
      state = { mode: "measure", samples: [], pid: null };
      const timesFile = join(sandbox.dir, "times.txt");
      const started = now();
      const child = spawn("bash", ["-c", '"$@" </dev/null >/dev/null 2>"$ERR_FILE" & echo $! >"$PID_FILE"; wait $!; rc=$?; times >"$TIMES_FILE"; exit $rc', "bash", OPENCODE, "run", "--continue", "-m", "openai/gpt-5.5", "one more look"], {
        cwd: sandbox.work,
        env: { ...sandbox.env, ...env, ...v.env, TIMES_FILE: timesFile, PID_FILE: join(sandbox.dir, "pid"), ERR_FILE: join(sandbox.dir, "err") },
        stdio: "ignore",
      });
      // the OpenCode process's pid, for the CPU samples (bash writes it before OpenCode can send anything)
      for (let i = 0; i < 200 && !state.pid; i++) {
        await new Promise((r) => setTimeout(r, 5));
        try {
          state.pid = Number(readFileSync(join(sandbox.dir, "pid"), "utf8")) || null;
        } catch {}
      }
      const code = await new Promise((resolve) => child.on("exit", resolve));
      const wallMs = now() - started;
      rmSync(join(sandbox.dir, "pid"), { force: true });
      if (code !== 0) throw new Error(`${name} run exited ${code}: ${readFileSync(join(sandbox.dir, "err"), "utf8").slice(-800)}`);
      const [, children] = readFileSync(timesFile, "utf8").trim().split("\n");
      const secs = children.split(/\s+/).map((x) => { const m = /(\d+)m([\d.]+)s/.exec(x); return Number(m[1]) * 60 + Number(m[2]); });
      const s = state.samples;
      if (s.length !== STEPS) throw new Error(`${name}: ${s.length} measured requests, expected ${STEPS}`);
      const plugins = new Set(s.map((x) => x.plugin));
      const want = name === "pass" ? "pass" : "ours";
      if (plugins.size !== 1 || !plugins.has(want)) throw new Error(`${name}: requests came from ${[...plugins]} (the plugin in opencode.json was not the one used)`);
      const steps = s.slice(1).map((x, i) => ({ cpuMs: (x.cpu - s[i].cpu) / 1e6, wallMs: x.t - s[i].t }));
      return { steps, processCpuMs: (secs[0] + secs[1]) * 1000, wallMs, wire: s.at(-1).wire, raw: s.at(-1).raw, encoding: s.at(-1).encoding };
    };
    const reps = quick ? 2 : 5;
    const measure = async (names, throttle, times) => {
      const runs = Object.fromEntries(names.map((n) => [n, []]));
      for (let i = 0; i < times; i++) {
        for (const n of names) {
          runs[n].push(await once(n, throttle));
          log(`${throttle ? "throttled " : ""}${n} run ${i + 1}/${times}`);
        }
      }
      return Object.fromEntries(names.map((n) => {
        const rs = runs[n];
        return [n, {
          stepCpuMs: spread(rs.flatMap((r) => r.steps.map((x) => x.cpuMs))),
          stepWallMs: spread(rs.flatMap((r) => r.steps.map((x) => x.wallMs))),
          processCpuMs: spread(rs.map((r) => r.processCpuMs)),
          runWallMs: spread(rs.map((r) => r.wallMs)),
          wireBytes: rs[0].wire,
          bodyBytes: rs[0].raw,
          encoding: rs[0].encoding,
        }];
      }));
    };
    const unthrottled = await measure(["pass", "plain", "zstd"], 0, reps);
    const throttled = await measure(["pass", "zstd"], THROTTLE_BPS, quick ? 1 : 3);
    return { opencode: OPENCODE.replace(ROOT, ""), sessionBytes, rounds: rounds.length, steps: STEPS - 1, reps, throttleBps: THROTTLE_BPS, unthrottled, throttled };
  } finally {
    await backend.close();
    sandbox.cleanup();
  }
}

// ---------------------------------------------------------------- report
const f = (x, d = 1) => (x == null ? "—" : x.toFixed(d));
const cell = (s, d = 1) => (s ? `${f(s.median, d)} (${f(s.p25, d)}–${f(s.p75, d)})` : "—");

/** The Markdown section for docs/benchmarks.md: `turn` is {micro, turns} as bench-run.js stored it. */
export function renderTurn(turn) {
  if (!turn) return "";
  const lines = ["", "## A real turn, and compressed request bodies (issue 18 items 1 and 5)", ""];
  const m = turn.micro;
  if (m?.ms) {
    const ratio = (m.ms.ours.median / m.ms.floor.median).toFixed(2);
    const sent = ((m.sentBytes / m.inBytes) * 100).toFixed(1);
    const encShare = ((m.encryptedBytes / m.inBytes) * 100).toFixed(1);
    lines.push(
      `On the ${f(m.inBytes / 1e6, 2)} MB agent-session fixture, ${m.runtime}, one process, interleaved (ms, median (p25–p75), n = ${m.ms.ours.n}):`,
      "",
      "| JSON floor (parse + stringify) | transform (wasm) | zstd level 3 (runtime) | transform + zstd (the plugin) | ÷ floor | target | zstd level 1, for comparison |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      `| ${cell(m.ms.floor, 2)} | ${cell(m.ms.transform, 2)} | ${cell(m.ms.zstd, 2)} | ${cell(m.ms.ours, 2)} | ${ratio}× | ≤ 1× floor: **${Number(ratio) <= 1 ? "met" : "missed"}** | ${cell(m.ms.zstd1, 2)} |`,
      "",
      `Bytes sent: ${m.sentBytes} of ${m.inBytes} (${sent} % of the JSON; the transformed body is ${m.transformedBytes}); target ≤ 20 %: **${Number(sent) <= 20 ? "met" : "missed"}**. ` +
        `${encShare} % of this fixture is encrypted reasoning (random base64, 6 bits of information per byte), so no encoder can send it in less than ${(((m.encryptedBytes * 0.75) / m.inBytes) * 100).toFixed(1)} % of the JSON.`,
      "",
    );
    const fp = m.fetchPath;
    if (fp?.pass && fp?.plain && fp?.zstd) {
      const added = (k) => fp[k].cpuMs.median - fp.pass.cpuMs.median;
      lines.push(
        `One \`/responses\` request with the fixture as OpenCode's body, through each plugin's \`fetch\` (as OpenCode calls it), against the mock in another process, ${m.runtime}: process CPU (\`process.cpuUsage\`, every thread, the zstd pool's too) and wall time from the call to the reply's last byte, ms, n = ${fp.zstd.cpuMs.n} each, interleaved. Wall includes the mock's reading (and, for zstd, its pure-JS decoding under Node 20).`,
        "",
        "| plugin | CPU per request | added CPU over the pass-through | wall per request |",
        "| --- | --- | --- | --- |",
        ...[["pass", "pass-through (headers only)"], ["plain", "ours, compression off"], ["zstd", "ours, zstd"]].map(([k, label]) => `| ${label} | ${cell(fp[k].cpuMs, 2)} | ${k === "pass" ? "—" : f(added(k), 2)} | ${cell(fp[k].wallMs, 1)} |`),
        "",
        `Goal ≤ 5 ms added CPU per turn: compression off **${added("plain") <= 5 ? "met" : "missed"}**, with zstd **${added("zstd") <= 5 ? "met" : "missed"}**.`,
        "",
      );
    }
  } else if (m) lines.push(`Transform + zstd: n/a (${m.na ?? m.error})`, "");
  const t = turn.turns;
  if (t?.unthrottled) {
    const u = t.unthrottled;
    const d = (a, b, k) => (u[a]?.[k] && u[b]?.[k] ? f(u[a][k].median - u[b][k].median) : "—");
    lines.push(
      `The whole \`opencode run --continue\` turn through the real OpenCode (\`${t.opencode}\`, its own Bun) against the mock, on a session built by replaying the fixture through OpenCode (${t.rounds} rounds of reasoning + reads; OpenCode's own body for it is ${f(t.sessionBytes / 1e6, 2)} MB). ` +
        `Each run: ${t.steps + 1} requests (a small read each, then an answer); a step is the time between two requests' bodies arriving at the mock (answer parsed, tool run, body built, transformed, compressed, sent), CPU of all OpenCode's threads; ${t.reps} runs per plugin, interleaved, each from a fresh copy of the session. pass = a header-only pass-through plugin (\`tests/helpers/passthrough-plugin.js\`).`,
      "",
      "| plugin | body sent per step | CPU per step, ms | wall per step, ms | whole process CPU, ms | whole run wall, ms |",
      "| --- | --- | --- | --- | --- | --- |",
      ...["pass", "plain", "zstd"].filter((k) => u[k]).map((k) => `| ${k === "pass" ? "pass-through" : k === "plain" ? "ours, compression off" : "ours, zstd"} | ${f(u[k].wireBytes / 1e6, 2)} MB (${u[k].encoding}) | ${cell(u[k].stepCpuMs)} | ${cell(u[k].stepWallMs)} | ${cell(u[k].processCpuMs, 0)} | ${cell(u[k].runWallMs, 0)} |`),
      "",
      `Added CPU per step over the pass-through (difference of medians): compression off ${d("plain", "pass", "stepCpuMs")} ms, zstd ${d("zstd", "pass", "stepCpuMs")} ms; goal ≤ 5 ms: **${u.zstd && u.pass && u.zstd.stepCpuMs.median - u.pass.stepCpuMs.median <= 5 ? "met" : "missed"}**.`,
      "",
    );
    const th = t.throttled;
    if (th?.pass && th?.zstd) {
      lines.push(
        `With the mock reading request bodies at ${t.throttleBps / 1e6} Mbit/s (a slow uplink): wall per step pass-through ${cell(th.pass.stepWallMs, 0)} ms, ours with zstd ${cell(th.zstd.stepWallMs, 0)} ms; whole run ${cell(th.pass.runWallMs, 0)} vs ${cell(th.zstd.runWallMs, 0)} ms. ` +
          `Less wall time than the pass-through when bandwidth is limited: **${th.zstd.stepWallMs.median < th.pass.stepWallMs.median ? "met" : "missed"}**.`,
        "",
      );
    }
  } else if (t) lines.push(`Real turn: n/a (${t.error})`, "");
  lines.push(
    "**What limits these targets** (written by hand from the measurements above, 2026-11-25; Bun 1.3.14, AMD EPYC, 2 shared cores):",
    "",
    "- **Bytes sent ≤ 20 % of the JSON.** Not reachable on this fixture by any encoder: 39 % of it is `encrypted_content` (random",
    "  base64, 6 bits per byte), which alone needs 29 % of the JSON; zstd gets it to ~75 % of its size and the rest (tool output,",
    "  text) to ~1/4. A session whose bulk is file reads compresses far better (`tests/e2e/compress.test.js` asserts < 20 % on one).",
    "  Higher levels do not help: level 6 sends 43.3 % for 2.8× the time.",
    "- **Transform + compression ≤ 1× the parse+stringify floor.** zstd level 3 alone costs about the floor (~330 MB/s here), so",
    "  with the transform (0.3× the floor) the sum is ~1.4×. Level 1 would bring it to ~1.05× for ~6 % more bytes; we keep the Codex",
    "  CLI's level 3 (the backend sees what it sees from the CLI; one constant, `ZSTD_LEVEL` in `js/config.js`, if that changes).",
    "  `Bun.zstdCompress` runs on Bun's thread pool, so OpenCode's main thread does not wait on it.",
    "- **≤ 5 ms added CPU per turn.** Met without compression (the per-request figure: transform, stream guard, headers). With zstd",
    "  the compression itself adds ~7.5 ms of CPU on a 2 MB body: the price of sending 1.2 MB less, which is ~0.5 s less wall time per",
    "  request at 20 Mbit/s and about even at 1 Gbit/s. `compressRequests: false` turns it off.",
    "- **The real-turn CPU rows** are OpenCode's whole step (~270 ms of CPU on a 2 MB session: it stores and re-serializes the",
    "  history every step); their p25–p75 spread on this shared machine is ~100 ms, ten times the plugin's part, so the differences of",
    "  medians there are ties. The per-request `fetch` table isolates what the plugin adds; the throttled row is where the plugin",
    "  changes what the user waits for.",
    "",
  );
  return lines.join("\n");
}

// ---------------------------------------------------------------- main
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [mode, fixDir] = process.argv.slice(2);
  const quick = process.argv.includes("--quick");
  const run = mode === "micro" ? micro : mode === "turns" ? turns : null;
  if (!run || !fixDir || !existsSync(fixDir)) {
    console.error("usage: bun scripts/bench-turn.js micro FIXDIR [--quick] | node scripts/bench-turn.js turns FIXDIR [--quick]");
    process.exit(2);
  }
  try {
    console.log(JSON.stringify(await run(fixDir, quick)));
  } catch (err) {
    console.log(JSON.stringify({ error: String(err?.stack ?? err).slice(0, 2000) }));
  }
}

/** Runs both modes as bench-run.js does (fresh processes): {micro, turns}. */
export function runTurnBench({ fixDir, quick, bun, log = () => {} }) {
  // the plugin writes its login and account files under XDG dirs: a temp home, never the user's
  const home = join(fixDir, "turn-home");
  const env = { ...process.env, HOME: home, NODE_BIN: process.execPath };
  for (const [k, d] of [["XDG_DATA_HOME", "data"], ["XDG_CONFIG_HOME", "config"], ["XDG_CACHE_HOME", "cache"], ["XDG_STATE_HOME", "state"]]) {
    env[k] = join(home, d);
    mkdirSync(env[k], { recursive: true });
  }
  const one = (cmd, mode) => {
    const t = Date.now();
    const p = spawnSync(cmd, [fileURLToPath(import.meta.url), mode, fixDir, ...(quick ? ["--quick"] : [])], { cwd: ROOT, env, encoding: "utf8", timeout: 1_800_000, maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "inherit"] });
    let out;
    try {
      out = JSON.parse(p.stdout.trim().split("\n").at(-1));
    } catch {
      out = { error: `${mode} exited ${p.status ?? p.signal}` };
    }
    if (out.error) log(`turn ${mode} failed: ${out.error.split("\n")[0]}`);
    log(`turn ${mode} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    return out;
  };
  return { micro: one(bun, "micro"), turns: one(process.execPath, "turns") };
}

// The load test's baseline: the same 2 rounds of 200 concurrent streams from the same mock backend,
// read with the runtime's plain fetch and no plugin, in a fresh process of the same runtime. Prints
// one JSON line {first, second}: the peak RSS growth (MB) after round 1 and after round 2, measured
// as tests/js/load.test.js measures the plugin. What the runtime's fetch costs by itself (under Bun
// 1.3 each read of a fetch body through a reader allocates a fresh 256 KB buffer, which the GC frees
// late) is thereby not charged to the plugin. The bodies are read the way a stream consumer reads
// them (a reader), as the plugin reads the upstream body.
import { startMockBackend } from "./mock-backend.js";
import { loadHandler, textFor } from "./load-common.js";

const N = Number(process.argv[2] ?? 200);
const backend = await startMockBackend({ handler: loadHandler });
const gc = () => (globalThis.Bun?.gc(true), globalThis.gc?.());
try {
  gc();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const one = async (i) => {
    const body = JSON.stringify({ model: "gpt-5.4", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: `load ${i}` }] }] });
    const res = await fetch(`${backend.endpoint}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body });
    // Read as a consumer reads a stream (OpenCode's AI SDK: a reader and a TextDecoder), as the plugin does.
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    if (res.status !== 200 || !text.includes(JSON.stringify(textFor(i)).slice(1, 9))) throw new Error(`bare request ${i}: ${res.status}`);
  };
  const round = async () => {
    await Promise.all(Array.from({ length: N }, (_, i) => one(i)));
    peak = Math.max(peak, process.memoryUsage().rss);
    return (peak - rss0) / 2 ** 20;
  };
  const first = await round();
  gc();
  const second = await round();
  clearInterval(timer);
  console.log(JSON.stringify({ first, second }));
} finally {
  await backend.close();
}

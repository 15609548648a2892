// End to end for the usage display: the real interactive OpenCode TUI (`opencode`, not `run`) under tmux
// (its own -L socket), with our package installed by `install` (opencode.json + tui.json), against the mock
// backend. Asserts on the captured screen: the prompt-line status from the usage endpoint at start, then from
// the headers of a reply, the sidebar's per-window details, the "ChatGPT usage" palette command reading the
// endpoint again, and no status for an API-key login. Every wait polls the screen for a condition.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { startMockBackend, textStream } from "../helpers/mock-backend.js";
import { makeSandbox, runProcess, DIST, OPENCODE } from "../helpers/sandbox.js";
import { chatgptToken } from "../helpers/jwt.js";

const SOCKET = `occw-tui-${process.pid}`;
const USAGE_HEADERS = {
  "x-codex-primary-used-percent": "37",
  "x-codex-primary-window-minutes": "300",
  "x-codex-primary-reset-after-seconds": "5000",
  "x-codex-secondary-used-percent": "64",
  "x-codex-secondary-window-minutes": "10080",
  "x-codex-secondary-reset-after-seconds": "200000",
};

let backend;
const sandboxes = [];
before(async () => {
  backend = await startMockBackend({
    handler: (req) => {
      if (req.method === "POST" && req.url.startsWith("/backend-api/codex/responses")) {
        return { status: 200, headers: { "content-type": "text/event-stream", ...USAGE_HEADERS }, body: textStream("Usage figures came with this reply.") };
      }
      return undefined;
    },
  });
  backend.usage.primary = 12;
  backend.usage.secondary = 34;
});
after(async () => {
  spawnSync("tmux", ["-L", SOCKET, "kill-server"]);
  // kill-server leaves the socket file behind
  fs.rmSync(path.join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${process.getuid()}`, SOCKET), { force: true });
  await backend?.close();
  for (const s of sandboxes) s.cleanup();
});

const tmux = (...args) => spawnSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
const screen = (name) => tmux("capture-pane", "-p", "-t", name).stdout ?? "";

/** Polls the pane until `predicate(text)` holds; fails with the last screen after `limitMs`. */
async function waitFor(name, predicate, what, limitMs = 90_000) {
  const deadline = Date.now() + limitMs;
  let text = "";
  while (Date.now() < deadline) {
    text = screen(name);
    if (predicate(text)) return text;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`${what} never appeared; last screen:\n${text}`);
}

/** A sandbox with our package installed by `node dist/cli.js install`, and a script that starts `opencode` in it. */
async function installedSandbox(auth) {
  const s = makeSandbox({ plugin: null });
  sandboxes.push(s);
  const res = await runProcess(process.execPath.endsWith("bun") ? "node" : process.execPath, [path.join(DIST, "cli.js"), "install"], { cwd: s.work, env: s.env });
  assert.equal(res.code, 0, `install failed:\n${res.stdout}\n${res.stderr}`);
  const tui = JSON.parse(fs.readFileSync(path.join(s.configDir, "tui.json"), "utf8"));
  assert.match(tui.plugin[0], /^file:\/\/.*\/data\/opencode-chatgpt-wasm\/[^/]+\/tui\/index\.tsx$/);
  s.writeAuth(auth);
  const env = { ...s.env, OPENCODE_CODEX_ENDPOINT: backend.endpoint, TERM: "xterm-256color" };
  const script = path.join(s.dir, "start.sh");
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`).join("\n");
  fs.writeFileSync(script, `${exports}\ncd ${JSON.stringify(s.work)}\nexec ${JSON.stringify(OPENCODE)} 2>${JSON.stringify(path.join(s.dir, "stderr.txt"))}\n`, { mode: 0o755 });
  return { s, script };
}

function start(name, script) {
  const res = tmux("new-session", "-d", "-s", name, "-x", "160", "-y", "45", `bash ${script}`);
  assert.equal(res.status, 0, res.stderr);
}

const usageCalls = () => backend.requests.filter((r) => r.url === "/backend-api/wham/usage").length;

test("ChatGPT login: status from the endpoint, then from a reply's headers, sidebar details, palette refresh", async () => {
  const access = chatgptToken({ accountId: "acc-tui-1" });
  const { script } = await installedSandbox({ openai: { type: "oauth", refresh: "rt-tui-unused", access, expires: Date.now() + 3600_000, accountId: "acc-tui-1" } });
  start("chatgpt", script);

  // At start the TUI reads the usage endpoint: the home prompt line shows its figures.
  await waitFor("chatgpt", (t) => t.includes("5h 12% · wk 34%"), "the status from the usage endpoint");
  assert.equal(usageCalls(), 1);

  // One turn whose reply carries usage headers: the prompt line switches to those figures.
  tmux("send-keys", "-t", "chatgpt", "-l", "say hi");
  tmux("send-keys", "-t", "chatgpt", "Enter");
  const after = await waitFor("chatgpt", (t) => t.includes("Usage figures came with this reply.") && t.includes("5h 37% · wk 64%"), "the reply and the status from its headers");
  assert.equal(after.includes("5h 12%"), false, `old figures still shown:\n${after}`);

  // The sidebar: per-window details with the reset time in local time and "in …".
  const sidebar = await waitFor("chatgpt", (t) => t.includes("5-hour 37% used") && t.includes("weekly 64% used"), "the sidebar details");
  assert.match(sidebar, /ChatGPT usage/);
  assert.match(sidebar, /ChatGPT login · plus/);
  assert.match(sidebar, /resets \d\d:\d\d \(in 1 h 2\d min\)/);
  assert.match(sidebar, /resets \w{3} \d\d:\d\d \(in 2 d 7 h\)/);
  assert.match(sidebar, /from the last reply just now/);

  // The palette command reads the endpoint again and the screen changes to its new figures.
  backend.usage.primary = 77;
  backend.usage.secondary = 88;
  const before = usageCalls();
  tmux("send-keys", "-t", "chatgpt", "C-p");
  await waitFor("chatgpt", (t) => t.includes("Commands"), "the command palette");
  tmux("send-keys", "-t", "chatgpt", "-l", "ChatGPT usage");
  await waitFor("chatgpt", (t) => /ChatGPT usage\s+5-hour and weekly limits/.test(t), "our palette entry");
  tmux("send-keys", "-t", "chatgpt", "Enter");
  const dialog = await waitFor("chatgpt", (t) => /5-hour\s+\[[█░]+\]\s+77%/.test(t) && t.includes("checked just now"), "the dialog with the new figures");
  assert.match(dialog, /weekly\s+\[[█░]+\]\s+88%/);
  assert.equal(usageCalls(), before + 1);
  tmux("send-keys", "-t", "chatgpt", "Escape");
  const status = await waitFor("chatgpt", (t) => /5h 77% · wk 88% \(resets \d\d:\d\d\)/.test(t), "the status with the new figures (weekly above 80 %: with its reset)");
  assert.match(status, /5-hour 77% used/);
  assert.equal(status.includes(access), false);
  tmux("kill-session", "-t", "chatgpt");
});

test("API-key login: no usage status, no request to the usage endpoint", async () => {
  const { script } = await installedSandbox({ openai: { type: "api", key: "sk-test-api-key" } });
  const before = usageCalls();
  start("apikey", script);
  await waitFor("apikey", (t) => t.includes("ctrl+p commands"), "the home screen");
  // Our TUI plugin is loaded (its palette entry is there) and says why it has nothing to show.
  tmux("send-keys", "-t", "apikey", "C-p");
  await waitFor("apikey", (t) => t.includes("Commands"), "the command palette");
  tmux("send-keys", "-t", "apikey", "-l", "ChatGPT usage");
  await waitFor("apikey", (t) => /ChatGPT usage\s+5-hour and weekly limits/.test(t), "our palette entry");
  tmux("send-keys", "-t", "apikey", "Enter");
  const text = await waitFor("apikey", (t) => t.includes("No ChatGPT login is stored"), "the dialog without a login");
  assert.doesNotMatch(text, /5h \d+%|wk \d+%|% used/);
  assert.equal(usageCalls(), before);
  tmux("kill-session", "-t", "apikey");
});

// Driving the real interactive OpenCode as a user would: a tmux server of the test's own (`-L
// <socket>`), whose panes are read with `capture-pane` (what the user sees), and the browser login
// through `opencode auth login` (pick OpenAI, pick our browser method, read the URL from the pane,
// play the browser against the mock issuer). Shared by the login and accounts E2E tests.
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { OPENCODE } from "./sandbox.js";
import { playBrowser } from "./mock-issuer.js";

/** A loopback port nobody listens on (for our login callback server). */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** The highlighted option of a clack select prompt. */
export const selected = (text) => text.match(/●\s+(.+?)\s*$/m)?.[1];

/**
 * A tmux server on its own socket: `tmux(args, env)` (throws on failure), `pane(name)` (the session's
 * text, wrapped lines joined so a long URL stays on one line), `waitFor(name, what, predicate, ms)` (polls
 * the pane until `predicate` returns something truthy, which it returns; fails with the pane's tail) and
 * `kill()` (the server and its socket file).
 */
export function tmuxServer(socket) {
  const tmux = (args, env) => {
    const r = spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8", env });
    if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  };
  const pane = (name) => tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", name]);
  const waitFor = async (name, what, predicate, timeoutMs) => {
    const t0 = Date.now();
    for (;;) {
      const text = pane(name);
      const hit = predicate(text);
      if (hit) return hit;
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}; pane:\n${text.replace(/\n{2,}/g, "\n").slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const kill = () => {
    spawnSync("tmux", ["-L", socket, "kill-server"]);
    // kill-server leaves the socket file behind
    fs.rmSync(path.join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${process.getuid()}`, socket), { force: true });
  };
  return { tmux, pane, waitFor, kill };
}

/**
 * Starts `opencode auth login` in a new session `name` (in `cwd`, with `env`), picks OpenAI in the
 * provider prompt and returns the pane once the login methods are shown.
 */
export async function openLoginMenu(server, name, { cwd, env }) {
  const { tmux, pane, waitFor } = server;
  tmux(["new-session", "-d", "-s", name, "-x", "160", "-y", "45", `cd '${cwd}' && '${OPENCODE}' auth login; echo "EXIT=$?"; sleep 300`], { TERM: "xterm-256color", ...env });
  await waitFor(name, "the provider prompt", (t) => t.includes("Select provider") && selected(t), 180_000);
  for (let i = 0; i < 12 && !/^OpenAI\b/.test(selected(pane(name)) ?? ""); i++) {
    tmux(["send-keys", "-t", name, "Down"]);
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.match(selected(pane(name)), /^OpenAI\b/);
  tmux(["send-keys", "-t", name, "Enter"]);
  return waitFor(name, "the login methods", (t) => (t.includes("Login method") && t.includes("ChatGPT Plus/Pro (browser)") && t.includes("OpenAI API key") ? t : null), 60_000);
}

/** From the open login menu: picks the browser method (the first) and returns the authorize URL shown. */
export async function chooseBrowserLogin(server, name) {
  server.tmux(["send-keys", "-t", name, "Enter"]);
  return server.waitFor(name, "the authorize URL", (t) => t.includes("Waiting for authorization") && t.match(/Go to: (\S+)/)?.[1], 60_000);
}

/** Plays the browser on `url` (the mock issuer's consent, then our callback) and waits for OpenCode's success; returns the callback page. */
export async function finishBrowserLogin(server, name, url) {
  const page = await playBrowser(url);
  assert.equal(page.status, 200, `callback page: ${page.body.slice(0, 300)}`);
  await server.waitFor(name, "Login successful", (t) => t.includes("Login successful") && t.includes("EXIT=0"), 60_000);
  return page;
}

/** The whole browser login through `opencode auth login` against `issuer` (env: the sandbox's, plus any extra). */
export async function browserLogin(server, name, { cwd, env, issuer }) {
  const port = await freePort();
  await openLoginMenu(server, name, { cwd, env: { ...env, OPENCODE_CODEX_ISSUER: issuer.url, OPENCODE_CODEX_CALLBACK_PORT: String(port), OPENCODE_AUTH_TIMEOUT: "180000", BROWSER: "none" } });
  const url = await chooseBrowserLogin(server, name);
  return finishBrowserLogin(server, name, url);
}

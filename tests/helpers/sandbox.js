// An isolated OpenCode environment: temp HOME and XDG dirs, our built package loaded by path,
// no network (models fetch and autoupdate off). Runs the real pinned `opencode` binary.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DIST = path.join(ROOT, "dist");
/** The real OpenCode: the pinned devDependency, or another release's binary named by OCCW_OPENCODE (scripts/test-opencode-versions). */
export const OPENCODE = process.env.OCCW_OPENCODE || path.join(ROOT, "node_modules/.bin/opencode");
/** Set when the E2E suite runs against another OpenCode than the pinned one (scripts/test's oldest-version stage). */
export const OTHER_OPENCODE = Boolean(process.env.OCCW_OPENCODE);
export const PLUGIN_URL = pathToFileURL(path.join(DIST, "index.js")).href;

export function makeSandbox({ plugin = PLUGIN_URL, config = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-"));
  const xdg = {
    HOME: dir,
    XDG_CONFIG_HOME: path.join(dir, "config"),
    XDG_DATA_HOME: path.join(dir, "data"),
    XDG_CACHE_HOME: path.join(dir, "cache"),
    XDG_STATE_HOME: path.join(dir, "state"),
  };
  for (const d of Object.values(xdg)) fs.mkdirSync(d, { recursive: true });
  const configDir = path.join(xdg.XDG_CONFIG_HOME, "opencode");
  const dataDir = path.join(xdg.XDG_DATA_HOME, "opencode");
  fs.mkdirSync(configDir, { recursive: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const work = path.join(dir, "work");
  fs.mkdirSync(work);
  if (plugin) fs.writeFileSync(path.join(configDir, "opencode.json"), JSON.stringify({ $schema: "https://opencode.ai/config.json", plugin: [plugin], ...config }, null, 2));
  const env = {
    PATH: process.env.PATH,
    ...xdg,
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_SHARE: "1",
    NO_COLOR: "1",
  };
  return {
    dir,
    work,
    env,
    configDir,
    dataDir,
    authPath: path.join(dataDir, "auth.json"),
    writeAuth(auth) {
      fs.writeFileSync(path.join(dataDir, "auth.json"), JSON.stringify(auth, null, 2), { mode: 0o600 });
    },
    readAuth() {
      return JSON.parse(fs.readFileSync(path.join(dataDir, "auth.json"), "utf8"));
    },
    run(args, { extraEnv = {}, timeoutMs = 90_000, input } = {}) {
      return runProcess(OPENCODE, args, { cwd: work, env: { ...env, ...extraEnv }, timeoutMs, input });
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function runProcess(cmd, args, { cwd, env, timeoutMs = 60_000, input } = {}) {
  return new Promise((resolve) => {
    // its own process group: a timeout kills OpenCode's whole tree (older opencode-ai releases run the binary under
    // a node wrapper, which a kill of the wrapper alone would orphan with our pipes still open)
    const child = spawn(cmd, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, timeoutMs);
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut: signal === "SIGKILL" });
    });
  });
}

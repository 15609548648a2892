// Sandboxes for the installer tests: temp HOME/XDG dirs, a PATH holding only `node` (and, when asked, a fake
// or the real `opencode`), a fake installed copy of the package, and a runner for `node cli.js ...`.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SOURCE_CLI = path.join(ROOT, "js", "cli.js");
export const REAL_OPENCODE = process.env.OCCW_OPENCODE || path.join(ROOT, "node_modules", ".bin", "opencode");
export const PKG_VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, "pkg-template", "package.json"), "utf8")).version;

/** The node binary (under `bun test`, process.execPath is bun). */
function nodeBinary() {
  if (!process.versions.bun) return process.execPath;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "node");
    if (fs.existsSync(candidate)) return fs.realpathSync(candidate);
  }
  throw new Error("node not found on PATH");
}
export const NODE = nodeBinary();

/** Stub plugin module for fake packages: a valid OpenCode plugin whose selfTest answers `selfTestOk`. */
export function stubPlugin({ selfTestOk = true } = {}) {
  return [
    `export default { id: "opencode-chatgpt-wasm", server: async () => ({}) };`,
    `export async function selfTest() { return { ok: ${selfTestOk} }; }`,
    "",
  ].join("\n");
}

export function makeSandbox() {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "occw-installer-")));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.symlinkSync(NODE, path.join(bin, "node"));
  const env = {
    HOME: path.join(dir, "home"),
    XDG_CONFIG_HOME: path.join(dir, "config"),
    XDG_DATA_HOME: path.join(dir, "data"),
    XDG_CACHE_HOME: path.join(dir, "cache"),
    XDG_STATE_HOME: path.join(dir, "state"),
    PATH: bin,
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    NO_COLOR: "1",
  };
  for (const key of ["HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"]) fs.mkdirSync(env[key], { recursive: true });
  const work = path.join(dir, "work");
  fs.mkdirSync(work);
  const configDir = path.join(env.XDG_CONFIG_HOME, "opencode");
  const sandbox = {
    dir,
    bin,
    env,
    work,
    configDir,
    globalConfig: (name = "opencode.json") => path.join(configDir, name),
    copyDir: (version = PKG_VERSION) => path.join(env.XDG_DATA_HOME, "opencode-chatgpt-wasm", version),
    recordsFile: path.join(env.XDG_DATA_HOME, "opencode-chatgpt-wasm", "installs.json"),
    authFile: path.join(env.XDG_DATA_HOME, "opencode", "auth.json"),
    writeConfig(text, name = "opencode.json") {
      fs.mkdirSync(configDir, { recursive: true });
      fs.writeFileSync(path.join(configDir, name), text);
      return path.join(configDir, name);
    },
    /** A fake installed package (npx layout) with a stub index.js; returns its cli.js. */
    fakePackage({ name = "pkg", selfTestOk = true } = {}) {
      const pkgDir = path.join(dir, name, "node_modules", "opencode-chatgpt-wasm");
      fs.mkdirSync(path.join(pkgDir, "node_modules"), { recursive: true });
      fs.cpSync(path.join(ROOT, "js"), pkgDir, { recursive: true });
      const wasm = path.join(ROOT, "dist", "wasm");
      if (fs.existsSync(wasm)) fs.cpSync(wasm, path.join(pkgDir, "wasm"), { recursive: true });
      fs.copyFileSync(path.join(ROOT, "pkg-template", "package.json"), path.join(pkgDir, "package.json"));
      fs.writeFileSync(path.join(pkgDir, "index.js"), stubPlugin({ selfTestOk }));
      fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules", "jsonc-parser")), path.join(pkgDir, "node_modules", "jsonc-parser"));
      return path.join(pkgDir, "cli.js");
    },
    /** A fake `opencode` on PATH printing `version`. */
    fakeOpencode(version) {
      const file = path.join(bin, "opencode");
      fs.writeFileSync(file, `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
    },
    realOpencode() {
      fs.symlinkSync(fs.realpathSync(REAL_OPENCODE), path.join(bin, "opencode"));
    },
    /** Runs `node <cli> ...args`; resolves {code, stdout, stderr}. */
    run(args, { cli = SOURCE_CLI, cwd = work, extraEnv = {}, timeoutMs = 60_000 } = {}) {
      return runProcess(NODE, [cli, ...args], { cwd, env: { ...env, ...extraEnv }, timeoutMs });
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return sandbox;
}

export function runProcess(cmd, args, { cwd, env, timeoutMs = 60_000 }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Unsigned JWT with ChatGPT claims (only the payload is ever decoded). */
export function chatgptJwt({ accountId = "acc-test-123", plan = "plus", email = "dev@example.com", expS } = {}) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const payload = { exp: expS, email, "https://api.openai.com/auth": { chatgpt_account_id: accountId, chatgpt_plan_type: plan } };
  return `${b64({ alg: "none", typ: "JWT" })}.${b64(payload)}.${Buffer.from("sig").toString("base64url")}`;
}

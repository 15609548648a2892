// A real npm registry for the tests: verdaccio (devDependency) on 127.0.0.1 at a free port, with its own storage,
// htpasswd and config in a temp dir, no uplinks (nothing is ever fetched from the internet). Publishes packages
// with the real `npm publish` under a user it registers, and stages versions of our built dist/.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { NODE } from "./installer.js";
import { runProcess } from "./sandbox.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const VERDACCIO = path.join(ROOT, "node_modules", "verdaccio", "bin", "verdaccio");
export const DIST = path.join(ROOT, "dist");

/** A port nobody listens on right now (the kernel's pick for a listen(0) on 127.0.0.1). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(url, child, output) {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}-/ping`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`verdaccio did not answer ${url}-/ping:\n${output()}`);
}

/**
 * Starts verdaccio; resolves {url, dir, npmrc, env(extra), publish(pkgDir), close()}. `npmrc` holds the registry and
 * the publishing user's token; `env` is what a process needs to use this registry (npm and OpenCode alike).
 */
export async function startRegistry() {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "occw-registry-")));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const configFile = path.join(dir, "config.yaml");
  fs.writeFileSync(
    configFile,
    [
      `storage: ${path.join(dir, "storage")}`,
      "auth:",
      "  htpasswd:",
      `    file: ${path.join(dir, "htpasswd")}`,
      "    max_users: 10",
      "uplinks: {}",
      "packages:",
      "  '**':",
      "    access: $all",
      "    publish: $authenticated",
      "web:",
      "  enable: false",
      "log: { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  let output = "";
  const child = spawn(NODE, [VERDACCIO, "--config", configFile, "--listen", `127.0.0.1:${port}`], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPing(url, child, () => output);
    const response = await fetch(`${url}-/user/org.couchdb.user:publisher`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "publisher", password: "publisher-password" }),
    });
    const { token } = await response.json();
    if (!response.ok || !token) throw new Error(`adding the publishing user failed: HTTP ${response.status}`);
    const npmrc = path.join(dir, "publisher.npmrc");
    fs.writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`, { mode: 0o600 });
    const npmEnv = (extra = {}) => ({
      PATH: process.env.PATH,
      HOME: path.join(dir, "publisher-home"),
      npm_config_userconfig: npmrc,
      npm_config_cache: path.join(dir, "publisher-npm-cache"),
      npm_config_registry: url,
      npm_config_update_notifier: "false",
      npm_config_fund: "false",
      npm_config_audit: "false",
      ...extra,
    });
    return {
      url,
      dir,
      output: () => output,
      /** `npm publish` of a package directory; resolves the process result (code 0 on success). */
      publish(pkgDir) {
        return runProcess("npm", ["publish", pkgDir, "--registry", url], { cwd: dir, env: npmEnv(), timeoutMs: 120_000 });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A copy of dist/ with the version rewritten (the bundled node_modules kept), in `parent`; returns its path. */
export function stageVersion(parent, version) {
  const to = path.join(parent, `opencode-chatgpt-wasm-${version}`);
  fs.cpSync(DIST, to, { recursive: true, dereference: true });
  const manifestPath = path.join(to, "package.json");
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  manifest.version = version;
  fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return to;
}

// A real Secret Service for the keychain tests: a dbus-daemon on its own socket under `dir` (a
// config without service directories: nothing is started by activation behind the test's back)
// and gnome-keyring-daemon on it, unlocked with a test password given on stdin. `close()` stops
// both; the caller removes `dir`. Needs gnome-keyring, libsecret-tools, dbus-daemon (scripts/setup).
import fs from "node:fs";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";

export const KEYRING_PASSWORD = "occw-test-keyring-password";

/** Fails (never skips) with what to install when a tool is missing. */
export function requireKeyringTools() {
  for (const t of ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"]) {
    if (spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0) throw new Error(`${t} is missing: run scripts/setup (it installs gnome-keyring, libsecret-tools, dbus-daemon)`);
  }
}

/** `secret-tool` with the test bus: {status, stdout, stderr}. */
export function secretTool(address, args, input = "") {
  return spawnSync("secret-tool", args, { input, encoding: "utf8", env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address } });
}

export async function startSecretService(dir) {
  requireKeyringTools();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const sock = path.join(dir, "bus");
  const conf = path.join(dir, "bus.conf");
  fs.writeFileSync(
    conf,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=${sock}</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
  );
  const bus = spawn("dbus-daemon", ["--nofork", "--nopidfile", `--config-file=${conf}`, "--print-address=1"], { stdio: ["ignore", "pipe", "pipe"] });
  const busExited = new Promise((r) => bus.on("exit", r));
  const address = await new Promise((resolve, reject) => {
    let out = "";
    bus.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.split("\n")[0].trim());
    });
    bus.on("exit", (code) => reject(new Error(`dbus-daemon exited (${code})`)));
  });
  let keyring = null;
  const service = {
    address,
    get running() {
      return keyring !== null;
    },
    /** Starts (or restarts, same keyring files) the keyring daemon; resolves once it answers. */
    async startKeyring() {
      if (keyring) return;
      const home = path.join(dir, "keyring-home");
      fs.mkdirSync(path.join(home, "run"), { recursive: true, mode: 0o700 });
      const child = spawn("gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"], {
        env: { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: address, HOME: home, XDG_RUNTIME_DIR: path.join(home, "run"), XDG_DATA_HOME: path.join(home, "data") },
        stdio: ["pipe", "ignore", "pipe"],
      });
      child.stdin.end(KEYRING_PASSWORD);
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.exited = new Promise((r) => child.on("exit", r));
      keyring = child;
      // Ready once the Secret Service answers a lookup (exit 1 and no message: no such item).
      for (let i = 0; i < 200; i++) {
        await new Promise((r) => setTimeout(r, 50)); // lets the password reach its stdin
        const r = secretTool(address, ["lookup", "service", "occw-probe", "account", "none"]);
        if (r.status === 1 && !r.stderr.trim()) return;
      }
      throw new Error(`gnome-keyring-daemon did not come up: ${stderr}`);
    },
    /** Kills the keyring daemon (the bus stays). */
    async stopKeyring() {
      if (!keyring) return;
      const k = keyring;
      keyring = null;
      k.kill("SIGTERM");
      await k.exited;
    },
    async close() {
      await service.stopKeyring();
      bus.kill("SIGTERM");
      await busExited;
    },
  };
  await service.startKeyring();
  return service;
}

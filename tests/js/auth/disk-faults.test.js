// A refreshed login that cannot be saved (dist/auth/credentials.js, Node and Bun): the disk is full (ENOSPC),
// the file system or auth.json's directory is read-only (EROFS, EACCES) — the errors are injected into the
// file system auth.json is written through (tests run as root, where chmod alone does not stop a write).
// What must hold: the old auth.json is intact byte for byte, no temp file is left, the new login works for
// this process (no second refresh), and the user is told once what happened and what to do.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createCredentials } from "../../../dist/auth/credentials.js";
import { startMockIssuer } from "../../helpers/mock-issuer.js";

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** node:fs with `name` failing with `code` (for paths under `dir`, or file descriptors). */
function failing(name, code) {
  return {
    ...fs,
    [name]: (...args) => {
      throw Object.assign(new Error(`${code}: injected`), { code });
    },
  };
}

for (const [name, code, says] of [
  ["writeFileSync", "ENOSPC", /the disk is full.*free space/],
  ["fsyncSync", "ENOSPC", /the disk is full.*free space/],
  ["openSync", "EROFS", /read-only file system.*fix the permissions/],
  ["openSync", "EACCES", /permission denied.*fix the permissions/],
  ["renameSync", "EACCES", /permission denied/],
]) {
  test(`${code} at ${name} while saving a refreshed login: old file intact, new login in use, the user told once`, async () => {
    const iss = await startMockIssuer();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "occw-disk-"));
    cleanups.push(() => iss.close(), () => fs.rmSync(dir, { recursive: true, force: true }));
    const authPath = path.join(dir, "opencode", "auth.json");
    fs.mkdirSync(path.dirname(authPath));
    const login = { ...iss.mintLogin(), expires: 1 };
    const before = JSON.stringify({ anthropic: { type: "api", key: "other-provider-entry" }, openai: login }, null, 2);
    fs.writeFileSync(authPath, before, { mode: 0o600 });
    const notices = [];
    // OpenCode's own save fails the same way (same disk).
    const client = { auth: { set: async () => { throw Object.assign(new Error("write failed"), { code }); } } };
    const creds = createCredentials({ getAuth: async () => login, client, cfg: { issuer: iss.url }, authPath, fsImpl: failing(name, code), notice: (m) => notices.push(m) });
    const got = await creds.current();
    assert.equal(got.access, iss.latest().access, "the new login works for this process");
    assert.equal((await creds.current()).access, iss.latest().access);
    assert.equal(iss.counts.refresh, 1, "no second refresh");
    assert.equal(fs.readFileSync(authPath, "utf8"), before, "the old auth.json is intact");
    assert.deepEqual(fs.readdirSync(path.dirname(authPath)), ["auth.json"], "no temp or lock file left");
    assert.equal(notices.length, 1, "told once");
    assert.match(notices[0], says);
    assert.match(notices[0], /not saved: it works until OpenCode exits/);
    assert.ok(notices[0].includes(authPath));
    assert.equal(iss.leaks(notices.join("\n")), 0, "no secret in the notice");
  });
}

// The same faults for real, where the test may mount (root with CAP_SYS_ADMIN): auth.json's directory on a
// tiny tmpfs that is full, then remounted read-only. Unmounted in `after` whatever happens.
import { execFileSync } from "node:child_process";

function tryMount(dir, size) {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], { stdio: "ignore" });
    cleanups.push(() => {
      try {
        execFileSync("umount", ["-l", dir], { stdio: "ignore" });
      } catch {}
    });
    return true;
  } catch {
    return false;
  }
}

for (const fault of ["full", "read-only"]) {
  test(`for real: auth.json's directory is ${fault === "full" ? "on a full disk" : "read-only"} when a refreshed login is saved`, async (t) => {
    const iss = await startMockIssuer();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "occw-disk-real-"));
    cleanups.push(() => iss.close(), () => fs.rmSync(root, { recursive: true, force: true }));
    const mnt = path.join(root, "opencode");
    fs.mkdirSync(mnt);
    if (!tryMount(mnt, "256k")) return t.skip("cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN); the injected faults above cover this");
    const authPath = path.join(mnt, "auth.json");
    const login = { ...iss.mintLogin(), expires: 1 };
    const before = JSON.stringify({ anthropic: { type: "api", key: "other-provider-entry" }, openai: login }, null, 2);
    fs.writeFileSync(authPath, before, { mode: 0o600 });
    if (fault === "full") {
      try {
        fs.writeFileSync(path.join(mnt, "filler"), Buffer.alloc(1024 * 1024)); // ENOSPC once the tmpfs is full
      } catch {}
    } else {
      execFileSync("mount", ["-o", "remount,ro", mnt], { stdio: "ignore" });
    }
    const notices = [];
    const creds = createCredentials({ getAuth: async () => login, cfg: { issuer: iss.url }, authPath, notice: (m) => notices.push(m) });
    assert.equal((await creds.current()).access, iss.latest().access, "the new login works for this process");
    assert.equal((await creds.current()).access, iss.latest().access);
    assert.equal(iss.counts.refresh, 1);
    assert.equal(fs.readFileSync(authPath, "utf8"), before, "the old auth.json is intact");
    assert.deepEqual(fs.readdirSync(mnt).filter((n) => n !== "filler"), ["auth.json"], "no temp or lock file left");
    assert.equal(notices.length, 1, "told once");
    assert.match(notices[0], fault === "full" ? /the disk is full.*free space/ : /read-only file system.*fix the permissions/);
    assert.equal(iss.leaks(notices.join("\n")), 0);
  });
}

// The project an account pin belongs to: the nearest enclosing directory with a `.git`, else the
// directory itself. Its own small module so the plugin's load imports it without the accounts CLI.
// Reads only the file system's directory entries; decides nothing about accounts.
import fs from "node:fs";
import path from "node:path";

/** The project of `cwd`: the nearest enclosing directory holding `.git`, else `cwd` resolved. */
export function projectOf(cwd) {
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, ".git"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(cwd);
    dir = up;
  }
}

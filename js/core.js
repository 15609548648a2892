// Loads the Rust core (wasm-pack `--target web` output in ./wasm/) synchronously from the bytes
// beside this file: no bundler, no fetch, works the same under Bun (OpenCode) and Node.
// A trap inside wasm (a Rust panic) leaves that instance unusable, so callCore() turns it into a
// CoreError with the panic message and loads a fresh instance for the next call.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Packaged: ./wasm/ beside this file; run from the source tree (js/): the wasm-pack output in ../pkg/.
const DIR = ["./wasm/", "../pkg/"].map((d) => new URL(d, import.meta.url)).find((u) => existsSync(new URL("opencode_chatgpt_wasm_bg.wasm", u))) ?? new URL("./wasm/", import.meta.url);
const WASM_URL = new URL("opencode_chatgpt_wasm_bg.wasm", DIR);
const GLUE_URL = new URL("opencode_chatgpt_wasm.js", DIR);

let compiled; // Promise of the compiled WebAssembly.Module (compiled once, instantiated again after a panic)
let current; // Promise of the glue module in use
let loaded; // that glue module, once instantiated
let generation = 0;

/** An error raised by the Rust core; `code` is stable (see src/*.rs `CoreError::code`). */
export class CoreError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "CoreError";
    this.code = code ?? "core-error";
  }
}

// A fresh glue module (its own `wasm` and memory: its initSync() keeps the first instance) needs a
// specifier never imported before. Node keys modules by URL, query included; Bun ignores the query
// of a file: URL but keys a path's (tests/js/panic.test.js checks both).
function glueSpecifier(n) {
  if (n === 0) return GLUE_URL.href;
  return typeof Bun === "undefined" ? `${GLUE_URL.href}?instance=${n}` : `${fileURLToPath(GLUE_URL)}?instance=${n}`;
}

/** Starts compiling the wasm off the main thread; called when this module loads, so the compile
 * overlaps the plugin's remaining imports instead of following them. */
function compileSoon() {
  if (!compiled) {
    try {
      compiled = WebAssembly.compile(readFileSync(WASM_URL));
    } catch (err) {
      compiled = Promise.reject(err); // e.g. the file is missing: loadCore() reports it
    }
    compiled.catch(() => {}); // reported by loadCore(), not as an unhandled rejection
  }
  return compiled;
}
compileSoon();

async function instantiate() {
  const [module, glue] = await Promise.all([compileSoon(), import(glueSpecifier(generation))]);
  generation += 1;
  glue.initSync({ module });
  loaded = glue;
  return glue;
}

/** The core's exports, instantiated on first use (about a millisecond). */
export async function loadCore() {
  current ??= instantiate();
  return current;
}

/** Runs `fn(core)`; core errors keep their code, a wasm trap becomes `core-panic` and resets the instance. */
export async function callCore(fn) {
  return callLoaded(await loadCore(), fn);
}

/** callCore() without the await, for hot paths that already hold `core` (from loadCore()). */
export function callLoaded(core, fn) {
  try {
    return fn(core);
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      let detail = "";
      try {
        detail = core.lastPanic();
      } catch {}
      // The trapped instance is unusable: the next loadCore() builds a fresh one.
      if (loaded === core) {
        current = undefined;
        loaded = undefined;
      }
      throw new CoreError(`internal error in the plugin core (${detail || err.message}); the request was not sent. Please report it.`, "core-panic");
    }
    if (err && typeof err === "object" && typeof err.code === "string" && !(err instanceof CoreError)) {
      throw new CoreError(err.message, err.code);
    }
    throw err;
  }
}

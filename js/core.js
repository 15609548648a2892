// Loads the Rust core: two wasm modules built from one crate (wasm-pack `--target web` output in
// ./wasm/; scripts/build), each from the bytes beside this file: no bundler, no fetch, the same under
// Bun (OpenCode) and Node.
//   - the startup module (loadStartup / callStartup): what OpenCode asks for before any request: the
//     model catalog, the client identity, reading and updating the account pool, redaction. Small
//     (issue 18: ≤ 250 KB), so the provider's models and the auth loader wait for little;
//   - the core (loadCore / callCore): every export (the startup module's too): the request transform,
//     SSE, error classes, refresh decisions, the login, the accounts CLI and tool, the usage view.
//     The first request (or login, or usage view) compiles it.
// Nothing is compiled when this file is imported: each module is compiled and instantiated on its
// first use (or by warmStartup(), which the plugin calls after returning its hooks). A missing or
// damaged .wasm fails that first use with a CoreError "core-missing" that says which file and what to
// do (doctor runs both modules through selfTest()).
// A trap inside wasm (a Rust panic) leaves that instance unusable, so callCore()/callStartup() turn it
// into a CoreError with the panic message and load a fresh instance of that module for the next call.
// What it never does: decide anything; read any file but the two modules and their glue.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PACKAGE_NAME } from "./config.js";

const CORE = "opencode_chatgpt_wasm";
const STARTUP = "opencode_chatgpt_wasm_startup";

// Packaged: ./wasm/ beside this file; run from the source tree (js/): the wasm-pack output in ../pkg/.
let dir;
function wasmDir() {
  dir ??= ["./wasm/", "../pkg/"].map((d) => new URL(d, import.meta.url)).find((u) => existsSync(new URL(`${CORE}_bg.wasm`, u))) ?? new URL("./wasm/", import.meta.url);
  return dir;
}

/** An error raised by the Rust core; `code` is stable (see src/*.rs `CoreError::code`). */
export class CoreError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "CoreError";
    this.code = code ?? "core-error";
  }
}

/** The sentence for a module that cannot be loaded: which file, what went wrong, what to do. */
function brokenInstall(file, err) {
  const what = err?.code === "ENOENT" ? "is missing" : err instanceof WebAssembly.CompileError ? `is damaged (${err.message})` : `cannot be loaded (${err?.message ?? err})`;
  return new CoreError(`the plugin's wasm core ${fileURLToPath(file)} ${what}: this install of ${PACKAGE_NAME} is broken. Reinstall it: npx ${PACKAGE_NAME} install`, "core-missing");
}

/** One wasm module: compiled once, instantiated on first use and again after a panic. */
function wasmModule(name) {
  const state = { compiled: undefined, current: undefined, loaded: undefined, generation: 0 };
  const urls = () => ({ wasm: new URL(`${name}_bg.wasm`, wasmDir()), glue: new URL(`${name}.js`, wasmDir()) });

  // A fresh glue module (its own `wasm` and memory: its initSync() keeps the first instance) needs a
  // specifier never imported before. Node keys modules by URL, query included; Bun ignores the query
  // of a file: URL but keys a path's (tests/js/panic.test.js checks both).
  const glueSpecifier = (n) => {
    const { glue } = urls();
    if (n === 0) return glue.href;
    return typeof Bun === "undefined" ? `${glue.href}?instance=${n}` : `${fileURLToPath(glue)}?instance=${n}`;
  };

  const compile = () => {
    if (!state.compiled) {
      const { wasm } = urls();
      try {
        state.compiled = WebAssembly.compile(readFileSync(wasm)).catch((err) => {
          throw brokenInstall(wasm, err);
        });
      } catch (err) {
        state.compiled = Promise.reject(brokenInstall(wasm, err)); // e.g. the file is missing
      }
    }
    return state.compiled;
  };

  const instantiate = async () => {
    const glueP = import(glueSpecifier(state.generation)).catch((err) => {
      throw brokenInstall(urls().glue, err);
    });
    const [module, glue] = await Promise.all([compile(), glueP]);
    state.generation += 1;
    glue.initSync({ module });
    state.loaded = glue;
    return glue;
  };

  return {
    state,
    /** The module's exports, instantiated on first use; a failed load is retried (and reported) by the next use. */
    load() {
      state.current ??= instantiate().catch((err) => {
        state.current = undefined;
        state.compiled = undefined;
        throw err;
      });
      return state.current;
    },
  };
}

const core = wasmModule(CORE);
const startup = wasmModule(STARTUP);

/** The core's exports (every export; compiled and instantiated on first use). */
export function loadCore() {
  return core.load();
}

/** The startup module's exports: the catalog, the client identity, the account pool, redaction (loaded on first use). */
export function loadStartup() {
  return startup.load();
}

/** Which modules this process has instantiated ("startup", "core"): for the tests and the bench. */
export function loadedModules() {
  return [
    ["startup", startup],
    ["core", core],
  ]
    .filter(([, m]) => m.state.loaded)
    .map(([name]) => name);
}

/** Starts loading the startup module without waiting for it (a failure is reported by the first use). */
export function warmStartup() {
  startup.load().catch(() => {});
}

/** Runs `fn(core)` on the core; core errors keep their code, a wasm trap becomes `core-panic` and resets the instance. */
export async function callCore(fn) {
  return callLoaded(await core.load(), fn);
}

/** callCore() for the startup module's exports. */
export async function callStartup(fn) {
  return callLoaded(await startup.load(), fn);
}

/** callCore() without the await, for hot paths that already hold `loaded` (from loadCore() or loadStartup()). */
export function callLoaded(loaded, fn) {
  try {
    return fn(loaded);
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      let detail = "";
      try {
        detail = loaded.lastPanic();
      } catch {}
      // The trapped instance is unusable: the next load of that module builds a fresh one.
      for (const { state } of [core, startup]) {
        if (state.loaded === loaded) {
          state.current = undefined;
          state.loaded = undefined;
        }
      }
      throw new CoreError(`internal error in the plugin core (${detail || err.message}); the request was not sent. Please report it.`, "core-panic");
    }
    if (err && typeof err === "object" && typeof err.code === "string" && !(err instanceof CoreError)) {
      throw new CoreError(err.message, err.code);
    }
    throw err;
  }
}

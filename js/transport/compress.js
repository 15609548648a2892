// zstd for `/responses` request bodies, with the runtime's own encoder: Bun (`Bun.zstdCompress`, which
// OpenCode runs plugins in) or Node's zlib where it has one (Node >= 22.15 / 23.8); Node 20 has none and
// sends plain JSON. Whether a body is compressed is decided by config.js (requestEncoding, refusesEncoding);
// this file only encodes, and remembers for the process that the backend refused the encoding.
// Never inspects or logs the body.
import zlib from "node:zlib";
import { ZSTD_LEVEL } from "../config.js";

/**
 * The runtime's zstd encoder: `(bytes) => Promise<Uint8Array>` (off the main thread where the runtime
 * does it), or null when the runtime has none. `bun`: the Bun global to prefer (a test passes none to reach
 * node:zlib's, which Bun has too).
 */
export function runtimeZstd(level = ZSTD_LEVEL, bun = globalThis.Bun) {
  if (typeof bun?.zstdCompress === "function") return (bytes) => bun.zstdCompress(bytes, { level });
  if (typeof zlib.zstdCompress === "function") {
    const params = { [zlib.constants.ZSTD_c_compressionLevel]: level };
    return (bytes) =>
      new Promise((resolve, reject) => zlib.zstdCompress(bytes, { params }, (err, out) => (err ? reject(err) : resolve(out))));
  }
  return null;
}

let refused = false;

/** The backend refused `Content-Encoding: zstd` in this process: every later body goes plain. */
export const encodingRefused = () => refused;
export function noteEncodingRefused() {
  refused = true;
}
/** For tests: a fresh process's state. */
export function resetEncodingRefused() {
  refused = false;
}

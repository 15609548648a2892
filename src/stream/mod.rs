//! **Streams**: what comes back from the Codex backend, and what it means.
//!
//! - [`sse`]: the incremental Server-Sent Events parser and the copy-free scanner.
//! - [`rewriter`]: the pass-through OpenCode reads, byte-identical, which tracks completion and
//!   turns a failure event into words.
//! - [`collector`]: SSE → one Responses JSON object for callers that asked for `stream:false`.
//! - [`errors_http`]: HTTP errors and in-stream failure codes → a kind, a message a person
//!   understands, and a retry decision.
//! - [`limits`]: the rate-limit headers → a quota snapshot and threshold warnings.
//! - [`retry`]: whether a stream that stopped before output is re-sent, when, and how.
//!
//! What it decides: whether a reply succeeded, failed or must be retried, and what the user reads.
//! What it never does: read a socket, sleep or keep state across requests; the JS shim
//! (`js/transport/`) feeds it bytes, headers and `now_ms`.

pub mod collector;
pub mod errors_http;
pub mod limits;
pub mod retry;
pub mod rewriter;
pub mod sse;

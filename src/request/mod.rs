//! **Requests**: what is sent to the Codex backend.
//!
//! - [`transform`]: an OpenCode Responses API body in, a body the ChatGPT Codex backend accepts
//!   out (store:false invariants, unsupported parameters, item repairs, effort clamping, a stable
//!   `prompt_cache_key`), in one forward scan that copies untouched bytes; for catalog entries marked
//!   `use_responses_lite`, the responses-lite shape ([`transform::lite`]).
//! - [`client`]: the client identity (the Codex CLI version we speak as, the User-Agent).
//! - [`turn`]: which turn of a session a body belongs to (for `x-codex-turn-state`).
//! - [`resend`]: the body sent once more without its encrypted reasoning (`invalid_encrypted_content`).
//! - [`models`]: the model catalog (bundled snapshot, the live `/models` list laid over it, name
//!   resolution with retired names and `-effort` / `-fast` suffixes, the listing OpenCode shows).
//!
//! What it decides: the exact body and model of every request. What it never does: send it, read
//! a cache file or the clock; the JS shim (`js/request/`, `js/transport/`) does those.

pub mod client;
pub mod models;
pub mod resend;
pub mod transform;
pub mod turn;

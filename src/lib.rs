//! Sans-IO core of the opencode-chatgpt-wasm OpenCode plugin.
//!
//! What it does: the ChatGPT OAuth protocol decisions (PKCE, JWT claims), the Codex request
//! transform and model catalog, and (in later modules) SSE handling and error classification.
//! What it never does: network, files, clocks or logging. The JS shim does all I/O and hands
//! in bytes, strings and `now_ms`; randomness comes through [`random::fill`] (getrandom, i.e.
//! `crypto.getRandomValues` in wasm) or is injected by the caller in tests.

pub mod callback_page;
pub mod device;
pub mod error;
pub mod errors_http;
pub mod jwt;
pub mod limits;
pub mod models;
pub mod num;
pub mod oauth;
pub mod pkce;
pub mod random;
pub mod redact;
pub mod request;
pub mod responses;
pub mod sse;
pub mod stream;
pub mod token;
pub mod token_response;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::CoreError;

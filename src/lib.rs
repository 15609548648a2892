//! Sans-IO core of the opencode-chatgpt-wasm OpenCode plugin, in four parts and a boundary:
//!
//! | part | decides |
//! |---|---|
//! | [`accounts`] | several ChatGPT logins: identity, the pool, which account serves a conversation, rotation |
//! | [`auth`] | sign-in: PKCE, OAuth and device code, token replies, refresh decisions, JWT claims, redaction |
//! | [`request`] | what is sent: the Codex request transform and the model catalog |
//! | [`stream`] | what comes back: SSE parsing, the pass-through rewriter, the JSON collector, error and rate-limit classification |
//! | [`usage`] | the usage windows: the usage endpoint and reply headers → the TUI status, sidebar and `usage` table |
//! | `wasm` | the only wasm-bindgen layer (wasm32 only), one export module per part |
//!
//! Shared by the parts: [`error`] (the coded-error trait), [`json`] (JSON in and out without serde
//! derives), [`num`] (decimal parsing), [`random`]
//! (the secure random source).
//!
//! What it never does: network, files, clocks or logging. The JS shim does all I/O and hands
//! in bytes, strings and `now_ms`; randomness comes through [`random::fill`] (getrandom, i.e.
//! `crypto.getRandomValues` in wasm) or is injected by the caller in tests.

pub mod accounts;
pub mod auth;
pub mod error;
pub mod json;
pub mod num;
pub mod random;
pub mod request;
pub mod stream;
pub mod usage;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::CoreError;

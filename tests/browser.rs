//! The wasm-bindgen suites again, in headless Chromium (`wasm-pack test --headless --chrome`).
#![cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "wasm_auth.rs"]
mod auth_suite;

#[path = "wasm_request.rs"]
mod request_suite;

#[path = "wasm_stream.rs"]
mod stream_suite;

#[path = "wasm_accounts.rs"]
mod accounts_suite;
#[path = "wasm_usage.rs"]
mod usage_suite;

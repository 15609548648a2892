//! The one error shape the core hands out: a stable machine `code` and a short lowercase message.
//!
//! Each module keeps its own error enum (a documented variant per failure class) and implements
//! [`CoreError`]; the wasm layer turns any of them into a JS `Error` with a `code` property in one
//! place (`wasm::to_js_error`). Messages never contain tokens, codes, verifiers or state.

/// A failure the core reports to its caller.
pub trait CoreError: std::fmt::Display {
    /// Stable, kebab-case identifier JS can branch on (e.g. `"jwt-malformed"`).
    fn code(&self) -> &'static str;
}

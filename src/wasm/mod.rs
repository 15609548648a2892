//! The wasm-bindgen boundary: the only place with `#[wasm_bindgen]`, export modules per part of the
//! core. One crate builds two wasm modules (scripts/build): the startup module (no features: what
//! OpenCode asks for before any request: the catalog and client identity, reading and updating the
//! account pool, sign-in state and refresh decisions, redaction) and the core (feature `full`, the
//! default: every export; the native and wasm-bindgen tests use it). Every export decodes its JS
//! arguments, calls the core, and encodes the result; core errors become JS `Error`s with a stable
//! `code` property in exactly one function, [`to_js_error`]. A panic hook records the panic
//! message so the JS side can report it (and re-instantiate the module) instead of crashing.

use std::sync::Mutex;

use wasm_bindgen::prelude::*;

use crate::error::CoreError;

mod args;

// In both modules: the startup module (no features) is the catalog and client identity of
// `request_exports`, the pool reading of `accounts_exports`, and `auth_exports`; the exports of these
// files that only a request needs are marked `feature = "full"`.
pub mod accounts_exports;
pub mod auth_exports;
pub mod request_exports;
// The core only (feature `full`): what comes back, the login, the accounts CLI and tool, the usage view.
#[cfg(feature = "full")]
pub mod accounts_admin_exports;
#[cfg(feature = "full")]
pub mod login_exports;
#[cfg(feature = "full")]
pub mod stream_exports;
#[cfg(feature = "full")]
pub mod usage_exports;

static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut slot) = LAST_PANIC.lock() {
            *slot = info.to_string();
        }
    }));
}

/// The message of the last panic, if any (read by JS after catching a `RuntimeError`).
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> String {
    LAST_PANIC.lock().map(|s| s.clone()).unwrap_or_default()
}

/// Test-only, but compiled in so the test exercises the module that ships: panics on purpose.
/// `tests/js/panic.test.js` calls it through `callCore()` to prove that a panic (a wasm trap)
/// becomes a `core-panic` error with this message and that the next call gets a fresh instance.
/// Nothing in the plugin calls it.
#[doc(hidden)]
#[wasm_bindgen(js_name = __panicForTest)]
pub fn panic_for_test() {
    panic!("deliberate panic for tests/js/panic.test.js");
}

/// The one conversion from a core error to a JS error: `Error(message)` with `.code`.
pub(crate) fn to_js_error<E: CoreError + ?Sized>(err: &E) -> JsValue {
    let e = js_sys::Error::new(&err.to_string());
    let _ = js_sys::Reflect::set(&e, &"code".into(), &err.code().into());
    e.into()
}

/// Serializes a core value for JS (plain objects, not Maps) through JSON text and `JSON.parse`:
/// the results are small, and serde_json is linked anyway (serde_wasm_bindgen's serializer cost ~12 KB).
/// Out of line (as are [`from_js`] and the accounts exports' `pool_arg`): one copy per type, not
/// one per export that uses it (docs/benchmarks.md, "wasm size, round two").
#[cfg(feature = "full")]
#[inline(never)]
pub(crate) fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    json_to_js(serde_json::to_string(value))
}

/// The type-independent half of [`to_js`].
#[cfg(feature = "full")]
#[inline(never)]
fn json_to_js(text: serde_json::Result<String>) -> Result<JsValue, JsValue> {
    let text = text.map_err(|e| {
        JsValue::from(js_sys::Error::new(&format!(
            "internal: cannot encode result: {e}"
        )))
    })?;
    js_sys::JSON::parse(&text)
}

/// A result the core wrote as JSON text ([`crate::json`]) as a plain JS value (`JSON.parse`).
#[inline(never)]
pub(crate) fn json_text_to_js(text: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(text)
}

/// A plain JS value as a [`serde_json::Value`] (through `JSON.stringify`), for readers written with
/// [`crate::json::Fields`] in place of serde derives.
#[inline(never)]
pub(crate) fn value_from_js(value: &JsValue) -> Result<serde_json::Value, String> {
    crate::json::parse(&js_to_json(value)?)
}

/// Reads a plain JS value into a core type through `JSON.stringify` (see [`to_js`]).
#[cfg(feature = "full")]
#[inline(never)]
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    serde_json::from_str(&js_to_json(value)?).map_err(|e| e.to_string())
}

/// The type-independent half of [`from_js`]: the value's JSON text.
#[inline(never)]
fn js_to_json(value: &JsValue) -> Result<String, String> {
    let text = if value.is_undefined() {
        "null".to_string()
    } else {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| "not JSON-serializable".to_string())?
    };
    Ok(text)
}

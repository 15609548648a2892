//! Readers of JS arguments shared by the export modules of both wasm builds (the startup module,
//! feature `hot`, and the cold one, feature `cold`; see [`super`]): the shape checks of the sign-in
//! exports, read field by field with `Reflect` (the same checks as a serde Deserializer for a fraction
//! of the size), and the account pool argument. Decides nothing; each build links what it uses.
// Each build uses a subset (`req_str` and the pool readers only in some): no dead-code noise for the others.
#![allow(dead_code)]

use wasm_bindgen::prelude::*;

use super::{to_js_error, value_from_js};
use crate::accounts::pool::Pool;
use crate::accounts::AccountsError;
use crate::error::CoreError;

/// A JS argument of the wrong shape.
pub(crate) struct BadArgument(pub(crate) &'static str);

impl std::fmt::Display for BadArgument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "internal: {} (a plugin bug; please report it)", self.0)
    }
}

impl CoreError for BadArgument {
    fn code(&self) -> &'static str {
        "bad-argument"
    }
}

// Arguments are read field by field with `Reflect` rather than serde_wasm_bindgen's Deserializer:
// the same checks for a fraction of the wasm size.

/// Ok if `value` is a JS object; else the error naming the expected shape.
pub(crate) fn object(value: &JsValue, what: &'static str) -> Result<(), JsValue> {
    if value.is_object() {
        Ok(())
    } else {
        Err(to_js_error(&BadArgument(what)))
    }
}

pub(crate) fn field(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A string field; `undefined`/`null` are `None`, any other type is the shape error.
pub(crate) fn opt_str(
    obj: &JsValue,
    key: &str,
    what: &'static str,
) -> Result<Option<String>, JsValue> {
    let v = field(obj, key);
    match v.as_string() {
        Some(s) => Ok(Some(s)),
        None if v.is_undefined() || v.is_null() => Ok(None),
        None => Err(to_js_error(&BadArgument(what))),
    }
}

pub(crate) fn req_str(obj: &JsValue, key: &str, what: &'static str) -> Result<String, JsValue> {
    opt_str(obj, key, what)?.ok_or_else(|| to_js_error(&BadArgument(what)))
}

/// JS numbers to ms: non-finite values become 0; the cast saturates.
pub(crate) fn ms(value: f64) -> i64 {
    if value.is_finite() {
        value as i64
    } else {
        0
    }
}

/// The pool argument (a plain object, as in `accounts.json`), checked and normalized; throws
/// `accounts-bad-pool`.
#[inline(never)]
pub(crate) fn pool_arg(value: &JsValue) -> Result<Pool, JsValue> {
    let v = value_from_js(value).map_err(|e| to_js_error(&AccountsError::BadPool(e)))?;
    Pool::checked(&v, "").map_err(|e| to_js_error(&e))
}

/// The error of an argument the plugin passed wrong (`what`, and why in serde's words).
pub(crate) fn bad_arg(what: &str, why: &str) -> JsValue {
    JsValue::from(js_sys::Error::new(&format!(
        "internal: bad {what} ({why}); a plugin bug, please report it"
    )))
}

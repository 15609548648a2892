//! Exports of the account pool that only the `accounts` CLI and tool use (cold module): the listing,
//! `<n|label|email>` resolution, and the export file (make, parse, plan an import). Stateless, as in
//! [`super::accounts_exports`]: JS passes the pool in. Decode, call the core, encode.
//!
//! Thrown errors are `Error`s with a `.code`:
//! - `accounts-not-found`, `accounts-ambiguous`, `accounts-bad-label`: show the message (CLI exit 2).
//! - `accounts-bad-pool`: the pool object is damaged or from a newer version: change nothing.
//! - `accounts-bad-export`: a file given to `accounts import` is not an export this version reads:
//!   change nothing, show the message (CLI exit 2).
//!
//! The export file is the one place where tokens cross into the core: [`accountsMakeExport`] and
//! [`accountsParseExport`] check them (each login names its account) and hand them back untouched.

use wasm_bindgen::prelude::*;

use super::args::{bad_arg, pool_arg};
use super::{json_text_to_js, to_js, to_js_error, value_from_js};
use crate::accounts::{transfer, view, AccountsError};

/// The accounts as shown (no tokens): see `view::AccountView`.
#[wasm_bindgen(js_name = accountsList)]
pub fn accounts_list(
    pool: JsValue,
    now_ms: f64,
    project: Option<String>,
) -> Result<JsValue, JsValue> {
    let p = pool_arg(&pool)?;
    to_js(&view::list(&p, now_ms as i64, project.as_deref()))
}

/// The key `<n|label|email>` names; throws `accounts-not-found` / `accounts-ambiguous`.
#[wasm_bindgen(js_name = accountsResolve)]
pub fn accounts_resolve(pool: JsValue, selector: &str) -> Result<String, JsValue> {
    let p = pool_arg(&pool)?;
    view::resolve(&p, selector).map_err(|e| to_js_error(&e))
}

/// The export file's text for `pool` and `logins` (key → stored login), conversations left out;
/// throws `accounts-bad-export` unless every account has a login that names it.
#[wasm_bindgen(js_name = accountsMakeExport)]
pub fn accounts_make_export(
    pool: JsValue,
    logins: JsValue,
    now_ms: f64,
) -> Result<String, JsValue> {
    let p = pool_arg(&pool)?;
    let logins = value_from_js(&logins)
        .and_then(|v| transfer::Login::read_map(&v))
        .map_err(|e| {
            to_js_error(&AccountsError::BadExport(format!(
                "a stored login is malformed: {e}"
            )))
        })?;
    let export = transfer::make(&p, logins, now_ms as i64).map_err(|e| to_js_error(&e))?;
    Ok(export.to_file_text())
}

/// The export in `text`, checked whole: `{format, version, exportedMs, pool, logins}`; throws
/// `accounts-bad-export` saying what is wrong.
#[wasm_bindgen(js_name = accountsParseExport)]
pub fn accounts_parse_export(text: &str) -> Result<JsValue, JsValue> {
    json_text_to_js(
        &transfer::parse(text)
            .map_err(|e| to_js_error(&e))?
            .to_json(),
    )
}

/// What importing `export` (from accountsParseExport) does to `pool`, whose accounts' newest
/// logins expire at `expires` (key → ms or null): `{pool, items: [{key, n, name, action: "add" |
/// "update" | "same", login}]}` (`login`: take the file's login for that account).
#[wasm_bindgen(js_name = accountsPlanImport)]
pub fn accounts_plan_import(
    pool: JsValue,
    expires: JsValue,
    export: JsValue,
) -> Result<JsValue, JsValue> {
    let p = pool_arg(&pool)?;
    let expires = value_from_js(&expires)
        .and_then(|v| transfer::read_expiries(&v))
        .map_err(|e| bad_arg("login expiries", &e))?;
    let export = value_from_js(&export)
        .and_then(|v| transfer::Export::read(&v))
        .map_err(|e| to_js_error(&AccountsError::BadExport(e)))?;
    json_text_to_js(
        &transfer::plan(&p, &expires, &export)
            .map_err(|e| to_js_error(&e))?
            .to_json(),
    )
}

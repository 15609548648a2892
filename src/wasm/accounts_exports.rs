//! Exports of the account pool: identity from a login's tokens, the pool's text, events,
//! selection, the listing and `<n|label|email>` resolution. Stateless: JS holds the pool (a plain
//! object, as in `accounts.json`) and passes it in; every call that changes it returns the new
//! pool. Decode, call the core, encode. Tokens go in only to [`accountsIdentity`] and never come
//! back out.
//!
//! Thrown errors are `Error`s with a `.code`:
//! - `accounts-no-account-id`: the login names no ChatGPT account id (it cannot join the pool).
//! - `accounts-not-found`, `accounts-ambiguous`, `accounts-bad-label`: show the message (CLI exit 2).
//! - `accounts-bad-pool`: the pool text or object is damaged or from a newer version: keep the
//!   file as it is, say so once, and go on with auth.json's login.
//! - `accounts-bad-export`: a file given to `accounts import` is not an export this version reads:
//!   change nothing, show the message (CLI exit 2).
//!
//! The export file is the one place where tokens cross into the core: [`accountsMakeExport`] and
//! [`accountsParseExport`] check them (each login names its account) and hand them back untouched.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{from_js, to_js, to_js_error};
use crate::accounts::pool::{self, Applied, Event, Pool};
use crate::accounts::select::{self, Ask, Selection};
use crate::accounts::{identity, transfer, view, AccountsError};

#[inline(never)]
fn pool_arg(value: &JsValue) -> Result<Pool, JsValue> {
    let mut p: Pool = from_js(value).map_err(|e| to_js_error(&AccountsError::BadPool(e)))?;
    if p.version != pool::VERSION {
        return Err(to_js_error(&AccountsError::BadPool(format!(
            "it is version {}, this plugin reads version {}; update the plugin",
            p.version,
            pool::VERSION
        ))));
    }
    p.normalize();
    Ok(p)
}

fn arg<T: serde::de::DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, JsValue> {
    from_js(value).map_err(|e| {
        JsValue::from(js_sys::Error::new(&format!(
            "internal: bad {what} ({e}); a plugin bug, please report it"
        )))
    })
}

/// An empty pool (version, no accounts).
#[wasm_bindgen(js_name = accountsEmptyPool)]
pub fn accounts_empty_pool() -> Result<JsValue, JsValue> {
    to_js(&Pool {
        version: pool::VERSION,
        ..Pool::default()
    })
}

/// The pool in `text` (accounts.json's `pool`), normalized; throws `accounts-bad-pool`.
#[wasm_bindgen(js_name = accountsParsePool)]
pub fn accounts_parse_pool(text: &str) -> Result<JsValue, JsValue> {
    to_js(&Pool::from_json(text).map_err(|e| to_js_error(&e))?)
}

/// The identity of a login: `{key, accountId, userId, email, plan}`.
#[wasm_bindgen(js_name = accountsIdentity)]
pub fn accounts_identity(
    access: &str,
    id_token: Option<String>,
    account_id: Option<String>,
) -> Result<JsValue, JsValue> {
    let id = identity::from_tokens(access, id_token.as_deref(), account_id.as_deref())
        .map_err(|e| to_js_error(&e))?;
    to_js(&id)
}

#[derive(Serialize)]
struct Changed {
    pool: Pool,
    applied: Applied,
}

/// Applies one event (`{type: "joined" | "usage" | "usageLimit" | "loginDead" | "failed" |
/// "succeeded" | "use" | "unpin" | "label" | "remove", ...}`): `{pool, applied}`.
#[wasm_bindgen(js_name = accountsApply)]
pub fn accounts_apply(pool: JsValue, event: JsValue) -> Result<JsValue, JsValue> {
    let mut p = pool_arg(&pool)?;
    let event: Event = arg(&event, "accounts event")?;
    let applied = pool::apply(&mut p, event).map_err(|e| to_js_error(&e))?;
    to_js(&Changed { pool: p, applied })
}

#[derive(Serialize)]
struct Selected {
    pool: Pool,
    selection: Selection,
}

/// Which account serves `{conversation, project, nowMs, allowLeavePin}`: `{pool, selection}`
/// (`selection.type`: `serve` with `{key, index, moved}`, `exhausted` or `empty` with a `message`).
#[wasm_bindgen(js_name = accountsSelect)]
pub fn accounts_select(pool: JsValue, ask: JsValue) -> Result<JsValue, JsValue> {
    let mut p = pool_arg(&pool)?;
    let ask: Ask = arg(&ask, "accounts question")?;
    let selection = select::select(&mut p, &ask);
    to_js(&Selected { pool: p, selection })
}

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

/// The request body without encrypted reasoning items (a conversation that moved between
/// accounts), or `null` when there is nothing to drop.
#[wasm_bindgen(js_name = accountsDropReasoning)]
pub fn accounts_drop_reasoning(body: &str) -> Option<String> {
    crate::accounts::reasoning::drop_reasoning(body)
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
    let logins = from_js(&logins).map_err(|e| {
        to_js_error(&AccountsError::BadExport(format!(
            "a stored login is malformed: {e}"
        )))
    })?;
    let export = transfer::make(&p, logins, now_ms as i64).map_err(|e| to_js_error(&e))?;
    serde_json::to_string_pretty(&export).map_err(|e| {
        JsValue::from(js_sys::Error::new(&format!(
            "internal: cannot encode the export: {e}"
        )))
    })
}

/// The export in `text`, checked whole: `{format, version, exportedMs, pool, logins}`; throws
/// `accounts-bad-export` saying what is wrong.
#[wasm_bindgen(js_name = accountsParseExport)]
pub fn accounts_parse_export(text: &str) -> Result<JsValue, JsValue> {
    to_js(&transfer::parse(text).map_err(|e| to_js_error(&e))?)
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
    let expires = arg(&expires, "login expiries")?;
    let export: transfer::Export =
        from_js(&export).map_err(|e| to_js_error(&AccountsError::BadExport(e)))?;
    to_js(&transfer::plan(&p, &expires, &export).map_err(|e| to_js_error(&e))?)
}

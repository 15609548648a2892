//! Exports of the account pool that a turn uses (startup module): identity from a login's tokens,
//! the pool's text, events and selection, and dropping encrypted reasoning when a conversation moves.
//! Stateless: JS holds the pool (a plain object, as in `accounts.json`) and passes it in; every call
//! that changes it returns the new pool. Decode, call the core, encode. Tokens go in only to
//! [`accountsIdentity`] and never come back out. The listing, `<n|label|email>` resolution and the
//! export file are in [`super::accounts_admin_exports`] (cold module).
//!
//! Thrown errors are `Error`s with a `.code`:
//! - `accounts-no-account-id`: the login names no ChatGPT account id (it cannot join the pool).
//! - `accounts-bad-pool`: the pool text or object is damaged or from a newer version: keep the
//!   file as it is, say so once, and go on with auth.json's login.
// The startup module (no features) compiles only some of these exports: the rest of what they use is unused there.
#![cfg_attr(not(feature = "full"), allow(unused_imports, dead_code))]

use wasm_bindgen::prelude::*;

use super::args::{bad_arg, pool_arg};
use super::{json_text_to_js, to_js_error, value_from_js};
use crate::accounts::identity;
use crate::accounts::pool::{self, Event, Pool};
use crate::accounts::select::{self, Ask};
use crate::json::Obj;

/// An empty pool (version, no accounts).
#[wasm_bindgen(js_name = accountsEmptyPool)]
pub fn accounts_empty_pool() -> Result<JsValue, JsValue> {
    let p = Pool {
        version: pool::VERSION,
        ..Pool::default()
    };
    json_text_to_js(&p.to_json())
}

/// The pool in `text` (accounts.json's `pool`), normalized; throws `accounts-bad-pool`.
#[wasm_bindgen(js_name = accountsParsePool)]
pub fn accounts_parse_pool(text: &str) -> Result<JsValue, JsValue> {
    json_text_to_js(
        &Pool::from_json(text)
            .map_err(|e| to_js_error(&e))?
            .to_json(),
    )
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
    json_text_to_js(&id.to_json())
}

/// `{pool, <key>}` with the second value written by `write`.
fn with_pool(p: &Pool, key: &str, write: impl FnOnce(&mut String)) -> Result<JsValue, JsValue> {
    let mut out = String::new();
    let mut o = Obj::start(&mut out);
    o.with("pool", |out| p.write(out)).with(key, write).end();
    json_text_to_js(&out)
}

/// Applies one event (`{type: "joined" | "usage" | "usageLimit" | "loginDead" | "failed" |
/// "succeeded" | "use" | "unpin" | "label" | "remove", ...}`): `{pool, applied}`.
#[wasm_bindgen(js_name = accountsApply)]
pub fn accounts_apply(pool: JsValue, event: JsValue) -> Result<JsValue, JsValue> {
    let mut p = pool_arg(&pool)?;
    let event = value_from_js(&event)
        .and_then(|v| Event::read(&v))
        .map_err(|e| bad_arg("accounts event", &e))?;
    let applied = pool::apply(&mut p, event).map_err(|e| to_js_error(&e))?;
    with_pool(&p, "applied", |out| applied.write(out))
}

/// Which account serves `{conversation, project, nowMs, allowLeavePin}`: `{pool, selection}`
/// (`selection.type`: `serve` with `{key, index, moved}`, `exhausted` or `empty` with a `message`).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = accountsSelect)]
pub fn accounts_select(pool: JsValue, ask: JsValue) -> Result<JsValue, JsValue> {
    let mut p = pool_arg(&pool)?;
    let ask = value_from_js(&ask)
        .and_then(|v| Ask::read(&v))
        .map_err(|e| bad_arg("accounts question", &e))?;
    let selection = select::select(&mut p, &ask);
    with_pool(&p, "selection", |out| selection.write(out))
}

/// The request body without encrypted reasoning items (a conversation that moved between
/// accounts), or `null` when there is nothing to drop.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = accountsDropReasoning)]
pub fn accounts_drop_reasoning(body: &str) -> Option<String> {
    crate::accounts::reasoning::drop_reasoning(body)
}

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

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::args::{arg, pool_arg};
use super::{to_js, to_js_error};
use crate::accounts::identity;
use crate::accounts::pool::{self, Applied, Event, Pool};
use crate::accounts::select::{self, Ask, Selection};

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
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = accountsSelect)]
pub fn accounts_select(pool: JsValue, ask: JsValue) -> Result<JsValue, JsValue> {
    let mut p = pool_arg(&pool)?;
    let ask: Ask = arg(&ask, "accounts question")?;
    let selection = select::select(&mut p, &ask);
    to_js(&Selected { pool: p, selection })
}

/// The request body without encrypted reasoning items (a conversation that moved between
/// accounts), or `null` when there is nothing to drop.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = accountsDropReasoning)]
pub fn accounts_drop_reasoning(body: &str) -> Option<String> {
    crate::accounts::reasoning::drop_reasoning(body)
}

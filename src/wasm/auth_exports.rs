//! Exports of sign-in that a turn uses (startup module): the OAuth endpoints, the refresh request
//! and the token reply, refresh decisions, the 401 rule, JWT claims and redaction. Each export
//! decodes, calls the core, encodes. JS does the fetch, locking and files. The interactive login
//! (PKCE, authorize URL, callback, device flow, callback page, revoke) is in
//! [`super::login_exports`] (cold module).
//!
//! Thrown errors are `Error`s with a `.code` and a sentence saying what happened and what to do:
//! - `bad-issuer`: the issuer is not an http(s) URL (oauthEndpoints).
//! - `refresh-permanent`: the login is dead; tell the user (the message says run `opencode auth login`).
//! - `refresh-reused`: re-read the stored login under the lock first; fail only if it is unchanged.
//! - `token-transient`: keep the stored login; retry later. `token-bad-response`: same, and log it.
//! - `bad-argument`: a JS caller passed the wrong shape (a plugin bug, not a user error).

use wasm_bindgen::prelude::*;

use super::args::{field, ms, object, opt_str};
use super::{json_text_to_js, to_js_error};
use crate::auth::jwt;
use crate::auth::oauth;
use crate::auth::redact;
use crate::auth::token::{self, LoginState, RefreshDecision, UnauthorizedAction};
use crate::auth::token_response;

/// `oauthEndpoints(issuer?): {authorize, token, revoke, deviceUserCode, deviceToken,
/// deviceVerification, deviceRedirectUri}`.
#[wasm_bindgen(js_name = oauthEndpoints)]
pub fn oauth_endpoints(issuer: Option<String>) -> Result<JsValue, JsValue> {
    let endpoints =
        oauth::endpoints(issuer.as_deref().unwrap_or_default()).map_err(|e| to_js_error(&e))?;
    json_text_to_js(&endpoints.to_json())
}

/// `refreshBody(refresh, clientId?): string` (JSON).
#[wasm_bindgen(js_name = refreshBody)]
pub fn refresh_body(refresh: &str, client_id: Option<String>) -> String {
    oauth::refresh_body(refresh, client_id.as_deref())
}

/// `parseTokenResponse(status, body, nowMs, previousRefresh?): {access, refresh, idToken|null,
/// expires, accountId|null, planType|null, email|null}`. Pass status 0 when fetch itself failed.
/// Throws `refresh-permanent`, `refresh-reused`, `token-transient`, `token-bad-response`.
#[wasm_bindgen(js_name = parseTokenResponse)]
pub fn parse_token_response(
    status: u16,
    body: &str,
    now_ms: f64,
    previous_refresh: Option<String>,
) -> Result<JsValue, JsValue> {
    let login =
        token_response::parse_token_response(status, body, ms(now_ms), previous_refresh.as_deref())
            .map_err(|e| to_js_error(&e))?;
    json_text_to_js(&login.to_json())
}

/// A stored login as JS holds it (`{access, refresh, expires?}`); other fields (`type`,
/// `accountId`, …) are ignored, a missing token reads as empty, a non-number `expires` as absent.
struct LoginIn {
    access: String,
    refresh: String,
    expires_ms: Option<i64>,
}

impl LoginIn {
    fn read(value: &JsValue, what: &'static str) -> Result<LoginIn, JsValue> {
        object(value, what)?;
        Ok(LoginIn {
            access: opt_str(value, "access", what)?.unwrap_or_default(),
            refresh: opt_str(value, "refresh", what)?.unwrap_or_default(),
            expires_ms: field(value, "expires").as_f64().map(ms),
        })
    }

    fn state(&self) -> LoginState<'_> {
        LoginState {
            access: &self.access,
            refresh: &self.refresh,
            expires_ms: self.expires_ms,
        }
    }
}

fn margin(margin_ms: Option<f64>) -> i64 {
    margin_ms.map_or(token::REFRESH_MARGIN_MS, ms)
}

/// `needsRefresh({access, expires?}, nowMs, marginMs = 5 min): boolean` (expiry from `expires`,
/// else the access token's JWT `exp`; unknown expiry → true).
#[wasm_bindgen(js_name = needsRefresh)]
pub fn needs_refresh(login: JsValue, now_ms: f64, margin_ms: Option<f64>) -> Result<bool, JsValue> {
    let l = LoginIn::read(&login, "needsRefresh takes {access, expires?}")?;
    Ok(token::needs_refresh(
        &l.access,
        l.expires_ms,
        ms(now_ms),
        margin(margin_ms),
    ))
}

/// `refreshDecision(held, stored|null, nowMs, marginMs = 5 min): "use-stored" | "refresh"`, both
/// logins `{access, refresh, expires?}`. Call it under the lock, with `stored` just re-read, once
/// a refresh is wanted (needsRefresh, or a 401). "refresh" means: refresh with the STORED login's
/// refresh token (ours may have been rotated out), or with ours when nothing is stored.
#[wasm_bindgen(js_name = refreshDecision)]
pub fn refresh_decision(
    held: JsValue,
    stored: JsValue,
    now_ms: f64,
    margin_ms: Option<f64>,
) -> Result<String, JsValue> {
    let held = LoginIn::read(
        &held,
        "refreshDecision takes held as {access, refresh, expires?}",
    )?;
    let stored = match stored.is_null() || stored.is_undefined() {
        true => None,
        false => Some(LoginIn::read(
            &stored,
            "refreshDecision takes stored as {access, refresh, expires?} or null",
        )?),
    };
    let decision = token::refresh_decision(
        held.state(),
        stored.as_ref().map(LoginIn::state),
        ms(now_ms),
        margin(margin_ms),
    );
    Ok(match decision {
        RefreshDecision::UseStored => "use-stored",
        RefreshDecision::Refresh => "refresh",
    }
    .to_string())
}

/// `afterUnauthorized(alreadyRetried): {action: "refresh-and-retry" | "fail", message}` for a 401
/// from the backend: refresh once, retry once, then fail with `message`.
#[wasm_bindgen(js_name = afterUnauthorized)]
pub fn after_unauthorized(already_retried: bool) -> Result<JsValue, JsValue> {
    let action = token::after_unauthorized(already_retried);
    let name = match action {
        UnauthorizedAction::RefreshAndRetry => "refresh-and-retry",
        UnauthorizedAction::Fail => "fail",
    };
    json_text_to_js(&crate::json::object(|o| {
        o.str("action", name).str("message", &action.to_string());
    }))
}

/// `redact(text, secrets: string[]): string`: every secret (8+ characters) and every
/// credential-looking pattern becomes `[redacted]`. Non-string entries are skipped.
#[wasm_bindgen(js_name = redact)]
pub fn redact_text(text: &str, secrets: JsValue) -> String {
    let secrets: Vec<String> = if js_sys::Array::is_array(&secrets) {
        js_sys::Array::from(&secrets)
            .iter()
            .filter_map(|v| v.as_string())
            .collect()
    } else {
        Vec::new()
    };
    redact::redact(text, &secrets)
}

/// `{accountId, planType, userId, email, expiresAtS}` (absent claims are `null`).
#[wasm_bindgen(js_name = decodeJwt)]
pub fn decode_jwt(token: &str) -> Result<JsValue, JsValue> {
    json_text_to_js(&jwt::decode(token).map_err(|e| to_js_error(&e))?.to_json())
}

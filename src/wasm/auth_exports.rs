//! Exports of sign-in: PKCE and state, JWT claims, the authorize URL, callback and pasted-input parsing,
//! token request bodies and replies, the device flow, refresh decisions, the callback page and
//! redaction. Each export decodes, calls the core, encodes. JS does the sockets, fetch, sleeping,
//! locking and files.
//!
//! Thrown errors are `Error`s with a `.code` and a sentence saying what happened and what to do:
//! - `bad-issuer`: the issuer is not an http(s) URL (buildAuthorizeUrl, oauthEndpoints, parseDeviceCode).
//! - `state-mismatch`: answer the callback 400 (callbackPage("error", e.message)) and keep waiting;
//!   from parsePastedInput, show the message and ask again.
//! - `access-denied`, `missing-code`: answer with the error page, end the login with `e.message`.
//! - `paste-unrecognized`: the pasted text is no redirect URL or code; ask again.
//! - `refresh-permanent`: the login is dead; tell the user (the message says run `opencode auth login`).
//! - `refresh-reused`: re-read the stored login under the lock first; fail only if it is unchanged.
//! - `token-transient`: keep the stored login; retry later. `token-bad-response`: same, and log it.
//! - `device-unavailable`, `device-failed`, `device-bad-response`, `device-expired`: end the device login.
//! - `bad-argument`: a JS caller passed the wrong shape (a plugin bug, not a user error).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{to_js, to_js_error, RandomUnavailable};
use crate::auth::callback_page::{self, PageKind};
use crate::auth::device;
use crate::auth::jwt;
use crate::auth::oauth;
use crate::auth::pkce;
use crate::auth::redact;
use crate::auth::token::{self, LoginState, RefreshDecision, UnauthorizedAction};
use crate::auth::token_response;
use crate::error::CoreError;

/// A JS argument of the wrong shape.
struct BadArgument(&'static str);

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
fn object(value: &JsValue, what: &'static str) -> Result<(), JsValue> {
    if value.is_object() {
        Ok(())
    } else {
        Err(to_js_error(&BadArgument(what)))
    }
}

fn field(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A string field; `undefined`/`null` are `None`, any other type is the shape error.
fn opt_str(obj: &JsValue, key: &str, what: &'static str) -> Result<Option<String>, JsValue> {
    let v = field(obj, key);
    match v.as_string() {
        Some(s) => Ok(Some(s)),
        None if v.is_undefined() || v.is_null() => Ok(None),
        None => Err(to_js_error(&BadArgument(what))),
    }
}

fn req_str(obj: &JsValue, key: &str, what: &'static str) -> Result<String, JsValue> {
    opt_str(obj, key, what)?.ok_or_else(|| to_js_error(&BadArgument(what)))
}

/// JS numbers to ms: non-finite values become 0; the cast saturates.
fn ms(value: f64) -> i64 {
    if value.is_finite() {
        value as i64
    } else {
        0
    }
}

/// `buildAuthorizeUrl({issuer?, redirectUri, challenge, state, originator, clientId?}): string`
/// (an absent or empty issuer is https://auth.openai.com, here and in every issuer argument).
#[wasm_bindgen(js_name = buildAuthorizeUrl)]
pub fn build_authorize_url(input: JsValue) -> Result<String, JsValue> {
    const WHAT: &str =
        "buildAuthorizeUrl takes {issuer?, redirectUri, challenge, state, originator, clientId?}";
    object(&input, WHAT)?;
    oauth::authorize_url(&oauth::AuthorizeRequest {
        issuer: &opt_str(&input, "issuer", WHAT)?.unwrap_or_default(),
        redirect_uri: &req_str(&input, "redirectUri", WHAT)?,
        challenge: &req_str(&input, "challenge", WHAT)?,
        state: &req_str(&input, "state", WHAT)?,
        originator: &req_str(&input, "originator", WHAT)?,
        client_id: opt_str(&input, "clientId", WHAT)?.as_deref(),
    })
    .map_err(|e| to_js_error(&e))
}

/// `oauthEndpoints(issuer?): {authorize, token, revoke, deviceUserCode, deviceToken,
/// deviceVerification, deviceRedirectUri}`.
#[wasm_bindgen(js_name = oauthEndpoints)]
pub fn oauth_endpoints(issuer: Option<String>) -> Result<JsValue, JsValue> {
    to_js(&oauth::endpoints(issuer.as_deref().unwrap_or_default()).map_err(|e| to_js_error(&e))?)
}

/// `redirectUri(port): "http://localhost:{port}/auth/callback"`.
#[wasm_bindgen(js_name = redirectUri)]
pub fn redirect_uri(port: u16) -> String {
    oauth::redirect_uri(port)
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum CallbackOut {
    Code { code: String },
    Cancel,
    NotFound,
}

/// `parseCallback(target, expectedState): {kind:"code", code} | {kind:"cancel"} | {kind:"not-found"}`;
/// throws `state-mismatch`, `access-denied`, `missing-code`.
#[wasm_bindgen(js_name = parseCallback)]
pub fn parse_callback(target: &str, expected_state: &str) -> Result<JsValue, JsValue> {
    to_js(
        &match oauth::parse_callback(target, expected_state).map_err(|e| to_js_error(&e))? {
            oauth::Callback::Code(code) => CallbackOut::Code { code },
            oauth::Callback::Cancel => CallbackOut::Cancel,
            oauth::Callback::NotFound => CallbackOut::NotFound,
        },
    )
}

/// `parsePastedInput(input, expectedState): {code, state: string|null}`; throws
/// `state-mismatch`, `access-denied`, `missing-code`, `paste-unrecognized`.
#[wasm_bindgen(js_name = parsePastedInput)]
pub fn parse_pasted_input(input: &str, expected_state: &str) -> Result<JsValue, JsValue> {
    to_js(&oauth::parse_pasted(input, expected_state).map_err(|e| to_js_error(&e))?)
}

/// `tokenExchangeBody({code, verifier, redirectUri, clientId?}): string`
/// (`application/x-www-form-urlencoded`).
#[wasm_bindgen(js_name = tokenExchangeBody)]
pub fn token_exchange_body(input: JsValue) -> Result<String, JsValue> {
    const WHAT: &str = "tokenExchangeBody takes {code, verifier, redirectUri, clientId?}";
    object(&input, WHAT)?;
    Ok(oauth::token_exchange_body(
        &req_str(&input, "code", WHAT)?,
        &req_str(&input, "verifier", WHAT)?,
        &req_str(&input, "redirectUri", WHAT)?,
        opt_str(&input, "clientId", WHAT)?.as_deref(),
    ))
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
    to_js(
        &token_response::parse_token_response(
            status,
            body,
            ms(now_ms),
            previous_refresh.as_deref(),
        )
        .map_err(|e| to_js_error(&e))?,
    )
}

/// `deviceUserCodeBody(clientId?): string` (JSON).
#[wasm_bindgen(js_name = deviceUserCodeBody)]
pub fn device_user_code_body(client_id: Option<String>) -> String {
    device::user_code_body(client_id.as_deref())
}

/// `parseDeviceCode(body, issuer, status = 200): {deviceAuthId, userCode, intervalMs,
/// verificationUrl, redirectUri}`; throws `device-unavailable` (404), `device-failed`,
/// `device-bad-response`, `bad-issuer`.
#[wasm_bindgen(js_name = parseDeviceCode)]
pub fn parse_device_code(
    body: &str,
    issuer: Option<String>,
    status: Option<u16>,
) -> Result<JsValue, JsValue> {
    let issuer = issuer.as_deref().unwrap_or_default();
    to_js(
        &device::parse_user_code(status.unwrap_or(200), body, issuer)
            .map_err(|e| to_js_error(&e))?,
    )
}

/// `devicePollBody(deviceAuthId, userCode): string` (JSON).
#[wasm_bindgen(js_name = devicePollBody)]
pub fn device_poll_body(device_auth_id: &str, user_code: &str) -> String {
    device::poll_body(device_auth_id, user_code)
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum PollOut {
    Pending,
    #[serde(rename_all = "camelCase")]
    Code {
        authorization_code: String,
        code_verifier: String,
    },
}

/// `parseDevicePoll(status, body): {kind:"pending"} | {kind:"code", authorizationCode,
/// codeVerifier}`; status 0 (fetch failed), 403, 404, 429 and 5xx are pending. Throws
/// `device-failed`, `device-bad-response`.
#[wasm_bindgen(js_name = parseDevicePoll)]
pub fn parse_device_poll(status: u16, body: &str) -> Result<JsValue, JsValue> {
    to_js(
        &match device::parse_poll(status, body).map_err(|e| to_js_error(&e))? {
            device::Poll::Pending => PollOut::Pending,
            device::Poll::Code {
                authorization_code,
                code_verifier,
            } => PollOut::Code {
                authorization_code,
                code_verifier,
            },
        },
    )
}

/// `deviceNextPollDelay(startedMs, nowMs, intervalMs): number` (ms to sleep before the next
/// poll); throws `device-expired` once 15 minutes have passed since `startedMs`.
#[wasm_bindgen(js_name = deviceNextPollDelay)]
pub fn device_next_poll_delay(
    started_ms: f64,
    now_ms: f64,
    interval_ms: f64,
) -> Result<f64, JsValue> {
    let interval = u64::try_from(ms(interval_ms)).unwrap_or(0);
    // The delay is at most 15 minutes: exact as an f64.
    device::next_poll_delay(ms(started_ms), ms(now_ms), interval)
        .map(|d| d as f64)
        .map_err(|e| to_js_error(&e))
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

#[derive(Serialize)]
struct UnauthorizedOut {
    action: &'static str,
    message: String,
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
    to_js(&UnauthorizedOut {
        action: name,
        message: action.to_string(),
    })
}

/// `callbackPage(kind: "success" | "error", message): string`: a whole HTML document (serve it
/// as `text/html; charset=utf-8`); `message` is escaped.
#[wasm_bindgen(js_name = callbackPage)]
pub fn callback_page(kind: &str, message: &str) -> Result<String, JsValue> {
    let kind = match kind {
        "success" => PageKind::Success,
        "error" => PageKind::Error,
        _ => {
            return Err(to_js_error(&BadArgument(
                "callbackPage kind must be \"success\" or \"error\"",
            )))
        }
    };
    Ok(callback_page::render(kind, message))
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

// ---- PKCE, state and JWT claims ----

#[derive(serde::Serialize)]
struct PkceOut {
    verifier: String,
    challenge: String,
}

/// `{verifier, challenge}` from the secure random source.
#[wasm_bindgen(js_name = pkceGenerate)]
pub fn pkce_generate() -> Result<JsValue, JsValue> {
    let p = pkce::generate().map_err(|_| to_js_error(&RandomUnavailable))?;
    to_js(&PkceOut {
        verifier: p.verifier,
        challenge: p.challenge,
    })
}

#[wasm_bindgen(js_name = pkceChallenge)]
pub fn pkce_challenge(verifier: &str) -> String {
    pkce::s256_challenge(verifier)
}

#[wasm_bindgen(js_name = generateState)]
pub fn generate_state() -> Result<String, JsValue> {
    pkce::generate_state().map_err(|_| to_js_error(&RandomUnavailable))
}

/// `{accountId, planType, userId, email, expiresAtS}` (absent claims are `null`).
#[wasm_bindgen(js_name = decodeJwt)]
pub fn decode_jwt(token: &str) -> Result<JsValue, JsValue> {
    to_js(&jwt::decode(token).map_err(|e| to_js_error(&e))?)
}

/// `revokeBody(refresh, clientId?): string` (JSON for `POST {issuer}/oauth/revoke`).
#[wasm_bindgen(js_name = revokeBody)]
pub fn revoke_body(refresh: &str, client_id: Option<String>) -> String {
    oauth::revoke_body(refresh, client_id.as_deref())
}

//! Exports of the interactive login (cold module: loaded by the first login, not by plugin load):
//! PKCE and state, the authorize URL, callback and pasted-input parsing, the token exchange body,
//! the device flow, the callback page and the revoke body. Each export decodes, calls the core,
//! encodes. JS does the sockets, fetch, sleeping and files. The token reply is read by
//! [`super::auth_exports`]'s `parseTokenResponse` (startup module: refreshes use it too).
//!
//! Thrown errors are `Error`s with a `.code` and a sentence saying what happened and what to do:
//! - `bad-issuer`: the issuer is not an http(s) URL (buildAuthorizeUrl, parseDeviceCode).
//! - `state-mismatch`: answer the callback 400 (callbackPage("error", e.message)) and keep waiting;
//!   from parsePastedInput, show the message and ask again.
//! - `access-denied`, `missing-code`: answer with the error page, end the login with `e.message`.
//! - `paste-unrecognized`: the pasted text is no redirect URL or code; ask again.
//! - `device-unavailable`, `device-failed`, `device-bad-response`, `device-expired`: end the device login.
//! - `random-unavailable`: no secure random source in this runtime.
//! - `bad-argument`: a JS caller passed the wrong shape (a plugin bug, not a user error).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::args::{ms, object, opt_str, req_str, BadArgument};
use super::{to_js, to_js_error};
use crate::auth::callback_page::{self, PageKind};
use crate::auth::device;
use crate::auth::oauth;
use crate::auth::pkce;
use crate::error::CoreError;

/// A failure of the platform's random source (no `crypto.getRandomValues`).
struct RandomUnavailable;
impl std::fmt::Display for RandomUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no secure random source in this runtime (crypto.getRandomValues is missing)")
    }
}
impl CoreError for RandomUnavailable {
    fn code(&self) -> &'static str {
        "random-unavailable"
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

/// `revokeBody(refresh, clientId?): string` (JSON for `POST {issuer}/oauth/revoke`).
#[wasm_bindgen(js_name = revokeBody)]
pub fn revoke_body(refresh: &str, client_id: Option<String>) -> String {
    oauth::revoke_body(refresh, client_id.as_deref())
}

//! Exports of the first core slice: PKCE, JWT claims (the request transform is in transform_exports).

use wasm_bindgen::prelude::*;

use super::{to_js, to_js_error, RandomUnavailable};
use crate::{jwt, pkce};

#[derive(serde::Serialize)]
struct PkceOut {
    verifier: String,
    challenge: String,
}

/// `{verifier, challenge}` from the secure random source.
#[wasm_bindgen(js_name = pkceGenerate)]
pub fn pkce_generate() -> Result<JsValue, JsValue> {
    let p = pkce::generate().map_err(|_| to_js_error(&RandomUnavailable))?;
    to_js(&PkceOut { verifier: p.verifier, challenge: p.challenge })
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

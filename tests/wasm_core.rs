//! wasm-bindgen tests of the first core slice through the JS boundary (Node and, via
//! tests/browser.rs, headless Chromium): values and errors exactly as JS sees them.
#![cfg(target_arch = "wasm32")]

use opencode_chatgpt_wasm::wasm::core_exports as x;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap()
}

#[wasm_bindgen_test]
fn pkce_uses_crypto_get_random_values_and_matches_its_challenge() {
    let a = x::pkce_generate().unwrap();
    let b = x::pkce_generate().unwrap();
    let verifier = get(&a, "verifier").as_string().unwrap();
    assert_eq!(verifier.len(), 86);
    assert_ne!(verifier, get(&b, "verifier").as_string().unwrap());
    assert_eq!(x::pkce_challenge(&verifier), get(&a, "challenge").as_string().unwrap());
    assert_eq!(x::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    assert_eq!(x::generate_state().unwrap().len(), 43);
}

#[wasm_bindgen_test]
fn jwt_claims_reach_js_as_a_plain_object() {
    // {"https://api.openai.com/auth":{"chatgpt_account_id":"acc-9"},"exp":1}
    let token = "e30.eyJodHRwczovL2FwaS5vcGVuYWkuY29tL2F1dGgiOnsiY2hhdGdwdF9hY2NvdW50X2lkIjoiYWNjLTkifSwiZXhwIjoxfQ.c2ln";
    let claims = x::decode_jwt(token).unwrap();
    assert_eq!(get(&claims, "accountId").as_string().as_deref(), Some("acc-9"));
    assert_eq!(get(&claims, "expiresAtS").as_f64(), Some(1.0));
    assert!(get(&claims, "email").is_null());
}

#[wasm_bindgen_test]
fn core_errors_become_js_errors_with_a_code() {
    let err = x::decode_jwt("not-a-jwt").unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("jwt-malformed"));
    let msg = js_sys::Error::from(err).message();
    assert!(String::from(msg).contains("three dot-separated parts"));
}

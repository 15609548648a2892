//! wasm-bindgen tests of the sign-in exports (PKCE, JWT claims, login protocol) through the JS boundary (Node): argument decoding,
//! result shapes and coded errors exactly as the JS side sees them.
#![cfg(target_arch = "wasm32")]

use opencode_chatgpt_wasm::wasm::auth_exports as x;
use opencode_chatgpt_wasm::wasm::login_exports as l;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap()
}

fn string(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}

/// A plain JS object from JSON text (what the JS side would pass).
fn obj(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn code_and_message(err: JsValue) -> (String, String) {
    assert!(err.is_instance_of::<js_sys::Error>());
    let code = string(&err, "code").unwrap();
    (code, String::from(js_sys::Error::from(err).message()))
}

/// `{"exp":1900000000,"https://api.openai.com/auth":{"chatgpt_account_id":"acc-7","chatgpt_plan_type":"pro"}}`
const ACCESS: &str = "e30.eyJleHAiOjE5MDAwMDAwMDAsImh0dHBzOi8vYXBpLm9wZW5haS5jb20vYXV0aCI6eyJjaGF0Z3B0X2FjY291bnRfaWQiOiJhY2MtNyIsImNoYXRncHRfcGxhbl90eXBlIjoicHJvIn19.c2ln";

#[wasm_bindgen_test]
fn authorize_url_from_a_camel_case_object() {
    let url = l::build_authorize_url(obj(
        r#"{"issuer":"http://127.0.0.1:9","redirectUri":"http://localhost:1455/auth/callback","challenge":"ch","state":"st","originator":"opencode"}"#,
    ))
    .unwrap();
    assert_eq!(
        url,
        "http://127.0.0.1:9/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann\
         &redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&scope=openid%20profile%20email%20offline_access\
         &code_challenge=ch&code_challenge_method=S256&id_token_add_organizations=true&codex_cli_simplified_flow=true\
         &state=st&originator=opencode"
    );
    let (code, _) = code_and_message(l::build_authorize_url(obj(r#"{"issuer":"x"}"#)).unwrap_err());
    assert_eq!(code, "bad-argument");
    let (code, message) = code_and_message(
        l::build_authorize_url(obj(
            r#"{"issuer":"x","redirectUri":"r","challenge":"c","state":"s","originator":"o"}"#,
        ))
        .unwrap_err(),
    );
    assert_eq!(code, "bad-issuer");
    assert!(message.contains("OPENCODE_CODEX_ISSUER"));
    let default = x::oauth_endpoints(None).unwrap();
    assert_eq!(
        string(&default, "token").as_deref(),
        Some("https://auth.openai.com/oauth/token")
    );
    let endpoints = x::oauth_endpoints(Some("http://127.0.0.1:9/".into())).unwrap();
    assert_eq!(
        string(&endpoints, "deviceVerification").as_deref(),
        Some("http://127.0.0.1:9/codex/device")
    );
    assert_eq!(l::redirect_uri(1457), "http://localhost:1457/auth/callback");
}

#[wasm_bindgen_test]
fn callback_kinds_and_coded_errors() {
    let ok = l::parse_callback("/auth/callback?code=ac_1&state=st", "st").unwrap();
    assert_eq!(
        (
            string(&ok, "kind").as_deref(),
            string(&ok, "code").as_deref()
        ),
        (Some("code"), Some("ac_1"))
    );
    assert_eq!(
        string(&l::parse_callback("/cancel", "st").unwrap(), "kind").as_deref(),
        Some("cancel")
    );
    assert_eq!(
        string(&l::parse_callback("/favicon.ico", "st").unwrap(), "kind").as_deref(),
        Some("not-found")
    );
    let (code, message) = code_and_message(
        l::parse_callback("/auth/callback?code=SECRET1&state=other", "st").unwrap_err(),
    );
    assert_eq!(code, "state-mismatch");
    assert!(!message.contains("SECRET1") && !message.contains("other"));
    let denied =
        "/auth/callback?state=st&error=access_denied&error_description=missing_codex_entitlement";
    assert_eq!(
        code_and_message(l::parse_callback(denied, "st").unwrap_err()),
        (
            "access-denied".into(),
            "this ChatGPT workspace has no Codex access; ask an admin or use a personal plan"
                .into()
        )
    );
}

#[wasm_bindgen_test]
fn pasted_input_returns_code_and_state_or_null() {
    let full = l::parse_pasted_input(
        "http://localhost:1455/auth/callback?code=ac_2&state=st",
        "st",
    )
    .unwrap();
    assert_eq!(
        (
            string(&full, "code").as_deref(),
            string(&full, "state").as_deref()
        ),
        (Some("ac_2"), Some("st"))
    );
    let bare = l::parse_pasted_input("ac_3", "st").unwrap();
    assert!(get(&bare, "state").is_null());
    assert_eq!(
        code_and_message(l::parse_pasted_input("ac#old", "st").unwrap_err()).0,
        "state-mismatch"
    );
    assert_eq!(
        code_and_message(l::parse_pasted_input("not a code", "st").unwrap_err()).0,
        "paste-unrecognized"
    );
}

#[wasm_bindgen_test]
fn request_bodies() {
    let body = l::token_exchange_body(obj(
        r#"{"code":"a b","verifier":"v","redirectUri":"r","clientId":"app_t"}"#,
    ))
    .unwrap();
    assert_eq!(
        body,
        "grant_type=authorization_code&code=a%20b&redirect_uri=r&client_id=app_t&code_verifier=v"
    );
    assert_eq!(
        x::refresh_body("rt_1", None),
        r#"{"client_id":"app_EMoamEEZ73f0CkXaXp7hrann","grant_type":"refresh_token","refresh_token":"rt_1"}"#
    );
    assert_eq!(
        l::device_poll_body("d", "U"),
        r#"{"device_auth_id":"d","user_code":"U"}"#
    );
    assert_eq!(
        l::device_user_code_body(Some("app_t".into())),
        r#"{"client_id":"app_t"}"#
    );
}

#[wasm_bindgen_test]
fn token_response_becomes_the_stored_login_shape() {
    let body = format!(r#"{{"access_token":"{ACCESS}","refresh_token":"rt_2","expires_in":3600}}"#);
    let login = x::parse_token_response(200, &body, 1_000.0, None).unwrap();
    assert_eq!(string(&login, "access").as_deref(), Some(ACCESS));
    assert_eq!(string(&login, "refresh").as_deref(), Some("rt_2"));
    assert_eq!(get(&login, "expires").as_f64(), Some(3_601_000.0));
    assert_eq!(string(&login, "accountId").as_deref(), Some("acc-7"));
    assert_eq!(string(&login, "planType").as_deref(), Some("pro"));
    assert!(get(&login, "idToken").is_null() && get(&login, "email").is_null());

    let cases = [
        (
            401,
            r#"{"error":{"code":"refresh_token_reused"}}"#,
            "refresh-reused",
        ),
        (
            401,
            r#"{"error":{"code":"refresh_token_expired"}}"#,
            "refresh-permanent",
        ),
        (
            400,
            r#"{"error":{"code":"refresh_token_expired"}}"#,
            "token-transient",
        ),
        (503, "busy", "token-transient"),
        (0, "", "token-transient"),
        (200, "{}", "token-bad-response"),
    ];
    for (status, body, expected) in cases {
        let (code, message) = code_and_message(
            x::parse_token_response(status, body, 0.0, Some("rt_secret_9".into())).unwrap_err(),
        );
        assert_eq!(code, expected, "{status} {body}");
        assert!(!message.contains("rt_secret_9"));
    }
}

#[wasm_bindgen_test]
fn device_flow() {
    let dc = l::parse_device_code(
        r#"{"device_auth_id":"d1","usercode":"AB-12","interval":"3"}"#,
        None,
        None,
    )
    .unwrap();
    assert_eq!(string(&dc, "deviceAuthId").as_deref(), Some("d1"));
    assert_eq!(string(&dc, "userCode").as_deref(), Some("AB-12"));
    assert_eq!(get(&dc, "intervalMs").as_f64(), Some(3000.0));
    assert_eq!(
        string(&dc, "verificationUrl").as_deref(),
        Some("https://auth.openai.com/codex/device")
    );
    assert_eq!(
        string(&dc, "redirectUri").as_deref(),
        Some("https://auth.openai.com/deviceauth/callback")
    );
    assert_eq!(
        code_and_message(
            l::parse_device_code("", Some("https://auth.openai.com".into()), Some(404))
                .unwrap_err()
        )
        .0,
        "device-unavailable"
    );

    assert_eq!(
        string(&l::parse_device_poll(403, "").unwrap(), "kind").as_deref(),
        Some("pending")
    );
    let done = l::parse_device_poll(
        200,
        r#"{"authorization_code":"ac","code_challenge":"c","code_verifier":"v"}"#,
    )
    .unwrap();
    assert_eq!(
        (
            string(&done, "kind").as_deref(),
            string(&done, "authorizationCode").as_deref(),
            string(&done, "codeVerifier").as_deref()
        ),
        (Some("code"), Some("ac"), Some("v"))
    );
    assert_eq!(
        code_and_message(l::parse_device_poll(400, "{}").unwrap_err()).0,
        "device-failed"
    );

    assert_eq!(
        l::device_next_poll_delay(0.0, 1000.0, 5000.0).unwrap(),
        5000.0
    );
    assert_eq!(
        code_and_message(l::device_next_poll_delay(0.0, 900_000.0, 5000.0).unwrap_err()).0,
        "device-expired"
    );
}

#[wasm_bindgen_test]
fn refresh_decisions() {
    let now = 1_000_000_000.0;
    assert!(x::needs_refresh(obj(r#"{"access":"x","expires":1000000001}"#), now, None).unwrap());
    assert!(!x::needs_refresh(
        obj(r#"{"access":"x","expires":1000000001}"#),
        now,
        Some(0.0)
    )
    .unwrap());
    // No expires: the JWT's exp (2030) decides.
    assert!(!x::needs_refresh(
        obj(&format!(r#"{{"access":"{ACCESS}","type":"oauth"}}"#)),
        now,
        None
    )
    .unwrap());

    let held = obj(r#"{"access":"a1","refresh":"r1","expires":1}"#);
    let rotated = obj(r#"{"access":"a2","refresh":"r2","expires":2000000000}"#);
    assert_eq!(
        x::refresh_decision(held.clone(), rotated, now, None).unwrap(),
        "use-stored"
    );
    assert_eq!(
        x::refresh_decision(held.clone(), held.clone(), now, None).unwrap(),
        "refresh"
    );
    assert_eq!(
        x::refresh_decision(held.clone(), JsValue::NULL, now, None).unwrap(),
        "refresh"
    );
    assert_eq!(
        x::refresh_decision(held, JsValue::UNDEFINED, now, None).unwrap(),
        "refresh"
    );

    let first = x::after_unauthorized(false).unwrap();
    assert_eq!(
        string(&first, "action").as_deref(),
        Some("refresh-and-retry")
    );
    let second = x::after_unauthorized(true).unwrap();
    assert_eq!(string(&second, "action").as_deref(), Some("fail"));
    assert!(string(&second, "message")
        .unwrap()
        .contains("opencode auth login"));
}

#[wasm_bindgen_test]
fn callback_page_and_redaction() {
    let page = l::callback_page("error", "<script>x()</script>").unwrap();
    assert!(page.contains("&lt;script&gt;x()&lt;/script&gt;") && !page.contains("<script>"));
    assert!(l::callback_page("success", "")
        .unwrap()
        .contains("Signed in to ChatGPT"));
    assert_eq!(
        code_and_message(l::callback_page("other", "").unwrap_err()).0,
        "bad-argument"
    );

    let secrets: JsValue = js_sys::Array::of2(&"rt_secret_value".into(), &JsValue::from(5)).into();
    assert_eq!(
        x::redact_text(
            "refresh rt_secret_value failed at /auth/callback?code=abc&state=def",
            secrets
        ),
        "refresh [redacted] failed at /auth/callback?code=[redacted]&state=[redacted]"
    );
    assert_eq!(
        x::redact_text("code=abc", JsValue::UNDEFINED),
        "code=[redacted]"
    );
}

// ---- PKCE, state and JWT claims ----

#[wasm_bindgen_test]
fn pkce_uses_crypto_get_random_values_and_matches_its_challenge() {
    let a = l::pkce_generate().unwrap();
    let b = l::pkce_generate().unwrap();
    let verifier = get(&a, "verifier").as_string().unwrap();
    assert_eq!(verifier.len(), 86);
    assert_ne!(verifier, get(&b, "verifier").as_string().unwrap());
    assert_eq!(
        l::pkce_challenge(&verifier),
        get(&a, "challenge").as_string().unwrap()
    );
    assert_eq!(
        l::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(l::generate_state().unwrap().len(), 43);
}

#[wasm_bindgen_test]
fn jwt_claims_reach_js_as_a_plain_object() {
    // {"https://api.openai.com/auth":{"chatgpt_account_id":"acc-9"},"exp":1}
    let token = "e30.eyJodHRwczovL2FwaS5vcGVuYWkuY29tL2F1dGgiOnsiY2hhdGdwdF9hY2NvdW50X2lkIjoiYWNjLTkifSwiZXhwIjoxfQ.c2ln";
    let claims = x::decode_jwt(token).unwrap();
    assert_eq!(
        get(&claims, "accountId").as_string().as_deref(),
        Some("acc-9")
    );
    assert_eq!(get(&claims, "expiresAtS").as_f64(), Some(1.0));
    assert!(get(&claims, "email").is_null());
}

#[wasm_bindgen_test]
fn core_errors_become_js_errors_with_a_code() {
    let err = x::decode_jwt("not-a-jwt").unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("jwt-malformed")
    );
    let msg = js_sys::Error::from(err).message();
    assert!(String::from(msg).contains("three dot-separated parts"));
}

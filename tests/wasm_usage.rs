//! wasm-bindgen tests of the usage exports through the JS boundary (Node and, via tests/browser.rs,
//! headless Chromium): the URL, the refresh policy, the endpoint reply with its coded errors, the quota
//! file, and the display model from plain JS values.
#![cfg(target_arch = "wasm32")]

use opencode_chatgpt_wasm::wasm::usage_exports as x;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap()
}

const NOW: f64 = 1_800_000_000_000.0;

#[wasm_bindgen_test]
fn url_and_refresh_policy() {
    assert_eq!(
        x::usage_url("https://chatgpt.com/backend-api/codex"),
        "https://chatgpt.com/backend-api/wham/usage"
    );
    assert!(x::usage_refresh_due(None, None, NOW));
    assert!(!x::usage_refresh_due(Some(NOW - 1000.0), None, NOW));
}

#[wasm_bindgen_test]
fn reply_to_view() {
    let body = r#"{"email":"a@b.c","plan_type":"pro","rate_limit":{"primary_window":{"used_percent":91,"limit_window_seconds":18000,"reset_after_seconds":600},"secondary_window":{"used_percent":20,"limit_window_seconds":604800}}}"#;
    let usage = x::parse_usage_response(200, body, NOW).unwrap();
    assert_eq!(
        get(&usage, "source").as_string().as_deref(),
        Some("endpoint")
    );
    let account = js_sys::Object::new();
    js_sys::Reflect::set(&account, &"serving".into(), &true.into()).unwrap();
    js_sys::Reflect::set(&account, &"usages".into(), &js_sys::Array::of1(&usage)).unwrap();
    let view = x::usage_view(js_sys::Array::of1(&account).into(), NOW, 0).unwrap();
    assert_eq!(
        get(&view, "statusText").as_string().as_deref(),
        Some("5h 91% (resets 08:10) · wk 20%")
    );
    assert_eq!(get(&view, "level").as_string().as_deref(), Some("critical"));
    let text = js_sys::JSON::stringify(&view).unwrap().as_string().unwrap();
    assert!(!text.contains("a@b.c"));
}

#[wasm_bindgen_test]
fn coded_errors_and_bad_values() {
    let err = x::parse_usage_response(403, "{}", NOW).unwrap_err();
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("usage-unauthorized")
    );
    let err = x::parse_usage_response(200, "<html>", NOW).unwrap_err();
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("usage-bad-body")
    );
    assert!(x::usage_from_quota_file("{}").unwrap().is_null());
    assert!(x::usage_view(JsValue::from_str("nope"), NOW, 0).is_err());
}

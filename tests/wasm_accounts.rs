//! wasm-bindgen tests of the account-pool exports through the JS boundary (Node and, via
//! tests/browser.rs, headless Chromium): identity from tokens, events, selection and rotation,
//! the listing, resolution, and coded errors, as the JS side sees them (whole values compared
//! as JSON text).
#![cfg(target_arch = "wasm32")]

use opencode_chatgpt_wasm::wasm::accounts_admin_exports as adm;
use opencode_chatgpt_wasm::wasm::accounts_exports as x;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn obj(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn json(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).unwrap().as_string().unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap()
}

fn code(err: JsValue) -> String {
    assert!(err.is_instance_of::<js_sys::Error>());
    get(&err, "code").as_string().unwrap()
}

/// Same email and user, workspaces acc-A (plus) and acc-B (team).
const TOKEN_A: &str = "e30.eyJlbWFpbCI6ImFAZXhhbXBsZS5jb20iLCJodHRwczovL2FwaS5vcGVuYWkuY29tL2F1dGgiOnsiY2hhdGdwdF9hY2NvdW50X2lkIjoiYWNjLUEiLCJjaGF0Z3B0X3BsYW5fdHlwZSI6InBsdXMiLCJjaGF0Z3B0X3VzZXJfaWQiOiJ1c2VyLUEifX0.c2ln";
const TOKEN_B: &str = "e30.eyJlbWFpbCI6ImFAZXhhbXBsZS5jb20iLCJodHRwczovL2FwaS5vcGVuYWkuY29tL2F1dGgiOnsiY2hhdGdwdF9hY2NvdW50X2lkIjoiYWNjLUIiLCJjaGF0Z3B0X3BsYW5fdHlwZSI6InRlYW0iLCJjaGF0Z3B0X3VzZXJfaWQiOiJ1c2VyLUEifX0.c2ln";

fn joined(pool: JsValue, token: &str, activate: bool) -> JsValue {
    let id = x::accounts_identity(token, None, None).unwrap();
    let event = js_sys::Object::new();
    js_sys::Reflect::set(&event, &"type".into(), &"joined".into()).unwrap();
    js_sys::Reflect::set(&event, &"identity".into(), &id).unwrap();
    js_sys::Reflect::set(&event, &"activate".into(), &activate.into()).unwrap();
    js_sys::Reflect::set(&event, &"nowMs".into(), &0.into()).unwrap();
    get(&x::accounts_apply(pool, event.into()).unwrap(), "pool")
}

fn two() -> JsValue {
    let p = x::accounts_empty_pool().unwrap();
    let p = joined(p, TOKEN_A, true);
    joined(p, TOKEN_B, false)
}

#[wasm_bindgen_test]
fn identity_keeps_two_workspaces_of_one_email_apart() {
    assert_eq!(
        json(&x::accounts_identity(TOKEN_A, None, None).unwrap()),
        r#"{"key":"acc-A/user-A","accountId":"acc-A","userId":"user-A","email":"a@example.com","plan":"plus"}"#
    );
    assert_eq!(
        json(&x::accounts_identity(TOKEN_B, None, None).unwrap()),
        r#"{"key":"acc-B/user-A","accountId":"acc-B","userId":"user-A","email":"a@example.com","plan":"team"}"#
    );
    assert_eq!(
        code(x::accounts_identity("opaque", None, None).unwrap_err()),
        "accounts-no-account-id"
    );
}

#[wasm_bindgen_test]
fn a_usage_limit_moves_the_conversation_and_says_so() {
    let p = two();
    let ask = r#"{"conversation":"c1","nowMs":1000}"#;
    let r = x::accounts_select(p, obj(ask)).unwrap();
    assert_eq!(
        json(&get(&r, "selection")),
        r#"{"type":"serve","key":"acc-A/user-A","index":1,"moved":null,"dropReasoning":false}"#
    );
    let r = x::accounts_apply(
        get(&r, "pool"),
        obj(r#"{"type":"usageLimit","key":"acc-A/user-A","resetsAtMs":3601000,"nowMs":1000}"#),
    )
    .unwrap();
    assert_eq!(
        json(&get(&r, "applied")),
        r#"{"changed":true,"index":1,"added":false}"#
    );
    let r = x::accounts_select(get(&r, "pool"), obj(ask)).unwrap();
    assert_eq!(
        json(&get(&r, "selection")),
        r#"{"type":"serve","key":"acc-B/user-A","index":2,"moved":{"from":"acc-A/user-A","reason":"usage_limit","fromUntilMs":3601000,"message":"ChatGPT account #2 a@example.com now serves this conversation: #1 a@example.com reached its usage limit; it resets in 1 h 0 min"},"dropReasoning":true}"#
    );
    let list = adm::accounts_list(get(&r, "pool"), 1000.0, None).unwrap();
    assert_eq!(
        json(&get(
            &list.unchecked_ref::<js_sys::Array>().get(0),
            "health"
        )),
        r#"{"state":"cooling","untilMs":3601000,"reason":"usage_limit","failures":0,"text":"usage limit reached: resets in 1 h 0 min"}"#
    );
}

#[wasm_bindgen_test]
fn resolution_and_coded_errors() {
    let p = two();
    assert_eq!(
        adm::accounts_resolve(p.clone(), "2").unwrap(),
        "acc-B/user-A"
    );
    assert_eq!(
        code(adm::accounts_resolve(p.clone(), "a@example.com").unwrap_err()),
        "accounts-ambiguous"
    );
    assert_eq!(
        code(adm::accounts_resolve(p.clone(), "7").unwrap_err()),
        "accounts-not-found"
    );
    assert_eq!(
        code(
            x::accounts_apply(
                p.clone(),
                obj(r#"{"type":"label","key":"acc-B/user-A","label":"123"}"#)
            )
            .unwrap_err()
        ),
        "accounts-bad-label"
    );
    assert_eq!(
        code(x::accounts_parse_pool("{\"version\":9}").unwrap_err()),
        "accounts-bad-pool"
    );
    assert_eq!(
        code(adm::accounts_list(obj(r#"{"accounts":"no"}"#), 0.0, None).unwrap_err()),
        "accounts-bad-pool"
    );
    let text = json(&p);
    assert_eq!(json(&x::accounts_parse_pool(&text).unwrap()), text);
    assert_eq!(
        x::accounts_drop_reasoning(
            r#"{"input":[{"type":"reasoning","encrypted_content":"e"},{"type":"message"}]}"#
        ),
        Some(r#"{"input":[{"type":"message"}]}"#.to_string())
    );
    assert_eq!(x::accounts_drop_reasoning("[]"), None);
}

#[wasm_bindgen_test]
fn an_export_round_trips_and_a_foreign_login_is_refused() {
    let p = two();
    let logins = obj(&format!(
        r#"{{"acc-A/user-A":{{"type":"oauth","refresh":"r-a","access":"{TOKEN_A}","expires":5}},"acc-B/user-A":{{"type":"oauth","refresh":"r-b","access":"{TOKEN_B}","expires":5}}}}"#
    ));
    let text = adm::accounts_make_export(p.clone(), logins, 7.0).unwrap();
    let export = adm::accounts_parse_export(&text).unwrap();
    assert_eq!(
        json(&get(&export, "format")),
        r#""opencode-chatgpt-wasm/accounts-export""#
    );
    assert_eq!(json(&get(&export, "version")), "1");
    let plan =
        adm::accounts_plan_import(x::accounts_empty_pool().unwrap(), obj("{}"), export).unwrap();
    assert_eq!(
        json(&get(&plan, "items")),
        r#"[{"key":"acc-A/user-A","n":1,"name":"a@example.com","action":"add","login":true},{"key":"acc-B/user-A","n":2,"name":"a@example.com","action":"add","login":true}]"#
    );
    // B's login filed under A: never merged.
    let swapped = obj(&format!(
        r#"{{"acc-A/user-A":{{"type":"oauth","refresh":"r-b","access":"{TOKEN_B}","expires":5}},"acc-B/user-A":{{"type":"oauth","refresh":"r-b","access":"{TOKEN_B}","expires":5}}}}"#
    ));
    assert_eq!(
        code(adm::accounts_make_export(p, swapped, 7.0).unwrap_err()),
        "accounts-bad-export"
    );
    assert_eq!(
        code(adm::accounts_parse_export("{}").unwrap_err()),
        "accounts-bad-export"
    );
}

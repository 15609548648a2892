//! wasm-bindgen tests of the request transform and model catalog through the JS boundary:
//! `Catalog` and `transformRequest`, values and errors exactly as JS sees them.
#![cfg(target_arch = "wasm32")]

use opencode_chatgpt_wasm::wasm::request_exports::{transform_request, CatalogHandle};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap()
}

fn code(err: &JsValue) -> Option<String> {
    assert!(err.is_instance_of::<js_sys::Error>());
    get(err, "code").as_string()
}

fn obj(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

/// The `body` bytes of a transform result, parsed.
fn sent(out: &JsValue) -> JsValue {
    let bytes = get(out, "body")
        .dyn_into::<js_sys::Uint8Array>()
        .unwrap()
        .to_vec();
    obj(&String::from_utf8(bytes).unwrap())
}

#[wasm_bindgen_test]
fn the_bundled_catalog_lists_visible_models_by_priority() {
    let catalog = CatalogHandle::new();
    let models: js_sys::Array = catalog.models().unwrap().dyn_into().unwrap();
    let slugs: Vec<String> = models
        .iter()
        .map(|m| get(&m, "slug").as_string().unwrap())
        .collect();
    assert_eq!(
        slugs,
        [
            "gpt-5.6-sol",
            "gpt-6-astra",
            "gpt-5.6-terra",
            "gpt-5.6-luna",
            "gpt-5.5",
            "gpt-5.4",
            "gpt-5.4-mini",
        ]
    );
    let sol = models.get(0);
    assert_eq!(
        get(&sol, "displayName").as_string().as_deref(),
        Some("GPT-5.6-Sol")
    );
    assert_eq!(get(&sol, "contextWindow").as_f64(), Some(372_000.0));
    assert_eq!(
        get(&sol, "defaultEffort").as_string().as_deref(),
        Some("low")
    );
    assert_eq!(get(&sol, "supportsVerbosity").as_bool(), Some(true));
    let efforts: Vec<String> = js_sys::Array::from(&get(&sol, "efforts"))
        .iter()
        .map(|e| e.as_string().unwrap())
        .collect();
    assert_eq!(efforts, ["low", "medium", "high", "xhigh", "max", "ultra"]);
}

#[wasm_bindgen_test]
fn resolve_returns_the_model_effort_and_notice() {
    let catalog = CatalogHandle::new();
    let r = catalog.resolve("openai/gpt-5.4-high-fast", None).unwrap();
    assert_eq!(get(&r, "model").as_string().as_deref(), Some("gpt-5.4"));
    assert_eq!(get(&r, "effort").as_string().as_deref(), Some("high"));
    assert_eq!(get(&r, "fast").as_bool(), Some(true));
    assert!(get(&r, "notice").is_null());
    let r = catalog.resolve("gpt-5-codex", None).unwrap();
    assert_eq!(get(&r, "model").as_string().as_deref(), Some("gpt-5.4"));
    assert!(get(&r, "effort").is_null());
    assert_eq!(
        get(&r, "notice").as_string().as_deref(),
        Some("model `gpt-5-codex` is no longer available; using gpt-5.4")
    );
    // Sent as named: the default applies only when no name is given.
    let r = catalog
        .resolve("who-knows", Some("gpt-5.5".into()))
        .unwrap();
    assert_eq!(get(&r, "model").as_string().as_deref(), Some("who-knows"));
    let r = catalog.resolve("", Some("gpt-5.5".into())).unwrap();
    assert_eq!(get(&r, "model").as_string().as_deref(), Some("gpt-5.5"));
}

#[wasm_bindgen_test]
fn merge_remote_lays_the_list_over_the_snapshot_or_throws_and_keeps_it() {
    let mut catalog = CatalogHandle::new();
    let err = catalog.merge_remote("<html>").unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("catalog-not-json"));
    assert_eq!(js_sys::Array::from(&catalog.models().unwrap()).length(), 7);
    catalog.merge_remote(r#"{"models":[{"slug":"gpt-6-astra","priority":1,"visibility":"list"},{"slug":"gpt-5.5","priority":2,"visibility":"list"}]}"#).unwrap();
    let models = js_sys::Array::from(&catalog.models().unwrap());
    assert_eq!(
        models.length(),
        7,
        "the bundled models the list left out stay"
    );
    let usable: Vec<String> = js_sys::Array::from(&catalog.usable().unwrap())
        .iter()
        .map(|m| m.as_string().unwrap())
        .collect();
    assert_eq!(usable, ["gpt-6-astra", "gpt-5.5"]);
    let astra = models.get(0);
    assert_eq!(
        get(&astra, "displayName").as_string().as_deref(),
        Some("GPT-6-Astra"),
        "filled in from the snapshot"
    );
    assert_eq!(
        get(&astra, "minClientVersion").as_string().as_deref(),
        Some("0.153.0")
    );
    assert_eq!(get(&astra, "listed").as_bool(), Some(true));
}

#[wasm_bindgen_test]
fn transform_request_returns_the_body_and_its_decisions() {
    let catalog = CatalogHandle::new();
    let body = r#"{"model":"gpt-5.4-mini","temperature":0.5,"reasoning":{"effort":"none"},"input":[{"role":"user","content":"hi"}],"store":true}"#;
    let out = transform_request(body, &catalog, JsValue::UNDEFINED).unwrap();
    let req = sent(&out);
    assert_eq!(get(&req, "store").as_bool(), Some(false));
    assert_eq!(get(&req, "stream").as_bool(), Some(true));
    assert!(get(&req, "temperature").is_undefined());
    assert_eq!(
        get(&get(&req, "reasoning"), "effort")
            .as_string()
            .as_deref(),
        Some("low")
    );
    assert_eq!(
        get(&out, "model").as_string().as_deref(),
        Some("gpt-5.4-mini")
    );
    assert_eq!(get(&out, "effort").as_string().as_deref(), Some("low"));
    assert!(get(&out, "notice").is_null());
    let key = get(&out, "promptCacheKey").as_string().unwrap();
    assert_eq!(get(&req, "prompt_cache_key").as_string(), Some(key.clone()));
    assert!(key.starts_with("ocw-"));

    let out = transform_request(
        r#"{"input":[{"role":"user","content":"caf\u00e9 → ok"}]}"#,
        &catalog,
        obj(r#"{"defaultModel":"gpt-5.5"}"#),
    )
    .unwrap();
    assert_eq!(get(&out, "model").as_string().as_deref(), Some("gpt-5.5"));
    assert_eq!(
        get(&sent(&out), "model").as_string().as_deref(),
        Some("gpt-5.5")
    );
    let content = get(
        &js_sys::Array::from(&get(&sent(&out), "input")).get(0),
        "content",
    );
    assert_eq!(content.as_string().as_deref(), Some("café → ok"));
    // A name the catalog does not know is sent as named, without a notice.
    let out = transform_request(r#"{"model":"mystery"}"#, &catalog, obj("{}")).unwrap();
    assert_eq!(get(&out, "model").as_string().as_deref(), Some("mystery"));
    assert!(get(&out, "notice").is_null());
}

#[wasm_bindgen_test]
fn one_client_identity_for_query_header_and_user_agent() {
    use opencode_chatgpt_wasm::wasm::request_exports::{client_identity, client_version};
    let v = client_version();
    let id = client_identity(
        None,
        "opencode",
        "linux",
        "6.1",
        "x64",
        "opencode-chatgpt-wasm/1",
    )
    .unwrap();
    assert_eq!(get(&id, "version").as_string(), Some(v.clone()));
    assert_eq!(get(&id, "whole").as_string(), Some(v.clone()));
    assert_eq!(
        get(&id, "userAgent").as_string(),
        Some(format!(
            "opencode/{v} (linux 6.1; x64) opencode-chatgpt-wasm/1"
        ))
    );
    let err =
        client_identity(Some("new".into()), "opencode", "linux", "6.1", "x64", "").unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("client-version-invalid"));
    let catalog = CatalogHandle::new();
    assert_eq!(
        catalog.highest_min_client_version().as_deref(),
        Some("0.153.0")
    );
}

#[wasm_bindgen_test]
fn bad_bodies_and_options_throw_coded_errors() {
    let catalog = CatalogHandle::new();
    let err = transform_request("{\"model\":", &catalog, JsValue::UNDEFINED).unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("request-not-json"));
    assert!(String::from(js_sys::Error::from(err).message()).contains("line 1, column 10"));
    assert_eq!(
        code(&transform_request("[]", &catalog, JsValue::NULL).unwrap_err()).as_deref(),
        Some("request-not-object")
    );
    assert_eq!(
        code(&transform_request("{}", &catalog, JsValue::from(3)).unwrap_err()).as_deref(),
        Some("transform-bad-options")
    );
    assert_eq!(
        code(&transform_request("{}", &catalog, obj(r#"{"defaultModel":5}"#)).unwrap_err())
            .as_deref(),
        Some("transform-bad-options")
    );
}

/// The string scan takes 16 bytes per step with wasm SIMD (native builds use SWAR), so this runs in
/// wasm: every special byte at every offset of a long string stops the scan at the right place.
#[wasm_bindgen_test]
fn long_strings_with_a_special_byte_at_every_offset_are_kept_or_refused() {
    use opencode_chatgpt_wasm::request::models::Catalog;
    use opencode_chatgpt_wasm::request::transform::{transform, Options};
    let catalog = Catalog::bundled();
    let options = Options::default();
    for len in [15usize, 16, 17, 31, 32, 33, 70] {
        for at in 0..len {
            for (special, decoded) in [
                ("\\\"", "\""),
                ("\\\\", "\\"),
                ("\\n", "\n"),
                ("\\u00e9", "é"),
                ("é", "é"),
                ("\u{7f}", "\u{7f}"),
            ] {
                let raw = format!("{}{special}{}", "a".repeat(at), "b".repeat(len - at));
                let body = format!(
                    r#"{{"model":"gpt-5.4","instructions":"{raw}","input":[{{"role":"user","content":"hi"}}]}}"#
                );
                let out = transform(&body, &catalog, &options)
                    .unwrap_or_else(|e| panic!("len {len} at {at} {special:?}: {e}"));
                let v: serde_json::Value = serde_json::from_str(&out.body).unwrap();
                let want = format!("{}{decoded}{}", "a".repeat(at), "b".repeat(len - at));
                assert_eq!(
                    v["instructions"].as_str(),
                    Some(want.as_str()),
                    "len {len} at {at} {special:?}"
                );
            }
            let bad = format!(
                r#"{{"model":"gpt-5.4","instructions":"{}{}","input":[]}}"#,
                "a".repeat(at),
                "\u{1}"
            );
            let err = transform(&bad, &catalog, &options).unwrap_err();
            assert_eq!(
                opencode_chatgpt_wasm::CoreError::code(&err),
                "request-not-json",
                "raw control byte at {at}"
            );
        }
    }
}

//! wasm-bindgen tests of the response side through the JS boundary (Node and, via
//! tests/browser.rs, headless Chromium): SSE pass-through at every chunking, collector, error
//! classification, retry delays, rate-limit headers.
#![cfg(target_arch = "wasm32")]

use opencode_chatgpt_wasm::wasm::stream_exports as x;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&o, &(*k).into(), &(*v).into()).unwrap();
    }
    o.into()
}

const STREAM: &str = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"output\":[]}}\n\n\
    : keep-alive\r\n\r\n\
    data: {\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\"}}\n\n\
    event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"m\",\"delta\":\"h\u{e9}llo \u{1f600}\"}\n\n\
    event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"output\":[]}}\n\n";

#[wasm_bindgen_test]
fn rewriter_forwards_identical_bytes_at_every_split() {
    let bytes = STREAM.as_bytes();
    for cut in 0..=bytes.len() {
        // push/finish say how many of the held bytes to forward; the caller keeps the bytes.
        let mut r = x::StreamRewriter::new(None);
        let first = r.push(&bytes[..cut]).unwrap();
        let second = r.push(&bytes[cut..]).unwrap();
        let last = r.finish();
        assert_eq!(first + second + last, bytes.len(), "cut at {cut}");
        let mut reference = opencode_chatgpt_wasm::stream::sse::SseParser::new();
        reference.feed(&bytes[..cut]).unwrap();
        assert_eq!(
            first as u64,
            reference.last_boundary(),
            "cut at {cut}: whole events only"
        );
        assert!(r.completed() && !r.failed() && r.error_message().is_none());
    }
}

#[wasm_bindgen_test]
fn rewriter_reports_failure_and_truncation() {
    let mut r = x::StreamRewriter::new(None);
    let failed = "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"usage_not_included\",\"message\":\"x\"}}}\n\n";
    let head = "data: {\"type\":\"response.created\"}\n\n";
    assert_eq!(
        r.push(format!("{head}{failed}").as_bytes()).unwrap(),
        head.len(),
        "the events before the failure go"
    );
    assert!(r.failed());
    assert_eq!(
        r.error_kind().unwrap().as_string().as_deref(),
        Some("not_included")
    );
    assert!(r
        .error_message()
        .unwrap()
        .contains("does not include Codex"));

    let mut t = x::StreamRewriter::new(None);
    let cut = STREAM.find("event: response.completed").unwrap();
    t.push(&STREAM.as_bytes()[..cut]).unwrap();
    t.finish();
    assert!(!t.completed() && !t.failed());
    assert!(t.error_kind().unwrap().is_null());
}

#[wasm_bindgen_test]
fn collector_rebuilds_output_and_throws_on_truncation() {
    let mut c = x::SseCollector::new();
    for chunk in STREAM.as_bytes().chunks(5) {
        c.push(chunk).unwrap();
    }
    let v: serde_json::Value = serde_json::from_str(&c.finish().unwrap()).unwrap();
    assert_eq!(v["output"][0]["content"][0]["text"], "h\u{e9}llo \u{1f600}");
    let mut t = x::SseCollector::new();
    t.push(&STREAM.as_bytes()[..40]).unwrap();
    let err = t.finish().unwrap_err();
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("response-incomplete")
    );
}

#[wasm_bindgen_test]
fn http_errors_reach_js_as_plain_objects() {
    let body =
        r#"{"error":{"type":"usage_limit_reached","plan_type":"pro","resets_at":1700003600}}"#;
    let e = x::classify_http_error(
        429,
        headers(&[]),
        body,
        1_700_000_000_000.0,
        0,
        JsValue::UNDEFINED,
    )
    .unwrap();
    assert_eq!(get(&e, "kind").as_string().as_deref(), Some("usage_limit"));
    assert_eq!(
        get(&e, "message").as_string().as_deref(),
        Some("ChatGPT usage limit reached for your pro plan; resets at 23:13 (in 1 h 0 min)")
    );
    assert_eq!(get(&e, "retryable").as_bool(), Some(false));
    assert_eq!(get(&e, "resetsAtMs").as_f64(), Some(1_700_003_600_000.0));
    assert_eq!(get(&e, "plan").as_string().as_deref(), Some("pro"));
    let r = x::classify_http_error(
        429,
        headers(&[("Retry-After", "2")]),
        "",
        0.0,
        0,
        JsValue::UNDEFINED,
    )
    .unwrap();
    assert_eq!(get(&r, "retryAfterMs").as_f64(), Some(2000.0));
    assert_eq!(
        x::retry_delay_ms(1, "server".into(), None, 0.5).unwrap(),
        Some(200.0)
    );
    assert_eq!(
        x::retry_delay_ms(4, "transport".into(), None, 0.5).unwrap(),
        None
    );
    assert_eq!(
        x::retry_delay_ms(1, "usage_limit".into(), Some(5.0), 0.5).unwrap(),
        None
    );
    assert!(x::retry_delay_ms(1, "bogus".into(), None, 0.5).is_err());
}

#[wasm_bindgen_test]
fn rate_limit_headers_and_warnings() {
    assert!(
        x::parse_rate_limits(headers(&[("content-type", "text/plain")]))
            .unwrap()
            .is_null()
    );
    let low = x::parse_rate_limits(headers(&[
        ("x-codex-primary-used-percent", "50"),
        ("x-codex-primary-window-minutes", "300"),
    ]))
    .unwrap();
    let high = x::parse_rate_limits(headers(&[
        ("X-Codex-Primary-Used-Percent", "96"),
        ("x-codex-primary-window-minutes", "300"),
    ]))
    .unwrap();
    assert_eq!(
        get(&get(&high, "primary"), "usedPercent").as_f64(),
        Some(96.0)
    );
    assert_eq!(x::quota_warning(JsValue::NULL, low.clone()).unwrap(), None);
    assert_eq!(
        x::quota_warning(low, high.clone()).unwrap().as_deref(),
        Some("ChatGPT usage: 96% of your 5 h limit used")
    );
    assert_eq!(x::quota_warning(high.clone(), high).unwrap(), None);
}

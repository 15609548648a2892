//! wasm-bindgen tests of the response side through the JS boundary (Node and, via
//! tests/browser.rs, headless Chromium): SSE pass-through at every chunking, collector, error
//! classification, retry delays, rate-limit headers.
#![cfg(target_arch = "wasm32")]

use opencode_chatgpt_wasm::wasm::stream_exports as x;
use wasm_bindgen::{JsCast, JsValue};
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

fn stringify(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).unwrap().as_string().unwrap()
}

fn error_text(e: JsValue) -> String {
    js_sys::Error::from(e).message().as_string().unwrap()
}

/// What JS reads, whole: every field in order, `null` for what is unknown (as the serde derives
/// wrote them), and errors worded as before.
#[wasm_bindgen_test]
fn results_reach_js_whole() {
    let limits = x::parse_rate_limits(headers(&[
        ("x-codex-primary-used-percent", "96.5"),
        ("x-codex-primary-window-minutes", "300"),
        ("x-codex-credits-balance", "12.50"),
        ("x-codex-bengalfox-primary-used-percent", "5"),
        ("x-codex-bengalfox-limit-name", "weekly"),
    ]))
    .unwrap();
    assert_eq!(
        stringify(&limits),
        r#"{"primary":{"usedPercent":96.5,"windowMinutes":300,"resetsAtS":null,"resetsAfterS":null},"secondary":null,"credits":{"hasCredits":null,"unlimited":null,"balance":"12.50"},"activeLimit":null,"limitName":null,"families":[{"id":"codex_bengalfox","name":"weekly","primary":{"usedPercent":5,"windowMinutes":null,"resetsAtS":null,"resetsAfterS":null},"secondary":null}]}"#
    );
    // A snapshot JS kept (it may drop nulls) reads back.
    let kept = js_sys::JSON::parse(r#"{"primary":{"usedPercent":70}}"#).unwrap();
    assert_eq!(
        x::quota_warning(kept, limits).unwrap().as_deref(),
        Some("ChatGPT usage: 97% of your 5 h limit used")
    );
    let bad = js_sys::JSON::parse(r#"{"primary":{"windowMinutes":5}}"#).unwrap();
    assert_eq!(
        error_text(x::quota_warning(bad, JsValue::NULL).unwrap_err()),
        "quotaWarning: not a rate-limit snapshot (missing field `usedPercent`)"
    );

    let e = x::classify_http_error(500, headers(&[]), "", 0.0, 0, JsValue::UNDEFINED).unwrap();
    let keys: Vec<String> = js_sys::Object::keys(e.unchecked_ref::<js_sys::Object>())
        .iter()
        .filter_map(|k| k.as_string())
        .collect();
    assert_eq!(
        keys,
        [
            "kind",
            "status",
            "message",
            "retryable",
            "retryAfterMs",
            "resetsAtMs",
            "plan"
        ]
    );
    assert!(get(&e, "retryAfterMs").is_null() && get(&e, "plan").is_null());
    assert_eq!(get(&e, "status").as_f64(), Some(500.0));
    // A context with models names them in a model refusal; a malformed one is ignored.
    let refusal = r#"{"error":{"code":"model_not_supported_with_chatgpt_account","message":"The 'gpt-x' model is not supported"}}"#;
    let ctx = js_sys::JSON::parse(r#"{"models":["gpt-y"],"clientVersion":"0.99.0"}"#).unwrap();
    let m = x::classify_http_error(400, headers(&[]), refusal, 0.0, 0, ctx).unwrap();
    assert!(get(&m, "message")
        .as_string()
        .unwrap()
        .ends_with("; or pick a model this login can use: gpt-y"));
    let m = x::classify_http_error(400, headers(&[]), refusal, 0.0, 0, "x".into()).unwrap();
    assert!(get(&m, "message")
        .as_string()
        .unwrap()
        .ends_with("(`opencode models openai`)"));

    assert_eq!(
        stringify(&x::stream_retry(1, "ended_early", None, 0.5, false).unwrap()),
        r#"{"delayMs":200,"dropReasoning":false}"#
    );
    assert_eq!(
        stringify(&x::stream_retry(1, "encrypted_content", None, 0.5, false).unwrap()),
        r#"{"delayMs":0,"dropReasoning":true}"#
    );
    assert!(x::stream_retry(1, "context_length", None, 0.5, false)
        .unwrap()
        .is_null());
    assert!(
        error_text(x::retry_delay_ms(1, "bogus".into(), None, 0.5).unwrap_err()).starts_with(
            "retryDelayMs: unknown kind (unknown variant `bogus`, expected one of `usage_limit`, "
        )
    );

    let mut r = x::StreamRewriter::new(None);
    assert!(r.error_kind().unwrap().is_null());
    r.push(b"data: {\"type\":\"error\",\"code\":\"context_length_exceeded\"}\n\n")
        .unwrap();
    assert_eq!(
        r.error_kind().unwrap().as_string().as_deref(),
        Some("context_length")
    );
}

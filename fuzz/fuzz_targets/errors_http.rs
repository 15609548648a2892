//! Backend error classification, retry timing and rate-limit headers: any status, headers, body
//! and clock give a non-empty message, a retry decision that follows the kind, delays that stay
//! within their bounds, and never raw HTML; what goes to JS (the error, the rate-limit snapshot) is
//! JSON that reads back.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::stream::errors_http::{
    classify, classify_with, human_duration, retry_after_from_text, retry_delay, Context, ErrorKind, MAX_ATTEMPTS,
};
use opencode_chatgpt_wasm::stream::limits;
use opencode_chatgpt_wasm_fuzz::{is_json, object, pick, Json, Key};

const HEADERS: &[&str] = &[
    "retry-after",
    "Retry-After-Ms",
    "x-codex-primary-used-percent",
    "x-codex-primary-window-minutes",
    "x-codex-primary-reset-after-seconds",
    "x-codex-primary-reset-at",
    "x-codex-secondary-used-percent",
    "x-codex-secondary-window-minutes",
    "x-codex-secondary-reset-after-seconds",
    "x-codex-credits-has-credits",
    "x-codex-credits-unlimited",
    "x-codex-credits-balance",
    "x-codex-active-limit",
    "x-codex-limit-name",
    "x-codex-bengalfox-primary-used-percent",
    "x-codex-bengalfox-primary-window-minutes",
    "x-codex-bengalfox-secondary-used-percent",
    "x-codex-bengalfox-limit-name",
    "x--primary-used-percent",
    "content-type",
];

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(String),
    Json(Vec<(Key, Json)>),
    Error { fields: Vec<(Key, Json)> },
}

#[derive(Arbitrary, Debug)]
struct Input {
    models: Vec<String>,
    client_version: Option<String>,
    status: u16,
    headers: Vec<(u8, String)>,
    prev_headers: Vec<(u8, String)>,
    body: Body,
    now_ms: i64,
    tz_offset_min: i32,
    attempt: u32,
    rand01: f64,
    retry_after_ms: Option<u64>,
    ms: u64,
}

fn headers(h: &[(u8, String)]) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| (pick(HEADERS, *k).to_string(), v.clone()))
        .collect()
}

fuzz_target!(|input: Input| {
    let body = match &input.body {
        Body::Raw(s) => s.clone(),
        Body::Json(f) => object(f.iter().map(|(k, v)| (k.name(), v.to_value()))).to_string(),
        Body::Error { fields } => {
            let err = object(fields.iter().map(|(k, v)| (k.name(), v.to_value())));
            object([("error".to_string(), err)]).to_string()
        }
    };
    let hs = headers(&input.headers);
    let ctx = Context {
        models: input.models.clone(),
        client_version: input.client_version.clone(),
    };
    let e = classify_with(input.status, &hs, &body, input.now_ms, input.tz_offset_min, &ctx);
    assert_eq!(
        e,
        if ctx == Context::default() {
            classify(input.status, &hs, &body, input.now_ms, input.tz_offset_min)
        } else {
            e.clone()
        }
    );
    assert_eq!(e.status, input.status);
    assert!(!e.message.trim().is_empty());
    let text = e.to_json();
    let v: serde_json::Value = serde_json::from_str(&text).expect("classifyHttpError writes JSON");
    assert_eq!(ErrorKind::read(&v["kind"]), Ok(e.kind), "{text}");
    assert_eq!(v["message"].as_str(), Some(e.message.as_str()), "{text}");
    assert_eq!(
        e.retryable,
        matches!(e.kind, ErrorKind::Server | ErrorKind::RateLimited)
    );
    if body.contains("<script") && !body.trim_start().starts_with('{') {
        assert!(
            !e.message.contains("<script"),
            "raw markup in {}",
            e.message
        );
    }

    match retry_delay(
        input.attempt,
        e.kind,
        input.retry_after_ms.or(e.retry_after_ms),
        input.rand01,
    ) {
        Some(delay) => {
            assert!(input.attempt >= 1 && input.attempt < MAX_ATTEMPTS);
            assert!(matches!(
                e.kind,
                ErrorKind::Server | ErrorKind::RateLimited | ErrorKind::Transport
            ));
            assert!(delay <= 60_000, "delay {delay} ms");
        }
        None => {}
    }
    if let Some(ms) = retry_after_from_text(&body) {
        let _ = human_duration(ms);
    }
    assert!(!human_duration(input.ms).is_empty());

    let next = limits::parse(&hs);
    let prev = limits::parse(&headers(&input.prev_headers));
    if let Some(next) = &next {
        assert_ne!(next, &limits::RateLimits::default());
        // The snapshot JS keeps reads back (numbers aside: serde_json's float parser may round
        // a long value one unit differently, so they are compared by presence).
        let text = next.to_json();
        assert!(is_json(&text), "{text}");
        let back = limits::RateLimits::read(&serde_json::from_str(&text).unwrap()).expect(&text);
        let shape = |r: &limits::RateLimits| {
            let w = |w: &Option<limits::Window>| w.as_ref().map(|w| w.window_minutes);
            let families: Vec<_> = r
                .families
                .iter()
                .map(|f| (f.id.clone(), f.name.clone(), w(&f.primary), w(&f.secondary)))
                .collect();
            (w(&r.primary), w(&r.secondary), r.credits.clone(), r.active_limit.clone(), r.limit_name.clone(), families)
        };
        assert_eq!(shape(&back), shape(next), "{text}");
        if let Some(w) = limits::warning(prev.as_ref(), next) {
            assert!(w.starts_with("ChatGPT usage: ") && w.contains('%'), "{w}");
        }
    }
});

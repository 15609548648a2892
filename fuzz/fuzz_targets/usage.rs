//! The usage endpoint's reply, the saved quota file and the display model: any status, body, clock
//! and time zone give a usage or a coded error, finite percentages, and a view whose every window
//! has a label and a percentage within 0..=100.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::usage::{payload, view};
use opencode_chatgpt_wasm_fuzz::{object, Json, Key};

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(String),
    Json(Vec<(Key, Json)>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    status: u16,
    body: Body,
    quota: String,
    now_ms: i64,
    tz_offset_min: i32,
    serving: bool,
}

fuzz_target!(|input: Input| {
    let body = match &input.body {
        Body::Raw(s) => s.clone(),
        Body::Json(f) => object(f.iter().map(|(k, v)| (k.name(), v.to_value()))).to_string(),
    };
    let mut usages = Vec::new();
    match payload::parse_response(input.status, &body, input.now_ms) {
        Ok(u) => {
            assert!((200..300).contains(&input.status));
            assert!(u.windows.iter().all(|w| w.used_percent.is_finite()));
            usages.push(u);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    usages.extend(payload::from_quota_file(&input.quota));
    let accounts = [view::AccountInput { label: None, serving: input.serving, usages }];
    let v = view::view(&accounts, input.now_ms, input.tz_offset_min);
    for a in &v.accounts {
        for w in &a.windows {
            assert!(w.percent <= 100 && !w.label.is_empty());
        }
    }
    let _ = payload::usage_url(&body);
    let _ = payload::refresh_due(Some(input.now_ms), None, input.now_ms);
});

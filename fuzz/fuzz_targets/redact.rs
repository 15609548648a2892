//! Redaction: a known secret (8+ bytes, no brackets, not part of the marker) never survives,
//! wherever it sits in the text and whatever else is around it; redaction never panics.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::auth::redact::redact;
use opencode_chatgpt_wasm_fuzz::redact_guarantees;

#[derive(Arbitrary, Debug)]
struct Input {
    before: String,
    secret: String,
    middle: String,
    after: String,
    others: Vec<String>,
}

fuzz_target!(|input: Input| {
    let Input {
        before,
        secret,
        middle,
        after,
        others,
    } = input;
    let text = format!("{before}{secret}{middle}{secret}{after}");
    let mut secrets = vec![secret];
    secrets.extend(others);
    let out = redact(&text, &secrets);
    for s in secrets.iter().filter(|s| redact_guarantees(s)) {
        assert!(
            !out.contains(s.as_str()),
            "secret {s:?} survived in {out:?}"
        );
    }
    // The pattern-only pass (what the log paths use) keeps its promise too.
    let plain = redact(&text, &[] as &[&str]);
    assert_eq!(
        redact(&plain, &[] as &[&str]),
        plain,
        "redacting twice changed {text:?}"
    );
});

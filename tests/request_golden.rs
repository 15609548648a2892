//! Golden tests of the request transform: bodies the real OpenCode 1.18.33 sent
//! (tests/fixtures/requests/captured/, by scripts/capture-requests) and hand-written realistic ones
//! for what a short capture cannot show (tests/fixtures/requests/<name>.input.json); the expected
//! result is in tests/fixtures/requests/<name>.output.json (`{body, model, effort, notice,
//! promptCacheKey, callerStreams}`, body as a JSON object).
//! `UPDATE_GOLDEN=1 cargo test --test request_golden` rewrites the expected files: review the diff.

use std::collections::HashMap;
use std::path::Path;

use opencode_chatgpt_wasm::request::models::Catalog;
use opencode_chatgpt_wasm::request::transform::{transform, Options};
use serde_json::value::RawValue;
use serde_json::Value;

/// Transforms `<input>` and compares with `<name>.output.json`.
fn check(input: &str, name: &str) {
    check_as(input, name, None);
}

/// [`check`], with the body's `model` replaced by `model` first (the same real body on another model).
fn check_as(input: &str, name: &str, model: Option<&str>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/requests");
    let mut input = std::fs::read_to_string(dir.join(input)).unwrap();
    if let Some(model) = model {
        let mut body: serde_json::Map<String, Value> = serde_json::from_str(&input).unwrap();
        body.insert("model".into(), model.into());
        input = serde_json::to_string(&body).unwrap();
    }
    let out = transform(&input, &Catalog::bundled(), &Options::default()).unwrap();

    // Large untouched values leave byte for byte (responses-lite: the instructions as the text of
    // the developer message that opens the input, the tools inside `additional_tools`).
    let raw: HashMap<String, Box<RawValue>> = serde_json::from_str(&input).unwrap();
    for key in ["tools", "instructions"] {
        if let Some(value) = raw.get(key) {
            let sent_as = if out.lite && key == "instructions" {
                "text"
            } else {
                key
            };
            assert!(
                out.body.contains(&format!("\"{sent_as}\":{}", value.get())),
                "{name}: {key} was not copied verbatim"
            );
        }
    }

    // Every field of `Transformed` but `turn` (JS receives that as its own field), as the
    // golden files name them.
    let actual = serde_json::json!({
        "body": serde_json::from_str::<Value>(&out.body).unwrap(),
        "model": out.model,
        "effort": out.effort,
        "notice": out.notice,
        "promptCacheKey": out.prompt_cache_key,
        "lite": out.lite,
        "callerStreams": out.caller_streams,
    });
    let expected_path = dir.join(format!("{name}.output.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(
            &expected_path,
            serde_json::to_string_pretty(&actual).unwrap() + "\n",
        )
        .unwrap();
    }
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
    assert_eq!(actual, expected, "{name}");
}

#[test]
fn captured_title_request() {
    check(
        "captured/opencode-1.18.33-title0.json",
        "opencode-1.18.33-title0",
    );
}

#[test]
fn captured_first_turn() {
    check(
        "captured/opencode-1.18.33-turn1.json",
        "opencode-1.18.33-turn1",
    );
}

#[test]
fn captured_first_turn_on_a_responses_lite_model() {
    check_as(
        "captured/opencode-1.18.33-turn1.json",
        "opencode-1.18.33-turn1-gpt-5.6-sol",
        Some("gpt-5.6-sol"),
    );
}

#[test]
fn captured_turn_after_a_read_tool_call() {
    check(
        "captured/opencode-1.18.33-turn2.json",
        "opencode-1.18.33-turn2",
    );
}

#[test]
fn title_request_with_temperature_and_effort_none() {
    check("title.input.json", "title");
}

#[test]
fn first_turn_with_nine_tools() {
    check("first-turn.input.json", "first-turn");
}

#[test]
fn turn_after_tool_calls_with_encrypted_reasoning_and_ids() {
    check("after-tool-calls.input.json", "after-tool-calls");
}

#[test]
fn compacted_session_with_an_orphaned_output_and_an_item_reference() {
    check("compacted-session.input.json", "compacted-session");
}

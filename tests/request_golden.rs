//! Golden tests of the request transform: realistic OpenCode 1.18 bodies in
//! tests/fixtures/requests/<name>.input.json, the expected result in <name>.output.json
//! (`{body, model, effort, notice, promptCacheKey}`, body as a JSON object).
//! `UPDATE_GOLDEN=1 cargo test --test request_golden` rewrites the expected files: review the diff.

use std::collections::HashMap;
use std::path::Path;

use opencode_chatgpt_wasm::models::Catalog;
use opencode_chatgpt_wasm::request::{transform, Options};
use serde_json::value::RawValue;
use serde_json::Value;

const FIXTURES: [&str; 4] = ["title", "first-turn", "after-tool-calls", "compacted-session"];

fn check(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/requests");
    let input = std::fs::read_to_string(dir.join(format!("{name}.input.json"))).unwrap();
    let out = transform(&input, &Catalog::bundled(), &Options::default()).unwrap();

    // Large untouched values leave byte for byte.
    let raw: HashMap<String, Box<RawValue>> = serde_json::from_str(&input).unwrap();
    for key in ["tools", "instructions"] {
        if let Some(value) = raw.get(key) {
            assert!(out.body.contains(&format!("\"{key}\":{}", value.get())), "{name}: {key} was not copied verbatim");
        }
    }

    let mut actual = serde_json::to_value(&out).unwrap();
    actual["body"] = serde_json::from_str(&out.body).unwrap();
    let expected_path = dir.join(format!("{name}.output.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, serde_json::to_string_pretty(&actual).unwrap() + "\n").unwrap();
    }
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
    assert_eq!(actual, expected, "{name}");
}

#[test]
fn title_request() {
    check(FIXTURES[0]);
}

#[test]
fn first_turn_with_tools() {
    check(FIXTURES[1]);
}

#[test]
fn turn_after_tool_calls() {
    check(FIXTURES[2]);
}

#[test]
fn compacted_session() {
    check(FIXTURES[3]);
}

//! The request transform on request-like objects built by `arbitrary` (known fields with values of
//! any type, nested input items, unknown fields): every one is accepted, comes out satisfying the
//! Codex invariants, keeps a non-blank `instructions` and every field the backend does not define.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::request::transform;
use opencode_chatgpt_wasm_fuzz::{assert_codex_invariants, object, Json, Key};
use serde_json::Value;

#[derive(Arbitrary, Debug)]
struct Item {
    kind: u8,
    role: u8,
    text: String,
    id: Option<String>,
    extra: Vec<(Key, Json)>,
}

const ITEM_TYPES: &[&str] = &["message", "function_call", "function_call_output", "item_reference", "reasoning", "x"];
const ROLES: &[&str] = &["user", "assistant", "system", "developer"];

impl Item {
    fn to_value(&self) -> Value {
        let mut fields: Vec<(String, Value)> = self.extra.iter().map(|(k, v)| (k.name(), v.to_value())).collect();
        fields.push(("type".into(), opencode_chatgpt_wasm_fuzz::pick(ITEM_TYPES, self.kind).into()));
        fields.push(("role".into(), opencode_chatgpt_wasm_fuzz::pick(ROLES, self.role).into()));
        fields.push(("content".into(), serde_json::json!([{ "type": "input_text", "text": self.text }])));
        if let Some(id) = &self.id {
            fields.push(("id".into(), id.clone().into()));
        }
        object(fields)
    }
}

#[derive(Arbitrary, Debug)]
struct Request {
    known: Vec<(Key, Json)>,
    instructions: Option<String>,
    input: Option<Vec<Item>>,
    /// Fields no protocol defines (`x-` prefixed): they must pass through unchanged.
    custom: Vec<(String, Json)>,
}

fuzz_target!(|req: Request| {
    let mut fields: Vec<(String, Value)> = req.known.iter().map(|(k, v)| (k.name(), v.to_value())).collect();
    if let Some(i) = &req.instructions {
        fields.push(("instructions".into(), i.clone().into()));
    }
    if let Some(items) = &req.input {
        fields.push(("input".into(), Value::Array(items.iter().map(Item::to_value).collect())));
    }
    let custom: Vec<(String, Value)> = req.custom.iter().map(|(k, v)| (format!("x-{k}"), v.to_value())).collect();
    fields.extend(custom.iter().cloned());
    let body = object(fields);
    let input = body.to_string();

    let out = transform(&input).unwrap_or_else(|e| panic!("refused a request object ({e}): {input}"));
    assert_codex_invariants(&out);
    let out: Value = serde_json::from_str(&out).expect("checked above");
    if let Some(Value::String(i)) = body.get("instructions").filter(|i| i.as_str().is_some_and(|s| !s.trim().is_empty())) {
        assert_eq!(out["instructions"], Value::String(i.clone()));
    }
    for (k, _) in &custom {
        assert_eq!(out.get(k), body.get(k), "custom field {k} changed");
    }
});

//! The request transform on request-like objects built by `arbitrary` (known fields with values of
//! any type, message items with texts, unknown fields): every one is accepted, comes out
//! satisfying the Codex invariants, keeps a non-blank `instructions`, every field no protocol
//! defines, and every user/assistant text.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::request::transform::{transform, Options};
use opencode_chatgpt_wasm_fuzz::{assert_codex_invariants, object, pick, Json, Key, CATALOG};
use serde_json::Value;

#[derive(Arbitrary, Debug)]
struct Item {
    kind: u8,
    role: u8,
    text: String,
    id: Option<String>,
    call_id: Option<u8>,
    extra: Vec<(Key, Json)>,
}

const ITEM_TYPES: &[&str] = &[
    "message",
    "function_call",
    "function_call_output",
    "item_reference",
    "reasoning",
    "x",
];
const ROLES: &[&str] = &["user", "assistant", "system", "developer"];
const MODELS: &[&str] = &[
    "",
    "gpt-5.4",
    "gpt-5.4-high",
    "openai/gpt-5.4-fast",
    "gpt-5-codex",
    "GPT-5.4-XHIGH",
    "nope",
    "gpt-5.6-sol",
    "gpt-6-astra-high",
];

impl Item {
    fn to_value(&self) -> Value {
        let mut fields: Vec<(String, Value)> = self
            .extra
            .iter()
            .map(|(k, v)| (k.name(), v.to_value()))
            .collect();
        fields.push(("type".into(), pick(ITEM_TYPES, self.kind).into()));
        fields.push(("role".into(), pick(ROLES, self.role).into()));
        let part = if self.role % 2 == 0 {
            "input_text"
        } else {
            "output_text"
        };
        fields.push((
            "content".into(),
            serde_json::json!([{ "type": part, "text": self.text }]),
        ));
        if let Some(id) = &self.id {
            fields.push(("id".into(), id.clone().into()));
        }
        if let Some(c) = self.call_id {
            fields.push(("call_id".into(), format!("call_{}", c % 4).into()));
        }
        object(fields)
    }

    /// A user or assistant message whose text must reach the backend.
    fn kept_text(&self) -> Option<&str> {
        let role = pick(ROLES, self.role);
        (pick(ITEM_TYPES, self.kind) == "message" && (role == "user" || role == "assistant"))
            .then_some(self.text.as_str())
    }
}

#[derive(Arbitrary, Debug)]
struct Request {
    model: Option<u8>,
    known: Vec<(Key, Json)>,
    instructions: Option<String>,
    input: Option<Vec<Item>>,
    /// Fields no protocol defines (`x-` prefixed): they must pass through unchanged.
    custom: Vec<(String, Json)>,
    default_model: Option<u8>,
    /// The `responsesLite: false` switch.
    full_shape: bool,
}

fuzz_target!(|req: Request| {
    let mut fields: Vec<(String, Value)> = req
        .known
        .iter()
        .map(|(k, v)| (k.name(), v.to_value()))
        .collect();
    if let Some(m) = req.model {
        fields.push(("model".into(), pick(MODELS, m).into()));
    }
    if let Some(i) = &req.instructions {
        fields.push(("instructions".into(), i.clone().into()));
    }
    if let Some(items) = &req.input {
        fields.push((
            "input".into(),
            Value::Array(items.iter().map(Item::to_value).collect()),
        ));
    }
    let custom: Vec<(String, Value)> = req
        .custom
        .iter()
        .map(|(k, v)| (format!("x-{k}"), v.to_value()))
        .collect();
    fields.extend(custom.iter().cloned());
    let body = object(fields);
    let input = body.to_string();
    let input_ok = matches!(
        body.get("input"),
        None | Some(Value::Array(_) | Value::String(_) | Value::Null)
    );

    let default_model = req.default_model.map(|m| pick(MODELS, m));
    let opts = Options {
        default_model,
        full_shape: req.full_shape,
    };
    let out = match transform(&input, &CATALOG, &opts) {
        Ok(out) => out,
        Err(e) => {
            assert!(!input_ok, "refused a request object ({e}): {input}");
            return;
        }
    };
    let members = assert_codex_invariants(&out.body, out.lite);
    assert_eq!(
        out.lite,
        !req.full_shape
            && CATALOG
                .get(&out.model)
                .is_some_and(|m| m.use_responses_lite)
            && tools_fit(&body),
        "lite decided wrongly: {input}"
    );
    let raw = |key: &str| {
        members
            .iter()
            .rev()
            .find(|(k, _)| k == key.as_bytes())
            .map(|(_, v)| v.clone())
    };
    if let Some(Value::String(i)) = body
        .get("instructions")
        .filter(|i| i.as_str().is_some_and(|s| !s.trim().is_empty()))
    {
        let sent = if out.lite {
            // The developer message's text token as sent (serde_json wrote the request, so the
            // tokens of a String compare byte for byte).
            let input: Value = serde_json::from_str(&raw("input").unwrap()).unwrap();
            Some(input[1]["content"][0]["text"].to_string())
        } else {
            raw("instructions")
        };
        assert_eq!(
            sent,
            Some(Value::String(i.clone()).to_string()),
            "instructions changed"
        );
    }
    assert_eq!(
        raw("model").map(|m| serde_json::from_str::<String>(&m).ok()),
        Some(Some(out.model.clone()))
    );
    // A catalog model, or the name the request asked for, sent as named (issue 14: never a silent
    // downgrade; Catalog::resolve keeps the last path segment, trimmed and lower-cased).
    // An empty or missing name takes the caller's default model, resolved the same way.
    let as_named = body
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty())
        .or(default_model)
        .map(|m| {
            m.trim()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
        });
    assert!(
        CATALOG.get(&out.model).is_some() || as_named.as_deref() == Some(out.model.as_str()),
        "model {} is neither in the catalog nor the name asked for ({as_named:?})",
        out.model
    );
    for (k, v) in body
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.starts_with("x-"))
    {
        assert_eq!(raw(k), Some(v.to_string()), "custom field {k} changed");
    }
    for item in req.input.iter().flatten() {
        if let Some(text) = item.kept_text() {
            assert!(
                out.body.contains(&Value::String(text.into()).to_string()),
                "lost text {text:?}: {}",
                out.body
            );
        }
    }
});

/// The responses-lite rule for tools: absent, null, or only function and custom tools.
fn tools_fit(body: &Value) -> bool {
    match body.get("tools") {
        None | Some(Value::Null) => true,
        Some(Value::Array(tools)) => tools.iter().all(|t| {
            matches!(
                t.get("type").and_then(Value::as_str),
                Some("function" | "custom")
            )
        }),
        Some(_) => false,
    }
}

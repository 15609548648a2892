//! Shared pieces of the fuzz targets: an `arbitrary` JSON generator biased towards the shapes the
//! core reads (request bodies, token and device replies), and the secret-survival check. Only the
//! fuzz targets use this crate; it never ships.

use arbitrary::Arbitrary;
use serde_json::{Map, Number, Value};

/// Strings the core branches on, so the fuzzer reaches those branches without guessing them.
pub const INTERESTING: &[&str] = &[
    "",
    " ",
    "reasoning.encrypted_content",
    "gpt-5.4",
    "message",
    "user",
    "assistant",
    "function_call",
    "function_call_output",
    "item_reference",
    "reasoning",
    "refresh_token_reused",
    "refresh_token_expired",
    "refresh_token_invalidated",
    "refresh_token_revoked",
    "invalid_grant",
    "access_denied",
    "missing_codex_entitlement",
    "5",
    "3600",
    "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.c2ln",
    "<html><body>502 Bad Gateway</body></html>",
];

/// Object keys the core looks up (request fields, token and device reply fields, error shapes).
pub const KEYS: &[&str] = &[
    "model",
    "store",
    "stream",
    "include",
    "instructions",
    "input",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning",
    "text",
    "prompt_cache_key",
    "service_tier",
    "max_output_tokens",
    "max_tokens",
    "temperature",
    "top_p",
    "previous_response_id",
    "metadata",
    "user",
    "truncation",
    "type",
    "role",
    "content",
    "id",
    "call_id",
    "output",
    "encrypted_content",
    "access_token",
    "refresh_token",
    "id_token",
    "expires_in",
    "error",
    "error_description",
    "code",
    "message",
    "device_auth_id",
    "user_code",
    "usercode",
    "interval",
    "authorization_code",
    "code_verifier",
];

/// Nesting beyond this becomes `null`: the targets test the core's logic, and serde_json's own
/// recursion limit (128) is covered by the raw-bytes targets and tests/bad_input.rs.
const MAX_DEPTH: usize = 24;

/// A JSON value as `arbitrary` builds it.
#[derive(Arbitrary, Debug)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// `n / 8`: a fraction that survives a JSON round trip exactly.
    Frac(i32),
    Str(String),
    Known(u8),
    Arr(Vec<Json>),
    Obj(Vec<(Key, Json)>),
}

/// An object key: usually one the core reads, sometimes anything.
#[derive(Arbitrary, Debug)]
pub enum Key {
    Known(u8),
    Other(String),
}

impl Key {
    pub fn name(&self) -> String {
        match self {
            Key::Known(i) => pick(KEYS, *i).to_string(),
            Key::Other(s) => s.clone(),
        }
    }
}

pub fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list.get(usize::from(i) % list.len()).copied().unwrap_or("")
}

impl Json {
    pub fn to_value(&self) -> Value {
        self.value_at(0)
    }

    fn value_at(&self, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::from(*i),
            Json::Frac(n) => Number::from_f64(f64::from(*n) / 8.0).map_or(Value::Null, Value::Number),
            Json::Str(s) => Value::String(s.clone()),
            Json::Known(i) => Value::String(pick(INTERESTING, *i).to_string()),
            Json::Arr(items) => Value::Array(items.iter().map(|v| v.value_at(depth + 1)).collect()),
            Json::Obj(fields) => object(fields.iter().map(|(k, v)| (k.name(), v.value_at(depth + 1)))),
        }
    }
}

/// An object from fields in order (a repeated key keeps its last value, as JSON parsers do).
pub fn object(fields: impl IntoIterator<Item = (String, Value)>) -> Value {
    let mut map = Map::new();
    for (k, v) in fields {
        map.insert(k, v);
    }
    Value::Object(map)
}

/// Whether [`opencode_chatgpt_wasm::redact::redact`] promises to remove `secret`: at least
/// `MIN_SECRET_LEN` bytes, no `[`/`]`, not part of the marker.
pub fn redact_guarantees(secret: &str) -> bool {
    use opencode_chatgpt_wasm::redact::{MARKER, MIN_SECRET_LEN};
    secret.len() >= MIN_SECRET_LEN && !secret.contains(['[', ']']) && !MARKER.contains(secret)
}

/// A secret shaped like a real token (base64url, dots and the other URL-safe characters, no
/// brackets): messages built from server text must never contain it. The set also guarantees that
/// a message cannot spell it across the boundary of quoted text and its own wording.
pub fn token_like(secret: &str) -> bool {
    redact_guarantees(secret) && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~+/=".contains(&b))
}

/// The request invariants (issue 4): `out` parses as a JSON object with `store:false`,
/// `stream:true`, `include` holding `reasoning.encrypted_content`, a non-blank `instructions`
/// string, and none of the parameters the backend refuses.
pub fn assert_codex_invariants(out: &str) {
    use opencode_chatgpt_wasm::request::UNSUPPORTED_PARAMS;
    let out: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("transform output is not json ({e}): {out}"));
    let obj = out.as_object().expect("transform output is an object");
    assert_eq!(obj.get("store"), Some(&Value::Bool(false)), "store");
    assert_eq!(obj.get("stream"), Some(&Value::Bool(true)), "stream");
    let include = obj.get("include").and_then(Value::as_array).expect("include is an array");
    assert!(include.iter().any(|v| v == "reasoning.encrypted_content"), "include: {include:?}");
    let instructions = obj.get("instructions").and_then(Value::as_str).expect("instructions is a string");
    assert!(!instructions.trim().is_empty(), "instructions are blank");
    for key in UNSUPPORTED_PARAMS {
        assert!(!obj.contains_key(*key), "{key} was kept");
    }
}

//! Shared pieces of the fuzz targets: an `arbitrary` JSON generator biased towards the shapes the
//! core reads (request bodies, token and device replies), and the secret-survival check. Only the
//! fuzz targets use this crate; it never ships.

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use opencode_chatgpt_wasm::request::models::Catalog;
use serde_json::{Map, Number, Value};

/// The bundled catalog, parsed once per process (parsing it per input would dominate the run).
pub static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::bundled);

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
    "response.created",
    "response.output_item.added",
    "response.output_item.done",
    "response.output_text.delta",
    "response.reasoning_summary_text.delta",
    "response.function_call_arguments.delta",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "error",
    "context_length_exceeded",
    "usage_limit_reached",
    "rate_limit_exceeded",
    "server_is_overloaded",
    "try again in 1.5s",
    "input_text",
    "output_text",
    "\\ud800",
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
    "item",
    "item_id",
    "output_index",
    "delta",
    "response",
    "summary",
    "arguments",
    "name",
    "effort",
    "verbosity",
    "detail",
    "plan_type",
    "resets_at",
    "resets_in_seconds",
    // the usage endpoint (src/usage/payload.rs)
    "rate_limit",
    "primary_window",
    "secondary_window",
    "used_percent",
    "limit_window_seconds",
    "reset_at",
    "reset_after_seconds",
    "limit_reached",
    "additional_rate_limits",
    "limit_name",
    "credits",
    "has_credits",
    "balance",
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
            Json::Frac(n) => {
                Number::from_f64(f64::from(*n) / 8.0).map_or(Value::Null, Value::Number)
            }
            Json::Str(s) => Value::String(s.clone()),
            Json::Known(i) => Value::String(pick(INTERESTING, *i).to_string()),
            Json::Arr(items) => Value::Array(items.iter().map(|v| v.value_at(depth + 1)).collect()),
            Json::Obj(fields) => object(
                fields
                    .iter()
                    .map(|(k, v)| (k.name(), v.value_at(depth + 1))),
            ),
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

/// Whether [`opencode_chatgpt_wasm::auth::redact::redact`] promises to remove `secret`: at least
/// `MIN_SECRET_LEN` bytes, no `[`/`]`, not part of the marker.
pub fn redact_guarantees(secret: &str) -> bool {
    use opencode_chatgpt_wasm::auth::redact::{MARKER, MIN_SECRET_LEN};
    secret.len() >= MIN_SECRET_LEN && !secret.contains(['[', ']']) && !MARKER.contains(secret)
}

/// A secret shaped like a real token (base64url, dots and the other URL-safe characters, no
/// brackets): messages built from server text must never contain it. The set also guarantees that
/// a message cannot spell it across the boundary of quoted text and its own wording.
pub fn token_like(secret: &str) -> bool {
    redact_guarantees(secret)
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~+/=".contains(&b))
}

/// serde_json's grammar check without building a tree (its skipping parser has no depth limit).
pub fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// The decoded content of a JSON string as bytes: lone surrogate escapes come out as WTF-8
/// instead of failing, as they would for a Rust `String`.
pub struct JsonBytes(pub Vec<u8>);

impl<'de> serde::Deserialize<'de> for JsonBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = JsonBytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<JsonBytes, E> {
                Ok(JsonBytes(v.to_vec()))
            }
            fn visit_str<E>(self, v: &str) -> Result<JsonBytes, E> {
                Ok(JsonBytes(v.as_bytes().to_vec()))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// The members of a top-level JSON object in order: decoded key bytes and the raw value text.
/// `None` if `text` is not a JSON object.
pub fn members(text: &str) -> Option<Vec<(Vec<u8>, String)>> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<(Vec<u8>, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) =
                map.next_entry::<JsonBytes, Box<serde_json::value::RawValue>>()?
            {
                out.push((k.0, v.get().to_string()));
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let out = serde::Deserializer::deserialize_map(&mut de, V).ok()?;
    de.end().ok()?;
    Some(out)
}

/// The decoded bytes of a raw JSON string value, `None` for another kind of value.
pub fn string_bytes(raw: &str) -> Option<Vec<u8>> {
    serde_json::from_str::<JsonBytes>(raw).ok().map(|b| b.0)
}

/// The request invariants (issue 4) on a transform output: a JSON object with exactly one each
/// of `model` (a string), `store:false`, `stream:true`, `include` (an array holding
/// `reasoning.encrypted_content`) and a non-blank `instructions` string, and none of the
/// parameters the backend refuses. Returns the members for further checks.
/// `lite`: the transform said the body has the responses-lite shape (instructions and tools open
/// the input instead of being top-level members).
pub fn assert_codex_invariants(out: &str, lite: bool) -> Vec<(Vec<u8>, String)> {
    use opencode_chatgpt_wasm::request::transform::UNSUPPORTED_PARAMS;
    assert!(is_json(out), "transform output is not json: {out}");
    let members =
        members(out).unwrap_or_else(|| panic!("transform output is not an object: {out}"));
    let only = |key: &str| {
        let found: Vec<&String> = members
            .iter()
            .filter(|(k, _)| k == key.as_bytes())
            .map(|(_, v)| v)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{key} appears {} times in {out}",
            found.len()
        );
        found[0].clone()
    };
    assert_eq!(only("store"), "false");
    assert_eq!(only("stream"), "true");
    assert!(
        string_bytes(&only("model")).is_some(),
        "model is not a string"
    );
    let include: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(&only("include"))
        .unwrap_or_else(|e| panic!("include is not an array ({e}): {out}"));
    assert!(
        include
            .iter()
            .any(|v| string_bytes(v.get()).as_deref()
                == Some(b"reasoning.encrypted_content".as_slice())),
        "include lacks reasoning.encrypted_content: {out}"
    );
    let instructions = if lite {
        for key in ["instructions", "tools"] {
            assert!(
                !members.iter().any(|(k, _)| k == key.as_bytes()),
                "a lite body has a top-level {key}: {out}"
            );
        }
        assert_eq!(only("parallel_tool_calls"), "false");
        let reasoning: serde_json::Value = serde_json::from_str(&only("reasoning")).unwrap();
        assert_eq!(reasoning["context"], "all_turns", "{out}");
        // Read without a serde_json::Value: copied strings may hold lone surrogate escapes.
        type Raw = Box<serde_json::value::RawValue>;
        let field = |raw: &str, key: &str| {
            self::members(raw)
                .and_then(|m| m.into_iter().find(|(k, _)| k == key.as_bytes()))
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no {key} in {raw}"))
        };
        let input: Vec<Raw> = serde_json::from_str(&only("input")).expect("input is an array");
        assert_eq!(
            field(input[0].get(), "type"),
            "\"additional_tools\"",
            "{out}"
        );
        assert!(field(input[0].get(), "tools").starts_with('['), "{out}");
        assert_eq!(field(input[1].get(), "role"), "\"developer\"", "{out}");
        let content: Vec<Raw> = serde_json::from_str(&field(input[1].get(), "content")).unwrap();
        string_bytes(&field(content[0].get(), "text")).expect("instructions text")
    } else {
        string_bytes(&only("instructions")).expect("instructions is a string")
    };
    assert!(
        !String::from_utf8_lossy(&instructions).trim().is_empty(),
        "instructions are blank"
    );
    for key in UNSUPPORTED_PARAMS {
        assert!(
            !members.iter().any(|(k, _)| k == key.as_bytes()),
            "{key} was kept"
        );
    }
    members
}

/// Splits `data` into chunks of the sizes in `cuts` (0 allowed), the rest as the last chunk.
pub fn chunks<'a>(data: &'a [u8], cuts: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    for &c in cuts {
        let (head, tail) = rest.split_at(usize::from(c % 19).min(rest.len()));
        out.push(head);
        rest = tail;
    }
    out.push(rest);
    out
}

/// An SSE body: raw bytes, or events built from Codex event types and JSON payloads (so the
/// fuzzer reaches completion, failure and delta handling without guessing the wire format).
#[derive(Arbitrary, Debug)]
pub enum Stream {
    Raw(Vec<u8>),
    Events(Vec<StreamEvent>),
}

#[derive(Arbitrary, Debug)]
pub struct StreamEvent {
    /// Index into the event types of [`INTERESTING`] (and others).
    kind: u8,
    /// Also send an `event:` line.
    named: bool,
    fields: Vec<(Key, Json)>,
    /// Line ending: LF, CRLF or CR.
    newline: u8,
    /// A comment / keep-alive line before the event.
    comment: bool,
}

const EVENT_TYPES: &[&str] = &[
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.output_item.done",
    "response.output_text.delta",
    "response.reasoning_summary_text.delta",
    "response.function_call_arguments.delta",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "error",
    "codex.rate_limits",
];

/// The bytes of `stream`.
pub fn sse_stream(stream: &Stream) -> Vec<u8> {
    match stream {
        Stream::Raw(bytes) => bytes.clone(),
        Stream::Events(events) => {
            let mut out = Vec::new();
            for e in events {
                let nl: &[u8] = match e.newline % 3 {
                    0 => b"\n",
                    1 => b"\r\n",
                    _ => b"\r",
                };
                let kind = pick(EVENT_TYPES, e.kind);
                let mut fields: Vec<(String, Value)> = e
                    .fields
                    .iter()
                    .map(|(k, v)| (k.name(), v.to_value()))
                    .collect();
                fields.insert(0, ("type".into(), Value::String(kind.into())));
                if e.comment {
                    out.extend_from_slice(b": keep-alive");
                    out.extend_from_slice(nl);
                }
                if e.named {
                    out.extend_from_slice(format!("event: {kind}").as_bytes());
                    out.extend_from_slice(nl);
                }
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(object(fields).to_string().as_bytes());
                out.extend_from_slice(nl);
                out.extend_from_slice(nl);
            }
            out
        }
    }
}

//! The Codex request transform: an OpenCode Responses API body in, a body the ChatGPT Codex
//! backend accepts out (string in → string out). First slice: the invariants every request must
//! satisfy. Pure: no I/O.

use serde_json::{Map, Value};

use crate::error::CoreError;

/// Parameters the Codex backend rejects or ignores for ChatGPT logins.
pub const UNSUPPORTED_PARAMS: &[&str] =
    &["max_output_tokens", "max_tokens", "temperature", "top_p", "previous_response_id", "metadata", "user", "truncation"];

/// Used only when a caller sends no instructions at all: the backend requires a non-empty value.
pub const FALLBACK_INSTRUCTIONS: &str = "You are a coding agent running in OpenCode. Help the user with their software engineering tasks.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The body is not JSON.
    NotJson { line: usize, column: usize },
    /// The body is JSON but not an object.
    NotObject,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::NotJson { line, column } => {
                write!(f, "request body is not valid json (line {line}, column {column}); nothing was sent")
            }
            RequestError::NotObject => f.write_str("request body is not a json object; nothing was sent"),
        }
    }
}

impl CoreError for RequestError {
    fn code(&self) -> &'static str {
        match self {
            RequestError::NotJson { .. } => "request-not-json",
            RequestError::NotObject => "request-not-object",
        }
    }
}

/// Rewrites `body` so it satisfies the Codex invariants: `store:false`, `stream:true`,
/// `include` carries `reasoning.encrypted_content`, `instructions` is non-empty, and the
/// unsupported sampling/limit parameters are gone.
pub fn transform(body: &str) -> Result<String, RequestError> {
    let value: Value = serde_json::from_str(body)
        .map_err(|e| RequestError::NotJson { line: e.line(), column: e.column() })?;
    let Value::Object(mut obj) = value else { return Err(RequestError::NotObject) };
    enforce_invariants(&mut obj);
    Ok(Value::Object(obj).to_string())
}

fn enforce_invariants(obj: &mut Map<String, Value>) {
    for key in UNSUPPORTED_PARAMS {
        obj.remove(*key);
    }
    obj.insert("store".into(), Value::Bool(false));
    obj.insert("stream".into(), Value::Bool(true));
    let include = obj.entry("include").or_insert_with(|| Value::Array(Vec::new()));
    if !include.is_array() {
        *include = Value::Array(Vec::new());
    }
    if let Value::Array(items) = include {
        if !items.iter().any(|v| v == "reasoning.encrypted_content") {
            items.push(Value::String("reasoning.encrypted_content".into()));
        }
    }
    let has_instructions = matches!(obj.get("instructions"), Some(Value::String(s)) if !s.trim().is_empty());
    if !has_instructions {
        obj.insert("instructions".into(), Value::String(FALLBACK_INSTRUCTIONS.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &str) -> Value {
        serde_json::from_str(&transform(body).unwrap()).unwrap()
    }

    #[test]
    fn enforces_the_codex_invariants() {
        let out = run(r#"{"model":"gpt-5.4","store":true,"stream":false,"temperature":0.5,"top_p":1,"max_output_tokens":32000,"input":[],"instructions":"be brief"}"#);
        assert_eq!(
            out,
            serde_json::json!({"model":"gpt-5.4","store":false,"stream":true,"input":[],"instructions":"be brief","include":["reasoning.encrypted_content"]})
        );
    }

    #[test]
    fn keeps_existing_include_entries_without_duplicating() {
        let out = run(r#"{"include":["reasoning.encrypted_content","x"],"instructions":"i"}"#);
        assert_eq!(out["include"], serde_json::json!(["reasoning.encrypted_content", "x"]));
    }

    #[test]
    fn empty_instructions_get_a_fallback() {
        assert_eq!(run(r#"{"instructions":"  "}"#)["instructions"], FALLBACK_INSTRUCTIONS);
    }

    #[test]
    fn bad_bodies_are_typed_errors() {
        assert_eq!(transform("{").unwrap_err().code(), "request-not-json");
        assert_eq!(transform("[1]").unwrap_err(), RequestError::NotObject);
    }
}

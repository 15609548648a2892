//! SSE → one Responses JSON object, for callers that asked for `stream:false` (the Codex backend
//! always streams). Rebuilds `output` when `response.completed` carries an empty one. Capped;
//! never does I/O.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::error::CoreError;
use crate::sse::{SseError, SseParser};
use crate::stream::{event_type, failure, StreamFailure};

/// Largest stream the collector accepts.
pub const MAX_STREAM_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectError {
    /// The stream is bigger than [`MAX_STREAM_BYTES`].
    TooLarge,
    Sse(SseError),
    /// The backend reported a failure (readable message inside).
    Failed(StreamFailure),
    /// The stream ended without `response.completed` / `response.incomplete`.
    Incomplete,
}

impl std::fmt::Display for CollectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CollectError::TooLarge => write!(f, "the ChatGPT response is larger than {} MB; it was stopped", MAX_STREAM_BYTES >> 20),
            CollectError::Sse(e) => e.fmt(f),
            CollectError::Failed(e) => f.write_str(&e.message),
            CollectError::Incomplete => f.write_str("the ChatGPT stream ended before the response completed; try again"),
        }
    }
}

impl CoreError for CollectError {
    fn code(&self) -> &'static str {
        match self {
            CollectError::TooLarge => "response-too-large",
            CollectError::Sse(e) => e.code(),
            CollectError::Failed(_) => "response-failed",
            CollectError::Incomplete => "response-incomplete",
        }
    }
}

/// Collects a Codex stream; see the module doc.
#[derive(Debug, Default)]
pub struct SseCollector {
    parser: SseParser,
    total: usize,
    response: Option<Value>,
    failed: Option<StreamFailure>,
    /// `output_item.added` and `.done` items by `output_index`.
    added: BTreeMap<i64, Value>,
    done: BTreeMap<i64, Value>,
    /// Deltas by item id: text (message / reasoning summary) and function-call arguments.
    text: BTreeMap<String, String>,
}

impl SseCollector {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<(), CollectError> {
        self.total = self.total.saturating_add(chunk.len());
        if self.total > MAX_STREAM_BYTES {
            return Err(CollectError::TooLarge);
        }
        for ev in self.parser.feed(chunk).map_err(CollectError::Sse)? {
            self.observe(event_type(&ev).to_string(), &ev.data);
        }
        Ok(())
    }

    /// The final Responses object as JSON text.
    pub fn finish(mut self) -> Result<String, CollectError> {
        if let Some(ev) = self.parser.finish() {
            self.observe(event_type(&ev).to_string(), &ev.data);
        }
        if let Some(f) = self.failed {
            return Err(CollectError::Failed(f));
        }
        let mut response = self.response.ok_or(CollectError::Incomplete)?;
        let empty = response.get("output").and_then(Value::as_array).is_none_or(Vec::is_empty);
        if empty {
            let output: Vec<Value> = if self.done.is_empty() {
                let text = &self.text;
                self.added.into_values().map(|item| rebuild(item, text)).collect()
            } else {
                self.done.into_values().collect()
            };
            if let Some(obj) = response.as_object_mut() {
                obj.insert("output".into(), Value::Array(output));
            }
        }
        Ok(response.to_string())
    }

    fn observe(&mut self, kind: String, data: &str) {
        if self.failed.is_some() || self.response.is_some() {
            return;
        }
        if let Some(f) = failure(&kind, data) {
            self.failed = Some(f);
            return;
        }
        let Ok(v) = serde_json::from_str::<Value>(data) else { return };
        let index = v.get("output_index").and_then(Value::as_i64).unwrap_or(0);
        let item_id = || v.get("item_id").and_then(Value::as_str).unwrap_or("").to_string();
        match kind.as_str() {
            "response.completed" | "response.incomplete" => self.response = Some(v.get("response").cloned().unwrap_or(json!({}))),
            "response.output_item.added" => {
                if let Some(item) = v.get("item") {
                    self.added.insert(index, item.clone());
                }
            }
            "response.output_item.done" => {
                if let Some(item) = v.get("item") {
                    self.done.insert(index, item.clone());
                }
            }
            "response.output_text.delta" | "response.reasoning_summary_text.delta" | "response.function_call_arguments.delta" => {
                let delta = v.get("delta").and_then(Value::as_str).unwrap_or("");
                self.text.entry(item_id()).or_default().push_str(delta);
            }
            _ => {}
        }
    }
}

/// An `output_item.added` item completed with its deltas.
fn rebuild(mut item: Value, text: &BTreeMap<String, String>) -> Value {
    let id = item.get("id").and_then(Value::as_str).unwrap_or("");
    let body = text.get(id).cloned().unwrap_or_default();
    let kind = item.get("type").and_then(Value::as_str).unwrap_or("").to_string();
    if let Some(obj) = item.as_object_mut() {
        match kind.as_str() {
            "message" => {
                obj.insert("content".into(), json!([{"type": "output_text", "text": body, "annotations": []}]));
            }
            "reasoning" => {
                obj.insert("summary".into(), json!([{"type": "summary_text", "text": body}]));
            }
            "function_call" => {
                obj.insert("arguments".into(), Value::String(body));
            }
            _ => {}
        }
        obj.insert("status".into(), json!("completed"));
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors_http::ErrorKind;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    fn sse(events: &[Value]) -> String {
        events.iter().map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap_or(""))).collect()
    }

    fn collect(text: &str) -> Result<Value, CollectError> {
        let mut c = SseCollector::new();
        for chunk in text.as_bytes().chunks(7) {
            c.push(chunk)?;
        }
        Ok(serde_json::from_str(&c.finish()?).unwrap_or(Value::Null))
    }

    fn head() -> Vec<Value> {
        vec![
            json!({"type": "response.created", "response": {"id": "r1", "output": []}}),
            json!({"type": "response.output_item.added", "output_index": 0, "item": {"id": "rs1", "type": "reasoning", "summary": []}}),
            json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs1", "delta": "think"}),
            json!({"type": "response.output_item.added", "output_index": 1, "item": {"id": "m1", "type": "message", "role": "assistant", "content": []}}),
            json!({"type": "response.output_text.delta", "item_id": "m1", "delta": "Hel"}),
            json!({"type": "response.output_text.delta", "item_id": "m1", "delta": "lo"}),
            json!({"type": "response.output_item.added", "output_index": 2, "item": {"id": "fc1", "type": "function_call", "name": "ls", "call_id": "c1", "arguments": ""}}),
            json!({"type": "response.function_call_arguments.delta", "item_id": "fc1", "delta": "{\"a\":"}),
            json!({"type": "response.function_call_arguments.delta", "item_id": "fc1", "delta": "1}"}),
        ]
    }

    #[test]
    fn empty_completed_output_is_rebuilt_from_deltas() {
        let mut evs = head();
        evs.push(json!({"type": "response.completed", "response": {"id": "r1", "status": "completed", "output": [], "usage": {"total_tokens": 3}}}));
        assert_eq!(
            collect(&sse(&evs)),
            Ok(json!({"id": "r1", "status": "completed", "usage": {"total_tokens": 3}, "output": [
                {"id": "rs1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "think"}], "status": "completed"},
                {"id": "m1", "type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello", "annotations": []}], "status": "completed"},
                {"id": "fc1", "type": "function_call", "name": "ls", "call_id": "c1", "arguments": "{\"a\":1}", "status": "completed"},
            ]}))
        );
    }

    #[test]
    fn done_items_win_over_deltas_and_a_full_output_is_kept() {
        let mut evs = head();
        evs.push(json!({"type": "response.output_item.done", "output_index": 1, "item": {"id": "m1", "type": "message", "content": "X"}}));
        evs.push(json!({"type": "response.completed", "response": {"output": []}}));
        assert_eq!(collect(&sse(&evs)), Ok(json!({"output": [{"id": "m1", "type": "message", "content": "X"}]})));
        let full = sse(&[json!({"type": "response.completed", "response": {"output": [1]}})]);
        assert_eq!(collect(&full), Ok(json!({"output": [1]})));
    }

    #[test]
    fn failures_truncation_and_size() {
        let failed = sse(&[json!({"type": "response.failed", "response": {"error": {"code": "insufficient_quota", "message": "no"}}})]);
        assert!(matches!(collect(&failed), Err(CollectError::Failed(StreamFailure { kind: ErrorKind::UsageLimit, .. }))));
        assert_eq!(collect(&sse(&head())), Err(CollectError::Incomplete));
        let mut c = SseCollector::new();
        let mb = b":\n".repeat(1 << 19);
        let results: Vec<bool> = (0..65).map(|_| c.push(&mb).is_ok()).collect();
        assert_eq!(results.iter().filter(|ok| **ok).count(), 64);
        assert_eq!(c.push(b"x"), Err(CollectError::TooLarge));
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut c = SseCollector::new();
            if c.push(&body).is_ok() { let _ = c.finish(); }
        }
    }
}

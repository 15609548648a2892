//! SSE → one Responses JSON object, for callers that asked for `stream:false` (the Codex backend
//! always streams). Rebuilds `output` when `response.completed` carries an empty one. Capped;
//! never does I/O.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::error::CoreError;
use crate::stream::rewriter::{event_type, failure, StreamFailure};
use crate::stream::sse::{parse_event, parse_events, Carry, Kind, Scanned, SseError, SseScanner};

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
            CollectError::TooLarge => write!(
                f,
                "the ChatGPT response is larger than {} MB; it was stopped",
                MAX_STREAM_BYTES >> 20
            ),
            CollectError::Sse(e) => e.fmt(f),
            CollectError::Failed(e) => f.write_str(&e.message),
            CollectError::Incomplete => {
                f.write_str("the ChatGPT stream ended before the response completed; try again")
            }
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

/// Collects a Codex stream; see the module doc. Only the events it needs are read: the scanner
/// skips the rest (most of a stream is deltas), and deltas are kept raw, read only when the
/// output must be rebuilt from them.
#[derive(Debug, Default)]
pub struct SseCollector {
    scan: SseScanner,
    found: Vec<Scanned>,
    carry: Carry,
    total: usize,
    /// The data of the `response.completed` / `response.incomplete` event (valid JSON).
    completed: Option<String>,
    failed: Option<StreamFailure>,
    /// `output_item.added` and `.done` items by `output_index`.
    added: BTreeMap<i64, Value>,
    done: BTreeMap<i64, Value>,
    /// The raw delta events, each closed by a blank line.
    deltas: Vec<u8>,
}

#[derive(Deserialize)]
struct Completed<'a> {
    #[serde(borrow)]
    response: &'a RawValue,
}

#[derive(Deserialize)]
struct OutputPeek {
    output: Vec<IgnoredAny>,
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
        let chunk_start = self.scan.consumed();
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        let fed = self.scan.feed(chunk, &mut found);
        for ev in &found {
            self.observe(ev, chunk, chunk_start);
        }
        self.found = found;
        fed.map_err(CollectError::Sse)?;
        self.carry
            .keep(self.scan.last_boundary(), chunk, chunk_start);
        Ok(())
    }

    /// The final Responses object as JSON text.
    pub fn finish(mut self) -> Result<String, CollectError> {
        let mut found = Vec::new();
        self.scan.finish(&mut found);
        let end = self.scan.consumed();
        for ev in &found {
            self.observe(ev, &[], end);
        }
        if let Some(f) = self.failed {
            return Err(CollectError::Failed(f));
        }
        let data = self.completed.ok_or(CollectError::Incomplete)?;
        // The usual case: `response` carries its output; hand it over as the server wrote it.
        if let Ok(done) = serde_json::from_str::<Completed>(&data) {
            if serde_json::from_str::<OutputPeek>(done.response.get())
                .is_ok_and(|p| !p.output.is_empty())
            {
                return Ok(done.response.get().to_string());
            }
        }
        let v: Value = serde_json::from_str(&data).map_err(|_| CollectError::Incomplete)?;
        let mut response = v.get("response").cloned().unwrap_or(json!({}));
        let empty = response
            .get("output")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if empty {
            let output: Vec<Value> = if self.done.is_empty() {
                let text = replay_deltas(&self.deltas);
                self.added
                    .into_values()
                    .map(|item| rebuild(item, &text))
                    .collect()
            } else {
                self.done.into_values().collect()
            };
            if let Some(obj) = response.as_object_mut() {
                obj.insert("output".into(), Value::Array(output));
            }
        }
        Ok(response.to_string())
    }

    fn observe(&mut self, ev: &Scanned, chunk: &[u8], chunk_start: u64) {
        if self.failed.is_some() || self.completed.is_some() || ev.kind == Kind::Other {
            return;
        }
        // Deltas rebuild the output only when no item ever completed: once one has, they are dropped.
        if ev.kind == Kind::Delta && !self.done.is_empty() {
            return;
        }
        let raw = self.carry.raw(ev, chunk, chunk_start);
        if ev.kind == Kind::Delta {
            return self.keep_delta(&raw);
        }
        let Some(e) = parse_event(&raw) else { return };
        let kind = event_type(&e);
        if let Some(f) = failure(kind, &e.data) {
            self.failed = Some(f);
            return;
        }
        match Kind::of(kind.as_bytes()) {
            Kind::Completed | Kind::Incomplete => {
                if serde_json::from_str::<IgnoredAny>(&e.data).is_ok() {
                    self.completed = Some(e.data);
                }
            }
            Kind::Delta if self.done.is_empty() => self.keep_delta(&raw),
            k @ (Kind::ItemAdded | Kind::ItemDone) => {
                let Ok(v) = serde_json::from_str::<Value>(&e.data) else {
                    return;
                };
                let index = v.get("output_index").and_then(Value::as_i64).unwrap_or(0);
                if let Some(item) = v.get("item") {
                    if k == Kind::ItemAdded {
                        self.added.insert(index, item.clone());
                    } else {
                        self.done.insert(index, item.clone());
                        self.deltas = Vec::new();
                    }
                }
            }
            _ => {}
        }
    }
}

impl SseCollector {
    /// Keeps a delta event's raw bytes, closed by a blank line, for [`replay_deltas`].
    fn keep_delta(&mut self, raw: &[u8]) {
        self.deltas.extend_from_slice(raw);
        self.deltas.extend_from_slice(b"\n\n");
    }
}

/// Delta text by item id, from the raw delta events.
fn replay_deltas(raw: &[u8]) -> BTreeMap<String, String> {
    let mut text: BTreeMap<String, String> = BTreeMap::new();
    for e in parse_events(raw) {
        let Ok(v) = serde_json::from_str::<Value>(&e.data) else {
            continue;
        };
        let item_id = v
            .get("item_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let delta = v.get("delta").and_then(Value::as_str).unwrap_or("");
        text.entry(item_id).or_default().push_str(delta);
    }
    text
}

/// An `output_item.added` item completed with its deltas.
fn rebuild(mut item: Value, text: &BTreeMap<String, String>) -> Value {
    let id = item.get("id").and_then(Value::as_str).unwrap_or("");
    let body = text.get(id).cloned().unwrap_or_default();
    let kind = item
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Some(obj) = item.as_object_mut() {
        match kind.as_str() {
            "message" => {
                obj.insert(
                    "content".into(),
                    json!([{"type": "output_text", "text": body, "annotations": []}]),
                );
            }
            "reasoning" => {
                obj.insert(
                    "summary".into(),
                    json!([{"type": "summary_text", "text": body}]),
                );
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
    use crate::stream::errors_http::ErrorKind;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    fn sse(events: &[Value]) -> String {
        events
            .iter()
            .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap_or("")))
            .collect()
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
            Ok(
                json!({"id": "r1", "status": "completed", "usage": {"total_tokens": 3}, "output": [
                    {"id": "rs1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "think"}], "status": "completed"},
                    {"id": "m1", "type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello", "annotations": []}], "status": "completed"},
                    {"id": "fc1", "type": "function_call", "name": "ls", "call_id": "c1", "arguments": "{\"a\":1}", "status": "completed"},
                ]})
            )
        );
    }

    #[test]
    fn done_items_win_over_deltas_and_a_full_output_is_kept() {
        let mut evs = head();
        evs.push(json!({"type": "response.output_item.done", "output_index": 1, "item": {"id": "m1", "type": "message", "content": "X"}}));
        evs.push(json!({"type": "response.completed", "response": {"output": []}}));
        assert_eq!(
            collect(&sse(&evs)),
            Ok(json!({"output": [{"id": "m1", "type": "message", "content": "X"}]}))
        );
        let full = sse(&[json!({"type": "response.completed", "response": {"output": [1]}})]);
        assert_eq!(collect(&full), Ok(json!({"output": [1]})));
    }

    #[test]
    fn failures_truncation_and_size() {
        let failed = sse(&[
            json!({"type": "response.failed", "response": {"error": {"code": "insufficient_quota", "message": "no"}}}),
        ]);
        assert!(matches!(
            collect(&failed),
            Err(CollectError::Failed(StreamFailure {
                kind: ErrorKind::QuotaExceeded,
                ..
            }))
        ));
        assert_eq!(collect(&sse(&head())), Err(CollectError::Incomplete));
        let mut c = SseCollector::new();
        let mb = b"\n".repeat(1 << 20);
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

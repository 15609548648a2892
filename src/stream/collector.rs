//! SSE → one Responses JSON object, for callers that asked for `stream:false` (the Codex backend
//! always streams). Rebuilds `output` when `response.completed` carries an empty one. Capped;
//! never does I/O.

use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use crate::error::CoreError;
use crate::json;
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
    /// `output_item.added` and `.done` items by `output_index`, sorted by it (see [`put`]).
    added: Vec<(i64, Value)>,
    done: Vec<(i64, Value)>,
    /// The raw delta events, each closed by a blank line.
    deltas: Vec<u8>,
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
        if let Some(response) = handed_over(&data) {
            return Ok(response.to_string());
        }
        let mut v = json::parse(&data).map_err(|_| CollectError::Incomplete)?;
        let mut response = v
            .get_mut("response")
            .map(Value::take)
            .unwrap_or_else(|| Value::Object(Map::new()));
        let empty = response
            .get("output")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if empty {
            let mut output = Vec::new();
            if self.done.is_empty() {
                let text = replay_deltas(&self.deltas);
                for (_, item) in self.added {
                    output.push(rebuild(item, &text));
                }
            } else {
                for (_, item) in self.done {
                    output.push(item);
                }
            }
            if let Some(obj) = response.as_object_mut() {
                obj.insert("output".into(), Value::Array(output));
            }
        }
        let mut out = String::new();
        json::write_value(&mut out, &response);
        Ok(out)
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
                        put(&mut self.added, index, item.clone());
                    } else {
                        put(&mut self.done, index, item.clone());
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

/// Sets the item at `index` in `items` (sorted by index), replacing one seen before: a map by
/// `output_index` without a `BTreeMap` instance of its own (a response has few items).
fn put(items: &mut Vec<(i64, Value)>, index: i64, item: Value) {
    match items.binary_search_by_key(&index, |(i, _)| *i) {
        Ok(at) => items[at].1 = item,
        Err(at) => items.insert(at, (index, item)),
    }
}

/// Delta text by item id, from the raw delta events, in order of first appearance.
fn replay_deltas(raw: &[u8]) -> Vec<(String, String)> {
    let mut text: Vec<(String, String)> = Vec::new();
    for e in parse_events(raw) {
        let Ok(v) = json::parse(&e.data) else {
            continue;
        };
        let item_id = v.get("item_id").and_then(Value::as_str).unwrap_or("");
        let delta = v.get("delta").and_then(Value::as_str).unwrap_or("");
        match text.iter_mut().find(|(id, _)| id == item_id) {
            Some((_, body)) => body.push_str(delta),
            None => text.push((item_id.to_string(), delta.to_string())),
        }
    }
    text
}

/// `[{"type": kind, "text": text}]`, with `"annotations": []` when `annotations`.
fn text_parts(kind: &str, text: String, annotations: bool) -> Value {
    let mut part = Map::new();
    part.insert("type".into(), Value::from(kind));
    part.insert("text".into(), Value::String(text));
    if annotations {
        part.insert("annotations".into(), Value::Array(Vec::new()));
    }
    Value::Array(vec![Value::Object(part)])
}

/// An `output_item.added` item completed with its deltas.
fn rebuild(mut item: Value, text: &[(String, String)]) -> Value {
    let id = item.get("id").and_then(Value::as_str).unwrap_or("");
    let body = text
        .iter()
        .find(|(i, _)| i == id)
        .map(|(_, body)| body.clone())
        .unwrap_or_default();
    let kind = item
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Some(obj) = item.as_object_mut() {
        match kind.as_str() {
            "message" => {
                obj.insert("content".into(), text_parts("output_text", body, true));
            }
            "reasoning" => {
                obj.insert("summary".into(), text_parts("summary_text", body, false));
            }
            "function_call" => {
                obj.insert("arguments".into(), Value::String(body));
            }
            _ => {}
        }
        obj.insert("status".into(), Value::from("completed"));
    }
    item
}

/// The usual case: the `response` of a `response.completed` event's data carries its output;
/// then its text as the server wrote it, to hand over unchanged.
fn handed_over(data: &str) -> Option<&str> {
    let response = sole_field(data, "response")?;
    sole_field(response, "output")
        .is_some_and(non_empty_array)
        .then_some(response)
}

/// The raw text of the one field of a one-field struct as serde's derive reads it from `text`
/// (valid JSON): the value of `key` in an object where it appears exactly once, or the only
/// element of an array (serde reads a struct from a sequence too). `None` otherwise: the key is
/// missing or repeated, or `text` is something else. Lets [`SseCollector::finish`] hand over the
/// server's `response` text without a deserializer instance per shape.
fn sole_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    match *b.get(i)? {
        b'[' => {
            let start = skip_ws(b, i + 1);
            let end = value_end(b, start)?;
            (b.get(skip_ws(b, end)) == Some(&b']')).then(|| text.get(start..end))?
        }
        b'{' => {
            i = skip_ws(b, i + 1);
            if b.get(i) == Some(&b'}') {
                return None;
            }
            let mut found = None;
            loop {
                if b.get(i) != Some(&b'"') {
                    return None;
                }
                let key_end = value_end(b, i)?;
                let raw_key = text.get(i..key_end)?;
                let is_key = if raw_key.contains('\\') {
                    json::parse(raw_key).ok().as_ref().and_then(Value::as_str) == Some(key)
                } else {
                    raw_key.get(1..raw_key.len() - 1) == Some(key)
                };
                i = skip_ws(b, key_end);
                if b.get(i) != Some(&b':') {
                    return None;
                }
                let start = skip_ws(b, i + 1);
                let end = value_end(b, start)?;
                if is_key {
                    if found.is_some() {
                        return None;
                    }
                    found = Some(text.get(start..end)?);
                }
                i = skip_ws(b, end);
                match *b.get(i)? {
                    b',' => i = skip_ws(b, i + 1),
                    b'}' => return found,
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

/// A JSON array with at least one element (raw text, valid JSON).
fn non_empty_array(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.first() == Some(&b'[') && b.get(skip_ws(b, 1)).is_some_and(|c| *c != b']')
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Where the JSON value that starts at `start` ends (valid JSON inside an object or array; `None`
/// when there is no value there or it runs off the end).
fn value_end(b: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    loop {
        let c = *b.get(i)?;
        match c {
            b'"' => {
                i += 1;
                while *b.get(i)? != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return (i > start).then_some(i),
            b'}' | b']' => depth -= 1,
            b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => {
                return (i > start).then_some(i)
            }
            _ => {}
        }
        i += 1;
        if depth == 0 && matches!(c, b'"' | b'}' | b']') {
            return Some(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::errors_http::ErrorKind;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;
    use serde_json::json;

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

    /// Byte-identical hand-over: the server's own text of `response`, spacing, escapes and key
    /// order included; anything serde's one-field structs refused goes the rebuilding way.
    #[test]
    fn the_response_is_handed_over_as_the_server_wrote_it() {
        let done = |data: &str| {
            let mut c = SseCollector::new();
            c.push(format!("event: response.completed\ndata: {data}\n\n").as_bytes())
                .unwrap();
            c.finish()
        };
        let resp = r#"{"z":1, "output" :[ {"a":"\u00e9\"}"} ],"id":"r","n":1.50}"#;
        assert_eq!(
            done(&format!(
                r#"{{"type":"response.completed", "response" : {resp} }}"#
            )),
            Ok(resp.to_string())
        );
        assert_eq!(
            done(&format!(r#"{{"respons\u0065":{resp}}}"#)),
            Ok(resp.to_string())
        );
        // A struct from a one-element sequence, as serde reads it.
        assert_eq!(
            done(r#"[ {"output":[1]} ]"#),
            Ok(r#"{"output":[1]}"#.into())
        );
        // Repeated keys: serde refused; the last one wins and the result is written anew.
        assert_eq!(
            done(r#"{"response":{"output":[1]},"response":{"output":[2], "b":"é"}}"#),
            Ok(r#"{"b":"é","output":[2]}"#.into())
        );
        assert_eq!(
            done(r#"{"response":{"output":[1],"output":[2]}}"#),
            Ok(r#"{"output":[2]}"#.into())
        );
        assert_eq!(
            done(r#"{"response":{"id":"r","output":[]}}"#),
            Ok(r#"{"id":"r","output":[]}"#.into())
        );
    }

    /// A rebuilt response is written as serde_json wrote the `Value` (keys sorted, compact).
    #[test]
    fn a_rebuilt_response_is_written_as_before() {
        let mut evs = head();
        evs.push(
            json!({"type": "response.completed", "response": {"id": "r1", "output": [], "n": 1.0}}),
        );
        let mut c = SseCollector::new();
        c.push(sse(&evs).as_bytes()).unwrap();
        assert_eq!(
            c.finish().unwrap(),
            r#"{"id":"r1","n":1.0,"output":[{"id":"rs1","status":"completed","summary":[{"text":"think","type":"summary_text"}],"type":"reasoning"},{"content":[{"annotations":[],"text":"Hello","type":"output_text"}],"id":"m1","role":"assistant","status":"completed","type":"message"},{"arguments":"{\"a\":1}","call_id":"c1","id":"fc1","name":"ls","status":"completed","type":"function_call"}]}"#
        );
    }

    /// The one-field structs the hand-over used to be read with (serde derives, tests only).
    #[cfg(not(target_arch = "wasm32"))]
    mod derived {
        use serde::de::IgnoredAny;
        use serde::Deserialize;
        use serde_json::value::RawValue;

        #[derive(Deserialize)]
        struct Completed<'a> {
            #[serde(borrow)]
            response: &'a RawValue,
        }

        #[derive(Deserialize)]
        struct OutputPeek {
            output: Vec<IgnoredAny>,
        }

        pub fn handed_over(data: &str) -> Option<&str> {
            let done = serde_json::from_str::<Completed>(data).ok()?;
            serde_json::from_str::<OutputPeek>(done.response.get())
                .is_ok_and(|p| !p.output.is_empty())
                .then(|| done.response.get())
        }
    }

    /// JSON text with repeated and escaped keys and any spacing: a tree rendered by hand.
    #[cfg(not(target_arch = "wasm32"))]
    #[derive(Debug, Clone)]
    enum Node {
        Leaf(&'static str),
        Obj(Vec<(&'static str, Node)>),
        Arr(Vec<Node>),
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn space(ws: &[&str], at: &mut usize, out: &mut String) {
        *at += 1;
        out.push_str(ws[*at % ws.len()]);
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn render(n: &Node, ws: &[&str], at: &mut usize, out: &mut String) {
        match n {
            Node::Leaf(t) => out.push_str(t),
            Node::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    space(ws, at, out);
                    render(item, ws, at, out);
                    space(ws, at, out);
                }
                out.push(']');
            }
            Node::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    space(ws, at, out);
                    out.push_str(k);
                    space(ws, at, out);
                    out.push(':');
                    space(ws, at, out);
                    render(v, ws, at, out);
                }
                space(ws, at, out);
                out.push('}');
            }
        }
    }

    /// Data shaped like a `response.completed` event's, often enough to reach every case:
    /// `response` (plain or escaped) repeated or not, an `output` that is a non-empty array or
    /// not, a struct as a sequence, anything else.
    #[cfg(not(target_arch = "wasm32"))]
    fn any_data() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            Just(Node::Leaf("null")),
            Just(Node::Leaf("1.50")),
            Just(Node::Leaf("-0")),
            Just(Node::Leaf("true")),
            Just(Node::Leaf(r#""a\"b}]""#)),
            Just(Node::Leaf(r#""é\\""#)),
            Just(Node::Leaf("[]")),
            Just(Node::Leaf("{}")),
        ];
        let any = leaf.clone().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Node::Arr),
                proptest::collection::vec((Just(r#""x""#), inner), 0..4).prop_map(Node::Obj),
            ]
        });
        let output = prop_oneof![
            3 => proptest::collection::vec(any.clone(), 1..3).prop_map(Node::Arr),
            1 => any.clone(),
        ];
        let out_key = prop_oneof![
            3 => Just(r#""output""#),
            1 => Just(r#""outp\u0075t""#),
            1 => Just(r#""type""#),
            1 => Just(r#""""#),
        ];
        let response = prop_oneof![
            4 => proptest::collection::vec((out_key, output.clone()), 0..3).prop_map(Node::Obj),
            1 => proptest::collection::vec(output, 0..3).prop_map(Node::Arr),
            1 => any.clone(),
        ];
        let key = prop_oneof![
            4 => Just(r#""response""#),
            2 => Just(r#""respons\u0065""#),
            1 => Just(r#""\"response""#),
            1 => Just(r#""type""#),
        ];
        prop_oneof![
            4 => proptest::collection::vec((key, response.clone()), 0..4).prop_map(Node::Obj),
            1 => proptest::collection::vec(response, 0..3).prop_map(Node::Arr),
            1 => any,
        ]
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        /// The hand-over takes exactly the texts serde's one-field structs took, and the same slice.
        #[test]
        fn hands_over_what_the_derives_did(n in any_data(), ws in proptest::collection::vec(prop_oneof![Just(""), Just(" "), Just("\n\t"), Just("\r\n ")], 1..4)) {
            let mut text = String::new();
            render(&n, &ws, &mut 0, &mut text);
            prop_assert!(serde_json::from_str::<IgnoredAny>(&text).is_ok(), "{}", text);
            prop_assert_eq!(handed_over(&text), derived::handed_over(&text), "{}", text);
        }

        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut c = SseCollector::new();
            if c.push(&body).is_ok() { let _ = c.finish(); }
        }
    }
}

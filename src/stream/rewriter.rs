//! The pass-through for the SSE body OpenCode reads: forwards whole events as they arrive,
//! byte-identical, and tracks whether the response completed or failed. The only rewrite: a
//! failure event (`response.failed` / `error` / `response.incomplete`) is withheld and turned into
//! a readable message for JS to raise. In holding mode ([`StreamRewriter::holding`]) nothing is
//! forwarded before the first output event (or the end): a stream that fails before output can be
//! re-sent with nothing of it shown (see [`crate::stream::retry`]). Peeks the event type without
//! parsing JSON; parses only failure events and the few events before output. No I/O.

use serde_json::Value;

use crate::auth::redact::display_text;
use crate::stream::errors_http::{classify_code, retry_after_from_text, ErrorKind};
use crate::stream::sse::{
    parse_event, parse_events, Carry, Event, Kind, Scanned, SseError, SseScanner,
};

/// Why a stream failed, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFailure {
    pub kind: ErrorKind,
    pub message: String,
    /// The wait the backend asked for ("try again in 11.054s"), when it said one.
    pub retry_after_ms: Option<u64>,
}

/// Event types that come before any output and tell the user nothing: held back in holding mode.
/// Every other type (output items, deltas, content parts, reasoning, anything new) is output.
const PREAMBLE: [&str; 4] = [
    "response.created",
    "response.in_progress",
    "response.queued",
    "codex.rate_limits",
];

/// The event's type: its `event:` field, else the data's `"type"` (first occurrence, unparsed).
pub fn event_type(ev: &Event) -> &str {
    if ev.event != "message" {
        return &ev.event;
    }
    peek_type(&ev.data).unwrap_or("message")
}

fn peek_type(data: &str) -> Option<&str> {
    let at = data.find("\"type\"")? + "\"type\"".len();
    let rest = data
        .get(at..)?
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    rest.get(..rest.find('"')?)
}

/// Whether an event that starts with `head` is a completion (`response.completed`) whatever its
/// remaining bytes are, given that they hold no line break (LF or CR) before the event's blank line
/// (the caller checked): the rest can only lengthen `head`'s last line, which must then be a
/// `data` line or a comment, so that the type [`event_type`] reads (the `event` field, else the
/// data's first `"type"`) is all in `head` already. A completion's data is never read, so a long
/// one (the whole response, hundreds of KB) need not be copied in. false: read the whole event.
pub fn head_completes(head: &[u8]) -> bool {
    let last = match head.iter().rposition(|&b| b == b'\n' || b == b'\r') {
        Some(cut) => &head[cut + 1..],
        None => head,
    };
    if !(last.starts_with(b"data:") || last.starts_with(b":")) {
        return false;
    }
    let mut raw = Vec::with_capacity(head.len() + 2);
    raw.extend_from_slice(head);
    raw.extend_from_slice(b"\n\n");
    // One event: a CR pair inside the head would end one before it (a failure, say).
    match parse_events(&raw).as_slice() {
        [e] => event_type(e) == "response.completed",
        _ => false,
    }
}

/// The failure an event of type `kind` reports, if it is one.
pub fn failure(kind: &str, data: &str) -> Option<StreamFailure> {
    if kind == "response.incomplete" {
        return Some(incomplete(data));
    }
    let (code, message) = match kind {
        "response.failed" | "error" => {
            let v = crate::json::parse(data).unwrap_or(Value::Null);
            let err = path(&v, &["response", "error"])
                .or_else(|| v.get("error"))
                .filter(|e| e.is_object())
                .unwrap_or(&v);
            let s = |k: &str| err.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let code = [s("code"), s("type")]
                .into_iter()
                .find(|c| !c.is_empty() && c != "error")
                .unwrap_or_default();
            (code, s("message"))
        }
        _ => return None,
    };
    // The wait the backend named, read from its own words (ours round it).
    let retry_after_ms = retry_after_from_text(&message);
    let (kind, message) = classify_code(&code, &message).unwrap_or_else(|| {
        // Backend text as shown: no control or format characters, credentials redacted.
        let (code, message) = (display_text(&code, 60), display_text(&message, 200));
        let detail = match (message.is_empty(), code.is_empty()) {
            (true, true) => String::new(),
            (true, false) => format!(": {code}"),
            (false, true) => format!(": {message}"),
            (false, false) => format!(": {message} ({code})"),
        };
        (
            ErrorKind::Other,
            format!("the ChatGPT backend reported an error{detail}"),
        )
    });
    Some(StreamFailure {
        kind,
        message,
        retry_after_ms,
    })
}

/// `response.incomplete`: an error with its `incomplete_details.reason`, in words.
fn incomplete(data: &str) -> StreamFailure {
    let v = crate::json::parse(data).unwrap_or(Value::Null);
    let reason = path(&v, &["response", "incomplete_details", "reason"])
        .or_else(|| path(&v, &["incomplete_details", "reason"]))
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty());
    let what = match reason {
        Some("max_output_tokens") => " (reason: max_output_tokens): the answer reached the model's output limit; ask for a shorter answer or continue".to_string(),
        Some("content_filter") => " (reason: content_filter): the answer was stopped by the content filter; rephrase the request".to_string(),
        Some(other) => format!(" (reason: {}); try again", short_reason(other)),
        None => " (no reason given); try again".to_string(),
    };
    StreamFailure {
        kind: ErrorKind::ResponseIncomplete,
        message: format!("the ChatGPT backend ended the response incomplete{what}"),
        retry_after_ms: None,
    }
}

/// The value at `keys` (object members only), as `Value::pointer` with plain names finds it
/// without parsing a pointer string.
fn path<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |v, k| v.get(*k))
}

/// A reason as the backend sent it, shortened and without control characters.
fn short_reason(r: &str) -> String {
    r.chars().filter(|c| !c.is_control()).take(80).collect()
}

/// See the module doc. The bytes themselves stay with the caller (JS keeps the chunks and
/// forwards views of them): `push` and `finish` say how many of the bytes not yet forwarded may go
/// now. Memory: the unfinished event's raw bytes, capped by the scanner.
#[derive(Debug, Default)]
pub struct StreamRewriter {
    scan: SseScanner,
    found: Vec<Scanned>,
    carry: Carry,
    forwarded: u64,
    completed: bool,
    failed: Option<StreamFailure>,
    /// Holding mode: forward nothing until output started or the stream ended.
    hold: bool,
    output_started: bool,
}

impl StreamRewriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// A rewriter that holds every byte back until the first output event (anything but
    /// [`PREAMBLE`]) or the completion; a failure or an early end before that forwards nothing.
    pub fn holding() -> Self {
        Self {
            hold: true,
            ..Self::default()
        }
    }

    /// Takes the next chunk; returns how many of the bytes not forwarded yet (those held back
    /// earlier, then this chunk's) form whole events to forward now. A failure event and what
    /// follows it are withheld: check [`Self::failure`].
    pub fn push(&mut self, chunk: &[u8]) -> Result<usize, SseError> {
        if self.failed.is_some() {
            return Ok(0);
        }
        let chunk_start = self.scan.consumed();
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        let fed = self.scan.feed(chunk, &mut found);
        let stop = self.observe_all(&found, chunk, chunk_start);
        self.found = found;
        fed?;
        let boundary = self.scan.last_boundary();
        self.carry.keep(boundary, chunk, chunk_start);
        Ok(self.release(stop.unwrap_or(boundary)))
    }

    /// The body ended: how many of the bytes not forwarded yet to forward (a last event without
    /// its blank line). Check [`Self::ended_early`] / [`Self::failure`] afterwards.
    pub fn finish(&mut self) -> usize {
        if self.failed.is_some() {
            return 0;
        }
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        self.scan.finish(&mut found);
        let end = self.scan.consumed();
        let stop = self.observe_all(&found, &[], end);
        self.found = found;
        self.carry.clear();
        self.release(stop.unwrap_or(end))
    }

    fn release(&mut self, upto: u64) -> usize {
        if self.hold && !self.output_started && !self.completed {
            return 0;
        }
        let ready = upto.saturating_sub(self.forwarded);
        self.forwarded += ready;
        usize::try_from(ready).unwrap_or(usize::MAX)
    }

    /// Observes the events; the stream offset where a failure event starts, if one was seen.
    fn observe_all(&mut self, found: &[Scanned], chunk: &[u8], chunk_start: u64) -> Option<u64> {
        for ev in found {
            match ev.kind {
                Kind::Completed => self.completed = true,
                Kind::ItemAdded | Kind::ItemDone | Kind::Delta => self.output_started = true,
                Kind::Other if self.output_started => {}
                Kind::Other => {
                    let raw = self.carry.raw(ev, chunk, chunk_start);
                    let preamble =
                        parse_event(&raw).is_some_and(|e| PREAMBLE.contains(&event_type(&e)));
                    self.output_started = !preamble;
                }
                Kind::Incomplete | Kind::Failed | Kind::Error | Kind::Unknown => {
                    match parse_event(&self.carry.raw(ev, chunk, chunk_start)) {
                        Some(e) => match event_type(&e) {
                            "response.completed" => self.completed = true,
                            t if PREAMBLE.contains(&t) => {}
                            t @ ("response.incomplete" | "response.failed" | "error") => {
                                self.failed = failure(t, &e.data)
                            }
                            t => {
                                // An unknown-kind event of another type is output.
                                self.output_started = true;
                                self.failed = failure(t, &e.data);
                            }
                        },
                        None if ev.kind == Kind::Failed => {
                            self.failed = failure("response.failed", "")
                        }
                        None if ev.kind == Kind::Error => self.failed = failure("error", ""),
                        None if ev.kind == Kind::Incomplete => {
                            self.failed = failure("response.incomplete", "")
                        }
                        None => {}
                    }
                    if self.failed.is_some() {
                        return Some(ev.start);
                    }
                }
            }
        }
        None
    }

    /// An output event (item, delta, anything but [`PREAMBLE`]) was seen.
    pub fn output_started(&self) -> bool {
        self.output_started
    }

    /// `response.completed` was seen.
    pub fn completed(&self) -> bool {
        self.completed
    }

    pub fn failure(&self) -> Option<&StreamFailure> {
        self.failed.as_ref()
    }

    /// Neither completion nor failure was seen (call after [`Self::finish`]).
    pub fn ended_early(&self) -> bool {
        !self.completed && self.failed.is_none()
    }
}

/// A [`StreamRewriter`] that keeps the held-back bytes itself and returns the bytes to forward,
/// as the JS shim does with its chunks (tests, fuzz targets and native callers).
#[derive(Debug, Default)]
pub struct BufferedRewriter {
    pub rewriter: StreamRewriter,
    pending: Vec<u8>,
}

impl BufferedRewriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Over [`StreamRewriter::holding`].
    pub fn holding() -> Self {
        Self {
            rewriter: StreamRewriter::holding(),
            pending: Vec::new(),
        }
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, SseError> {
        self.pending.extend_from_slice(chunk);
        let n = self.rewriter.push(chunk)?;
        Ok(self.pending.drain(..n.min(self.pending.len())).collect())
    }

    pub fn finish(&mut self) -> Vec<u8> {
        let n = self.rewriter.finish();
        self.pending.drain(..n.min(self.pending.len())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    const OK: &str = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{}}\n\n\
        : ping\n\n\
        data: {\"type\":\"response.output_text.delta\",\"delta\":\"héllo\"}\r\n\r\n\
        event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"output\":[]}}\n\n";

    fn run(chunks: &[&[u8]]) -> (Vec<u8>, StreamRewriter) {
        let mut r = BufferedRewriter::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(r.push(c).unwrap());
        }
        out.extend(r.finish());
        (out, r.rewriter)
    }

    #[test]
    fn head_completes_only_when_the_rest_of_the_last_line_cannot_change_the_type() {
        let cases: [(&str, bool); 15] = [
            (
                "event: response.completed\ndata: {\"type\":\"response.compl",
                true,
            ),
            ("event: response.completed\ndata:", true),
            ("event: response.completed\r\ndata: {", true),
            (
                "data: {\"type\":\"response.completed\",\"response\":{\"id",
                true,
            ),
            (
                "event: message\ndata: {\"type\": \"response.completed\", \"x",
                true,
            ),
            ("event: response.completed\n: a comment, cut", false), // no data yet: no event
            // The cut line may be the `event` field: the rest could change the type.
            ("event: response.completed", false),
            (
                "event: response.completed\ndata: {}\nevent: response.compl",
                false,
            ),
            ("event: response.completed\ndata: {}\nev", false),
            ("event: response.completed\ndata: {}\n", false),
            ("event: response.completed\ndata", false),
            // The type is not all in the head, or names something else.
            ("data: {\"type\":\"response.completed", false),
            (
                "event: response.failed\ndata: {\"type\":\"response.completed\"",
                false,
            ),
            ("event: response.completed\nevent: error\ndata: {", false),
            // A CR pair ends an event inside the head: two events, read whole.
            (
                "event: error\ndata: {}\r\rdata: {\"type\":\"response.completed\",",
                false,
            ),
        ];
        let got: Vec<(&str, bool)> = cases
            .iter()
            .map(|(h, _)| (*h, head_completes(h.as_bytes())))
            .collect();
        assert_eq!(got, cases.to_vec());
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        /// Whatever the head and a rest without line breaks: a head that completes means the whole
        /// event completes, as the full parse reads it.
        #[test]
        fn head_completes_agrees_with_the_whole_event(
            head in proptest::collection::vec(prop_oneof![
                Just(b'\n'), Just(b'\r'), Just(b':'), Just(b'"'), Just(b' '), any::<u8>(),
                Just(b'e'), Just(b'd'),
            ], 0..80),
            pre in prop_oneof![
                Just(&b"event: response.completed\ndata: "[..]),
                Just(&b"data: {\"type\":\"response.completed\""[..]),
                Just(&b"event: x\n"[..]),
                Just(&b""[..]),
            ],
            rest in proptest::collection::vec(any::<u8>().prop_filter("no line break", |b| *b != b'\n' && *b != b'\r'), 0..40),
        ) {
            let mut head_bytes = pre.to_vec();
            head_bytes.extend(&head);
            if head_completes(&head_bytes) {
                let mut whole = head_bytes.clone();
                whole.extend(&rest);
                whole.extend(b"\n\n");
                let events = parse_events(&whole);
                prop_assert_eq!(events.iter().map(event_type).collect::<Vec<_>>(), vec!["response.completed"]);
            }
        }
    }

    #[test]
    fn passes_a_complete_stream_through_byte_identical_and_whole_events_only() {
        let mut r = BufferedRewriter::new();
        let first = r.push(&OK.as_bytes()[..60]).unwrap();
        assert_eq!(first, b"");
        let second = r.push(&OK.as_bytes()[60..]).unwrap();
        assert_eq!(second, OK.as_bytes());
        assert_eq!(r.finish(), b"");
        let r = r.rewriter;
        assert_eq!(
            (r.completed(), r.ended_early(), r.failure()),
            (true, false, None)
        );
    }

    #[test]
    fn truncated_stream_ends_early() {
        let cut = OK.find("event: response.completed").unwrap();
        let (out, r) = run(&[&OK.as_bytes()[..cut]]);
        assert_eq!(out, &OK.as_bytes()[..cut]);
        assert!(r.ended_early());
    }

    #[test]
    fn response_failed_is_withheld_and_classified() {
        let failed = "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"context_length_exceeded\",\"message\":\"Your input exceeds the context window\"}}}\n\n";
        let head = "data: {\"type\":\"response.created\"}\n\n";
        let (out, r) = run(&[
            head.as_bytes(),
            failed.as_bytes(),
            b"data: {\"type\":\"response.completed\"}\n\n",
        ]);
        assert_eq!(out, head.as_bytes());
        assert_eq!(r.failure().map(|f| f.kind), Some(ErrorKind::ContextLength));
        assert!(!r.completed() && !r.ended_early());
    }

    #[test]
    fn error_events_of_both_shapes() {
        let a = failure(
            "error",
            r#"{"type":"error","code":"rate_limit_exceeded","message":"Please try again in 2.5s"}"#,
        );
        assert_eq!(
            a,
            Some(StreamFailure {
                kind: ErrorKind::RateLimited,
                message: "ChatGPT rate limit reached; try again in 3 s".into(),
                retry_after_ms: Some(2500),
            })
        );
        let b = failure(
            "error",
            r#"{"type":"error","error":{"type":"server_error","code":"weird","message":"boom"}}"#,
        );
        assert_eq!(
            b,
            Some(StreamFailure {
                kind: ErrorKind::Other,
                message: "the ChatGPT backend reported an error: boom (weird)".into(),
                retry_after_ms: None,
            })
        );
        assert_eq!(
            failure("error", "not json").map(|f| f.message),
            Some("the ChatGPT backend reported an error".into())
        );
        assert_eq!(failure("response.output_text.delta", "{}"), None);
    }

    fn run_holding(chunks: &[&[u8]]) -> (Vec<Vec<u8>>, StreamRewriter) {
        let mut r = BufferedRewriter::holding();
        let mut out: Vec<Vec<u8>> = chunks.iter().map(|c| r.push(c).unwrap()).collect();
        out.push(r.finish());
        (out, r.rewriter)
    }

    const CREATED: &str =
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{}}\n\n";
    const PROGRESS: &str = "data: {\"type\":\"response.in_progress\",\"response\":{}}\n\n";
    const ADDED: &str = "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"item\":{}}\n\n";

    #[test]
    fn holding_forwards_nothing_before_output_then_everything_from_the_first_output_event() {
        let (out, r) = run_holding(&[
            CREATED.as_bytes(),
            PROGRESS.as_bytes(),
            ADDED.as_bytes(),
            b"data: {\"type\":\"response.completed\"}\n\n",
        ]);
        assert_eq!(out[0], b"");
        assert_eq!(out[1], b"");
        assert_eq!(out[2], [CREATED, PROGRESS, ADDED].concat().as_bytes());
        assert_eq!(out[3], b"data: {\"type\":\"response.completed\"}\n\n");
        assert!(r.output_started() && r.completed());
    }

    #[test]
    fn holding_a_stream_that_ends_or_fails_before_output_forwards_nothing() {
        let (out, r) = run_holding(&[CREATED.as_bytes(), PROGRESS.as_bytes()]);
        assert!(out.iter().all(Vec::is_empty));
        assert!(r.ended_early() && !r.output_started());
        let failed = "data: {\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"server_error\",\"message\":\"boom\"}}}\n\n";
        let (out, r) = run_holding(&[CREATED.as_bytes(), failed.as_bytes()]);
        assert!(out.iter().all(Vec::is_empty));
        assert_eq!(r.failure().map(|f| f.kind), Some(ErrorKind::Other));
        // A stream that completes without any output item is forwarded whole.
        let done = "data: {\"type\":\"response.completed\"}\n\n";
        let (out, r) = run_holding(&[CREATED.as_bytes(), done.as_bytes()]);
        assert_eq!(out.concat(), [CREATED, done].concat().as_bytes());
        assert!(r.completed() && !r.output_started());
        // An event of a type we do not know counts as output.
        let new = "data: {\"type\":\"response.new_thing\"}\n\n";
        let (out, r) = run_holding(&[CREATED.as_bytes(), new.as_bytes()]);
        assert!(r.output_started());
        assert_eq!(out[1], [CREATED, new].concat().as_bytes());
    }

    #[test]
    fn response_incomplete_is_an_error_with_its_reason() {
        let inc = "event: response.incomplete\ndata: {\"type\":\"response.incomplete\",\"response\":{\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"}}}\n\n";
        let (out, r) = run(&[ADDED.as_bytes(), inc.as_bytes()]);
        assert_eq!(out, ADDED.as_bytes());
        assert_eq!(
            r.failure(),
            Some(&StreamFailure {
                kind: ErrorKind::ResponseIncomplete,
                message: "the ChatGPT backend ended the response incomplete (reason: max_output_tokens): the answer reached the model's output limit; ask for a shorter answer or continue".into(),
                retry_after_ms: None,
            })
        );
        assert!(!r.completed());
        let m = |data: &str| failure("response.incomplete", data).unwrap().message;
        assert_eq!(
            m(r#"{"response":{"incomplete_details":{"reason":"content_filter"}}}"#),
            "the ChatGPT backend ended the response incomplete (reason: content_filter): the answer was stopped by the content filter; rephrase the request"
        );
        assert_eq!(
            m(r#"{"response":{"incomplete_details":{"reason":"odd\nthing"}}}"#),
            "the ChatGPT backend ended the response incomplete (reason: oddthing); try again"
        );
        assert_eq!(
            m("{}"),
            "the ChatGPT backend ended the response incomplete (no reason given); try again"
        );
    }

    #[test]
    fn a_failure_event_is_shown_without_controls_or_secrets() {
        let (evil, jwt) = crate::auth::redact::shown_text::evil_backend_text();
        let shown_ok = |m: &str| crate::auth::redact::shown_text::assert_shown_ok(m, &jwt);
        for data in [
            serde_json::json!({"type": "error", "error": {"code": "weird", "message": evil}}),
            serde_json::json!({"type": "error", "error": {"code": evil, "message": "m"}}),
            serde_json::json!({"type": "response.failed", "response": {"error": {"code": "server_error", "message": evil}}}),
        ] {
            shown_ok(&failure("error", &data.to_string()).unwrap().message);
        }
    }

    #[test]
    fn type_is_peeked_from_data_when_the_event_line_is_missing() {
        let ev = Event {
            event: "message".into(),
            data: "{ \"type\" : \"response.incomplete\" }".into(),
            id: None,
        };
        assert_eq!(event_type(&ev), "response.incomplete");
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn any_chunking_forwards_the_same_bytes(cuts in proptest::collection::vec(0usize..400, 0..6)) {
            let bytes = OK.as_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut prev = 0;
            for c in cuts { chunks.push(&bytes[prev..c]); prev = c; }
            chunks.push(&bytes[prev..]);
            let (out, r) = run(&chunks);
            prop_assert_eq!(out, bytes.to_vec());
            prop_assert!(r.completed());
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_are_forwarded_unless_failed(body in proptest::collection::vec(any::<u8>(), 0..400), cut in 0usize..400) {
            let cut = cut.min(body.len());
            let (out, r) = run(&[&body[..cut], &body[cut..]]);
            if r.failure().is_none() { prop_assert_eq!(out, body); }
        }
    }
}

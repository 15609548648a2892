//! An incremental Server-Sent Events parser (WHATWG HTML §9.2 "event stream interpretation"):
//! bytes in any chunking → events. Holds at most one unfinished event (capped); never does I/O
//! and never interprets the `data` (that is `stream.rs` / `responses.rs`).

use crate::error::CoreError;

/// Largest single event (its data plus the line being read) the parser holds before giving up.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field, or `"message"` when the event had none.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last event ID seen so far in the stream (it persists across events), if any.
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    /// A single event grew past the cap without being terminated.
    EventTooLarge { limit: usize },
}

impl std::fmt::Display for SseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SseError::EventTooLarge { limit } => write!(
                f,
                "a ChatGPT stream event is larger than {} MB; the stream was stopped",
                limit / (1024 * 1024)
            ),
        }
    }
}

impl CoreError for SseError {
    fn code(&self) -> &'static str {
        match self {
            SseError::EventTooLarge { .. } => "sse-event-too-large",
        }
    }
}

/// The parser state: the unfinished line, the event being built, and stream-wide fields.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a leading `\n` in the next one belongs to that line end.
    after_cr: bool,
    /// Nothing but possibly a BOM has been seen yet.
    started: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    retry_ms: Option<u64>,
    /// Bytes consumed so far, and the offset just past the last blank line (an event boundary).
    consumed: u64,
    boundary: u64,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// The last `retry:` value (milliseconds), if the stream sent one.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    /// Stream offset just past the last blank line seen: everything before it forms whole events.
    pub fn last_boundary(&self) -> u64 {
        self.boundary
    }

    /// Feeds the next chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Event>, SseError> {
        let mut out = Vec::new();
        let mut rest = chunk;
        // An empty chunk says nothing about the byte after a CR: keep waiting for it.
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if let Some((b'\n', tail)) = rest.split_first() {
                rest = tail;
                self.consumed += 1;
                if self.boundary + 1 == self.consumed {
                    self.boundary = self.consumed;
                }
            }
        }
        // "Lines must be separated by either a CRLF pair, a single LF, or a single CR."
        while let Some(pos) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            let (head, tail) = rest.split_at(pos);
            self.grow(head)?;
            let mut end = 1;
            let crlf = tail.starts_with(b"\r\n");
            if crlf {
                end = 2;
            } else if tail == b"\r" {
                self.after_cr = true;
            }
            self.consumed += (pos + end) as u64;
            rest = tail.get(end..).unwrap_or_default();
            let line = std::mem::take(&mut self.line);
            if let Some(ev) = self.line_done(&line) {
                out.push(ev);
            }
        }
        self.consumed += rest.len() as u64;
        self.grow(rest)?;
        Ok(out)
    }

    /// The stream ended: a last line without a line end is processed, and an event that was not
    /// closed by a blank line is still dispatched (lenient: a final event is not lost).
    pub fn finish(&mut self) -> Option<Event> {
        let line = std::mem::take(&mut self.line);
        let ev = if line.is_empty() { None } else { self.line_done(&line) };
        ev.or_else(|| self.dispatch())
    }

    fn grow(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self.data.len().saturating_add(self.line.len()).saturating_add(bytes.len()) > MAX_EVENT_BYTES {
            return Err(SseError::EventTooLarge { limit: MAX_EVENT_BYTES });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// One complete line (without its line end).
    fn line_done(&mut self, raw: &[u8]) -> Option<Event> {
        let mut raw = raw;
        if !self.started {
            self.started = true;
            raw = raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw);
        }
        // "If the line is empty (a blank line): Dispatch the event."
        if raw.is_empty() {
            self.boundary = self.consumed;
            return self.dispatch();
        }
        // "If the line starts with a U+003A COLON character (:): Ignore the line."
        if raw.first() == Some(&b':') {
            return None;
        }
        let line = String::from_utf8_lossy(raw);
        // "collect the characters on the line before the first colon as field, after it as value;
        // if value starts with a U+0020 SPACE character, remove it"
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // "If the field value does not contain U+0000 NULL, set the last event ID buffer."
            "id" if !value.contains('\0') => self.last_id = Some(value.to_string()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry_ms = value.parse().ok();
            }
            _ => {}
        }
        None
    }

    /// "If the data buffer is an empty string, set the event type buffer to empty and return."
    fn dispatch(&mut self) -> Option<Event> {
        let event = self.event.take();
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        Some(Event {
            event: event.filter(|e| !e.is_empty()).unwrap_or_else(|| "message".to_string()),
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    fn ev(event: &str, data: &str, id: Option<&str>) -> Event {
        Event { event: event.into(), data: data.into(), id: id.map(Into::into) }
    }

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<Event> {
        let mut p = SseParser::new();
        let mut out: Vec<Event> = chunks.iter().flat_map(|c| p.feed(c).unwrap()).collect();
        out.extend(p.finish());
        out
    }

    const SAMPLE: &str = "\u{feff}: keep-alive\r\nevent: response.created\r\ndata: {\"a\":1}\r\n\r\n\
        data: line one\ndata:line two\nid: 7\n\n\
        event: x\rdata: é€😀\r\r\
        retry: 1500\nevent: empty\n\n\
        data\n\n\
        event: response.completed\ndata: {\"type\":\"response.completed\"}\n\n";

    fn sample_events() -> Vec<Event> {
        vec![
            ev("response.created", "{\"a\":1}", None),
            ev("message", "line one\nline two", Some("7")),
            ev("x", "é€😀", Some("7")),
            ev("message", "", Some("7")),
            ev("response.completed", "{\"type\":\"response.completed\"}", Some("7")),
        ]
    }

    #[test]
    fn whole_stream_gives_every_event_with_lf_crlf_cr_and_comments() {
        let mut p = SseParser::new();
        assert_eq!(p.feed(SAMPLE.as_bytes()).unwrap(), sample_events());
        assert_eq!(p.finish(), None);
        assert_eq!(p.retry_ms(), Some(1500));
        assert_eq!(p.last_boundary(), SAMPLE.len() as u64);
    }

    #[test]
    fn every_single_split_point_gives_the_same_events() {
        let bytes = SAMPLE.as_bytes();
        for i in 0..=bytes.len() {
            let (a, b) = bytes.split_at(i);
            assert_eq!(parse_chunks(&[a, b]), sample_events(), "split at {i}");
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(parse_chunks(&singles), sample_events());
    }

    #[test]
    fn cr_then_lf_in_the_next_chunk_is_one_line_end() {
        assert_eq!(parse_chunks(&[b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n"]), vec![ev("message", "a", None), ev("message", "b", None)]);
    }

    #[test]
    fn unterminated_last_event_is_dispatched_at_finish() {
        let mut p = SseParser::new();
        assert_eq!(p.feed(b"event: done\ndata: {}").unwrap(), vec![]);
        assert_eq!(p.finish(), Some(ev("done", "{}", None)));
        assert_eq!(p.finish(), None);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(parse_chunks(&[b"data: a\xff\xfeb\n\n"]), vec![ev("message", "a\u{fffd}\u{fffd}b", None)]);
    }

    #[test]
    fn id_with_nul_and_bad_retry_are_ignored() {
        let mut p = SseParser::new();
        let out = p.feed(b"id: 1\nid: a\0b\nretry: 12x\ndata: d\n\n").unwrap();
        assert_eq!(out, vec![ev("message", "d", Some("1"))]);
        assert_eq!(p.retry_ms(), None);
    }

    #[test]
    fn oversize_event_is_an_error_even_without_line_ends() {
        let mut p = SseParser::new();
        let big = vec![b'a'; MAX_EVENT_BYTES / 2 + 1];
        assert_eq!(p.feed(b"data: ").unwrap(), vec![]);
        assert_eq!(p.feed(&big).unwrap(), vec![]);
        assert_eq!(p.feed(b"\ndata: ").unwrap(), vec![]);
        assert_eq!(p.feed(&big), Err(SseError::EventTooLarge { limit: MAX_EVENT_BYTES }));
        assert_eq!(
            SseError::EventTooLarge { limit: MAX_EVENT_BYTES }.to_string(),
            "a ChatGPT stream event is larger than 16 MB; the stream was stopped"
        );
    }

    #[test]
    fn boundary_tracks_the_last_blank_line() {
        let mut p = SseParser::new();
        p.feed(b"data: a\n\ndata: b\n").unwrap();
        assert_eq!(p.last_boundary(), 9);
        p.feed(b"\r").unwrap();
        assert_eq!(p.last_boundary(), 18);
        p.feed(b"\n").unwrap();
        assert_eq!(p.last_boundary(), 19);
    }

    #[test]
    fn an_empty_chunk_between_cr_and_lf_changes_nothing() {
        // Found by fuzz/fuzz_targets/sse_parser.rs: the empty chunk cleared the pending CR, so
        // the LF after it counted as a blank line and split one event in two.
        let whole = parse_chunks(&[b"data: a\r\ndata: b\n\n"]);
        assert_eq!(whole, vec![ev("message", "a\nb", None)]);
        assert_eq!(parse_chunks(&[b"data: a\r", b"", b"\ndata: b\n\n"]), whole);
        let mut p = SseParser::new();
        for chunk in [&b"data: a\r"[..], b"", b"", b"\n"] {
            assert_eq!(p.feed(chunk).unwrap(), vec![]);
        }
        assert_eq!(p.last_boundary(), 0, "no blank line yet");
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn any_chunking_of_any_bytes_gives_the_same_events(
            body in proptest::collection::vec(prop_oneof![
                Just(b'\n'), Just(b'\r'), Just(b':'), Just(b' '), Just(b'd'), Just(b'a'), Just(b't'),
                Just(0xc3u8), Just(0xa9u8), any::<u8>()
            ], 0..300),
            cuts in proptest::collection::vec(0usize..300, 0..8),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(body.len())).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut prev = 0;
            for c in cuts {
                chunks.push(&body[prev..c]);
                prev = c;
            }
            chunks.push(&body[prev..]);
            let mut whole = SseParser::new();
            let mut expected = whole.feed(&body).unwrap();
            expected.extend(whole.finish());
            prop_assert_eq!(parse_chunks(&chunks), expected);
        }

        #[test]
        fn framed_events_round_trip(datas in proptest::collection::vec("[^\r\n]{0,20}", 1..6)) {
            let text: String = datas.iter().map(|d| format!("event: e\ndata: {d}\n\n")).collect();
            let got = parse_chunks(&[text.as_bytes()]);
            let want: Vec<Event> = datas.iter().map(|d| ev("e", d, None)).collect();
            prop_assert_eq!(got, want);
        }
    }
}

//! An incremental Server-Sent Events parser (WHATWG HTML §9.2 "event stream interpretation"):
//! bytes in any chunking → events. Holds at most one unfinished event (capped); never does I/O
//! and never interprets the `data` (that is [`super::rewriter`] / [`super::collector`]).

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
        let ev = if line.is_empty() {
            None
        } else {
            self.line_done(&line)
        };
        ev.or_else(|| self.dispatch())
    }

    fn grow(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self
            .data
            .len()
            .saturating_add(self.line.len())
            .saturating_add(bytes.len())
            > MAX_EVENT_BYTES
        {
            return Err(SseError::EventTooLarge {
                limit: MAX_EVENT_BYTES,
            });
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
            event: event
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "message".to_string()),
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        })
    }
}

/// The event types the pass-through and the collector act on; everything else is [`Kind::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Completed,
    Incomplete,
    Failed,
    Error,
    ItemAdded,
    ItemDone,
    /// `response.output_text.delta`, `response.reasoning_summary_text.delta`,
    /// `response.function_call_arguments.delta`.
    Delta,
    Other,
    /// Not decidable from the line heads (multi-line data, an odd `"type"` spelling, a type past
    /// the first [`HEAD`] bytes): parse the event's raw bytes with [`SseParser`] to find out.
    Unknown,
}

impl Kind {
    /// The kind of an event type name (what [`crate::stream::rewriter::event_type`] returns).
    pub fn of(name: &[u8]) -> Kind {
        match name {
            b"response.completed" => Kind::Completed,
            b"response.incomplete" => Kind::Incomplete,
            b"response.failed" => Kind::Failed,
            b"error" => Kind::Error,
            b"response.output_item.added" => Kind::ItemAdded,
            b"response.output_item.done" => Kind::ItemDone,
            b"response.output_text.delta"
            | b"response.reasoning_summary_text.delta"
            | b"response.function_call_arguments.delta" => Kind::Delta,
            _ => Kind::Other,
        }
    }
}

/// How many leading bytes of a line the scanner keeps to read its field and the event's type.
pub const HEAD: usize = 128;

/// One event found by [`SseScanner`]: its kind and where its raw bytes are in the stream (from
/// just past the previous blank line to just past its own, or to the end of the stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    pub kind: Kind,
    pub start: u64,
    pub end: u64,
}

/// A scanner with the framing of [`SseParser`] (LF, CRLF, CR, a leading BOM, comments, blank-line
/// dispatch, events without data dropped) that copies nothing: it finds each line end with
/// `memchr`, reads only the head of `event` lines and of an event's first `data` line, and reports
/// each event's [`Kind`] and byte span. The data is read only when a caller needs it, by parsing
/// the span with [`SseParser`] — the reference this scanner must agree with (fuzz target
/// `sse_rewriter` checks that it does).
#[derive(Debug, Default)]
pub struct SseScanner {
    /// Head of the unfinished line (at most [`HEAD`] bytes) and its whole length so far.
    line: Vec<u8>,
    line_len: usize,
    after_cr: bool,
    started: bool,
    /// The last `event:` field's kind; `None` when absent, empty or `message` (then the data's
    /// `"type"` decides).
    name: Option<Kind>,
    /// What the event's data says its type is (`None` before any `data` line).
    data_kind: Option<Kind>,
    consumed: u64,
    boundary: u64,
}

impl SseScanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes fed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Stream offset just past the last blank line: everything before it forms whole events.
    pub fn last_boundary(&self) -> u64 {
        self.boundary
    }

    /// Feeds the next chunk; appends the events it completed to `out`. Fails when the unfinished
    /// event (its raw bytes) passes [`MAX_EVENT_BYTES`].
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<Scanned>) -> Result<(), SseError> {
        let mut rest = chunk;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
                self.consumed += 1;
                if self.boundary + 1 == self.consumed {
                    self.boundary = self.consumed;
                }
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', rest) {
            let (head, tail) = rest.split_at(pos);
            let mut end = 1;
            if tail.starts_with(b"\r\n") {
                end = 2;
            } else if tail == b"\r" {
                self.after_cr = true;
            }
            self.consumed += (pos + end) as u64;
            if self.line_len == 0 {
                self.line_done(head, head.len(), out);
            } else {
                let mut line = std::mem::take(&mut self.line);
                let take = HEAD.saturating_sub(line.len()).min(head.len());
                line.extend_from_slice(&head[..take]);
                let len = self.line_len + head.len();
                self.line_len = 0;
                self.line_done(&line, len, out);
                line.clear();
                self.line = line;
            }
            rest = &tail[end..];
        }
        if !rest.is_empty() {
            let take = HEAD.saturating_sub(self.line.len()).min(rest.len());
            self.line.extend_from_slice(&rest[..take]);
            self.line_len += rest.len();
            self.consumed += rest.len() as u64;
        }
        if self.consumed - self.boundary > MAX_EVENT_BYTES as u64 {
            return Err(SseError::EventTooLarge {
                limit: MAX_EVENT_BYTES,
            });
        }
        Ok(())
    }

    /// The stream ended: the last line without a line end counts, and an event not closed by a
    /// blank line is still reported (as [`SseParser::finish`] does).
    pub fn finish(&mut self, out: &mut Vec<Scanned>) {
        if self.line_len > 0 {
            let line = std::mem::take(&mut self.line);
            let len = std::mem::take(&mut self.line_len);
            self.line_done(&line, len, out);
        }
        self.dispatch(self.consumed, out);
    }

    /// One complete line: `head` is its first bytes (all of it when `head.len() == len`).
    fn line_done(&mut self, head: &[u8], len: usize, out: &mut Vec<Scanned>) {
        let (mut head, mut len) = (head, len);
        if !self.started {
            self.started = true;
            if let Some(h) = head.strip_prefix("\u{feff}".as_bytes()) {
                head = h;
                len -= 3;
            }
        }
        if len == 0 {
            let end = self.consumed;
            self.dispatch(end, out);
            self.boundary = end;
            return;
        }
        let truncated = head.len() < len;
        if head[0] == b':' {
            return;
        }
        let colon = memchr::memchr(b':', head);
        let (field, value) = match colon {
            Some(c) => {
                let v = &head[c + 1..];
                (&head[..c], v.strip_prefix(b" ").unwrap_or(v))
            }
            // No colon in the head: the whole line is the field name only if it is all here.
            None if truncated => return,
            None => (head, &b""[..]),
        };
        match field {
            b"event" => {
                self.name = if truncated {
                    Some(Kind::Other) // longer than any name we act on
                } else if value.is_empty() || value == b"message" {
                    None
                } else {
                    Some(Kind::of(value))
                };
            }
            b"data" => {
                self.data_kind = Some(match self.data_kind {
                    // An `event:` line came first (as in every Codex stream): it decides, unless a
                    // later `event: message` hands the decision back to the data; then the parser reads it.
                    None if self.name.is_some() => Kind::Unknown,
                    None => peek_kind(value, truncated),
                    // A second data line: the type may sit anywhere in the joined data.
                    Some(_) => Kind::Unknown,
                });
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, end: u64, out: &mut Vec<Scanned>) {
        let name = self.name.take();
        let Some(data_kind) = self.data_kind.take() else {
            return;
        };
        out.push(Scanned {
            kind: name.unwrap_or(data_kind),
            start: self.boundary,
            end,
        });
    }
}

/// The raw bytes of the unfinished event, kept between chunks so that an event the scanner found
/// can be read whole even when it began in an earlier chunk.
#[derive(Debug, Default)]
pub struct Carry {
    bytes: Vec<u8>,
    /// Stream offset of `bytes[0]`.
    start: u64,
}

impl Carry {
    /// The raw bytes of `ev`, found while scanning `chunk` (which starts at stream offset `chunk_start`).
    pub fn raw<'a>(
        &self,
        ev: &Scanned,
        chunk: &'a [u8],
        chunk_start: u64,
    ) -> std::borrow::Cow<'a, [u8]> {
        let at = |offset: u64| {
            usize::try_from(offset.saturating_sub(chunk_start))
                .unwrap_or(usize::MAX)
                .min(chunk.len())
        };
        if ev.start >= chunk_start {
            return chunk[at(ev.start)..at(ev.end).max(at(ev.start))].into();
        }
        let from = usize::try_from(ev.start.saturating_sub(self.start))
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        let mut bytes = self.bytes[from..].to_vec();
        bytes.extend_from_slice(&chunk[..at(ev.end)]);
        bytes.into()
    }

    /// After scanning `chunk`: keep the bytes past the scanner's last boundary.
    pub fn keep(&mut self, boundary: u64, chunk: &[u8], chunk_start: u64) {
        if boundary >= chunk_start {
            self.bytes.clear();
            let from = usize::try_from(boundary - chunk_start)
                .unwrap_or(usize::MAX)
                .min(chunk.len());
            self.bytes.extend_from_slice(&chunk[from..]);
        } else {
            self.bytes.extend_from_slice(chunk);
        }
        self.start = boundary;
    }

    pub fn clear(&mut self) {
        self.bytes = Vec::new();
    }
}

/// Every event in `raw`, read by a fresh [`SseParser`] to the end (an oversize event ends the list).
pub fn parse_events(raw: &[u8]) -> Vec<Event> {
    let mut parser = SseParser::new();
    let mut events = parser.feed(raw).unwrap_or_default();
    events.extend(parser.finish());
    events
}

/// The event in one event's raw bytes (as [`Carry::raw`] gives them).
pub fn parse_event(raw: &[u8]) -> Option<Event> {
    parse_events(raw).pop()
}

/// The first occurrence of `needle` (which starts with `"`) in `hay`: the key is almost always
/// at the start of the line, where building a `memmem` searcher would cost more than the search.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(needle[0], &hay[from..]) {
        let at = from + i;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// [`crate::stream::rewriter::event_type`]'s reading of the data (first `"type"`, then `:` and a quoted
/// string) from the head of the first data line, or `Unknown` where the head cannot tell.
fn peek_kind(value: &[u8], truncated: bool) -> Kind {
    const KEY: &[u8] = b"\"type\"";
    let undecided = if truncated {
        Kind::Unknown
    } else {
        Kind::Other
    };
    let Some(at) = find(value, KEY) else {
        // Not in this line (nor, if the line is whole and the only one, anywhere).
        return undecided;
    };
    // `trim_start` drops Unicode whitespace: any non-ASCII byte here is left to the parser.
    let skip_ws = |mut i: usize| -> Result<usize, Kind> {
        while let Some(&b) = value.get(i) {
            match b {
                b' ' | b'\t' | b'\x0b' | b'\x0c' => i += 1,
                0x80.. => return Err(Kind::Unknown),
                _ => return Ok(i),
            }
        }
        Err(undecided)
    };
    let peek = || -> Result<Kind, Kind> {
        let i = skip_ws(at + KEY.len())?;
        if value[i] != b':' {
            return Ok(Kind::Other);
        }
        let i = skip_ws(i + 1)?;
        if value[i] != b'"' {
            return Ok(Kind::Other);
        }
        let name = &value[i + 1..];
        match memchr::memchr(b'"', name) {
            Some(close) => Ok(Kind::of(&name[..close])),
            None => Err(undecided),
        }
    };
    peek().unwrap_or_else(|k| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    fn ev(event: &str, data: &str, id: Option<&str>) -> Event {
        Event {
            event: event.into(),
            data: data.into(),
            id: id.map(Into::into),
        }
    }

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<Event> {
        let mut p = SseParser::new();
        let mut out: Vec<Event> = chunks.iter().flat_map(|c| p.feed(c).unwrap()).collect();
        out.extend(p.finish());
        out
    }

    const SAMPLE: &str =
        "\u{feff}: keep-alive\r\nevent: response.created\r\ndata: {\"a\":1}\r\n\r\n\
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
            ev(
                "response.completed",
                "{\"type\":\"response.completed\"}",
                Some("7"),
            ),
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
        assert_eq!(
            parse_chunks(&[b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n"]),
            vec![ev("message", "a", None), ev("message", "b", None)]
        );
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
        assert_eq!(
            parse_chunks(&[b"data: a\xff\xfeb\n\n"]),
            vec![ev("message", "a\u{fffd}\u{fffd}b", None)]
        );
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
        assert_eq!(
            p.feed(&big),
            Err(SseError::EventTooLarge {
                limit: MAX_EVENT_BYTES
            })
        );
        assert_eq!(
            SseError::EventTooLarge {
                limit: MAX_EVENT_BYTES
            }
            .to_string(),
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

    /// `body` cut at the (clamped, sorted) offsets `cuts`.
    #[cfg(not(target_arch = "wasm32"))]
    fn cut(body: &[u8], cuts: Vec<usize>) -> Vec<&[u8]> {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(body.len())).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for c in cuts {
            chunks.push(&body[prev..c]);
            prev = c;
        }
        chunks.push(&body[prev..]);
        chunks
    }

    /// The scanner against the parser: the same events, each span parses to its event, and a
    /// decided kind is the kind of the parser's event type.
    fn scanner_agrees(body: &[u8], chunks: &[&[u8]]) {
        let mut scanner = SseScanner::new();
        let mut carry = Carry::default();
        let mut found = Vec::new();
        let mut raws = Vec::new();
        for chunk in chunks {
            let start = scanner.consumed();
            found.clear();
            scanner.feed(chunk, &mut found).unwrap();
            raws.extend(
                found
                    .iter()
                    .map(|ev| (*ev, carry.raw(ev, chunk, start).into_owned())),
            );
            carry.keep(scanner.last_boundary(), chunk, start);
        }
        found.clear();
        scanner.finish(&mut found);
        let end = scanner.consumed();
        raws.extend(
            found
                .iter()
                .map(|ev| (*ev, carry.raw(ev, &[], end).into_owned())),
        );
        let mut p = SseParser::new();
        let mut events = p.feed(body).unwrap();
        events.extend(p.finish());
        assert_eq!(
            raws.len(),
            events.len(),
            "event count for {:?}",
            String::from_utf8_lossy(body)
        );
        for ((ev, raw), want) in raws.iter().zip(&events) {
            assert_eq!(raw.as_slice(), &body[ev.start as usize..ev.end as usize]);
            let got = parse_event(raw).expect("a span holds its event");
            assert_eq!((&got.event, &got.data), (&want.event, &want.data));
            if ev.kind != Kind::Unknown {
                assert_eq!(
                    ev.kind,
                    Kind::of(crate::stream::rewriter::event_type(want).as_bytes()),
                    "kind of {want:?}"
                );
            }
        }
    }

    #[test]
    fn scanner_agrees_with_the_parser_at_every_split() {
        let typed = "data: {\"type\":\"response.completed\"}\n\ndata: { \"type\" :\t\"error\", \"x\":1}\r\n\r\n\
            event: message\ndata: {\"type\":\"response.failed\"}\n\nevent: error\ndata: x\n\n\
            data: {\"a\":\"\\\"type\\\"\",\"type\":\"response.output_text.delta\"}\n\n\
            data: {\"t\":1}\ndata: {\"type\":\"error\"}\n\ndata: {\"type\"\u{a0}:\"error\"}\n\n";
        for sample in [SAMPLE, typed] {
            let bytes = sample.as_bytes();
            for i in 0..=bytes.len() {
                let (a, b) = bytes.split_at(i);
                scanner_agrees(bytes, &[a, b]);
            }
            scanner_agrees(bytes, &bytes.chunks(1).collect::<Vec<_>>());
        }
    }

    #[test]
    fn scanner_decides_the_usual_codex_lines_without_the_parser() {
        let mut s = SseScanner::new();
        let mut out = Vec::new();
        let long = format!(
            "data: {{\"type\":\"response.output_text.delta\",\"delta\":\"{}\"}}\n\n",
            "x".repeat(5000)
        );
        s.feed(long.as_bytes(), &mut out).unwrap();
        s.feed(b"event: response.completed\ndata: {}\n\n", &mut out)
            .unwrap();
        let kinds: Vec<Kind> = out.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![Kind::Delta, Kind::Completed]);
        let name = format!(
            "data: {{\"{}\":1,\"type\":\"error\"}}\n\n",
            "k".repeat(HEAD)
        );
        out.clear();
        s.feed(name.as_bytes(), &mut out).unwrap();
        assert_eq!(
            out[0].kind,
            Kind::Error,
            "a line inside one chunk is read whole"
        );
        out.clear();
        let (a, b) = name.as_bytes().split_at(HEAD + 20);
        s.feed(a, &mut out).unwrap();
        s.feed(b, &mut out).unwrap();
        assert_eq!(
            out[0].kind,
            Kind::Unknown,
            "a type past the head of a split line is left to the parser"
        );
    }

    #[test]
    fn scanner_caps_an_unfinished_event() {
        let mut s = SseScanner::new();
        let mut out = Vec::new();
        let big = vec![b'a'; MAX_EVENT_BYTES / 2 + 1];
        assert_eq!(s.feed(b"data: ", &mut out), Ok(()));
        assert_eq!(s.feed(&big, &mut out), Ok(()));
        assert_eq!(
            s.feed(&big, &mut out),
            Err(SseError::EventTooLarge {
                limit: MAX_EVENT_BYTES
            })
        );
        let mut s = SseScanner::new();
        let blank_lines = vec![b'\n'; MAX_EVENT_BYTES + 10];
        assert_eq!(
            s.feed(&blank_lines, &mut out),
            Ok(()),
            "blank lines are boundaries, not one event"
        );
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn scanner_agrees_with_the_parser_on_any_bytes(
            body in proptest::collection::vec(prop_oneof![
                Just(b'\n'), Just(b'\r'), Just(b':'), Just(b' '), Just(b'"'), Just(b'd'), Just(b'a'), Just(b't'),
                Just(0xefu8), Just(0xbbu8), Just(0xbfu8), any::<u8>()
            ], 0..300),
            pieces in proptest::collection::vec(prop_oneof![
                Just("data: "), Just("event: "), Just("\"type\":\"error\""), Just("{\"type\":\"response.completed\"}"),
                Just("response.failed"), Just("message"), Just("\n"), Just("\r\n"), Just("\u{feff}")
            ], 0..12),
            cuts in proptest::collection::vec(0usize..400, 0..8),
        ) {
            let mut body = body;
            for (i, p) in pieces.iter().enumerate() {
                let at = (i * 37) % (body.len() + 1);
                body.splice(at..at, p.bytes());
            }
            let chunks = cut(&body, cuts);
            scanner_agrees(&body, &chunks);
        }

        #[test]
        fn any_chunking_of_any_bytes_gives_the_same_events(
            body in proptest::collection::vec(prop_oneof![
                Just(b'\n'), Just(b'\r'), Just(b':'), Just(b' '), Just(b'd'), Just(b'a'), Just(b't'),
                Just(0xc3u8), Just(0xa9u8), any::<u8>()
            ], 0..300),
            cuts in proptest::collection::vec(0usize..300, 0..8),
        ) {
            let chunks = cut(&body, cuts);
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

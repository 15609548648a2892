//! The SSE parser: any bytes in any chunking give exactly the events of one whole-stream
//! reading (chunk boundaries never matter, not even inside a CRLF or a UTF-8 character), and
//! both match an independent line-by-line reading of the WHATWG rules. The copy-free scanner the
//! pass-through and the collector use finds the same events, each span parses to its event, and
//! every kind it decides without the parser is the kind of the event's type.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::stream::rewriter::event_type;
use opencode_chatgpt_wasm::stream::sse::{
    parse_event, Carry, Event, Kind, Scanned, SseParser, SseScanner,
};
use opencode_chatgpt_wasm_fuzz::chunks;

#[derive(Arbitrary, Debug)]
struct Input {
    data: Vec<u8>,
    cuts: Vec<u8>,
}

struct Parsed {
    events: Vec<Event>,
    retry_ms: Option<u64>,
    boundary: u64,
}

fn parse(parts: &[&[u8]]) -> Parsed {
    let mut p = SseParser::new();
    let mut events = Vec::new();
    for part in parts {
        events.extend(
            p.feed(part)
                .expect("inputs here are far below the event cap"),
        );
    }
    events.extend(p.finish());
    Parsed {
        events,
        retry_ms: p.retry_ms(),
        boundary: p.last_boundary(),
    }
}

/// The spec, read plainly over the whole stream: strip one leading BOM, split lines at CRLF, LF
/// or CR, process each line; at the end, a last unterminated line is processed and a pending
/// event is dispatched (the lenient end the parser documents).
fn reference(data: &[u8]) -> Vec<Event> {
    let data = data
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(data);
    let mut lines: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\r' if data.get(i + 1) == Some(&b'\n') => {
                lines.push(&data[start..i]);
                i += 2;
                start = i;
            }
            b'\r' | b'\n' => {
                lines.push(&data[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < data.len() {
        lines.push(&data[start..]);
    }
    let (mut out, mut event, mut buf, mut has_data, mut id) =
        (Vec::new(), String::new(), String::new(), false, None);
    let mut dispatch =
        |event: &mut String, buf: &mut String, has_data: &mut bool, id: &Option<String>| {
            if std::mem::take(has_data) {
                let name = if event.is_empty() {
                    "message".to_string()
                } else {
                    event.clone()
                };
                out.push(Event {
                    event: name,
                    data: std::mem::take(buf),
                    id: id.clone(),
                });
            }
            event.clear();
        };
    for line in lines {
        if line.is_empty() {
            dispatch(&mut event, &mut buf, &mut has_data, &id);
            continue;
        }
        if line[0] == b':' {
            continue;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.find(':') {
            Some(at) => (
                &line[..at],
                line[at + 1..].strip_prefix(' ').unwrap_or(&line[at + 1..]),
            ),
            None => (&line[..], ""),
        };
        match field {
            "event" => event = value.to_string(),
            "data" => {
                if has_data {
                    buf.push('\n');
                }
                buf.push_str(value);
                has_data = true;
            }
            "id" if !value.contains('\0') => id = Some(value.to_string()),
            _ => {}
        }
    }
    dispatch(&mut event, &mut buf, &mut has_data, &id);
    out
}

/// Every event the scanner reports, with its raw bytes.
fn scan(parts: &[&[u8]]) -> Vec<(Scanned, Vec<u8>)> {
    let mut scanner = SseScanner::new();
    let mut carry = Carry::default();
    let mut found = Vec::new();
    let mut out = Vec::new();
    for part in parts {
        let start = scanner.consumed();
        found.clear();
        scanner
            .feed(part, &mut found)
            .expect("inputs here are far below the event cap");
        out.extend(
            found
                .iter()
                .map(|ev| (*ev, carry.raw(ev, part, start).into_owned())),
        );
        carry.keep(scanner.last_boundary(), part, start);
    }
    found.clear();
    scanner.finish(&mut found);
    let end = scanner.consumed();
    out.extend(
        found
            .iter()
            .map(|ev| (*ev, carry.raw(ev, &[], end).into_owned())),
    );
    out
}

fn check_scanner(data: &[u8], parts: &[&[u8]], events: &[Event]) {
    let scanned = scan(parts);
    assert_eq!(
        scanned.len(),
        events.len(),
        "the scanner found a different number of events"
    );
    for ((ev, raw), want) in scanned.iter().zip(events) {
        assert_eq!(
            raw.as_slice(),
            &data[ev.start as usize..ev.end as usize],
            "span bytes"
        );
        let got = parse_event(raw).expect("a span holds its event");
        assert_eq!(
            (&got.event, &got.data),
            (&want.event, &want.data),
            "span does not parse to its event"
        );
        if ev.kind != Kind::Unknown {
            assert_eq!(
                ev.kind,
                Kind::of(event_type(want).as_bytes()),
                "scanner kind of {want:?}"
            );
        }
    }
}

fuzz_target!(|input: Input| {
    let whole = parse(&[&input.data]);
    let chunked = parse(&chunks(&input.data, &input.cuts));
    let bytewise = parse(&input.data.chunks(1).collect::<Vec<_>>());
    assert_eq!(chunked.events, whole.events, "chunking changed the events");
    assert_eq!(
        bytewise.events, whole.events,
        "byte-by-byte feeding changed the events"
    );
    assert_eq!(
        (chunked.retry_ms, chunked.boundary),
        (whole.retry_ms, whole.boundary)
    );
    assert_eq!(
        (bytewise.retry_ms, bytewise.boundary),
        (whole.retry_ms, whole.boundary)
    );
    assert!(whole.boundary <= input.data.len() as u64);
    assert_eq!(
        whole.events,
        reference(&input.data),
        "differs from the plain reading of the spec"
    );
    check_scanner(&input.data, &[&input.data], &whole.events);
    check_scanner(
        &input.data,
        &chunks(&input.data, &input.cuts),
        &whole.events,
    );
});

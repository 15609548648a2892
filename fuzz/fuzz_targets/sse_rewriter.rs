//! The stream pass-through: in any chunking, a stream without a failure event comes out
//! byte-identical; with one, what came out is a prefix of the stream; completion, failure and
//! "ended early" never depend on chunk boundaries, and equal a plain reading: every event parsed by
//! `SseParser`, typed by `event_type`, checked by `failure` in order. With a failure, exactly the
//! events before it come out. In holding mode (stream retries) the outcome is the same, and what
//! comes out is nothing until an output event or the completion, then the same bytes.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::stream::rewriter::{
    event_type, failure, BufferedRewriter, StreamFailure,
};
use opencode_chatgpt_wasm::stream::sse::{Event, SseParser};
use opencode_chatgpt_wasm_fuzz::{chunks, sse_stream, Stream};

#[derive(Arbitrary, Debug)]
struct Input {
    stream: Stream,
    cuts: Vec<u8>,
}

fn run(parts: &[&[u8]]) -> (Vec<u8>, bool, Option<StreamFailure>, bool) {
    run_with(parts, BufferedRewriter::new()).0
}

type Outcome = (Vec<u8>, bool, Option<StreamFailure>, bool);

fn run_with(parts: &[&[u8]], mut r: BufferedRewriter) -> (Outcome, bool) {
    let mut out = Vec::new();
    for part in parts {
        let forwarded = r
            .push(part)
            .expect("inputs here are far below the event cap");
        out.extend(forwarded);
    }
    out.extend(r.finish());
    let r = r.rewriter;
    (
        (out, r.completed(), r.failure().cloned(), r.ended_early()),
        r.output_started(),
    )
}

fn holding() -> BufferedRewriter {
    BufferedRewriter::holding()
}

fn parse(data: &[u8]) -> Vec<Event> {
    let mut p = SseParser::new();
    let mut events = p.feed(data).expect("small input");
    events.extend(p.finish());
    events
}

/// (completed, failure, events before the failure)
fn reference(data: &[u8]) -> (bool, Option<StreamFailure>, usize) {
    let events = parse(data);
    let mut completed = false;
    for (i, e) in events.iter().enumerate() {
        match event_type(e) {
            "response.completed" => completed = true,
            kind => {
                if let Some(f) = failure(kind, &e.data) {
                    return (completed, Some(f), i);
                }
            }
        }
    }
    (completed, None, events.len())
}

fuzz_target!(|input: Input| {
    let data = sse_stream(&input.stream);
    let whole = run(&[&data]);
    let chunked = run(&chunks(&data, &input.cuts));
    assert_eq!(
        (chunked.1, &chunked.2, chunked.3),
        (whole.1, &whole.2, whole.3),
        "chunking changed the outcome"
    );
    for (out, failure) in [(&whole.0, &whole.2), (&chunked.0, &chunked.2)] {
        match failure {
            None => assert!(
                *out == data,
                "a stream without failure was not passed through byte for byte"
            ),
            Some(f) => {
                assert!(
                    data.starts_with(out),
                    "forwarded bytes are not a prefix of the stream"
                );
                assert!(!f.message.is_empty());
            }
        }
    }
    assert_eq!(whole.3, !whole.1 && whole.2.is_none());
    let (completed, failed, before) = reference(&data);
    assert_eq!(
        (whole.1, &whole.2),
        (completed, &failed),
        "differs from the plain reading"
    );
    for parts in [vec![&data[..]], chunks(&data, &input.cuts)] {
        let (held, started) = run_with(&parts, holding());
        assert_eq!(
            (held.1, &held.2, held.3),
            (whole.1, &whole.2, whole.3),
            "holding changed the outcome"
        );
        if started || held.1 {
            assert_eq!(
                held.0, whole.0,
                "holding forwarded other bytes once output started"
            );
        } else {
            assert!(
                held.0.is_empty(),
                "holding forwarded bytes before any output"
            );
        }
    }
    if failed.is_some() {
        for out in [&whole.0, &chunked.0] {
            let events = parse(out);
            assert_eq!(
                events.len(),
                before,
                "not exactly the events before the failure came out"
            );
        }
    }
});

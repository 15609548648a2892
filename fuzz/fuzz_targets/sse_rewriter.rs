//! The stream pass-through: in any chunking, a stream without a failure event comes out
//! byte-identical; with one, what came out is a prefix of the stream; completion, failure and
//! "ended early" never depend on chunk boundaries.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::stream::{StreamFailure, StreamRewriter};
use opencode_chatgpt_wasm_fuzz::{chunks, sse_stream, Stream};

#[derive(Arbitrary, Debug)]
struct Input {
    stream: Stream,
    cuts: Vec<u8>,
}

fn run(parts: &[&[u8]]) -> (Vec<u8>, bool, Option<StreamFailure>, bool) {
    let mut r = StreamRewriter::new();
    let mut out = Vec::new();
    for part in parts {
        let forwarded = r.push(part).expect("inputs here are far below the event cap");
        out.extend(forwarded);
    }
    out.extend(r.finish());
    (out, r.completed(), r.failure().cloned(), r.ended_early())
}

fuzz_target!(|input: Input| {
    let data = sse_stream(&input.stream);
    let whole = run(&[&data]);
    let chunked = run(&chunks(&data, &input.cuts));
    assert_eq!((chunked.1, &chunked.2, chunked.3), (whole.1, &whole.2, whole.3), "chunking changed the outcome");
    for (out, failure) in [(&whole.0, &whole.2), (&chunked.0, &chunked.2)] {
        match failure {
            None => assert!(*out == data, "a stream without failure was not passed through byte for byte"),
            Some(f) => {
                assert!(data.starts_with(out), "forwarded bytes are not a prefix of the stream");
                assert!(!f.message.is_empty());
            }
        }
    }
    assert_eq!(whole.3, !whole.1 && whole.2.is_none());
});

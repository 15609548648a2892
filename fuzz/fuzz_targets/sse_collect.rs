//! SSE → one Responses JSON (for `stream:false` callers): the result never depends on chunk
//! boundaries, and a success is always valid JSON.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::stream::collector::{CollectError, SseCollector};
use opencode_chatgpt_wasm_fuzz::{chunks, is_json, sse_stream, Stream};

#[derive(Arbitrary, Debug)]
struct Input {
    stream: Stream,
    cuts: Vec<u8>,
}

fn collect(parts: &[&[u8]]) -> Result<String, CollectError> {
    let mut c = SseCollector::new();
    for part in parts {
        c.push(part)?;
    }
    c.finish()
}

fuzz_target!(|input: Input| {
    let data = sse_stream(&input.stream);
    let whole = collect(&[&data]);
    let chunked = collect(&chunks(&data, &input.cuts));
    assert_eq!(chunked, whole, "chunking changed the collected response");
    match &whole {
        Ok(json) => assert!(is_json(json), "not json: {json}"),
        Err(CollectError::Failed(f)) => assert!(!f.message.is_empty()),
        Err(CollectError::Incomplete) => {}
        Err(e @ (CollectError::TooLarge | CollectError::Sse(_))) => {
            panic!("unexpected {e:?} on a small stream")
        }
    }
});

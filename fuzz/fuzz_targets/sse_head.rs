//! The guard's shortcut for a long completion: `head_completes(head)` says yes only when the whole
//! event, `head` followed by any rest without a line break and then the blank line, is one
//! completion as the full parse reads it (`SseParser`, then `event_type`). Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::stream::rewriter::{event_type, head_completes};
use opencode_chatgpt_wasm::stream::sse::parse_events;

fuzz_target!(|data: &[u8]| {
    // First byte: where the head ends; the rest of the input, line breaks removed, is the rest.
    let Some((&at, event)) = data.split_first() else {
        return;
    };
    let at = (at as usize).min(event.len());
    let (head, rest) = event.split_at(at);
    if !head_completes(head) {
        return;
    }
    let mut whole = head.to_vec();
    whole.extend(rest.iter().filter(|&&b| b != b'\n' && b != b'\r'));
    whole.extend(b"\n\n");
    let events = parse_events(&whole);
    let types: Vec<&str> = events.iter().map(event_type).collect();
    assert_eq!(types, ["response.completed"]);
});

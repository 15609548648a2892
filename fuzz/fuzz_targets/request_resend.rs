//! The turn of a body (`x-codex-turn-state`) and the re-send without encrypted reasoning
//! (`invalid_encrypted_content`), on arbitrary bytes and on bodies the transform wrote: neither
//! panics; a body with reasoning dropped is valid JSON, keeps every other item byte for byte and in
//! order, has no encrypted reasoning left (a second drop finds nothing), and names the same turn
//! (read from the body, and as the transform names it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::request::resend::drop_encrypted_reasoning;
use opencode_chatgpt_wasm::request::transform::{transform, Options};
use opencode_chatgpt_wasm::request::turn::turn_of;
use opencode_chatgpt_wasm_fuzz::{is_json, CATALOG};
use serde_json::Value;

fn check(body: &str) {
    let turn = turn_of(body);
    let Some(out) = drop_encrypted_reasoning(body) else {
        return;
    };
    assert!(is_json(&out), "the re-sent body is not json");
    assert_eq!(
        drop_encrypted_reasoning(&out),
        None,
        "encrypted reasoning left"
    );
    // Same turn; it can only look like the turn's first request when the dropped reasoning was
    // all that followed the user's message.
    let after = turn_of(&out);
    assert_eq!(
        after.as_ref().map(|t| &t.key),
        turn.as_ref().map(|t| &t.key),
        "dropping reasoning changed the turn"
    );
    if let (Some(a), Some(b)) = (&after, &turn) {
        assert!(a.first || !b.first, "a first request stopped being one");
    }
    let items = |text: &str| -> Vec<Value> {
        let v: Value = serde_json::from_str(text).expect("json");
        v.get("input")
            .and_then(Value::as_array)
            .cloned()
            .expect("an input array")
    };
    let encrypted = |i: &Value| {
        i.get("type").and_then(Value::as_str) == Some("reasoning")
            && i.get("encrypted_content").is_some_and(|e| !e.is_null())
    };
    let kept: Vec<Value> = items(body).into_iter().filter(|i| !encrypted(i)).collect();
    assert_eq!(items(&out), kept, "other items changed");
}

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    check(&body);
    if let Ok(t) = transform(&body, &CATALOG, &Options::default()) {
        check(&t.body);
        // The transform's own naming of the turn (what JS uses) survives the drop too.
        if let Some(out) = drop_encrypted_reasoning(&t.body) {
            let again = transform(&out, &CATALOG, &Options::default()).expect("a body we wrote");
            let before =
                transform(&t.body, &CATALOG, &Options::default()).expect("a body we wrote");
            assert_eq!(
                again.turn.map(|t| t.key),
                before.turn.map(|t| t.key),
                "the transform names another turn after the drop"
            );
        }
    }
});

//! The request transform on arbitrary bytes: exactly the bodies that are JSON objects are
//! accepted, and every accepted body comes out as JSON satisfying the Codex invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::request::transform;
use opencode_chatgpt_wasm_fuzz::assert_codex_invariants;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    // JS hands the core strings, so invalid UTF-8 arrives replaced, as here.
    let body = String::from_utf8_lossy(data);
    let is_object = serde_json::from_str::<Value>(&body).is_ok_and(|v| v.is_object());
    match transform(&body) {
        Ok(out) => {
            assert!(is_object, "accepted a body that is not a json object");
            assert_codex_invariants(&out);
        }
        Err(e) => {
            assert!(!is_object, "refused a json object: {e}");
            assert!(e.to_string().ends_with("nothing was sent"), "{e}");
        }
    }
});

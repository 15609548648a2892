//! The request transform on arbitrary bytes: every JSON object whose `input` is an array, a
//! string or absent is accepted, everything else is a typed error of the right class, and every
//! accepted body comes out as JSON satisfying the Codex invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::request::transform::{transform, Options, RequestError};
use opencode_chatgpt_wasm_fuzz::{assert_codex_invariants, is_json, members, CATALOG};

fuzz_target!(|data: &[u8]| {
    // JS hands the core strings, so invalid UTF-8 arrives replaced, as here.
    let body = String::from_utf8_lossy(data);
    let json = is_json(&body);
    let object = json.then(|| members(&body)).flatten();
    match transform(&body, &CATALOG, &Options::default()) {
        Ok(out) => {
            assert!(
                object.is_some(),
                "accepted a body that is not a json object"
            );
            assert_codex_invariants(&out.body, out.lite);
        }
        Err(RequestError::NotJson { .. }) => assert!(!json, "refused valid json as not json"),
        Err(RequestError::NotObject) => assert!(
            json && object.is_none(),
            "refused a json object as not an object"
        ),
        Err(RequestError::BadInput) => {
            let input_kinds: Vec<u8> = object
                .expect("BadInput on a non-object")
                .iter()
                .filter(|(k, _)| k == b"input")
                .filter_map(|(_, v)| v.bytes().next())
                .collect();
            assert!(
                input_kinds.iter().any(|b| !matches!(b, b'[' | b'"' | b'n')),
                "BadInput with input kinds {input_kinds:?}"
            );
        }
        Err(e @ RequestError::Internal) => panic!("internal transform error: {e}"),
    }
});

//! The callback server's request target: any string is a decision or a typed error, and a
//! structured callback gets exactly the decision an independent reading of its query gives.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::auth::oauth::{
    parse_callback, percent_decode, percent_encode, Callback, OAuthError,
};
use opencode_chatgpt_wasm::CoreError as _;

const NAMES: &[&str] = &[
    "code",
    "state",
    "error",
    "error_description",
    "scope",
    "codes",
    "Code",
    "st%61te",
];
const PATHS: &[&str] = &[
    "/auth/callback",
    "/auth/callback/",
    "/cancel",
    "/favicon.ico",
    "/auth/callbackx",
    "",
];

#[derive(Arbitrary, Debug)]
enum Input {
    Raw {
        target: String,
        state: String,
    },
    Parts {
        prefix: bool,
        path: u8,
        params: Vec<(u8, String)>,
        state: String,
        use_state: Option<u8>,
        fragment: String,
    },
}

fuzz_target!(|input: Input| {
    match input {
        Input::Raw { target, state } => {
            assert_eq!(percent_decode(&percent_encode(&target)), target);
            match parse_callback(&target, &state) {
                Ok(Callback::Code(code)) => {
                    assert!(!code.is_empty() && !state.is_empty());
                    assert!(target.contains("/auth/callback"));
                }
                Ok(Callback::Cancel | Callback::NotFound) | Err(_) => {}
            }
        }
        Input::Parts {
            prefix,
            path,
            params,
            state,
            use_state,
            fragment,
        } => {
            let path = PATHS[usize::from(path) % PATHS.len()];
            let mut params: Vec<(String, String)> = params
                .into_iter()
                .map(|(n, v)| (NAMES[usize::from(n) % NAMES.len()].to_string(), v))
                .collect();
            if let Some(at) = use_state {
                let at = usize::from(at) % (params.len() + 1);
                params.insert(at, ("state".into(), state.clone()));
            }
            let query: Vec<String> = params
                .iter()
                .map(|(n, v)| format!("{n}={}", percent_encode(v)))
                .collect();
            let target = format!(
                "{}{path}?{}#{}",
                if prefix { "http://localhost:1455" } else { "" },
                query.join("&"),
                percent_encode(&fragment)
            );
            // The first value of each name; an empty one counts as absent.
            let first = |name: &str| {
                params
                    .iter()
                    .find(|(n, _)| percent_decode(n) == name)
                    .map(|(_, v)| v.as_str())
                    .filter(|v| !v.is_empty())
            };
            let got = parse_callback(&target, &state);
            match path.trim_end_matches('/') {
                "/auth/callback" => {
                    if state.is_empty() || first("state") != Some(state.as_str()) {
                        assert_eq!(got, Err(OAuthError::StateMismatch), "{target}");
                    } else if first("error").is_some() {
                        assert_eq!(
                            got.as_ref().map_err(|e| e.code()),
                            Err("access-denied"),
                            "{target}"
                        );
                    } else if let Some(code) = first("code") {
                        assert_eq!(got, Ok(Callback::Code(code.to_string())), "{target}");
                    } else {
                        assert_eq!(got, Err(OAuthError::MissingCode), "{target}");
                    }
                }
                "/cancel" => assert_eq!(got, Ok(Callback::Cancel)),
                _ => assert_eq!(got, Ok(Callback::NotFound)),
            }
        }
    }
});

//! The token endpoint's reply (code exchange and refresh): any status and body is a login or a
//! classified error; an error message never contains the refresh token the request used, even
//! when the server echoes it; a login always has both tokens and a JS-safe expiry.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::auth::token::MAX_SAFE_MS;
use opencode_chatgpt_wasm::auth::token_response::{parse_token_response, TokenError};
use opencode_chatgpt_wasm_fuzz::{object, token_like, Json, Key};
use serde_json::Value;

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(String),
    Json(Vec<(Key, Json)>),
    /// The server quotes the refresh token back (raw text, or inside an error description).
    Echo {
        before: String,
        after: String,
        in_json: bool,
        code: Json,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    status: u16,
    now_ms: i64,
    previous: Option<String>,
    body: Body,
}

fuzz_target!(|input: Input| {
    let Input {
        status,
        now_ms,
        previous,
        body,
    } = input;
    let body = match body {
        Body::Raw(s) => s,
        Body::Json(fields) => {
            object(fields.iter().map(|(k, v)| (k.name(), v.to_value()))).to_string()
        }
        Body::Echo {
            before,
            after,
            in_json,
            code,
        } => {
            let text = format!("{before}{}{after}", previous.as_deref().unwrap_or_default());
            if in_json {
                object([
                    ("error".into(), code.to_value()),
                    ("error_description".into(), Value::String(text)),
                ])
                .to_string()
            } else {
                text
            }
        }
    };
    let got = parse_token_response(status, &body, now_ms, previous.as_deref());
    match &got {
        Ok(login) => {
            assert!((200..300).contains(&status));
            assert!(!login.access.is_empty() && login.access.trim() == login.access);
            assert!(!login.refresh.is_empty() && login.refresh.trim() == login.refresh);
            assert!((-MAX_SAFE_MS..=MAX_SAFE_MS).contains(&login.expires_ms));
        }
        Err(e) => {
            match e {
                TokenError::BadResponse { status: s, .. } => {
                    assert!(*s == status && (200..300).contains(&status))
                }
                TokenError::Transient { status: s, .. } => assert!(*s == status && status != 401),
                TokenError::Permanent { .. } | TokenError::Reused { .. } => {
                    assert!(!(200..300).contains(&status));
                    // A refresh ends the login only on HTTP 401 (codex-rs); anything else is transient.
                    assert!(previous.is_none() || status == 401, "refresh failure {status} not transient");
                }
            }
            let message = e.to_string();
            if let Some(secret) = previous.as_deref().filter(|s| token_like(s)) {
                // The message's own wording (the error with its quoted detail emptied) may
                // contain a word-like "secret" such as `opencode`; that is not a leak.
                let wording = match e.clone() {
                    TokenError::Permanent { .. } => TokenError::Permanent {
                        detail: String::new(),
                    },
                    TokenError::Reused { .. } => TokenError::Reused {
                        detail: String::new(),
                    },
                    TokenError::Transient { status, .. } => TokenError::Transient {
                        status,
                        detail: String::new(),
                    },
                    bad @ TokenError::BadResponse { .. } => bad,
                };
                if !wording.to_string().contains(secret) {
                    assert!(!message.contains(secret), "{message}");
                }
            }
        }
    }
});

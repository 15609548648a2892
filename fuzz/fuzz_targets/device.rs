//! The device-code login: any user-code or poll reply is a decision or a typed error; intervals
//! are always clamped to 1–60 s; the poll delay never passes the interval or the 15 min deadline;
//! Debug output never shows the device id or codes.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::auth::device::{
    next_poll_delay, parse_poll, parse_user_code, DeviceError, Poll, TIMEOUT_MS,
};
use opencode_chatgpt_wasm_fuzz::{object, Json, Key};

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(String),
    Json(Vec<(Key, Json)>),
    /// A well-formed reply with arbitrary values.
    Reply {
        id: String,
        user_code: String,
        interval: Json,
        verifier: String,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    status: u16,
    body: Body,
    issuer: Option<String>,
    started_ms: i64,
    now_ms: i64,
    interval_ms: u64,
}

fuzz_target!(|input: Input| {
    let Input {
        status,
        body,
        issuer,
        started_ms,
        now_ms,
        interval_ms,
    } = input;
    let body = match body {
        Body::Raw(s) => s,
        Body::Json(fields) => {
            object(fields.iter().map(|(k, v)| (k.name(), v.to_value()))).to_string()
        }
        Body::Reply {
            id,
            user_code,
            interval,
            verifier,
        } => serde_json::json!({
            "device_auth_id": id, "user_code": user_code, "interval": interval.to_value(),
            "authorization_code": user_code, "code_verifier": verifier,
        })
        .to_string(),
    };
    let issuer = issuer.as_deref().unwrap_or("https://auth.openai.com");

    match parse_user_code(status, &body, issuer) {
        Ok(code) => {
            assert!((200..300).contains(&status));
            assert!(
                (1000..=60_000).contains(&code.interval_ms),
                "{}",
                code.interval_ms
            );
            assert!(!code.device_auth_id.is_empty() && !code.user_code.is_empty());
            // Only the interval and the public URL are printed: never the id or the user code.
            assert_eq!(
                format!("{code:?}"),
                format!(
                    "DeviceCode {{ interval_ms: {}, verification_url: {:?}, .. }}",
                    code.interval_ms, code.verification_url
                )
            );
        }
        Err(DeviceError::Unavailable) => assert_eq!(status, 404),
        Err(DeviceError::BadResponse { status: s, .. }) => {
            assert!(s == status && (200..300).contains(&status))
        }
        Err(DeviceError::Failed { status: s, .. }) => {
            assert!(s == status && !(200..300).contains(&status))
        }
        Err(DeviceError::Issuer(_)) => assert_ne!(issuer, "https://auth.openai.com"),
        Err(DeviceError::Expired) => panic!("parse_user_code never times out"),
    }

    match parse_poll(status, &body) {
        Ok(poll @ Poll::Code { .. }) => {
            assert!((200..300).contains(&status));
            assert_eq!(format!("{poll:?}"), "Code(<redacted>)");
        }
        Ok(Poll::Pending) => assert!(matches!(status, 0 | 403 | 404 | 429 | 500..=599)),
        Err(DeviceError::BadResponse { status: s, .. }) => {
            assert!(s == status && (200..300).contains(&status))
        }
        Err(DeviceError::Failed { status: s, .. }) => {
            assert!(s == status && !(200..300).contains(&status))
        }
        Err(e) => panic!("unexpected poll error {e:?}"),
    }

    let elapsed = i128::from(now_ms) - i128::from(started_ms);
    match next_poll_delay(started_ms, now_ms, interval_ms) {
        Ok(delay) => {
            assert!(elapsed < i128::from(TIMEOUT_MS));
            assert!(delay <= interval_ms);
            let remaining = i128::from(TIMEOUT_MS) - elapsed.max(0);
            assert_eq!(
                u128::from(delay),
                u128::from(interval_ms).min(remaining as u128)
            );
        }
        Err(DeviceError::Expired) => assert!(elapsed >= i128::from(TIMEOUT_MS)),
        Err(e) => panic!("unexpected delay error {e:?}"),
    }
});

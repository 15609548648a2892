//! The device-code (headless) login: reading the user-code reply, the poll body, what each poll
//! reply means, and how long to wait before the next poll. The caller sleeps and fetches; this
//! module only decides, from the `now_ms` it is given. Never prints the device id or the codes.

use serde_json::Value;

use crate::auth::oauth::{self, OAuthError};
use crate::auth::token_response::error_detail;
use crate::error::CoreError;

/// The user has this long to enter the code (codex-rs gives up after 15 minutes).
pub const TIMEOUT_MS: i64 = 15 * 60 * 1000;
/// Poll interval when the server names none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL_S: f64 = 5.0;
/// The server's interval is clamped into this range (seconds).
pub const MIN_INTERVAL_S: f64 = 1.0;
pub const MAX_INTERVAL_S: f64 = 60.0;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceError {
    /// The configured issuer is unusable.
    Issuer(OAuthError),
    /// The user-code endpoint answered 404: this server has no device login.
    Unavailable,
    /// A request failed (status 0 = network) or was refused.
    Failed { status: u16, detail: String },
    /// A 2xx reply we cannot use.
    BadResponse { status: u16, problem: &'static str },
    /// Nobody entered the code within [`TIMEOUT_MS`].
    Expired,
}

impl std::fmt::Display for DeviceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceError::Issuer(e) => e.fmt(f),
            DeviceError::Unavailable => f.write_str(
                "this sign-in server does not offer device-code login; use the browser login or paste the redirect URL instead",
            ),
            DeviceError::Failed { status: 0, .. } => {
                f.write_str("could not reach the ChatGPT sign-in server; check the network connection and try again")
            }
            DeviceError::Failed { status, detail } => write!(
                f,
                "device sign-in failed (status {status}: {detail}); run `opencode auth login` to try again"
            ),
            DeviceError::BadResponse { status, problem } => write!(
                f,
                "the ChatGPT sign-in server sent an unusable device-login reply (status {status}: {problem}); try again, or use the browser login"
            ),
            DeviceError::Expired => f.write_str(
                "the device code expired: nobody signed in within 15 minutes; run `opencode auth login` to get a new code",
            ),
        }
    }
}

impl CoreError for DeviceError {
    fn code(&self) -> &'static str {
        match self {
            DeviceError::Issuer(e) => e.code(),
            DeviceError::Unavailable => "device-unavailable",
            DeviceError::Failed { .. } => "device-failed",
            DeviceError::BadResponse { .. } => "device-bad-response",
            DeviceError::Expired => "device-expired",
        }
    }
}

/// What the user needs to see and what the poll loop needs to know.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCode {
    pub device_auth_id: String,
    /// Shown to the user, who types it at `verification_url`.
    pub user_code: String,
    pub interval_ms: u64,
    /// `{issuer}/codex/device`.
    pub verification_url: String,
    /// `{issuer}/deviceauth/callback`: the `redirect_uri` of the final code exchange.
    pub redirect_uri: String,
}

impl std::fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCode")
            .field("interval_ms", &self.interval_ms)
            .field("verification_url", &self.verification_url)
            .finish_non_exhaustive()
    }
}

fn non_empty<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn json_object(status: u16, body: &str) -> Result<Value, DeviceError> {
    serde_json::from_str::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or(DeviceError::BadResponse {
            status,
            problem: "the reply is not a json object",
        })
}

/// `{"client_id": …}`: the body of the user-code request.
pub fn user_code_body(client_id: Option<&str>) -> String {
    serde_json::json!({ "client_id": client_id.unwrap_or(oauth::CLIENT_ID) }).to_string()
}

/// Reads the user-code reply `{device_auth_id, user_code | usercode, interval}`; `interval` is
/// seconds as a string (or a number), default 5, clamped to 1..=60.
pub fn parse_user_code(status: u16, body: &str, issuer: &str) -> Result<DeviceCode, DeviceError> {
    let endpoints = oauth::endpoints(issuer).map_err(DeviceError::Issuer)?;
    match status {
        200..=299 => {}
        404 => return Err(DeviceError::Unavailable),
        _ => {
            return Err(DeviceError::Failed {
                status,
                detail: error_detail(body, &[]).1,
            })
        }
    }
    let json = json_object(status, body)?;
    let bad = |problem| DeviceError::BadResponse { status, problem };
    let device_auth_id = non_empty(&json, "device_auth_id").ok_or(bad("no device_auth_id"))?;
    let user_code = non_empty(&json, "user_code")
        .or_else(|| non_empty(&json, "usercode"))
        .ok_or(bad("no user_code"))?;
    let interval_s = match json.get("interval") {
        // Whole seconds ("5"): parsing integers keeps float parsing out of the wasm.
        Some(Value::String(s)) => s.trim().parse::<u64>().ok().map(|n| n as f64),
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    }
    .filter(|s| s.is_finite() && *s >= 0.0)
    .map_or(DEFAULT_INTERVAL_S, |s| {
        s.clamp(MIN_INTERVAL_S, MAX_INTERVAL_S)
    });
    Ok(DeviceCode {
        device_auth_id: device_auth_id.to_string(),
        user_code: user_code.to_string(),
        // In 1000..=60000 after the clamp: the cast is exact.
        interval_ms: (interval_s * 1000.0) as u64,
        verification_url: endpoints.device_verification,
        redirect_uri: endpoints.device_redirect_uri,
    })
}

/// `{"device_auth_id": …, "user_code": …}`: the body of every poll.
pub fn poll_body(device_auth_id: &str, user_code: &str) -> String {
    serde_json::json!({ "device_auth_id": device_auth_id, "user_code": user_code }).to_string()
}

/// What one poll reply means.
#[derive(Clone, PartialEq, Eq)]
pub enum Poll {
    /// Not signed in yet (403/404), or a transient failure (network = status 0, 429, 5xx): wait
    /// [`next_poll_delay`] and poll again; the deadline bounds the loop.
    Pending,
    /// Signed in: exchange `authorization_code` with `code_verifier` at the token endpoint, with
    /// [`DeviceCode::redirect_uri`].
    Code {
        authorization_code: String,
        code_verifier: String,
    },
}

impl std::fmt::Debug for Poll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Poll::Pending => "Pending",
            Poll::Code { .. } => "Code(<redacted>)",
        })
    }
}

pub fn parse_poll(status: u16, body: &str) -> Result<Poll, DeviceError> {
    match status {
        200..=299 => {
            let json = json_object(status, body)?;
            let bad = |problem| DeviceError::BadResponse { status, problem };
            let authorization_code =
                non_empty(&json, "authorization_code").ok_or(bad("no authorization_code"))?;
            let code_verifier = non_empty(&json, "code_verifier").ok_or(bad("no code_verifier"))?;
            Ok(Poll::Code {
                authorization_code: authorization_code.to_string(),
                code_verifier: code_verifier.to_string(),
            })
        }
        0 | 403 | 404 | 429 | 500..=599 => Ok(Poll::Pending),
        _ => Err(DeviceError::Failed {
            status,
            detail: error_detail(body, &[]).1,
        }),
    }
}

/// How long to wait before the next poll: the interval, cut short at the deadline; once
/// [`TIMEOUT_MS`] have passed since `started_ms`, [`DeviceError::Expired`].
pub fn next_poll_delay(started_ms: i64, now_ms: i64, interval_ms: u64) -> Result<u64, DeviceError> {
    let elapsed = now_ms.saturating_sub(started_ms).max(0);
    let remaining = TIMEOUT_MS.saturating_sub(elapsed);
    if remaining <= 0 {
        return Err(DeviceError::Expired);
    }
    // `remaining` is in 1..=TIMEOUT_MS here, so the conversion cannot fail.
    Ok(interval_ms.min(u64::try_from(remaining).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    const ISSUER: &str = "https://auth.openai.com";

    fn code(id: &str, user: &str, interval_ms: u64) -> DeviceCode {
        DeviceCode {
            device_auth_id: id.into(),
            user_code: user.into(),
            interval_ms,
            verification_url: "https://auth.openai.com/codex/device".into(),
            redirect_uri: "https://auth.openai.com/deviceauth/callback".into(),
        }
    }

    #[test]
    fn reads_the_user_code_reply_with_a_string_interval() {
        let body = r#"{"device_auth_id":"dev_1","user_code":"ABCD-1234","interval":"7"}"#;
        assert_eq!(
            parse_user_code(200, body, ISSUER),
            Ok(code("dev_1", "ABCD-1234", 7000))
        );
    }

    #[test]
    fn accepts_the_older_field_and_numeric_or_missing_intervals() {
        let body = r#"{"device_auth_id":"d","usercode":"U-1","interval":2.5}"#;
        assert_eq!(
            parse_user_code(200, body, ISSUER),
            Ok(code("d", "U-1", 2500))
        );
        for (interval, ms) in [
            ("", 5000),
            (r#","interval":"soon""#, 5000),
            (r#","interval":"0""#, 1000),
            (r#","interval":3600"#, 60_000),
            (r#","interval":-3"#, 5000),
        ] {
            let body = format!(r#"{{"device_auth_id":"d","user_code":"U"{interval}}}"#);
            assert_eq!(
                parse_user_code(200, &body, ISSUER).map(|c| c.interval_ms),
                Ok(ms),
                "{body}"
            );
        }
    }

    #[test]
    fn user_code_failures() {
        assert_eq!(
            parse_user_code(404, "", ISSUER),
            Err(DeviceError::Unavailable)
        );
        assert_eq!(
            parse_user_code(500, r#"{"error":"server_error"}"#, ISSUER),
            Err(DeviceError::Failed {
                status: 500,
                detail: "server_error".into()
            })
        );
        assert_eq!(
            parse_user_code(200, r#"{"user_code":"U"}"#, ISSUER),
            Err(DeviceError::BadResponse {
                status: 200,
                problem: "no device_auth_id"
            })
        );
        assert_eq!(
            parse_user_code(200, "<html>", ISSUER).unwrap_err().code(),
            "device-bad-response"
        );
        assert_eq!(
            parse_user_code(200, "{}", "nope").unwrap_err().code(),
            "bad-issuer"
        );
        assert!(parse_user_code(0, "", ISSUER)
            .unwrap_err()
            .to_string()
            .starts_with("could not reach"));
    }

    #[test]
    fn bodies() {
        assert_eq!(
            user_code_body(None),
            r#"{"client_id":"app_EMoamEEZ73f0CkXaXp7hrann"}"#
        );
        assert_eq!(
            poll_body("dev_1", "AB-12"),
            r#"{"device_auth_id":"dev_1","user_code":"AB-12"}"#
        );
    }

    #[test]
    fn poll_replies() {
        let ok = r#"{"authorization_code":"ac_1","code_challenge":"ch","code_verifier":"ver_1"}"#;
        assert_eq!(
            parse_poll(200, ok),
            Ok(Poll::Code {
                authorization_code: "ac_1".into(),
                code_verifier: "ver_1".into()
            })
        );
        for status in [0, 403, 404, 429, 502] {
            assert_eq!(
                parse_poll(status, "whatever"),
                Ok(Poll::Pending),
                "{status}"
            );
        }
        assert_eq!(
            parse_poll(400, r#"{"error":{"message":"device code expired"}}"#),
            Err(DeviceError::Failed {
                status: 400,
                detail: "device code expired".into()
            })
        );
        assert_eq!(
            parse_poll(200, r#"{"authorization_code":"ac_1"}"#),
            Err(DeviceError::BadResponse {
                status: 200,
                problem: "no code_verifier"
            })
        );
        assert!(!format!("{:?}", parse_poll(200, ok)).contains("ac_1"));
        assert!(!format!(
            "{:?}",
            parse_user_code(
                200,
                r#"{"device_auth_id":"dev_secret","user_code":"U"}"#,
                ISSUER
            )
        )
        .contains("dev_secret"));
    }

    #[test]
    fn the_deadline_is_fifteen_minutes_from_the_start() {
        let start = 1_000_000;
        assert_eq!(next_poll_delay(start, start, 5000), Ok(5000));
        assert_eq!(
            next_poll_delay(start, start + TIMEOUT_MS - 2000, 5000),
            Ok(2000)
        );
        assert_eq!(
            next_poll_delay(start, start + TIMEOUT_MS, 5000),
            Err(DeviceError::Expired)
        );
        assert_eq!(
            next_poll_delay(start, start - 10, 5000),
            Ok(5000),
            "a clock going back is not a timeout"
        );
        assert_eq!(
            next_poll_delay(i64::MIN, i64::MAX, 5000),
            Err(DeviceError::Expired)
        );
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn never_panics(status in any::<u16>(), body in any::<String>(), issuer in any::<String>(), a in any::<i64>(), b in any::<i64>(), i in any::<u64>()) {
            let _ = parse_user_code(status, &body, &issuer);
            let _ = parse_user_code(status, &body, ISSUER);
            let _ = parse_poll(status, &body);
            if let Ok(delay) = next_poll_delay(a, b, i) {
                prop_assert!(delay <= i && i64::try_from(delay).is_ok_and(|d| d <= TIMEOUT_MS));
            }
        }

        #[test]
        fn intervals_are_always_clamped(interval in any::<f64>()) {
            let body = format!(r#"{{"device_auth_id":"d","user_code":"U","interval":"{interval}"}}"#);
            let ms = parse_user_code(200, &body, ISSUER).map(|c| c.interval_ms);
            prop_assert!(ms.is_ok_and(|ms| (1000..=60_000).contains(&ms)));
        }
    }
}

//! Reading the token endpoint's reply (code exchange and refresh alike): a [`Login`], or an error
//! classified the way the caller must act on it (sign in again / re-read the store / retry).
//! Never echoes a token: server text is flattened, redacted and truncated before it is shown.

use serde_json::Value;

use crate::auth::oauth::clean_text;
use crate::auth::redact;
use crate::auth::token::Login;
use crate::error::CoreError;

/// Longest piece of server text an error message quotes.
const DETAIL_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The credentials are dead: for a refresh, HTTP 401 (any code but `refresh_token_reused`);
    /// for a code exchange, also `refresh_token_expired|invalidated|revoked` or `invalid_grant`
    /// with any status. The user must sign in again.
    Permanent { detail: String },
    /// `refresh_token_reused` (for a refresh: with HTTP 401): usually another process refreshed first. Re-read the stored login
    /// before treating it as permanent.
    Reused { detail: String },
    /// Network failure (status 0), 429, 5xx, any non-401 refresh failure, or an error we do not
    /// know: keep the login, retry later.
    Transient { status: u16, detail: String },
    /// A 2xx reply we cannot use (not JSON, no access token, …).
    BadResponse { status: u16, problem: &'static str },
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Permanent { detail } => {
                write!(f, "ChatGPT rejected the sign-in credentials ({detail}); run `opencode auth login` to sign in again")
            }
            TokenError::Reused { detail } => write!(
                f,
                "the ChatGPT refresh token was already used, most likely by another OpenCode window ({detail}); run `opencode auth login` if this keeps happening"
            ),
            TokenError::Transient { status: 0, .. } => {
                f.write_str("could not reach the ChatGPT sign-in server; check the network connection and try again")
            }
            TokenError::Transient { status, detail } => write!(
                f,
                "the ChatGPT sign-in server failed for now (status {status}: {detail}); try again in a moment"
            ),
            TokenError::BadResponse { status, problem } => write!(
                f,
                "the ChatGPT sign-in server sent an unusable reply (status {status}: {problem}); try again, and report this if it keeps happening"
            ),
        }
    }
}

impl CoreError for TokenError {
    fn code(&self) -> &'static str {
        match self {
            TokenError::Permanent { .. } => "refresh-permanent",
            TokenError::Reused { .. } => "refresh-reused",
            TokenError::Transient { .. } => "token-transient",
            TokenError::BadResponse { .. } => "token-bad-response",
        }
    }
}

/// A non-empty string field.
fn text_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Reads a token response. `status` 0 stands for "fetch failed" (a transient network error).
/// `previous_refresh` is the refresh token the request used: a refresh reply without a new one
/// keeps it (refresh tokens usually, but not always, rotate), and it is redacted from any message.
pub fn parse_token_response(
    status: u16,
    body: &str,
    now_ms: i64,
    previous_refresh: Option<&str>,
) -> Result<Login, TokenError> {
    if !(200..300).contains(&status) {
        let (code, detail) = error_detail(body, &previous_refresh.into_iter().collect::<Vec<_>>());
        let code = code.map(|c| c.to_ascii_lowercase());
        if previous_refresh.is_some() {
            // A refresh (codex-rs): only a 401 ends the login; any other status is transient,
            // whatever its code says (a proxy or a hiccup must not make the user sign in again).
            return Err(match (status, code.as_deref()) {
                (401, Some("refresh_token_reused")) => TokenError::Reused { detail },
                (401, _) => TokenError::Permanent { detail },
                _ => TokenError::Transient { status, detail },
            });
        }
        return Err(match code.as_deref() {
            Some("refresh_token_reused") => TokenError::Reused { detail },
            Some(
                "refresh_token_expired"
                | "refresh_token_invalidated"
                | "refresh_token_revoked"
                | "invalid_grant",
            ) => TokenError::Permanent { detail },
            // codex-rs: a 401 from the token endpoint is permanent whatever its code.
            _ if status == 401 => TokenError::Permanent { detail },
            _ => TokenError::Transient { status, detail },
        });
    }
    let bad = |problem| TokenError::BadResponse { status, problem };
    let json = serde_json::from_str::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or(bad("the reply is not a json object"))?;
    let access = text_field(&json, "access_token").ok_or(bad("no access_token"))?;
    let refresh = text_field(&json, "refresh_token")
        .or(previous_refresh.map(str::trim).filter(|s| !s.is_empty()))
        .ok_or(bad("no refresh_token"))?;
    let expires_in = match json.get("expires_in") {
        Some(Value::Number(n)) => n.as_f64(),
        // Whole seconds: parsing integers keeps float parsing out of the wasm.
        Some(Value::String(s)) => s.trim().parse::<u64>().ok().map(|n| n as f64),
        _ => None,
    };
    Ok(Login::from_tokens(
        access.to_string(),
        refresh.to_string(),
        text_field(&json, "id_token").map(String::from),
        expires_in,
        now_ms,
    ))
}

/// The error code of an error reply and a detail safe to show (flattened, redacted of `secrets`
/// and of credential-looking text, truncated). Code: `error` (a string), else `error.code`, else
/// `code`. Message: `error_description`, else `error.message`, else `message`. A body that is
/// not JSON is quoted briefly (an HTML page is only named).
pub(crate) fn error_detail(body: &str, secrets: &[&str]) -> (Option<String>, String) {
    let json = serde_json::from_str::<Value>(body)
        .ok()
        .filter(Value::is_object);
    let (code, message) = match &json {
        Some(v) => {
            let error = v.get("error");
            let code = error
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .or_else(|| error.and_then(|e| text_field(e, "code")))
                .or_else(|| text_field(v, "code"));
            let message = text_field(v, "error_description")
                .or_else(|| error.and_then(|e| text_field(e, "message")))
                .or_else(|| text_field(v, "message"));
            (code, message)
        }
        None => (None, None),
    };
    let detail = match (code, message) {
        (Some(c), Some(m)) if !m.eq_ignore_ascii_case(c) => format!("{c}: {m}"),
        (Some(c), _) => c.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) if json.is_some() => "no error details".to_string(),
        (None, None) => match body.trim() {
            "" => "empty reply".to_string(),
            t if t.starts_with('<') => "an HTML page".to_string(),
            t => t.to_string(),
        },
    };
    let detail = clean_text(&redact::redact(&detail, secrets), DETAIL_CHARS);
    (code.map(|c| clean_text(c, 60)), detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::make_test_token;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    const NOW: i64 = 1_800_000_000_000;

    fn claims(account: &str, plan: &str, exp: i64) -> String {
        make_test_token(&format!(
            r#"{{"exp":{exp},"https://api.openai.com/auth":{{"chatgpt_account_id":"{account}","chatgpt_plan_type":"{plan}"}},"https://api.openai.com/profile":{{"email":"u@example.com"}}}}"#
        ))
    }

    #[test]
    fn a_code_exchange_reply_becomes_a_login() {
        let access = claims("acc-access", "plus", 1_900_000_000);
        let id = claims("acc-id", "pro", 1);
        let body = format!(
            r#"{{"access_token":"{access}","refresh_token":"rt_1","id_token":"{id}","expires_in":864000}}"#
        );
        assert_eq!(
            parse_token_response(200, &body, NOW, None),
            Ok(Login {
                access,
                refresh: "rt_1".into(),
                id_token: Some(id),
                expires_ms: NOW + 864_000_000,
                account_id: Some("acc-id".into()),
                plan_type: Some("pro".into()),
                email: Some("u@example.com".into()),
            })
        );
    }

    #[test]
    fn a_refresh_reply_without_a_new_refresh_token_keeps_the_old_one() {
        let access = claims("acc", "plus", 1_900_000_000);
        let body = format!(r#"{{"access_token":"{access}","expires_in":"3600"}}"#);
        let login = parse_token_response(200, &body, NOW, Some("rt_old")).unwrap();
        assert_eq!(
            (login.refresh.as_str(), login.expires_ms, login.id_token),
            ("rt_old", NOW + 3_600_000, None)
        );
        // No expires_in: the access token's exp.
        let body = format!(r#"{{"access_token":"{access}","refresh_token":"rt_new"}}"#);
        let login = parse_token_response(200, &body, NOW, Some("rt_old")).unwrap();
        assert_eq!(
            (login.refresh.as_str(), login.expires_ms),
            ("rt_new", 1_900_000_000_000)
        );
    }

    #[test]
    fn unusable_success_replies_are_bad_responses() {
        let cases = [
            ("not json", "the reply is not a json object"),
            ("[]", "the reply is not a json object"),
            (r#"{"refresh_token":"r"}"#, "no access_token"),
            (
                r#"{"access_token":"  ","refresh_token":"r"}"#,
                "no access_token",
            ),
            (r#"{"access_token":"a"}"#, "no refresh_token"),
        ];
        for (body, problem) in cases {
            assert_eq!(
                parse_token_response(200, body, NOW, None),
                Err(TokenError::BadResponse {
                    status: 200,
                    problem
                }),
                "{body}"
            );
        }
    }

    #[test]
    fn permanent_failures() {
        let expired = r#"{"error":{"code":"refresh_token_expired","message":"Your refresh token has expired."}}"#;
        assert_eq!(
            parse_token_response(400, expired, NOW, None),
            Err(TokenError::Permanent {
                detail: "refresh_token_expired: Your refresh token has expired.".into()
            })
        );
        let grant = r#"{"error":"invalid_grant","error_description":"Invalid authorization code"}"#;
        assert_eq!(
            parse_token_response(400, grant, NOW, None),
            Err(TokenError::Permanent {
                detail: "invalid_grant: Invalid authorization code".into()
            })
        );
        let invalidated = r#"{"error":{"code":"refresh_token_invalidated"}}"#;
        assert_eq!(
            parse_token_response(400, invalidated, NOW, None)
                .unwrap_err()
                .code(),
            "refresh-permanent"
        );
        let unknown_401 = r#"{"error":{"message":"Unauthorized"}}"#;
        assert_eq!(
            parse_token_response(401, unknown_401, NOW, None),
            Err(TokenError::Permanent {
                detail: "Unauthorized".into()
            })
        );
        assert!(parse_token_response(401, "", NOW, None)
            .unwrap_err()
            .to_string()
            .contains("opencode auth login"));
    }

    #[test]
    fn reused_is_its_own_class() {
        let reused = r#"{"error":{"code":"refresh_token_reused","message":"Your refresh token has already been used"}}"#;
        let err = parse_token_response(401, reused, NOW, None).unwrap_err();
        assert_eq!(
            err,
            TokenError::Reused {
                detail: "refresh_token_reused: Your refresh token has already been used".into()
            }
        );
        assert_eq!(err.code(), "refresh-reused");
        assert_eq!(
            parse_token_response(400, r#"{"code":"REFRESH_TOKEN_REUSED"}"#, NOW, None)
                .unwrap_err()
                .code(),
            "refresh-reused"
        );
    }

    #[test]
    fn a_refresh_fails_for_good_only_on_401() {
        // codex-rs: a refresh reply is permanent only with HTTP 401; any other status is transient,
        // whatever its code says (a proxy's 400 or 403 must not end a login).
        let prev = Some("rt_prev");
        let body = |code: &str| format!(r#"{{"error":{{"code":"{code}"}}}}"#);
        for status in [400, 403, 404, 409, 429, 500, 503] {
            for code in [
                "refresh_token_expired",
                "refresh_token_reused",
                "refresh_token_invalidated",
                "invalid_grant",
            ] {
                assert_eq!(
                    parse_token_response(status, &body(code), NOW, prev),
                    Err(TokenError::Transient {
                        status,
                        detail: code.into()
                    }),
                    "{status} {code}"
                );
            }
        }
        for code in [
            "refresh_token_expired",
            "refresh_token_invalidated",
            "refresh_token_revoked",
            "something_else",
        ] {
            assert_eq!(
                parse_token_response(401, &body(code), NOW, prev),
                Err(TokenError::Permanent {
                    detail: code.into()
                }),
                "401 {code}"
            );
        }
        assert_eq!(
            parse_token_response(401, &body("refresh_token_reused"), NOW, prev),
            Err(TokenError::Reused {
                detail: "refresh_token_reused".into()
            })
        );
        // A code exchange (no previous refresh token) keeps its own rule: invalid_grant ends the login attempt.
        assert_eq!(
            parse_token_response(400, &body("invalid_grant"), NOW, None)
                .unwrap_err()
                .code(),
            "refresh-permanent"
        );
    }

    #[test]
    fn transient_failures() {
        assert_eq!(
            parse_token_response(503, "<html><body>upstream down</body></html>", NOW, None),
            Err(TokenError::Transient {
                status: 503,
                detail: "an HTML page".into()
            })
        );
        assert_eq!(
            parse_token_response(502, "Bad\ngateway", NOW, None),
            Err(TokenError::Transient {
                status: 502,
                detail: "Bad gateway".into()
            })
        );
        assert_eq!(
            parse_token_response(429, r#"{"message":"slow down"}"#, NOW, None),
            Err(TokenError::Transient {
                status: 429,
                detail: "slow down".into()
            })
        );
        assert_eq!(
            parse_token_response(400, r#"{"error":"invalid_request"}"#, NOW, None),
            Err(TokenError::Transient {
                status: 400,
                detail: "invalid_request".into()
            })
        );
        assert_eq!(
            parse_token_response(500, "{}", NOW, None),
            Err(TokenError::Transient {
                status: 500,
                detail: "no error details".into()
            })
        );
        assert_eq!(
            parse_token_response(0, "", NOW, None).unwrap_err().to_string(),
            "could not reach the ChatGPT sign-in server; check the network connection and try again"
        );
    }

    #[test]
    fn error_messages_never_echo_tokens() {
        let jwt = claims("a", "b", 1);
        let body = format!(
            r#"{{"error":"server_error","error_description":"bad token {jwt} for rt_secret_value_1 refresh_token=zzz"}}"#
        );
        let msg = parse_token_response(500, &body, NOW, Some("rt_secret_value_1"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "the ChatGPT sign-in server failed for now (status 500: server_error: bad token [redacted] for [redacted] refresh_token=[redacted]); try again in a moment"
        );
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn never_panics(status in any::<u16>(), body in any::<String>(), now in any::<i64>(), prev in any::<Option<String>>()) {
            let _ = parse_token_response(status, &body, now, prev.as_deref());
        }

        #[test]
        fn never_panics_on_json_shaped_bodies(
            status in prop_oneof![Just(200u16), Just(400), Just(401), Just(500)],
            access in any::<String>(),
            expires in prop_oneof![any::<f64>().prop_map(|f| f.to_string()), any::<i64>().prop_map(|i| i.to_string()), Just("\"x\"".to_string())],
            error in any::<String>(),
        ) {
            let (access, error) = (Value::String(access), Value::String(error));
            let body = format!(r#"{{"access_token":{access},"refresh_token":"r","expires_in":{expires},"error":{{"code":{error}}}}}"#);
            let _ = parse_token_response(status, &body, 0, None);
        }

        #[test]
        fn the_previous_refresh_token_is_never_echoed(
            status in 300u16..600, text in any::<String>(), secret in "[A-Za-z0-9_-]{12,40}",
        ) {
            let body = format!("{text}{secret}{text}");
            let msg = parse_token_response(status, &body, 0, Some(&secret)).unwrap_err().to_string();
            prop_assert!(!msg.contains(&secret), "{}", msg);
        }
    }
}

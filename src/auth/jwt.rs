//! Decoding the claims of a ChatGPT access/id token (payload only: the signature is the issuer's
//! business, we only route with these claims). Never returns or prints the token itself.

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::Value;

use crate::error::CoreError;
use crate::json;

/// The claims the plugin uses, flattened out of the JWT's nested objects. JS sees them as
/// [`Claims::to_json`] writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// `https://api.openai.com/auth`.`chatgpt_account_id`: sent as `ChatGPT-Account-Id`.
    pub account_id: Option<String>,
    /// `chatgpt_plan_type` (plus, pro, team, …).
    pub plan_type: Option<String>,
    pub user_id: Option<String>,
    /// top-level `email`, else `https://api.openai.com/profile`.`email`.
    pub email: Option<String>,
    /// `exp`, seconds since the epoch.
    pub expires_at_s: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Not three dot-separated parts.
    Malformed,
    /// The payload is not base64url.
    BadBase64,
    /// The payload is not a JSON object.
    BadJson,
}

impl std::fmt::Display for JwtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JwtError::Malformed => "token is not a jwt (expected three dot-separated parts)",
            JwtError::BadBase64 => "token payload is not valid base64url",
            JwtError::BadJson => "token payload is not a json object",
        })
    }
}

impl CoreError for JwtError {
    fn code(&self) -> &'static str {
        match self {
            JwtError::Malformed => "jwt-malformed",
            JwtError::BadBase64 => "jwt-bad-base64",
            JwtError::BadJson => "jwt-bad-json",
        }
    }
}

impl Claims {
    /// `{accountId, planType, userId, email, expiresAtS}`, absent claims `null` (the field names
    /// and order `decodeJwt` has always returned).
    pub fn to_json(&self) -> String {
        json::object(|o| {
            o.opt_str("accountId", self.account_id.as_deref())
                .opt_str("planType", self.plan_type.as_deref())
                .opt_str("userId", self.user_id.as_deref())
                .opt_str("email", self.email.as_deref());
            match self.expires_at_s {
                Some(s) => o.i64("expiresAtS", s),
                None => o.null("expiresAtS"),
            };
        })
    }
}

/// `claim`.`key` when `claim` is an object. The namespaced claims are read loosely: a mistyped
/// one (a string where an object belongs) must not cost the others, e.g. the account id.
fn nested<'a>(claim: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    claim.and_then(|c| c.get(key))
}

/// Only non-empty strings count; claims of another type are treated as absent.
fn string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Decodes the payload of `token` into [`Claims`].
pub fn decode(token: &str) -> Result<Claims, JwtError> {
    let mut parts = token.trim().split('.');
    let (Some(_header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(payload))
        .map_err(|_| JwtError::BadBase64)?;
    // Text first, then the one JSON parser the core links (bytes that are not UTF-8 are not JSON
    // either: serde_json's slice reader refused them too).
    let text = std::str::from_utf8(&bytes).map_err(|_| JwtError::BadJson)?;
    let value = json::parse(text).map_err(|_| JwtError::BadJson)?;
    if !value.is_object() {
        return Err(JwtError::BadJson);
    }
    let auth = value.get("https://api.openai.com/auth");
    let exp = match value.get("exp") {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        _ => None,
    };
    Ok(Claims {
        account_id: string(nested(auth, "chatgpt_account_id")),
        plan_type: string(nested(auth, "chatgpt_plan_type")),
        user_id: string(nested(auth, "chatgpt_user_id")),
        email: string(value.get("email"))
            .or_else(|| string(nested(value.get("https://api.openai.com/profile"), "email"))),
        expires_at_s: exp,
    })
}

#[cfg(test)]
pub(crate) fn make_test_token(payload: &str) -> String {
    format!(
        "eyJhbGciOiJub25lIn0.{}.c2ln",
        URL_SAFE_NO_PAD.encode(payload)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_nested_auth_claims() {
        let t = make_test_token(
            r#"{"exp":1900000000,"https://api.openai.com/auth":{"chatgpt_account_id":"acc-123","chatgpt_plan_type":"plus","chatgpt_user_id":"u1"},"https://api.openai.com/profile":{"email":"a@b.c"}}"#,
        );
        assert_eq!(
            decode(&t).unwrap(),
            Claims {
                account_id: Some("acc-123".into()),
                plan_type: Some("plus".into()),
                user_id: Some("u1".into()),
                email: Some("a@b.c".into()),
                expires_at_s: Some(1_900_000_000),
            }
        );
    }

    #[test]
    fn missing_or_mistyped_claims_are_absent_not_errors() {
        let t = make_test_token(
            r#"{"exp":"soon","https://api.openai.com/auth":{"chatgpt_account_id":42}}"#,
        );
        assert_eq!(decode(&t).unwrap(), Claims::default());
    }

    #[test]
    fn a_mistyped_namespace_claim_does_not_cost_the_others() {
        // Found by fuzz/fuzz_targets/jwt_decode.rs: `"…/profile": false` made the whole token
        // undecodable, losing the account id the requests are routed with.
        let t = make_test_token(
            r#"{"https://api.openai.com/profile":false,"https://api.openai.com/auth":{"chatgpt_account_id":"acc-1"}}"#,
        );
        assert_eq!(
            decode(&t),
            Ok(Claims {
                account_id: Some("acc-1".into()),
                ..Claims::default()
            })
        );
        let t = make_test_token(r#"{"email":"a@b.c","https://api.openai.com/auth":"acc-2"}"#);
        assert_eq!(
            decode(&t),
            Ok(Claims {
                email: Some("a@b.c".into()),
                ..Claims::default()
            })
        );
    }

    #[test]
    fn claims_are_written_with_the_field_names_and_order_js_reads() {
        let full = Claims {
            account_id: Some("acc-\"1".into()),
            plan_type: Some("plus".into()),
            user_id: Some("u1".into()),
            email: Some("a@b.c".into()),
            expires_at_s: Some(-1_900_000_000),
        };
        assert_eq!(
            full.to_json(),
            r#"{"accountId":"acc-\"1","planType":"plus","userId":"u1","email":"a@b.c","expiresAtS":-1900000000}"#
        );
        assert_eq!(
            Claims::default().to_json(),
            r#"{"accountId":null,"planType":null,"userId":null,"email":null,"expiresAtS":null}"#
        );
    }

    #[test]
    fn a_payload_that_is_not_utf8_is_bad_json() {
        assert_eq!(
            decode(&format!(
                "a.{}.c",
                URL_SAFE_NO_PAD.encode(b"{\"email\":\"\xff\"}")
            )),
            Err(JwtError::BadJson)
        );
    }

    #[test]
    fn garbage_is_a_typed_error() {
        assert_eq!(decode("abc"), Err(JwtError::Malformed));
        assert_eq!(decode("a.b.c.d"), Err(JwtError::Malformed));
        assert_eq!(decode("a.!!!.c"), Err(JwtError::BadBase64));
        assert_eq!(
            decode(&format!("a.{}.c", URL_SAFE_NO_PAD.encode("[1]"))),
            Err(JwtError::BadJson)
        );
    }
}

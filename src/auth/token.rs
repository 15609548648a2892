//! The stored ChatGPT login and the decisions about it: where its expiry and account id come
//! from, when it needs a refresh, whether another process already refreshed it, what to do on a
//! 401. Pure: the caller passes `now_ms`; nothing here reads files, takes locks or prints tokens.

use crate::auth::jwt;
use crate::json;

/// Refresh this long before the access token expires (the community plugins' margin).
pub const REFRESH_MARGIN_MS: i64 = 5 * 60 * 1000;

/// Lifetime assumed when neither `expires_in` nor the access token's `exp` says anything.
pub const DEFAULT_LIFETIME_MS: i64 = 60 * 60 * 1000;

/// Expiries are clamped to ±(2^53 - 1) ms so JS numbers hold them exactly.
pub const MAX_SAFE_MS: i64 = (1 << 53) - 1;

/// A ChatGPT login as OpenCode stores it (`type: "oauth"`), plus the claims the plugin routes with.
/// JS receives it as [`Login::to_json`] writes it.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub access: String,
    pub refresh: String,
    pub id_token: Option<String>,
    /// When the access token expires, ms since the epoch (`expires` in JSON).
    pub expires_ms: i64,
    /// `chatgpt_account_id`, sent as `ChatGPT-Account-Id`.
    pub account_id: Option<String>,
    pub plan_type: Option<String>,
    pub email: Option<String>,
}

impl std::fmt::Debug for Login {
    // Tokens are secrets: Debug shows only what is safe to log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("access", &"<redacted>")
            .field("refresh", &"<redacted>")
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .field("expires_ms", &self.expires_ms)
            .field("account_id", &self.account_id)
            .field("plan_type", &self.plan_type)
            .field("email", &self.email)
            .finish()
    }
}

impl Login {
    /// `{access, refresh, idToken, expires, accountId, planType, email}`, absent values `null`
    /// (what `parseTokenResponse` has always returned, in this order).
    pub fn to_json(&self) -> String {
        json::object(|o| {
            o.str("access", &self.access)
                .str("refresh", &self.refresh)
                .opt_str("idToken", self.id_token.as_deref())
                .i64("expires", self.expires_ms)
                .opt_str("accountId", self.account_id.as_deref())
                .opt_str("planType", self.plan_type.as_deref())
                .opt_str("email", self.email.as_deref());
        })
    }

    /// Builds a login from a token response. Expiry: `expires_in` (seconds, if positive), else the
    /// access token's `exp`, else `now + 1 h`. Account id, plan and email: the id token's claims,
    /// else the access token's.
    pub fn from_tokens(
        access: String,
        refresh: String,
        id_token: Option<String>,
        expires_in_s: Option<f64>,
        now_ms: i64,
    ) -> Login {
        let access_claims = jwt::decode(&access).unwrap_or_default();
        let id_claims = id_token
            .as_deref()
            .and_then(|t| jwt::decode(t).ok())
            .unwrap_or_default();
        let expires_ms = match expires_in_s.filter(|s| s.is_finite() && *s > 0.0) {
            // Float-to-int casts saturate, and the sum is saturating: no overflow on any input.
            Some(seconds) => now_ms.saturating_add((seconds * 1000.0) as i64),
            None => {
                jwt_expiry_ms(&access_claims).unwrap_or(now_ms.saturating_add(DEFAULT_LIFETIME_MS))
            }
        }
        .clamp(-MAX_SAFE_MS, MAX_SAFE_MS);
        Login {
            access,
            refresh,
            id_token,
            expires_ms,
            account_id: id_claims.account_id.or(access_claims.account_id),
            plan_type: id_claims.plan_type.or(access_claims.plan_type),
            email: id_claims.email.or(access_claims.email),
        }
    }

    /// The view [`needs_refresh`] and [`refresh_decision`] work on.
    pub fn state(&self) -> LoginState<'_> {
        LoginState {
            access: &self.access,
            refresh: &self.refresh,
            expires_ms: Some(self.expires_ms),
        }
    }
}

fn jwt_expiry_ms(claims: &jwt::Claims) -> Option<i64> {
    claims.expires_at_s.map(|s| s.saturating_mul(1000))
}

/// The parts of a stored login the refresh decisions read (OpenCode's `{access, refresh, expires}`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LoginState<'a> {
    pub access: &'a str,
    pub refresh: &'a str,
    /// ms since the epoch; `None` (or not positive) when the store has no usable value.
    pub expires_ms: Option<i64>,
}

impl std::fmt::Debug for LoginState<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginState")
            .field("expires_ms", &self.expires_ms)
            .finish_non_exhaustive()
    }
}

/// When `access` expires: the stored `expires` if positive, else the token's JWT `exp`.
pub fn expiry_ms(access: &str, expires_ms: Option<i64>) -> Option<i64> {
    expires_ms
        .filter(|&e| e > 0)
        .or_else(|| jwt::decode(access).ok().as_ref().and_then(jwt_expiry_ms))
}

/// True when the access token expires within `margin_ms` of `now_ms` (or its expiry is unknown:
/// a refresh is then the only way to learn it).
pub fn needs_refresh(access: &str, expires_ms: Option<i64>, now_ms: i64, margin_ms: i64) -> bool {
    match expiry_ms(access, expires_ms) {
        Some(expiry) => now_ms.saturating_add(margin_ms.max(0)) >= expiry,
        None => true,
    }
}

/// What to do once the cross-process lock is held and the stored login was re-read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Another process already refreshed: the stored login differs from ours and is fresh. Use it.
    UseStored,
    /// Refresh now, with the **stored** login's refresh token (the newest; ours may be rotated
    /// out), or with ours when nothing is stored.
    Refresh,
}

/// Call only when a refresh is wanted (proactive: [`needs_refresh`]; or after a 401). `held` is
/// the login this process used; `stored` what the store holds now, read under the lock.
pub fn refresh_decision(
    held: LoginState<'_>,
    stored: Option<LoginState<'_>>,
    now_ms: i64,
    margin_ms: i64,
) -> RefreshDecision {
    match stored {
        Some(s)
            if !s.access.is_empty()
                && !s.refresh.is_empty()
                && (s.access != held.access || s.refresh != held.refresh)
                && !needs_refresh(s.access, s.expires_ms, now_ms, margin_ms) =>
        {
            RefreshDecision::UseStored
        }
        _ => RefreshDecision::Refresh,
    }
}

/// What to do when the backend answers 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthorizedAction {
    /// First 401 for this request: refresh (through [`refresh_decision`]) and retry once.
    RefreshAndRetry,
    /// The retried request was refused too: stop and tell the user (the Display text).
    Fail,
}

impl std::fmt::Display for UnauthorizedAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnauthorizedAction::RefreshAndRetry => "the ChatGPT login was refused; refreshing it and retrying once",
            UnauthorizedAction::Fail => {
                "ChatGPT refused the login even after a refresh; run `opencode auth login` to sign in again"
            }
        })
    }
}

/// 401 policy: refresh once, retry once, then fail.
pub fn after_unauthorized(already_retried: bool) -> UnauthorizedAction {
    if already_retried {
        UnauthorizedAction::Fail
    } else {
        UnauthorizedAction::RefreshAndRetry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::make_test_token;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    const NOW: i64 = 1_800_000_000_000;

    fn token(exp_s: i64, account: &str) -> String {
        make_test_token(&format!(
            r#"{{"exp":{exp_s},"email":"a@b.c","https://api.openai.com/auth":{{"chatgpt_account_id":"{account}","chatgpt_plan_type":"plus"}}}}"#
        ))
    }

    #[test]
    fn expiry_comes_from_expires_in_first() {
        let access = token(1_900_000_000, "acc-a");
        let login = Login::from_tokens(access.clone(), "rt".into(), None, Some(3600.0), NOW);
        assert_eq!(
            login,
            Login {
                access,
                refresh: "rt".into(),
                id_token: None,
                expires_ms: NOW + 3_600_000,
                account_id: Some("acc-a".into()),
                plan_type: Some("plus".into()),
                email: Some("a@b.c".into()),
            }
        );
    }

    #[test]
    fn expiry_falls_back_to_the_jwt_then_one_hour() {
        let login =
            Login::from_tokens(token(1_900_000_000, "a"), "rt".into(), None, Some(0.0), NOW);
        assert_eq!(login.expires_ms, 1_900_000_000_000);
        let opaque = Login::from_tokens("opaque".into(), "rt".into(), None, None, NOW);
        assert_eq!(opaque.expires_ms, NOW + DEFAULT_LIFETIME_MS);
        assert_eq!(opaque.account_id, None);
        let huge = Login::from_tokens(
            "opaque".into(),
            "rt".into(),
            None,
            Some(1e300),
            i64::MAX - 5,
        );
        assert_eq!(huge.expires_ms, MAX_SAFE_MS);
    }

    #[test]
    fn account_id_prefers_the_id_token() {
        let login = Login::from_tokens(
            token(1, "from-access"),
            "rt".into(),
            Some(token(1, "from-id")),
            None,
            NOW,
        );
        assert_eq!(login.account_id.as_deref(), Some("from-id"));
        let bad_id = Login::from_tokens(
            token(1, "from-access"),
            "rt".into(),
            Some("garbage".into()),
            None,
            NOW,
        );
        assert_eq!(bad_id.account_id.as_deref(), Some("from-access"));
    }

    #[test]
    fn debug_hides_tokens() {
        let login = Login::from_tokens(
            "at-secret-1".into(),
            "rt-secret-2".into(),
            Some("id-secret-3".into()),
            None,
            NOW,
        );
        let shown = format!("{login:?} {:?}", login.state());
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn needs_refresh_uses_expires_then_the_jwt_with_a_margin() {
        assert!(!needs_refresh(
            "x",
            Some(NOW + REFRESH_MARGIN_MS + 1),
            NOW,
            REFRESH_MARGIN_MS
        ));
        assert!(needs_refresh(
            "x",
            Some(NOW + REFRESH_MARGIN_MS),
            NOW,
            REFRESH_MARGIN_MS
        ));
        assert!(needs_refresh("x", Some(NOW - 1), NOW, 0));
        let in_an_hour = token((NOW + 3_600_000) / 1000, "a");
        assert!(!needs_refresh(&in_an_hour, None, NOW, REFRESH_MARGIN_MS));
        assert!(
            !needs_refresh(&in_an_hour, Some(0), NOW, REFRESH_MARGIN_MS),
            "0 means unknown"
        );
        assert!(needs_refresh(
            &in_an_hour,
            None,
            NOW + 3_600_000 - REFRESH_MARGIN_MS,
            REFRESH_MARGIN_MS
        ));
        assert!(
            needs_refresh("opaque", None, NOW, 0),
            "unknown expiry refreshes"
        );
        assert!(
            !needs_refresh("x", Some(NOW + 10), NOW, -1_000_000),
            "a negative margin counts as 0"
        );
    }

    #[test]
    fn refresh_decision_uses_what_another_process_stored() {
        let held = LoginState {
            access: "a1",
            refresh: "r1",
            expires_ms: Some(NOW - 1),
        };
        let fresh = Some(NOW + 3_600_000);
        let rotated = LoginState {
            access: "a2",
            refresh: "r2",
            expires_ms: fresh,
        };
        assert_eq!(
            refresh_decision(held, Some(rotated), NOW, REFRESH_MARGIN_MS),
            RefreshDecision::UseStored
        );
        // Same refresh token, new access token (refresh without rotation).
        let same_rt = LoginState {
            access: "a2",
            refresh: "r1",
            expires_ms: fresh,
        };
        assert_eq!(
            refresh_decision(held, Some(same_rt), NOW, REFRESH_MARGIN_MS),
            RefreshDecision::UseStored
        );
        // Nobody refreshed (the 401 case included: held may look fresh).
        let held_fresh = LoginState {
            expires_ms: fresh,
            ..held
        };
        assert_eq!(
            refresh_decision(held_fresh, Some(held_fresh), NOW, REFRESH_MARGIN_MS),
            RefreshDecision::Refresh
        );
        // Someone stored a different but stale login, or nothing, or an empty one.
        let stale = LoginState {
            expires_ms: Some(NOW),
            ..rotated
        };
        assert_eq!(
            refresh_decision(held, Some(stale), NOW, REFRESH_MARGIN_MS),
            RefreshDecision::Refresh
        );
        assert_eq!(
            refresh_decision(held, None, NOW, REFRESH_MARGIN_MS),
            RefreshDecision::Refresh
        );
        let empty = LoginState {
            access: "",
            refresh: "",
            expires_ms: fresh,
        };
        assert_eq!(
            refresh_decision(held, Some(empty), NOW, REFRESH_MARGIN_MS),
            RefreshDecision::Refresh
        );
    }

    #[test]
    fn a_401_is_retried_once() {
        assert_eq!(
            after_unauthorized(false),
            UnauthorizedAction::RefreshAndRetry
        );
        assert_eq!(after_unauthorized(true), UnauthorizedAction::Fail);
        assert!(UnauthorizedAction::Fail
            .to_string()
            .contains("opencode auth login"));
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn decisions_never_panic(
            access in any::<String>(),
            expires in any::<Option<i64>>(),
            now in any::<i64>(),
            margin in any::<i64>(),
            expires_in in any::<Option<f64>>(),
        ) {
            let _ = needs_refresh(&access, expires, now, margin);
            let login = Login::from_tokens(access.clone(), "r".into(), Some(access.clone()), expires_in, now);
            prop_assert!(login.expires_ms.abs() <= MAX_SAFE_MS);
            let state = LoginState { access: &access, refresh: "r", expires_ms: expires };
            let _ = refresh_decision(state, Some(login.state()), now, margin);
        }

        #[test]
        fn a_stored_login_equal_to_ours_is_never_used_instead_of_refreshing(
            access in ".{1,20}", refresh in ".{1,20}", expires in any::<Option<i64>>(), now in any::<i64>(),
        ) {
            let s = LoginState { access: &access, refresh: &refresh, expires_ms: expires };
            prop_assert_eq!(refresh_decision(s, Some(s), now, REFRESH_MARGIN_MS), RefreshDecision::Refresh);
        }

        /// What JS receives holds every field under its name (the derive's guarantee, now ours).
        #[test]
        fn a_login_is_written_with_every_field(
            access in any::<String>(), refresh in any::<String>(), id_token in any::<Option<String>>(),
            expires_ms in any::<i64>(), account_id in any::<Option<String>>(),
            plan_type in any::<Option<String>>(), email in any::<Option<String>>(),
        ) {
            let login = Login { access, refresh, id_token, expires_ms, account_id, plan_type, email };
            let v: serde_json::Value = serde_json::from_str(&login.to_json()).unwrap();
            let opt = |s: &Option<String>| s.as_deref().map_or(serde_json::Value::Null, serde_json::Value::from);
            prop_assert_eq!(v, serde_json::json!({
                "access": login.access, "refresh": login.refresh, "idToken": opt(&login.id_token),
                "expires": login.expires_ms, "accountId": opt(&login.account_id),
                "planType": opt(&login.plan_type), "email": opt(&login.email),
            }));
        }
    }

    #[test]
    fn a_login_is_written_in_field_order_with_nulls() {
        let login = Login {
            access: "a".into(),
            refresh: "r".into(),
            id_token: None,
            expires_ms: 5,
            account_id: Some("acc".into()),
            plan_type: None,
            email: Some("e@x".into()),
        };
        assert_eq!(
            login.to_json(),
            r#"{"access":"a","refresh":"r","idToken":null,"expires":5,"accountId":"acc","planType":null,"email":"e@x"}"#
        );
    }
}

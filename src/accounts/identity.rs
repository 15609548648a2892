//! What makes a login an account: its ChatGPT account (workspace) id plus its user. A personal
//! Plus and a Team seat under one email are two accounts (two account ids); two people in one
//! workspace are two accounts (two users). Read from the token's claims (payload only, see
//! [`crate::auth::jwt`]); never keeps or returns the token.

use serde_json::Value;

use super::AccountsError;
use crate::auth::jwt::{self, Claims};
use crate::json::{Fields, Obj};

/// One account's identity and the facts shown about it. JSON: `{key, accountId, userId, email,
/// plan}` (`key` and `accountId` required; the others `null` when unknown, may be absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `<accountId>/<user>`: the pool's key.
    pub key: String,
    pub account_id: String,
    /// `chatgpt_user_id`, else the email, else absent (one login per workspace then).
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub plan: Option<String>,
}

impl Identity {
    pub fn read(v: &Value) -> Result<Identity, String> {
        Identity::read_fields(Fields::of(v, "struct Identity")?)
    }

    /// The identity's fields in an object that may hold others (an account is one flat object).
    pub fn read_fields(f: Fields) -> Result<Identity, String> {
        Ok(Identity {
            key: f.need("key", f.string("key"))?,
            account_id: f.need("accountId", f.string("accountId"))?,
            user_id: f.string("userId")?,
            email: f.string("email")?,
            plan: f.string("plan")?,
        })
    }

    /// Writes the identity's fields into an object being written.
    pub fn write_fields(&self, o: &mut Obj) {
        o.str("key", &self.key)
            .str("accountId", &self.account_id)
            .opt_str("userId", self.user_id.as_deref())
            .opt_str("email", self.email.as_deref())
            .opt_str("plan", self.plan.as_deref());
    }

    /// The identity's JSON text.
    pub fn to_json(&self) -> String {
        crate::json::object(|o| self.write_fields(o))
    }
}

/// The key of an account id and a user (`-` when the user is unknown).
pub fn key_of(account_id: &str, user: Option<&str>) -> String {
    format!("{account_id}/{}", user.unwrap_or("-"))
}

/// The identity in claims; `fallback_account_id` (what the login stored) when the claims lack one.
pub fn from_claims(
    claims: &Claims,
    fallback_account_id: Option<&str>,
) -> Result<Identity, AccountsError> {
    let account_id = claims
        .account_id
        .clone()
        .or_else(|| {
            fallback_account_id
                .filter(|s| !s.is_empty())
                .map(String::from)
        })
        .ok_or(AccountsError::NoAccountId)?;
    let user_id = claims.user_id.clone().or_else(|| claims.email.clone());
    Ok(Identity {
        key: key_of(&account_id, user_id.as_deref()),
        account_id,
        user_id,
        email: claims.email.clone(),
        plan: claims.plan_type.clone(),
    })
}

/// The identity of a login: the id token's claims when there is one, else the access token's.
/// A token that does not decode counts as no claims (then only `fallback_account_id` is known).
pub fn from_tokens(
    access: &str,
    id_token: Option<&str>,
    fallback_account_id: Option<&str>,
) -> Result<Identity, AccountsError> {
    let from_access = jwt::decode(access).unwrap_or_default();
    let claims = match id_token.map(jwt::decode) {
        Some(Ok(id)) => Claims {
            account_id: id.account_id.or(from_access.account_id),
            plan_type: id.plan_type.or(from_access.plan_type),
            user_id: id.user_id.or(from_access.user_id),
            email: id.email.or(from_access.email),
            expires_at_s: from_access.expires_at_s,
        },
        _ => from_access,
    };
    from_claims(&claims, fallback_account_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::make_test_token;

    fn token(account: &str, user: Option<&str>, email: &str) -> String {
        let user = user
            .map(|u| format!(r#","chatgpt_user_id":"{u}""#))
            .unwrap_or_default();
        make_test_token(&format!(
            r#"{{"email":"{email}","https://api.openai.com/auth":{{"chatgpt_account_id":"{account}","chatgpt_plan_type":"team"{user}}}}}"#
        ))
    }

    #[test]
    fn one_email_in_two_workspaces_is_two_accounts() {
        let personal = from_tokens(&token("acc-p", Some("u1"), "a@b.c"), None, None).unwrap();
        let team = from_tokens(&token("acc-t", Some("u1"), "a@b.c"), None, None).unwrap();
        assert_eq!(
            personal,
            Identity {
                key: "acc-p/u1".into(),
                account_id: "acc-p".into(),
                user_id: Some("u1".into()),
                email: Some("a@b.c".into()),
                plan: Some("team".into()),
            }
        );
        assert_ne!(personal.key, team.key);
    }

    #[test]
    fn the_user_falls_back_to_the_email_then_to_nothing() {
        assert_eq!(
            from_tokens(&token("acc", None, "x@y.z"), None, None)
                .unwrap()
                .key,
            "acc/x@y.z"
        );
        assert_eq!(
            from_tokens("not-a-jwt", None, Some("acc-stored")),
            Ok(Identity {
                key: "acc-stored/-".into(),
                account_id: "acc-stored".into(),
                user_id: None,
                email: None,
                plan: None,
            })
        );
        assert_eq!(
            from_tokens("not-a-jwt", None, Some("")),
            Err(AccountsError::NoAccountId)
        );
    }

    #[test]
    fn the_id_token_wins_over_the_access_token() {
        let id = from_tokens(
            &token("acc-a", Some("ua"), "a@a"),
            Some(&token("acc-i", Some("ui"), "i@i")),
            None,
        )
        .unwrap();
        assert_eq!(id.key, "acc-i/ui");
    }
}

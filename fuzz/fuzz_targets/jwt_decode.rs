//! JWT claim decoding: any string is a typed error or claims; a well-formed token whose payload is
//! a JSON object always decodes, to exactly the claims its payload holds.
#![no_main]

use arbitrary::Arbitrary;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::auth::jwt::{decode, Claims};
use opencode_chatgpt_wasm_fuzz::{object, Json, Key};
use serde_json::Value;

#[derive(Arbitrary, Debug)]
enum Input {
    Raw(String),
    /// `header.<base64url payload>.sig` with an arbitrary payload (bytes, not necessarily JSON).
    Bytes {
        header: String,
        payload: Vec<u8>,
        sig: String,
    },
    /// A token whose payload is a claims-like JSON object.
    Claims {
        auth: Option<Vec<(Key, Json)>>,
        profile: Option<Json>,
        top: Vec<(Key, Json)>,
        account: Option<Json>,
    },
}

const AUTH: &str = "https://api.openai.com/auth";
const PROFILE: &str = "https://api.openai.com/profile";

/// The claim the plugin reads: a non-empty string, anything else is absent.
fn string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

fn expected(payload: &Value) -> Claims {
    let auth = payload.get(AUTH);
    let exp = match payload.get("exp") {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        _ => None,
    };
    Claims {
        account_id: string(auth.and_then(|a| a.get("chatgpt_account_id"))),
        plan_type: string(auth.and_then(|a| a.get("chatgpt_plan_type"))),
        user_id: string(auth.and_then(|a| a.get("chatgpt_user_id"))),
        email: string(payload.get("email"))
            .or_else(|| string(payload.get(PROFILE).and_then(|p| p.get("email")))),
        expires_at_s: exp,
    }
}

fn segment(s: &str) -> String {
    s.chars()
        .filter(|&c| c != '.' && !c.is_whitespace())
        .collect()
}

fuzz_target!(|input: Input| {
    match input {
        Input::Raw(token) => {
            if let Ok(claims) = decode(&token) {
                let fields = [
                    &claims.account_id,
                    &claims.plan_type,
                    &claims.user_id,
                    &claims.email,
                ];
                assert!(fields
                    .iter()
                    .all(|f| f.as_ref().map_or(true, |s| !s.is_empty())));
                assert_eq!(token.trim().split('.').count(), 3);
            }
        }
        Input::Bytes {
            header,
            payload,
            sig,
        } => {
            let token = format!(
                "{}.{}.{}",
                segment(&header),
                URL_SAFE_NO_PAD.encode(&payload),
                segment(&sig)
            );
            let is_object = serde_json::from_slice::<Value>(&payload).is_ok_and(|v| v.is_object());
            assert_eq!(decode(&token).is_ok(), is_object, "{token}");
        }
        Input::Claims {
            auth,
            profile,
            top,
            account,
        } => {
            let mut fields: Vec<(String, Value)> =
                top.iter().map(|(k, v)| (k.name(), v.to_value())).collect();
            if let Some(auth) = auth {
                let mut auth: Vec<(String, Value)> =
                    auth.iter().map(|(k, v)| (k.name(), v.to_value())).collect();
                if let Some(a) = account {
                    auth.push(("chatgpt_account_id".into(), a.to_value()));
                }
                fields.push((AUTH.into(), object(auth)));
            }
            if let Some(p) = profile {
                fields.push((PROFILE.into(), p.to_value()));
            }
            let payload = object(fields);
            let token = format!(
                "eyJhbGciOiJub25lIn0.{}.c2ln",
                URL_SAFE_NO_PAD.encode(payload.to_string())
            );
            assert_eq!(decode(&token), Ok(expected(&payload)), "{payload}");
        }
    }
});

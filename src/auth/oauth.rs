//! The ChatGPT OAuth browser flow on the wire: the authorize URL, the callback request and the
//! pasted redirect, and the bodies of the token requests. Strings in, strings out: no sockets,
//! no fetch, and no error message ever quotes a code, state, verifier or token.
//! (Token responses: [`crate::auth::token_response`]; the device flow: [`crate::auth::device`].)

use crate::auth::redact;
use crate::error::CoreError;
use crate::json;

/// The public Codex CLI client.
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
pub const DEFAULT_ISSUER: &str = "https://auth.openai.com";
pub const SCOPE: &str = "openid profile email offline_access";
pub const CALLBACK_PATH: &str = "/auth/callback";
pub const CANCEL_PATH: &str = "/cancel";
/// The redirect ports registered for the client: the default, and the fallback when it is busy.
pub const DEFAULT_PORT: u16 = 1455;
pub const FALLBACK_PORT: u16 = 1457;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    /// The configured issuer is not an `http(s)://host` URL.
    BadIssuer,
    /// The reply's `state` is not this attempt's (a stale tab, another login, or forgery).
    StateMismatch,
    /// The issuer redirected back with `error=`; `message` is the plain sentence to show.
    Denied { message: String },
    /// The reply carries neither a code nor an error.
    MissingCode,
    /// Pasted text that is neither a redirect URL, a query, `code#state` nor a bare code.
    Unrecognized,
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OAuthError::BadIssuer => f.write_str(
                "the sign-in issuer must be an http(s) URL such as https://auth.openai.com; check OPENCODE_CODEX_ISSUER",
            ),
            OAuthError::StateMismatch => f.write_str(
                "this sign-in reply belongs to a different login attempt (state mismatch); finish signing in from the link this login printed",
            ),
            OAuthError::Denied { message } => f.write_str(message),
            OAuthError::MissingCode => {
                f.write_str("the sign-in reply has no authorization code; run `opencode auth login` to try again")
            }
            OAuthError::Unrecognized => f.write_str(
                "that is not a sign-in redirect or code; paste the whole address the browser ended on (http://localhost:…/auth/callback?code=…) or just the code",
            ),
        }
    }
}

impl CoreError for OAuthError {
    fn code(&self) -> &'static str {
        match self {
            OAuthError::BadIssuer => "bad-issuer",
            OAuthError::StateMismatch => "state-mismatch",
            OAuthError::Denied { .. } => "access-denied",
            OAuthError::MissingCode => "missing-code",
            OAuthError::Unrecognized => "paste-unrecognized",
        }
    }
}

/// The issuer without trailing slashes, checked to be `http(s)://` plus a host. An empty one
/// (an unset or blank `OPENCODE_CODEX_ISSUER`) is [`DEFAULT_ISSUER`].
pub fn issuer_base(issuer: &str) -> Result<&str, OAuthError> {
    let base = match issuer.trim().trim_end_matches('/') {
        "" => DEFAULT_ISSUER,
        base => base,
    };
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or(OAuthError::BadIssuer)?;
    let host_ok = !rest.is_empty()
        && !rest.starts_with('/')
        && !rest.contains(|c: char| c.is_whitespace() || "?#".contains(c));
    if host_ok {
        Ok(base)
    } else {
        Err(OAuthError::BadIssuer)
    }
}

/// Every URL of the login protocol for one issuer (JS: [`Endpoints::to_json`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub authorize: String,
    /// Code exchange and refresh (`POST`).
    pub token: String,
    pub revoke: String,
    /// Device flow: request a user code (`POST` JSON `{client_id}`).
    pub device_user_code: String,
    /// Device flow: poll (`POST` JSON `{device_auth_id, user_code}`).
    pub device_token: String,
    /// Device flow: the page the user opens.
    pub device_verification: String,
    /// Device flow: the `redirect_uri` of its code exchange.
    pub device_redirect_uri: String,
}

impl Endpoints {
    /// `{authorize, token, revoke, deviceUserCode, deviceToken, deviceVerification,
    /// deviceRedirectUri}`, in this order.
    pub fn to_json(&self) -> String {
        json::object(|o| {
            o.str("authorize", &self.authorize)
                .str("token", &self.token)
                .str("revoke", &self.revoke)
                .str("deviceUserCode", &self.device_user_code)
                .str("deviceToken", &self.device_token)
                .str("deviceVerification", &self.device_verification)
                .str("deviceRedirectUri", &self.device_redirect_uri);
        })
    }
}

pub fn endpoints(issuer: &str) -> Result<Endpoints, OAuthError> {
    let base = issuer_base(issuer)?;
    Ok(Endpoints {
        authorize: format!("{base}/oauth/authorize"),
        token: format!("{base}/oauth/token"),
        revoke: format!("{base}/oauth/revoke"),
        device_user_code: format!("{base}/api/accounts/deviceauth/usercode"),
        device_token: format!("{base}/api/accounts/deviceauth/token"),
        device_verification: format!("{base}/codex/device"),
        device_redirect_uri: format!("{base}/deviceauth/callback"),
    })
}

/// `http://localhost:{port}/auth/callback` (the server itself binds 127.0.0.1).
pub fn redirect_uri(port: u16) -> String {
    format!("http://localhost:{port}{CALLBACK_PATH}")
}

/// Percent-encodes everything but RFC 3986 unreserved characters (so a space is `%20`).
pub fn percent_encode(value: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes a query component: `+` is a space, `%XX` a byte; malformed escapes stay literal and
/// invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = match (b, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex_value(h).zip(hex_value(l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match (escaped, b) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// `k=v&k=v` with every value percent-encoded.
fn encode_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// What the authorize URL is built from.
#[derive(Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    pub issuer: &'a str,
    pub redirect_uri: &'a str,
    pub challenge: &'a str,
    pub state: &'a str,
    /// The client name the backend sees (`originator`).
    pub originator: &'a str,
    /// `None`: [`CLIENT_ID`].
    pub client_id: Option<&'a str>,
}

/// `{issuer}/oauth/authorize?…` with the parameters, in the order, the Codex CLI sends.
pub fn authorize_url(req: &AuthorizeRequest<'_>) -> Result<String, OAuthError> {
    let base = issuer_base(req.issuer)?;
    let query = encode_pairs(&[
        ("response_type", "code"),
        ("client_id", req.client_id.unwrap_or(CLIENT_ID)),
        ("redirect_uri", req.redirect_uri),
        ("scope", SCOPE),
        ("code_challenge", req.challenge),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", req.state),
        ("originator", req.originator),
    ]);
    Ok(format!("{base}/oauth/authorize?{query}"))
}

/// `application/x-www-form-urlencoded` body of the authorization-code exchange.
pub fn token_exchange_body(
    code: &str,
    verifier: &str,
    redirect_uri: &str,
    client_id: Option<&str>,
) -> String {
    encode_pairs(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", client_id.unwrap_or(CLIENT_ID)),
        ("code_verifier", verifier),
    ])
}

#[derive(serde::Serialize)]
struct RevokeRequest<'a> {
    token: &'a str,
    token_type_hint: &'a str,
    client_id: &'a str,
}

/// JSON body of `POST {issuer}/oauth/revoke` for a refresh token that a new login replaced:
/// `{token, token_type_hint: "refresh_token", client_id}` (RFC 7009).
pub fn revoke_body(refresh_token: &str, client_id: Option<&str>) -> String {
    let req = RevokeRequest {
        token: refresh_token,
        token_type_hint: "refresh_token",
        client_id: client_id.unwrap_or(CLIENT_ID),
    };
    serde_json::to_string(&req).unwrap_or_default()
}

/// JSON body of a refresh, as codex-rs sends it: `{client_id, grant_type, refresh_token}`.
pub fn refresh_body(refresh_token: &str, client_id: Option<&str>) -> String {
    json::object(|o| {
        o.str("client_id", client_id.unwrap_or(CLIENT_ID))
            .str("grant_type", "refresh_token")
            .str("refresh_token", refresh_token);
    })
}

/// What a request to the callback server is.
#[derive(Clone, PartialEq, Eq)]
pub enum Callback {
    /// `/auth/callback` with our state and a code: exchange it.
    Code(String),
    /// `/cancel`: another login (a newer attempt) asks this server to stop.
    Cancel,
    /// Any other path (`/favicon.ico`, …): answer 404 and keep waiting.
    NotFound,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Callback::Code(_) => "Code(<redacted>)",
            Callback::Cancel => "Cancel",
            Callback::NotFound => "NotFound",
        })
    }
}

/// The first value of `name` in a query string, decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == name).then(|| percent_decode(v))
    })
}

/// The `code`/`state`/`error` parameters of a reply.
struct Reply {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Reply {
    /// Reads the query, then the fragment for anything the query lacks.
    fn from_parts(query: &str, fragment: &str) -> Reply {
        let get = |name: &str| {
            query_param(query, name)
                .or_else(|| query_param(fragment, name))
                .filter(|v| !v.is_empty())
        };
        Reply {
            code: get("code"),
            state: get("state"),
            error: get("error"),
            error_description: get("error_description"),
        }
    }

    /// The issuer's `error=` as a sentence; `missing_codex_entitlement` is named plainly.
    fn denial(&self) -> Option<OAuthError> {
        let error = self.error.as_deref()?;
        let description = self
            .error_description
            .as_deref()
            .map(|d| clean_text(d, 200))
            .filter(|d| !d.is_empty());
        let message = if error == "access_denied"
            && description
                .as_deref()
                .is_some_and(|d| d.to_ascii_lowercase().contains("missing_codex_entitlement"))
        {
            "this ChatGPT workspace has no Codex access; ask an admin or use a personal plan"
                .to_string()
        } else {
            let detail = match &description {
                Some(d) => format!("{}: {d}", clean_text(error, 60)),
                None => clean_text(error, 60),
            };
            if error == "access_denied" {
                format!(
                    "sign-in was denied or cancelled in the browser ({detail}); run `opencode auth login` to try again"
                )
            } else {
                format!("sign-in failed ({detail}); run `opencode auth login` to try again")
            }
        };
        Some(OAuthError::Denied { message })
    }
}

/// `(path, query, fragment)` of a request target or URL (`/p?q#f`, `http://host/p?q#f`).
fn split_url(url: &str) -> (&str, &str, &str) {
    let url = url.trim();
    let is_scheme = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    };
    let url = match url.split_once("://") {
        Some((scheme, rest)) if is_scheme(scheme) => rest
            .find(['/', '?', '#'])
            .and_then(|i| rest.get(i..))
            .unwrap_or(""),
        _ => url,
    };
    let (before_fragment, fragment) = url.split_once('#').unwrap_or((url, ""));
    let (path, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    (path, query, fragment)
}

/// Decides what a request to the callback server (its request target) means.
///
/// On `/auth/callback` the state is checked first (codex-rs does the same): a reply without our
/// state cannot end this login, not even with an error, so a forged request cannot cancel it.
pub fn parse_callback(target: &str, expected_state: &str) -> Result<Callback, OAuthError> {
    let (path, query, _) = split_url(target);
    match path.trim_end_matches('/') {
        CALLBACK_PATH => {
            let reply = Reply::from_parts(query, "");
            if expected_state.is_empty() || reply.state.as_deref() != Some(expected_state) {
                return Err(OAuthError::StateMismatch);
            }
            if let Some(denied) = reply.denial() {
                return Err(denied);
            }
            reply
                .code
                .map(Callback::Code)
                .ok_or(OAuthError::MissingCode)
        }
        CANCEL_PATH => Ok(Callback::Cancel),
        _ => Ok(Callback::NotFound),
    }
}

/// A code the user pasted, and the state that came with it (if any).
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pasted {
    pub code: String,
    pub state: Option<String>,
}

impl std::fmt::Debug for Pasted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pasted")
            .field("code", &"<redacted>")
            .field("state", &self.state.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Reads what the user pasted: the full redirect URL, a `code=…&state=…` query, `code#state`, or
/// a bare code. A state that is present must be ours; an absent one is accepted (the user
/// carried the code over by hand, so no forged browser request is involved).
pub fn parse_pasted(input: &str, expected_state: &str) -> Result<Pasted, OAuthError> {
    let input = input.trim().trim_matches(|c| "\"'<>`".contains(c)).trim();
    let reply = if input.contains("://") || input.starts_with('/') {
        let (_, query, fragment) = split_url(input);
        Some(Reply::from_parts(query, fragment))
    } else if input.contains('=') {
        let query = input.trim_start_matches(['?', '#']);
        let (query, fragment) = query.split_once('#').unwrap_or((query, ""));
        Some(Reply::from_parts(query, fragment))
    } else {
        None
    };
    let (code, state) = match reply {
        Some(reply) => {
            if let Some(denied) = reply.denial() {
                return Err(denied);
            }
            (reply.code.ok_or(OAuthError::MissingCode)?, reply.state)
        }
        None => {
            let (code, state) = input.split_once('#').unwrap_or((input, ""));
            // A bare code is what the issuer puts in a URL; a sentence or an HTML page is not one.
            if !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=%".contains(&b))
            {
                return Err(OAuthError::Unrecognized);
            }
            (
                code.to_string(),
                Some(state.to_string()).filter(|s| !s.is_empty()),
            )
        }
    };
    if code.is_empty() || code.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(OAuthError::Unrecognized);
    }
    match &state {
        Some(s) if s != expected_state => Err(OAuthError::StateMismatch),
        _ => Ok(Pasted { code, state }),
    }
}

/// Server-supplied text made safe to show: control characters become spaces, runs of spaces
/// collapse, credential-looking parts are redacted, and at most `max_chars` characters remain.
pub(crate) fn clean_text(text: &str, max_chars: usize) -> String {
    redact::display_text(text, max_chars)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    const STATE: &str = "st_Abc-123";

    #[test]
    fn revoke_body_names_the_refresh_token_and_the_client() {
        assert_eq!(
            revoke_body("rt-\"1", None),
            r#"{"token":"rt-\"1","token_type_hint":"refresh_token","client_id":"app_EMoamEEZ73f0CkXaXp7hrann"}"#
        );
        assert_eq!(
            revoke_body("r", Some("c")),
            r#"{"token":"r","token_type_hint":"refresh_token","client_id":"c"}"#
        );
    }

    #[test]
    fn authorize_url_has_every_parameter_percent_encoded() {
        let url = authorize_url(&AuthorizeRequest {
            issuer: "https://auth.openai.com/",
            redirect_uri: "http://localhost:1455/auth/callback",
            challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            state: "a+b/c=",
            originator: "opencode chatgpt",
            client_id: None,
        })
        .unwrap();
        assert_eq!(
            url,
            "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann\
             &redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&scope=openid%20profile%20email%20offline_access\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256\
             &id_token_add_organizations=true&codex_cli_simplified_flow=true&state=a%2Bb%2Fc%3D&originator=opencode%20chatgpt"
        );
    }

    #[test]
    fn authorize_url_takes_a_client_id_and_rejects_bad_issuers() {
        let req = AuthorizeRequest {
            issuer: "http://127.0.0.1:9000",
            redirect_uri: "r",
            challenge: "c",
            state: "s",
            originator: "o",
            client_id: Some("app_test"),
        };
        assert!(authorize_url(&req).unwrap().starts_with(
            "http://127.0.0.1:9000/oauth/authorize?response_type=code&client_id=app_test&"
        ));
        for bad in [
            "auth.openai.com",
            "ftp://x",
            "https://",
            "https:///x",
            "https://a b",
        ] {
            assert_eq!(
                authorize_url(&AuthorizeRequest { issuer: bad, ..req }),
                Err(OAuthError::BadIssuer),
                "{bad}"
            );
        }
    }

    #[test]
    fn endpoints_follow_the_issuer() {
        let e = endpoints("http://127.0.0.1:9000/").unwrap();
        assert_eq!(
            e,
            Endpoints {
                authorize: "http://127.0.0.1:9000/oauth/authorize".into(),
                token: "http://127.0.0.1:9000/oauth/token".into(),
                revoke: "http://127.0.0.1:9000/oauth/revoke".into(),
                device_user_code: "http://127.0.0.1:9000/api/accounts/deviceauth/usercode".into(),
                device_token: "http://127.0.0.1:9000/api/accounts/deviceauth/token".into(),
                device_verification: "http://127.0.0.1:9000/codex/device".into(),
                device_redirect_uri: "http://127.0.0.1:9000/deviceauth/callback".into(),
            }
        );
        assert_eq!(
            e.to_json(),
            r#"{"authorize":"http://127.0.0.1:9000/oauth/authorize","token":"http://127.0.0.1:9000/oauth/token","revoke":"http://127.0.0.1:9000/oauth/revoke","deviceUserCode":"http://127.0.0.1:9000/api/accounts/deviceauth/usercode","deviceToken":"http://127.0.0.1:9000/api/accounts/deviceauth/token","deviceVerification":"http://127.0.0.1:9000/codex/device","deviceRedirectUri":"http://127.0.0.1:9000/deviceauth/callback"}"#
        );
        assert_eq!(
            endpoints(" ").unwrap().token,
            "https://auth.openai.com/oauth/token"
        );
        assert_eq!(
            redirect_uri(FALLBACK_PORT),
            "http://localhost:1457/auth/callback"
        );
    }

    #[test]
    fn request_bodies() {
        assert_eq!(
            token_exchange_body("ac/1+2", "ver_1", "http://localhost:1455/auth/callback", None),
            "grant_type=authorization_code&code=ac%2F1%2B2&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback\
             &client_id=app_EMoamEEZ73f0CkXaXp7hrann&code_verifier=ver_1"
        );
        assert_eq!(
            refresh_body("rt_\"1", Some("app_x")),
            r#"{"client_id":"app_x","grant_type":"refresh_token","refresh_token":"rt_\"1"}"#
        );
    }

    #[test]
    fn percent_decoding_is_lenient() {
        assert_eq!(percent_decode("a+b%20c%2fd%zz%4"), "a b c/d%zz%4");
        assert_eq!(percent_decode("%FF%e2%82%ac"), "\u{FFFD}€");
    }

    #[test]
    fn callback_with_our_state_yields_the_code() {
        let target = format!("/auth/callback?code=ac%2B1&scope=openid&state={STATE}");
        assert_eq!(
            parse_callback(&target, STATE),
            Ok(Callback::Code("ac+1".into()))
        );
        let absolute = format!("http://localhost:1455/auth/callback/?state={STATE}&code=c2");
        assert_eq!(
            parse_callback(&absolute, STATE),
            Ok(Callback::Code("c2".into()))
        );
    }

    #[test]
    fn callback_state_is_checked_before_anything_else() {
        assert_eq!(
            parse_callback("/auth/callback?code=c&state=other", STATE),
            Err(OAuthError::StateMismatch)
        );
        assert_eq!(
            parse_callback("/auth/callback?code=c", STATE),
            Err(OAuthError::StateMismatch)
        );
        assert_eq!(
            parse_callback("/auth/callback?error=access_denied", STATE),
            Err(OAuthError::StateMismatch)
        );
        assert_eq!(
            parse_callback("/auth/callback?code=c&state=", ""),
            Err(OAuthError::StateMismatch)
        );
    }

    #[test]
    fn callback_errors_become_sentences() {
        let entitlement = format!(
            "/auth/callback?state={STATE}&error=access_denied&error_description=Denied%3A+MISSING_CODEX_ENTITLEMENT"
        );
        assert_eq!(
            parse_callback(&entitlement, STATE),
            Err(OAuthError::Denied {
                message: "this ChatGPT workspace has no Codex access; ask an admin or use a personal plan".into()
            })
        );
        let denied = format!("/auth/callback?state={STATE}&error=access_denied");
        assert_eq!(
            parse_callback(&denied, STATE).unwrap_err().to_string(),
            "sign-in was denied or cancelled in the browser (access_denied); run `opencode auth login` to try again"
        );
        let other = format!(
            "/auth/callback?state={STATE}&error=server_error&error_description=try%0Alater"
        );
        assert_eq!(
            parse_callback(&other, STATE).unwrap_err(),
            OAuthError::Denied {
                message: "sign-in failed (server_error: try later); run `opencode auth login` to try again".into()
            }
        );
        let missing = format!("/auth/callback?state={STATE}&code=");
        assert_eq!(
            parse_callback(&missing, STATE),
            Err(OAuthError::MissingCode)
        );
    }

    #[test]
    fn other_paths_are_cancel_or_not_found() {
        assert_eq!(parse_callback("/cancel", STATE), Ok(Callback::Cancel));
        assert_eq!(
            parse_callback("/favicon.ico", STATE),
            Ok(Callback::NotFound)
        );
        assert_eq!(
            parse_callback("/auth/callbackx?state=st_Abc-123&code=c", STATE),
            Ok(Callback::NotFound)
        );
        assert_eq!(parse_callback("", STATE), Ok(Callback::NotFound));
        assert_eq!(
            parse_callback("/x?next=http://h/auth/callback", STATE),
            Ok(Callback::NotFound)
        );
    }

    fn pasted(code: &str, state: Option<&str>) -> Result<Pasted, OAuthError> {
        Ok(Pasted {
            code: code.into(),
            state: state.map(String::from),
        })
    }

    #[test]
    fn every_pasted_form_is_read() {
        let url =
            format!("http://localhost:1455/auth/callback?code=ac_1&scope=openid&state={STATE}");
        assert_eq!(parse_pasted(&url, STATE), pasted("ac_1", Some(STATE)));
        assert_eq!(
            parse_pasted(&format!("  \"{url}\"\n"), STATE),
            pasted("ac_1", Some(STATE))
        );
        assert_eq!(
            parse_pasted(&format!("code=ac_2&state={STATE}"), STATE),
            pasted("ac_2", Some(STATE))
        );
        assert_eq!(
            parse_pasted(&format!("?state={STATE}&code=ac%2F3"), STATE),
            pasted("ac/3", Some(STATE))
        );
        assert_eq!(
            parse_pasted(&format!("ac_4#{STATE}"), STATE),
            pasted("ac_4", Some(STATE))
        );
        assert_eq!(parse_pasted("ac_5", STATE), pasted("ac_5", None));
        assert_eq!(parse_pasted("ac_6#", STATE), pasted("ac_6", None));
        assert_eq!(
            parse_pasted("http://localhost:1455/auth/callback#code=ac_7", STATE),
            pasted("ac_7", None)
        );
    }

    #[test]
    fn pasted_input_with_a_foreign_state_or_no_code_is_refused() {
        assert_eq!(
            parse_pasted(
                "http://localhost:1455/auth/callback?code=c&state=old",
                STATE
            ),
            Err(OAuthError::StateMismatch)
        );
        assert_eq!(parse_pasted("c#old", STATE), Err(OAuthError::StateMismatch));
        assert_eq!(
            parse_pasted("code=c&state=old", STATE),
            Err(OAuthError::StateMismatch)
        );
        assert_eq!(
            parse_pasted(
                &format!("http://localhost:1455/auth/callback?state={STATE}"),
                STATE
            ),
            Err(OAuthError::MissingCode)
        );
        assert_eq!(parse_pasted("", STATE), Err(OAuthError::Unrecognized));
        assert_eq!(
            parse_pasted("two words", STATE),
            Err(OAuthError::Unrecognized)
        );
        // Found by tests/bad_input.rs: an error page pasted by mistake was taken for a bare code
        // (its outer `<`/`>` are trimmed as quotes, and it has no spaces), then sent to the issuer.
        assert_eq!(
            parse_pasted("<html><body>error</body></html>", STATE),
            Err(OAuthError::Unrecognized)
        );
        assert_eq!(
            parse_pasted("{\"code\":1}", STATE),
            Err(OAuthError::Unrecognized)
        );
        assert_eq!(
            parse_pasted("ac_1.x-y~z+/%2F", STATE),
            pasted("ac_1.x-y~z+/%2F", None)
        );
        assert_eq!(
            parse_pasted("error=access_denied", STATE)
                .unwrap_err()
                .code(),
            "access-denied"
        );
    }

    #[test]
    fn messages_never_quote_secrets() {
        let errors = [
            parse_pasted("http://x/?code=SECRETCODE&state=SECRETSTATE", STATE).unwrap_err(),
            parse_callback("/auth/callback?code=SECRETCODE&state=SECRETSTATE", STATE).unwrap_err(),
            parse_pasted("SECRET CODE", STATE).unwrap_err(),
        ];
        for e in errors {
            assert!(
                !e.to_string().contains("SECRET") && !format!("{e:?}").contains("SECRET"),
                "{e}"
            );
        }
        assert!(!format!("{:?}", parse_pasted("SECRETCODE", STATE)).contains("SECRET"));
        assert!(!format!(
            "{:?}",
            parse_callback(
                &format!("/auth/callback?code=SECRETCODE&state={STATE}"),
                STATE
            )
        )
        .contains("SECRET"));
    }

    #[test]
    fn clean_text_flattens_redacts_and_truncates() {
        assert_eq!(clean_text(" a\r\n\tb  c ", 100), "a b c");
        assert_eq!(clean_text("abcdef", 3), "abc…");
        assert_eq!(clean_text("abc", 3), "abc");
        assert_eq!(
            clean_text("bad refresh_token=rt_1 here", 100),
            "bad refresh_token=[redacted] here"
        );
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn parsers_never_panic(input in any::<String>(), state in any::<String>()) {
            let _ = parse_callback(&input, &state);
            let _ = parse_pasted(&input, &state);
            let _ = percent_decode(&input);
            let _ = issuer_base(&input);
            let _ = clean_text(&input, 10);
        }

        #[test]
        fn pasted_redirect_urls_round_trip(code in "[^\\s\\p{C}]{1,40}", state in ".{1,40}") {
            let url = format!(
                "http://localhost:1455/auth/callback?code={}&scope=openid&state={}",
                percent_encode(&code),
                percent_encode(&state)
            );
            prop_assert_eq!(parse_pasted(&url, &state), Ok(Pasted { code: code.clone(), state: Some(state.clone()) }));
            prop_assert_eq!(parse_callback(&url, &state), Ok(Callback::Code(code)));
        }

        #[test]
        fn percent_encoding_round_trips(value in any::<String>()) {
            prop_assert_eq!(percent_decode(&percent_encode(&value)), value);
        }
    }
}

//! The bad-input list (issue 8): every malformed thing a user, a proxy or the server can hand the
//! core, each checked to give a typed error with a clear message (or a safe decision), never a
//! panic, never a quoted secret, and nothing lost when the input is merely large. Prints
//! `bad input: N tried, N passed`.

use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use opencode_chatgpt_wasm::auth::callback_page::{render, PageKind};
use opencode_chatgpt_wasm::auth::device::{self, DeviceError, Poll};
use opencode_chatgpt_wasm::auth::jwt::{self, Claims, JwtError};
use opencode_chatgpt_wasm::auth::oauth::{self, Callback, OAuthError};
use opencode_chatgpt_wasm::auth::redact::redact;
use opencode_chatgpt_wasm::auth::token::{self, Login, MAX_SAFE_MS};
use opencode_chatgpt_wasm::auth::token_response::{parse_token_response, TokenError};
use opencode_chatgpt_wasm::request::models::{Catalog, CatalogError};
use opencode_chatgpt_wasm::request::transform::{self, RequestError};
use opencode_chatgpt_wasm::stream::collector::{CollectError, SseCollector};
use opencode_chatgpt_wasm::stream::errors_http::{classify, ErrorKind};
use opencode_chatgpt_wasm::stream::rewriter::BufferedRewriter;
use opencode_chatgpt_wasm::stream::sse::{SseError, SseParser, MAX_EVENT_BYTES};
use opencode_chatgpt_wasm::CoreError;
use serde_json::Value;

const NOW: i64 = 1_800_000_000_000;
const STATE: &str = "st_0123456789abcdef";
const REFRESH: &str = "rt_S3cretRefreshToken_0123456789";
const ISSUER: &str = "https://auth.openai.com";

type Check = Result<(), String>;

fn token(payload: &str) -> String {
    format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(payload)
    )
}

/// `result` is an error with `code` whose message contains `phrase` and no secret.
fn err<T: std::fmt::Debug, E: CoreError + std::fmt::Debug>(
    result: Result<T, E>,
    code: &str,
    phrase: &str,
) -> Check {
    let e = match result {
        Ok(v) => return Err(format!("expected {code}, got Ok({v:?})")),
        Err(e) => e,
    };
    let message = e.to_string();
    if e.code() != code {
        return Err(format!("expected {code}, got {} ({message})", e.code()));
    }
    if !message.contains(phrase) {
        return Err(format!("{code}: message {message:?} lacks {phrase:?}"));
    }
    if message.len() > 600 || message.trim().is_empty() {
        return Err(format!("{code}: message is {} bytes", message.len()));
    }
    for secret in [REFRESH, STATE] {
        if message.contains(secret) || format!("{e:?}").contains(secret) {
            return Err(format!("{code}: a secret leaked into {message:?}"));
        }
    }
    Ok(())
}

fn check(cond: bool, what: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

fn deep(open: &str, n: usize) -> String {
    open.repeat(n)
}

/// The transform as the plugin calls it: the bundled catalog, no default model.
fn transform(body: &str) -> Result<String, RequestError> {
    transform::transform(body, &Catalog::bundled(), &transform::Options::default()).map(|t| t.body)
}

/// The instructions sent, in either shape (responses-lite, for the top model, puts them in `input[1]`).
fn instructions_of(out: &Value) -> &Value {
    if out["input"][0]["type"] == "additional_tools" {
        &out["input"][1]["content"][0]["text"]
    } else {
        &out["instructions"]
    }
}

/// The conversation sent, without the responses-lite opening (tools, instructions).
fn conversation_of(out: &Value) -> &[Value] {
    let items = out["input"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let lite = out["input"][0]["type"] == "additional_tools";
    items.get(if lite { 2 } else { 0 }..).unwrap_or_default()
}

fn transformed(body: &str) -> Result<Value, String> {
    let out = transform(body).map_err(|e| format!("refused: {e}"))?;
    serde_json::from_str(&out).map_err(|e| format!("output is not json: {e}"))
}

/// Every case: a name and a check. Grouped by who hands us the input.
fn cases() -> Vec<(String, Box<dyn Fn() -> Check>)> {
    let mut cases: Vec<(String, Box<dyn Fn() -> Check>)> = Vec::new();
    let mut add = |name: &str, f: Box<dyn Fn() -> Check>| cases.push((name.to_string(), f));

    // ---- request bodies from OpenCode (or a plugin in front of us) -------------------------
    for (name, body) in [
        ("empty body", ""),
        ("whitespace body", " \n\t "),
        (
            "truncated object",
            r#"{"model":"gpt-5.4","input":[{"type":"message""#,
        ),
        ("trailing comma", r#"{"model":"gpt-5.4",}"#),
        ("single quotes", "{'model':'gpt-5.4'}"),
        ("unquoted keys", "{model:1}"),
        ("NaN literal", r#"{"temperature":NaN}"#),
        ("byte-order mark", "\u{feff}{}"),
        ("two objects", "{}{}"),
        (
            "html instead of json",
            "<html><body>Bad Gateway</body></html>",
        ),
        ("bare word", "undefined"),
        (
            "control character in a string",
            "{\"instructions\":\"a\u{1}b\"}",
        ),
        ("bad escape", r#"{"instructions":"\x41"}"#),
    ] {
        add(
            &format!("request: {name}"),
            Box::new(move || err(transform(body), "request-not-json", "not valid json")),
        );
    }
    for (name, body) in [
        ("array", "[]"),
        ("number", "42"),
        ("string", "\"hi\""),
        ("null", "null"),
        ("bool", "true"),
    ] {
        add(
            &format!("request: non-object body ({name})"),
            Box::new(move || err(transform(body), "request-not-object", "not a json object")),
        );
    }
    add(
        "request: 100k '[' (no stack overflow)",
        Box::new(|| {
            err(
                transform(&deep("[", 100_000)),
                "request-not-json",
                "not valid json",
            )
        }),
    );
    add(
        "request: 100k '{\"a\":' (no stack overflow)",
        Box::new(|| {
            err(
                transform(&deep(r#"{"a":"#, 100_000)),
                "request-not-json",
                "not valid json",
            )
        }),
    );
    add(
        "request: balanced 50k-deep nesting passes through whole (the scanner does not recurse)",
        Box::new(|| {
            let deep_value = format!("{}{}", deep("[", 50_000), deep("]", 50_000));
            let out = transform(&format!(r#"{{"instructions":"i","x":{deep_value}}}"#))
                .map_err(|e| e.to_string())?;
            check(out.contains(&format!(r#""x":{deep_value}"#)), || {
                "deep value changed".into()
            })
        }),
    );
    add(
        "request: lone surrogate escapes (JSON.stringify of a cut emoji) pass through",
        Box::new(|| {
            let body = r#"{"instructions":"a\ud800b","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"x\udc00"}]}]}"#;
            let out = transform(body).map_err(|e| e.to_string())?;
            check(
                out.contains(r#""a\ud800b""#) && out.contains(r#""x\udc00""#),
                || out.chars().take(300).collect(),
            )
        }),
    );
    add(
        "request: the error names where the json breaks",
        Box::new(|| {
            check(
                transform("{\n  \"model\": \"gpt-5.4\",\n  oops\n}")
                    == Err(RequestError::NotJson {
                        line: 3,
                        column: 3,
                        expected: "a string",
                    }),
                || "wrong position".into(),
            )
        }),
    );
    add(
        "request: 20 MB instructions pass through whole",
        Box::new(|| {
            let big = "x".repeat(20 << 20);
            let out = transformed(&format!(r#"{{"instructions":"{big}","input":[]}}"#))?;
            check(instructions_of(&out).as_str() == Some(big.as_str()), || {
                "instructions changed".into()
            })
        }),
    );
    add(
        "request: 50k input items pass through whole",
        Box::new(|| {
            let item =
                r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}"#;
            let items = vec![item; 50_000].join(",");
            let out = transformed(&format!(r#"{{"instructions":"i","input":[{items}]}}"#))?;
            check(conversation_of(&out).len() == 50_000, || {
                "items lost".into()
            })
        }),
    );
    add(
        "request: invalid UTF-8 (replaced by the JS string conversion) is kept as U+FFFD",
        Box::new(|| {
            let bytes = b"{\"instructions\":\"caf\xc3\",\"input\":[{\"text\":\"\xff\xfe\"}]}";
            let out = transformed(&String::from_utf8_lossy(bytes))?;
            check(
                *instructions_of(&out) == "caf\u{fffd}"
                    && conversation_of(&out)[0]["text"] == "\u{fffd}\u{fffd}",
                || format!("got {out}"),
            )
        }),
    );
    add(
        "request: mistyped fields are overridden, not fatal",
        Box::new(|| {
            let out = transformed(
                r#"{"store":"yes","stream":null,"include":"x","instructions":7,"temperature":"hot"}"#,
            )?;
            check(
                out["store"] == false
                    && out["stream"] == true
                    && out["include"] == serde_json::json!(["reasoning.encrypted_content"])
                    && *instructions_of(&out) == transform::FALLBACK_INSTRUCTIONS
                    && out.get("temperature").is_none(),
                || format!("got {out}"),
            )
        }),
    );
    add(
        "request: numbers beyond f64 and i64 stay numbers",
        Box::new(|| {
            let out = transformed(
                r#"{"instructions":"i","x":18446744073709551615,"y":-9223372036854775808,"z":1e308}"#,
            )?;
            check(
                out["x"].as_u64() == Some(u64::MAX) && out["y"].as_i64() == Some(i64::MIN),
                || format!("got {out}"),
            )
        }),
    );
    add(
        "request: a number beyond f64 passes through verbatim (valid JSON grammar)",
        Box::new(|| {
            let out = transform(r#"{"instructions":"i","x":1e400,"y":-0.0e-999}"#)
                .map_err(|e| e.to_string())?;
            check(
                out.contains(r#""x":1e400"#) && out.contains(r#""y":-0.0e-999"#),
                || out.clone(),
            )
        }),
    );

    // ---- tokens: what the store or the server hands us -------------------------------------
    for (name, t) in [
        ("empty", ""),
        ("one part", "abc"),
        ("two parts", "a.b"),
        ("four parts", "a.b.c.d"),
        ("opaque api key", "sk-proj-abc"),
    ] {
        let t = t.to_string();
        add(
            &format!("jwt: garbage ({name})"),
            Box::new(move || err(jwt::decode(&t), "jwt-malformed", "not a jwt")),
        );
    }
    for (name, payload) in [
        ("not base64", "!!!!"),
        ("base64 with spaces", "ab cd"),
        ("lone base64 char", "a"),
    ] {
        let t = format!("h.{payload}.s");
        add(
            &format!("jwt: {name}"),
            Box::new(move || err(jwt::decode(&t), "jwt-bad-base64", "base64url")),
        );
    }
    for (name, payload) in [
        ("payload not json", "hello".as_bytes().to_vec()),
        ("payload an array", b"[1,2]".to_vec()),
        ("payload invalid UTF-8", b"{\"email\":\"\xff\"}".to_vec()),
        ("payload 100k-deep", deep("[", 100_000).into_bytes()),
    ] {
        let t = format!("h.{}.s", URL_SAFE_NO_PAD.encode(&payload));
        add(
            &format!("jwt: {name}"),
            Box::new(move || err(jwt::decode(&t), "jwt-bad-json", "not a json object")),
        );
    }
    add(
        "jwt: without an account id decodes with none (requests then go without the header)",
        Box::new(|| {
            let claims = jwt::decode(&token(r#"{"exp":1900000000,"email":"a@b.c"}"#))
                .map_err(|e| e.to_string())?;
            check(
                claims
                    == Claims {
                        email: Some("a@b.c".into()),
                        expires_at_s: Some(1_900_000_000),
                        ..Claims::default()
                    },
                || format!("{claims:?}"),
            )
        }),
    );
    add(
        "jwt: mistyped claims are absent, not errors",
        Box::new(|| {
            let t = token(
                r#"{"exp":"tomorrow","email":5,"https://api.openai.com/auth":["acc"],"https://api.openai.com/profile":"x"}"#,
            );
            check(jwt::decode(&t) == Ok(Claims::default()), || {
                "not default".into()
            })
        }),
    );
    add(
        "jwt: an expired token needs a refresh",
        Box::new(|| {
            let t = token(r#"{"exp":1000000000}"#);
            check(token::needs_refresh(&t, None, NOW, 0), || {
                "expired token not refreshed".into()
            })
        }),
    );
    add(
        "jwt: garbage token with no stored expiry needs a refresh (never trusted)",
        Box::new(|| {
            check(token::needs_refresh("garbage", None, NOW, 0), || {
                "garbage trusted".into()
            })
        }),
    );
    add(
        "jwt: exp beyond i64 seconds saturates",
        Box::new(|| {
            let claims = jwt::decode(&token(r#"{"exp":1e300}"#)).map_err(|e| e.to_string())?;
            check(claims.expires_at_s == Some(i64::MAX), || {
                format!("{claims:?}")
            })
        }),
    );
    add(
        "jwt: 1 MB token",
        Box::new(|| {
            let t = token(&format!(r#"{{"email":"{}"}}"#, "e".repeat(1 << 20)));
            check(
                jwt::decode(&t).is_ok_and(|c| c.email.map(|e| e.len()) == Some(1 << 20)),
                || "lost".into(),
            )
        }),
    );

    // ---- clock skew and extreme clocks -----------------------------------------------------
    add(
        "clock: a login built at the extremes of time stays JS-safe",
        Box::new(|| {
            let t = token(r#"{"exp":9223372036854775807}"#);
            for now in [i64::MIN, -1, 0, i64::MAX] {
                for expires_in in [
                    None,
                    Some(f64::MAX),
                    Some(f64::NAN),
                    Some(-1.0),
                    Some(f64::INFINITY),
                    Some(1e-300),
                ] {
                    let l = Login::from_tokens(t.clone(), "r".into(), None, expires_in, now);
                    if !(-MAX_SAFE_MS..=MAX_SAFE_MS).contains(&l.expires_ms) {
                        return Err(format!("{now} {expires_in:?} -> {}", l.expires_ms));
                    }
                }
            }
            Ok(())
        }),
    );
    add(
        "clock: a clock far ahead of the token refreshes; far behind does not",
        Box::new(|| {
            let exp = NOW + 3_600_000;
            check(
                token::needs_refresh("a", Some(exp), i64::MAX, i64::MAX)
                    && !token::needs_refresh("a", Some(exp), i64::MIN, i64::MAX),
                || "wrong decision".into(),
            )
        }),
    );
    add(
        "clock: the device deadline survives a clock going back or jumping",
        Box::new(|| {
            check(
                device::next_poll_delay(NOW, NOW - 86_400_000, 5000) == Ok(5000)
                    && device::next_poll_delay(NOW, i64::MAX, 5000) == Err(DeviceError::Expired)
                    && device::next_poll_delay(i64::MAX, i64::MIN, u64::MAX)
                        == Ok(device::TIMEOUT_MS as u64),
                || "wrong delay".into(),
            )
        }),
    );

    // ---- token endpoint replies (code exchange and refresh) ----------------------------------
    let html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>";
    add(
        "token: HTML error page with 200",
        Box::new(move || {
            err(
                parse_token_response(200, html, NOW, Some(REFRESH)),
                "token-bad-response",
                "not a json object",
            )
        }),
    );
    add(
        "token: HTML error page with 502 is transient and only named",
        Box::new(move || {
            let r = parse_token_response(502, html, NOW, Some(REFRESH));
            check(
                r == Err(TokenError::Transient {
                    status: 502,
                    detail: "an HTML page".into(),
                }),
                || format!("{r:?}"),
            )
        }),
    );
    add(
        "token: HTML page with 401 asks to sign in again",
        Box::new(move || {
            err(
                parse_token_response(401, html, NOW, Some(REFRESH)),
                "refresh-permanent",
                "opencode auth login",
            )
        }),
    );
    for (name, body, problem) in [
        ("empty 200", "", "not a json object"),
        ("null 200", "null", "not a json object"),
        (
            "truncated json 200",
            r#"{"access_token":"at","refr"#,
            "not a json object",
        ),
        ("array 200", "[]", "not a json object"),
        (
            "access_token a number",
            r#"{"access_token":123,"refresh_token":"r"}"#,
            "no access_token",
        ),
        (
            "no refresh token and none before",
            r#"{"access_token":"at"}"#,
            "no refresh_token",
        ),
        (
            "100k-deep json 200",
            &deep("[", 100_000),
            "not a json object",
        ),
    ] {
        let body = body.to_string();
        add(
            &format!("token: {name}"),
            Box::new(move || {
                err(
                    parse_token_response(200, &body, NOW, None),
                    "token-bad-response",
                    problem,
                )
            }),
        );
    }
    add(
        "token: a plain-text error that echoes the refresh token is redacted",
        Box::new(|| {
            let body = format!("invalid refresh token {REFRESH}\n");
            err(
                parse_token_response(500, &body, NOW, Some(REFRESH)),
                "token-transient",
                "[redacted]",
            )
        }),
    );
    add(
        "token: a json error that echoes tokens is redacted",
        Box::new(|| {
            let jwt = token(r#"{"exp":1}"#);
            let body = format!(
                r#"{{"error":"invalid_grant","error_description":"grant {REFRESH} for {jwt}"}}"#
            );
            let r = parse_token_response(401, &body, NOW, Some(REFRESH));
            err(r.clone(), "refresh-permanent", "invalid_grant")?;
            check(!format!("{r:?}").contains(&jwt), || "jwt leaked".into())
        }),
    );
    add(
        "token: 1 MB error body is truncated",
        Box::new(|| {
            let body = "z".repeat(1 << 20);
            let e = parse_token_response(503, &body, NOW, None)
                .map(|_| ())
                .unwrap_err();
            err::<(), _>(Err(e.clone()), "token-transient", "try again")?;
            check(e.to_string().len() < 600, || "not truncated".into())
        }),
    );
    add(
        "token: error body with invalid UTF-8 (lossy) and control characters",
        Box::new(|| {
            let body = String::from_utf8_lossy(b"\xff\xfe bad\r\n\x1b[31mgateway\x00");
            err(
                parse_token_response(502, &body, NOW, None),
                "token-transient",
                "bad",
            )
        }),
    );
    add(
        "token: network failure (status 0)",
        Box::new(|| {
            err(
                parse_token_response(0, "", NOW, Some(REFRESH)),
                "token-transient",
                "could not reach",
            )
        }),
    );
    add(
        "token: a reused refresh token is its own class",
        Box::new(|| {
            err(
                parse_token_response(
                    401,
                    r#"{"error":{"code":"refresh_token_reused"}}"#,
                    NOW,
                    None,
                ),
                "refresh-reused",
                "already used",
            )
        }),
    );
    add(
        "token: expires_in of every odd type",
        Box::new(|| {
            for e in [
                r#""soon""#,
                "-5",
                "1e308",
                "null",
                "[]",
                r#""99999999999999999999""#,
                "0",
            ] {
                let body =
                    format!(r#"{{"access_token":"at","refresh_token":"rt","expires_in":{e}}}"#);
                let l =
                    parse_token_response(200, &body, NOW, None).map_err(|x| format!("{e}: {x}"))?;
                if !(-MAX_SAFE_MS..=MAX_SAFE_MS).contains(&l.expires_ms) {
                    return Err(format!("{e} -> {}", l.expires_ms));
                }
            }
            Ok(())
        }),
    );

    // ---- device-code login ------------------------------------------------------------------
    add(
        "device: HTML user-code reply",
        Box::new(move || {
            err(
                device::parse_user_code(200, html, ISSUER),
                "device-bad-response",
                "not a json object",
            )
        }),
    );
    add(
        "device: user-code endpoint missing (404)",
        Box::new(|| {
            err(
                device::parse_user_code(404, "Not Found", ISSUER),
                "device-unavailable",
                "browser login",
            )
        }),
    );
    add(
        "device: user-code reply without a device id",
        Box::new(|| {
            err(
                device::parse_user_code(200, r#"{"user_code":"AB-12"}"#, ISSUER),
                "device-bad-response",
                "no device_auth_id",
            )
        }),
    );
    add(
        "device: absurd intervals are clamped",
        Box::new(|| {
            for i in [
                r#""NaN""#,
                r#""-1""#,
                "1e308",
                "-1e308",
                r#""99999999999999999999999""#,
                "0.0001",
                "null",
                "{}",
            ] {
                let body = format!(r#"{{"device_auth_id":"d","user_code":"U","interval":{i}}}"#);
                let c =
                    device::parse_user_code(200, &body, ISSUER).map_err(|e| format!("{i}: {e}"))?;
                if !(1000..=60_000).contains(&c.interval_ms) {
                    return Err(format!("{i} -> {}", c.interval_ms));
                }
            }
            Ok(())
        }),
    );
    add(
        "device: HTML poll reply with 200",
        Box::new(move || {
            err(
                device::parse_poll(200, html),
                "device-bad-response",
                "not a json object",
            )
        }),
    );
    add(
        "device: HTML poll reply with 502 keeps polling",
        Box::new(move || {
            check(device::parse_poll(502, html) == Ok(Poll::Pending), || {
                "not pending".into()
            })
        }),
    );
    add(
        "device: a refused poll (418) is a failure with the detail",
        Box::new(|| {
            err(
                device::parse_poll(418, r#"{"error":{"message":"teapot"}}"#),
                "device-failed",
                "teapot",
            )
        }),
    );
    add(
        "device: a bad issuer",
        Box::new(|| {
            err(
                device::parse_user_code(200, "{}", "javascript:alert(1)"),
                "bad-issuer",
                "http(s)",
            )
        }),
    );

    // ---- the browser callback and pasted input -----------------------------------------------
    add(
        "callback: forged request without our state",
        Box::new(|| {
            err(
                oauth::parse_callback("/auth/callback?code=c&state=evil", STATE),
                "state-mismatch",
                "different login",
            )
        }),
    );
    add(
        "callback: invalid percent escapes and invalid UTF-8",
        Box::new(|| {
            let target = format!("/auth/callback?code=%zz%ff%fe%&state={STATE}");
            check(
                oauth::parse_callback(&target, STATE)
                    == Ok(Callback::Code("%zz\u{fffd}\u{fffd}%".into())),
                || "not decoded leniently".into(),
            )
        }),
    );
    add(
        "callback: 1 MB request target",
        Box::new(|| {
            let target = format!("/auth/callback?state={STATE}&code={}", "c".repeat(1 << 20));
            check(
                matches!(oauth::parse_callback(&target, STATE), Ok(Callback::Code(c)) if c.len() == 1 << 20),
                || "lost".into(),
            )
        }),
    );
    add(
        "callback: error with script in the description is cleaned",
        Box::new(|| {
            let target = format!("/auth/callback?state={STATE}&error=server_error&error_description=%3Cscript%3Ex%3C/script%3E%0A");
            err(
                oauth::parse_callback(&target, STATE),
                "access-denied",
                "sign-in failed",
            )
        }),
    );
    for (name, input, code, phrase) in [
        (
            "empty paste",
            "",
            "paste-unrecognized",
            "paste the whole address",
        ),
        (
            "a sentence",
            "I could not log in",
            "paste-unrecognized",
            "paste the whole address",
        ),
        (
            "an HTML page",
            "<html><body>error</body></html>",
            "paste-unrecognized",
            "paste the whole address",
        ),
        (
            "a URL without code",
            "http://localhost:1455/auth/callback?scope=openid",
            "missing-code",
            "no authorization code",
        ),
        (
            "a URL with a foreign state",
            "http://localhost:1455/auth/callback?code=c&state=old",
            "state-mismatch",
            "different login",
        ),
        (
            "a denied redirect",
            "http://localhost:1455/auth/callback?error=access_denied",
            "access-denied",
            "denied",
        ),
    ] {
        add(
            &format!("paste: {name}"),
            Box::new(move || err(oauth::parse_pasted(input, STATE), code, phrase)),
        );
    }
    add(
        "paste: a 1 MB paste",
        Box::new(|| {
            err(
                oauth::parse_pasted(&"x ".repeat(1 << 19), STATE),
                "paste-unrecognized",
                "paste",
            )
        }),
    );
    for bad in [
        "",
        "auth.openai.com",
        "ftp://x",
        "https://",
        "https://a b",
        "https://?x",
        "\u{0}",
    ] {
        add(
            &format!("issuer: {bad:?}"),
            Box::new(move || {
                // An empty issuer is the default; everything else here is refused.
                match (bad, oauth::issuer_base(bad)) {
                    ("", Ok(b)) => check(b == oauth::DEFAULT_ISSUER, || b.to_string()),
                    (_, r) => err(r, "bad-issuer", "OPENCODE_CODEX_ISSUER"),
                }
            }),
        );
    }

    // ---- the backend's stream and error replies ------------------------------------------------
    add(
        "stream: invalid UTF-8 inside events is replaced, the stream goes on",
        Box::new(|| {
            let mut p = SseParser::new();
            let events = p
                .feed(b"data: caf\xc3\n\ndata: \xff\xfe ok\n\n")
                .map_err(|e| e.to_string())?;
            let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
            check(data == ["caf\u{fffd}", "\u{fffd}\u{fffd} ok"], || {
                format!("{data:?}")
            })
        }),
    );
    add(
        "stream: a UTF-8 character split across chunks is whole",
        Box::new(|| {
            let mut p = SseParser::new();
            let mut events = p.feed(b"data: \xe2\x82").map_err(|e| e.to_string())?;
            events.extend(p.feed(b"\xac\n\n").map_err(|e| e.to_string())?);
            check(
                events.first().map(|e| e.data.as_str()) == Some("\u{20ac}"),
                || format!("{events:?}"),
            )
        }),
    );
    add(
        "stream: an event that never ends is stopped at the cap with a typed error",
        Box::new(|| {
            let mut p = SseParser::new();
            let chunk = vec![b'x'; 1 << 20];
            p.feed(b"data: ").map_err(|e| e.to_string())?;
            for _ in 0..(MAX_EVENT_BYTES >> 20) {
                if let Err(e) = p.feed(&chunk) {
                    return err::<(), SseError>(Err(e), "sse-event-too-large", "16 MB");
                }
            }
            err(p.feed(&chunk), "sse-event-too-large", "16 MB")
        }),
    );
    add(
        "stream: an HTML page instead of a stream ends early, passed through, no events",
        Box::new(|| {
            let mut r = BufferedRewriter::new();
            let page = b"<html><body>502 Bad Gateway</body></html>";
            let mut out = r.push(page).map_err(|e| e.to_string())?;
            out.extend(r.finish());
            check(
                out == page && r.rewriter.ended_early() && r.rewriter.failure().is_none(),
                || "not ended early".into(),
            )
        }),
    );
    add(
        "stream: a stream cut before response.completed is an incomplete response for stream:false",
        Box::new(|| {
            let mut c = SseCollector::new();
            c.push(b"event: response.created\ndata: {\"type\":\"response.created\"}\n\ndata: {\"type\":\"response.output_text.delta\",\"de")
                .map_err(|e| e.to_string())?;
            err(
                c.finish(),
                "response-incomplete",
                "ended before the response completed",
            )
        }),
    );
    add(
        "stream: a response.failed with garbage data still becomes a readable failure",
        Box::new(|| {
            let mut c = SseCollector::new();
            c.push(b"event: response.failed\ndata: {not json\n\n")
                .map_err(|e| e.to_string())?;
            match c.finish() {
                Err(CollectError::Failed(f)) => check(
                    f.message.contains("ChatGPT backend reported an error"),
                    || f.message,
                ),
                other => Err(format!("{other:?}")),
            }
        }),
    );
    add(
        "http: an HTML 502 page is summarized without markup",
        Box::new(move || {
            let e = classify(502, &[], &format!("{html}<script>x()</script>"), NOW, 0);
            check(
                e.kind == ErrorKind::Server
                    && e.retryable
                    && !e.message.contains('<')
                    && e.message.contains("502"),
                || e.message.clone(),
            )
        }),
    );
    add(
        "http: a broken json error body still gives a readable message",
        Box::new(|| {
            let e = classify(400, &[], r#"{"error":{"message":"bad"#, NOW, 0);
            check(
                e.kind == ErrorKind::BadRequest && !e.retryable && e.message.contains("400"),
                || e.message.clone(),
            )
        }),
    );
    add(
        "http: a huge error body is cut short",
        Box::new(|| {
            let e = classify(500, &[], &"y".repeat(1 << 20), NOW, 0);
            check(e.message.len() < 1000, || {
                format!("{} bytes", e.message.len())
            })
        }),
    );
    add(
        "http: nonsense retry headers and a reset far away are handled",
        Box::new(|| {
            let headers = [
                ("retry-after".to_string(), "NaN".to_string()),
                ("retry-after-ms".to_string(), "-5".to_string()),
            ];
            let body =
                r#"{"error":{"type":"usage_limit_reached","resets_at":1e300,"plan_type":"plus"}}"#;
            let e = classify(429, &headers, body, i64::MIN, i32::MAX);
            check(
                e.kind == ErrorKind::UsageLimit
                    && e.retry_after_ms.is_none()
                    && e.message.contains("plus"),
                || format!("{e:?}"),
            )
        }),
    );
    for (name, doc, code) in [
        ("an HTML page", "<html>oops</html>", "catalog-not-json"),
        ("no models array", r#"{"data":[]}"#, "catalog-no-models"),
        (
            "models without slugs",
            r#"{"models":[{"display_name":"x"},7,null]}"#,
            "catalog-empty",
        ),
    ] {
        add(
            &format!("models: {name} leaves the catalog as it was"),
            Box::new(move || {
                let mut c = Catalog::bundled();
                let r = c.merge_remote(doc);
                err::<(), CatalogError>(r, code, "keeping the previous catalog")?;
                check(c == Catalog::bundled(), || "catalog changed".into())
            }),
        );
    }

    // ---- text we show or log ------------------------------------------------------------------
    add(
        "page: a message with markup cannot open a tag",
        Box::new(|| {
            let page = render(
                PageKind::Error,
                "<img src=x onerror=alert(1)>\"'</p><script>",
            );
            check(!page.contains("<img") && !page.contains("<script"), || {
                page.clone()
            })
        }),
    );
    add(
        "redact: 1 MB of repeated keys",
        Box::new(|| {
            let text = format!("{}{REFRESH}", "refresh_token=".repeat(75_000));
            let t0 = std::time::Instant::now();
            let out = redact(&text, &[REFRESH]);
            check(
                out == "refresh_token=[redacted]" && t0.elapsed().as_secs() < 30,
                || format!("{:?}", t0.elapsed()),
            )
        }),
    );
    add(
        "redact: a secret split by invalid UTF-8 replacement still goes",
        Box::new(|| {
            let text = String::from_utf8_lossy(format!("\u{fffd}{REFRESH}\u{fffd}").as_bytes())
                .into_owned();
            check(
                redact(&text, &[REFRESH]) == "\u{fffd}[redacted]\u{fffd}",
                || redact(&text, &[REFRESH]),
            )
        }),
    );
    add(
        "errors: every code is kebab-case and no message quotes a secret",
        Box::new(|| {
            let errors: Vec<Box<dyn CoreError>> = vec![
                Box::new(JwtError::Malformed),
                Box::new(OAuthError::StateMismatch),
                Box::new(RequestError::NotObject),
                Box::new(DeviceError::Expired),
                Box::new(TokenError::Transient {
                    status: 0,
                    detail: REFRESH.into(),
                }),
            ];
            for e in errors {
                let code = e.code();
                if code.is_empty() || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                    return Err(format!("code {code:?}"));
                }
                if e.to_string().contains(REFRESH) {
                    return Err(format!("{code} quotes a secret"));
                }
            }
            Ok(())
        }),
    );
    cases
}

#[test]
fn bad_input_list() {
    let cases = cases();
    let tried = cases.len();
    let mut failures = Vec::new();
    for (name, run) in &cases {
        let t0 = std::time::Instant::now();
        let result = catch_unwind(AssertUnwindSafe(run));
        if t0.elapsed().as_secs_f64() > 5.0 {
            let _ = writeln!(
                std::io::stderr(),
                "bad input: slow case ({:.1} s): {name}",
                t0.elapsed().as_secs_f64()
            );
        }
        match result {
            Ok(Ok(())) => {}
            Ok(Err(why)) => failures.push(format!(
                "{name}: {}",
                why.chars().take(400).collect::<String>()
            )),
            Err(_) => failures.push(format!("{name}: PANICKED")),
        }
    }
    let passed = tried - failures.len();
    // Straight to the stream, past the harness's capture: the line shows in every run.
    let _ = writeln!(
        std::io::stderr(),
        "bad input: {tried} tried, {passed} passed"
    );
    assert!(
        failures.is_empty(),
        "bad input failures:\n  {}",
        failures.join("\n  ")
    );
}

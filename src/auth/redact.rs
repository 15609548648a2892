//! Redaction of secrets from text before anyone logs or shows it: the caller's known secrets, plus
//! patterns that look like credentials (JWTs, `code=`/`*_token=` values in URLs and forms, token
//! fields in JSON or JS object dumps, `Bearer` values, `sk-` API keys). Never adds information,
//! never fails.

/// Invisible format characters that can disguise text on a terminal or in a toast: bidi embeddings,
/// overrides and isolates, zero-width spaces and joiners, marks, the BOM / word joiner.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{061c}')
}

/// Text from outside (a backend's or the issuer's reply) made fit to show a person: control
/// characters (C0, DEL, C1: escape sequences, bells, NULs, line breaks) become spaces, invisible
/// format characters are dropped, credential-looking text is redacted, whitespace collapses to
/// single spaces and at most `max_chars` characters are kept (then `…`). Never panics.
pub fn display_text(text: &str, max_chars: usize) -> String {
    let plain: String = text
        .chars()
        .filter(|&c| !is_invisible_format(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let redacted = redact::<&str>(&plain, &[]);
    let mut out = String::new();
    let mut count = 0;
    for word in redacted.split_whitespace() {
        for c in (count > 0).then_some(' ').into_iter().chain(word.chars()) {
            if count == max_chars {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

/// What every redacted span becomes.
pub const MARKER: &str = "[redacted]";

/// Secrets shorter than this are ignored: they are not credentials, and replacing every
/// occurrence of a two-letter string would shred the text.
pub const MIN_SECRET_LEN: usize = 8;

/// Query/form keys whose values are secrets (`key=value`, matched case-insensitively).
const FORM_KEYS: &[&str] = &[
    "code",
    "state",
    "access_token",
    "refresh_token",
    "id_token",
    "code_verifier",
    "authorization_code",
    "client_secret",
    "api_key",
];

/// JSON / JS-object keys whose string values are secrets. Bare `code` and `state` are left out on
/// purpose: error objects carry a `code` JS branches on; pass those values as secrets instead.
const JSON_KEYS: &[&str] = &[
    "access",
    "refresh",
    "access_token",
    "refresh_token",
    "id_token",
    "accessToken",
    "refreshToken",
    "idToken",
    "code_verifier",
    "codeVerifier",
    "verifier",
    "authorization_code",
    "authorizationCode",
    "client_secret",
    "api_key",
    "apiKey",
    "key",
];

/// Returns `text` with every occurrence of each secret (at least [`MIN_SECRET_LEN`] bytes) and
/// every credential-looking pattern replaced by [`MARKER`]. Overlapping spans merge into one marker.
///
/// Guarantee: a secret of [`MIN_SECRET_LEN`]+ bytes that contains no `[` or `]` and is not itself
/// part of the marker never appears in the result.
pub fn redact<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let mut spans = Vec::new();
    for secret in secrets {
        secret_spans(text, secret.as_ref(), &mut spans);
    }
    jwt_spans(text, &mut spans);
    form_spans(text, &mut spans);
    json_spans(text, &mut spans);
    bearer_spans(text, &mut spans);
    api_key_spans(text, &mut spans);
    replace_spans(text, &spans)
}

/// Every occurrence of `secret`, overlapping ones included.
fn secret_spans(text: &str, secret: &str, spans: &mut Vec<(usize, usize)>) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find(secret)) {
        let start = from + found;
        spans.push((start, start + secret.len()));
        // Step one character, not one byte, so the next slice starts on a char boundary.
        let step = text
            .get(start..)
            .and_then(|rest| rest.chars().next())
            .map_or(1, char::len_utf8);
        from = start + step;
    }
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The end of the run of bytes from `start` satisfying `pred`.
fn run_end(bytes: &[u8], start: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut i = start;
    while bytes.get(i).is_some_and(|&b| pred(b)) {
        i += 1;
    }
    i
}

/// `eyJ<header>.<payload>.<signature?>`: a JWT (its header is base64url JSON, so starts `eyJ`).
fn jwt_spans(text: &str, spans: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    for (start, _) in text.match_indices("eyJ") {
        if start > 0 && bytes.get(start - 1).is_some_and(|&b| is_b64url(b)) {
            continue;
        }
        let header_end = run_end(bytes, start, is_b64url);
        if header_end - start < 4 || bytes.get(header_end) != Some(&b'.') {
            continue;
        }
        let payload_end = run_end(bytes, header_end + 1, is_b64url);
        if payload_end - (header_end + 1) < 4 || bytes.get(payload_end) != Some(&b'.') {
            continue;
        }
        spans.push((start, run_end(bytes, payload_end + 1, is_b64url)));
    }
}

/// Where a `key` match at `start..start+len` is a whole key: not glued to a word before it.
fn starts_key(bytes: &[u8], start: usize) -> bool {
    start == 0 || bytes.get(start - 1).is_some_and(|&b| !is_word(b))
}

/// All case-insensitive occurrences of `key` in `text` that begin a word.
fn key_matches<'a>(text: &'a str, key: &'a str) -> impl Iterator<Item = usize> + 'a {
    let bytes = text.as_bytes();
    let key = key.as_bytes();
    (0..bytes.len().saturating_sub(key.len().saturating_sub(1))).filter(move |&i| {
        starts_key(bytes, i)
            && bytes
                .get(i..i + key.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(key))
    })
}

/// `key=value` in URLs, forms and log lines: the value runs to the next separator.
fn form_spans(text: &str, spans: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    for key in FORM_KEYS {
        // Matches inside a value already scanned are skipped: linear even on `code=code=code=…`.
        let mut scanned = 0;
        for at in key_matches(text, key) {
            let eq = at + key.len();
            if at < scanned || bytes.get(eq) != Some(&b'=') {
                continue;
            }
            let end = run_end(bytes, eq + 1, |b| {
                !(b.is_ascii_whitespace() || b"&#\"'<>,;)]}".contains(&b))
            });
            if push_value(text, eq + 1, end, spans) {
                scanned = end;
            }
        }
    }
}

/// `"key": "value"`, `key: 'value'`, `\"key\":\"value\"` (JSON, JS object dumps, JSON inside
/// JSON strings): the quoted string value is redacted, quotes kept.
fn json_spans(text: &str, spans: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    for key in JSON_KEYS {
        let mut scanned = 0;
        for at in key_matches(text, key) {
            if at < scanned {
                continue;
            }
            let mut i = at + key.len();
            // An optional closing quote around the key: `"`, `'` or `\"`.
            match bytes.get(i) {
                Some(b'"') | Some(b'\'') => i += 1,
                Some(b'\\') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                _ => {}
            }
            i = run_end(bytes, i, |b| b == b' ' || b == b'\t');
            if bytes.get(i) != Some(&b':') {
                continue;
            }
            i = run_end(bytes, i + 1, |b| b == b' ' || b == b'\t');
            let (value_start, quote): (usize, &[u8]) = match bytes.get(i) {
                Some(b'"') => (i + 1, b"\""),
                Some(b'\'') => (i + 1, b"'"),
                Some(b'\\') if bytes.get(i + 1) == Some(&b'"') => (i + 2, b"\\\""),
                _ => continue,
            };
            let end = quoted_end(bytes, value_start, quote);
            // Only a value redacted now counts as scanned: one that is already the marker may run on
            // (an unclosed quote, text glued after it) over keys that the next pass would then see.
            if push_value(text, value_start, end, spans) {
                scanned = end;
            }
        }
    }
}

/// The index of the closing `quote` (skipping backslash escapes for plain quotes), or the end of
/// the text if the string never closes (a truncated log line still gets redacted).
fn quoted_end(bytes: &[u8], start: usize, quote: &[u8]) -> usize {
    let mut i = start;
    while i < bytes.len() {
        if bytes.get(i..i + quote.len()) == Some(quote) {
            return i;
        }
        i += if quote.len() == 1 && bytes.get(i) == Some(&b'\\') {
            2
        } else {
            1
        };
    }
    bytes.len()
}

/// `Bearer <token>` (an Authorization header in a dump).
fn bearer_spans(text: &str, spans: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    for at in key_matches(text, "bearer ") {
        let start = run_end(bytes, at + "bearer ".len(), |b| b == b' ');
        let end = run_end(bytes, start, |b| is_b64url(b) || b"._~+/=".contains(&b));
        let _ = push_value(text, start, end, spans);
    }
}

/// OpenAI API keys: `sk-` followed by 20+ key characters (`sk-proj-…` included).
fn api_key_spans(text: &str, spans: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    for at in key_matches(text, "sk-") {
        let end = run_end(bytes, at + 3, is_b64url);
        if end - (at + 3) >= 20 {
            spans.push((at, end));
        }
    }
}

/// Pushes `start..end` unless it is empty or already starts with the marker (so redacting twice
/// changes nothing); true when it pushed.
fn push_value(text: &str, start: usize, end: usize, spans: &mut Vec<(usize, usize)>) -> bool {
    let push = end > start && !text.get(start..).is_some_and(|v| v.starts_with(MARKER));
    if push {
        spans.push((start, end));
    }
    push
}

/// Replaces the union of `spans` by one marker per run of covered bytes (overlapping and
/// touching spans merge). A byte mask instead of sorting the spans keeps the wasm small. Every
/// span edge is a char boundary (secret matches, or ASCII delimiters found above).
fn replace_spans(text: &str, spans: &[(usize, usize)]) -> String {
    let mut covered = vec![false; text.len()];
    for &(start, end) in spans {
        if let Some(run) = covered.get_mut(start..end) {
            run.fill(true);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let is_covered = covered.get(i).copied().unwrap_or(false);
        let end = covered
            .get(i..)
            .and_then(|rest| rest.iter().position(|&c| c != is_covered))
            .map_or(text.len(), |n| i + n);
        if is_covered {
            out.push_str(MARKER);
        } else {
            out.push_str(text.get(i..end).unwrap_or_default());
        }
        i = end;
    }
    out
}

/// Test support shared by the tests of every path that shows backend text (errors_http, rewriter).
#[cfg(test)]
pub(crate) mod shown_text {
    /// What a terminal or a toast must never get raw: escape sequences, bells, NULs, C1 controls,
    /// bidi overrides and zero-width characters; and a token the backend echoed. `(text, token)`.
    pub fn evil_backend_text() -> (String, String) {
        let jwt = crate::auth::jwt::make_test_token(r#"{"exp":1}"#);
        let evil = format!("bad\u{1b}[31m red\u{7} \u{0} nul\r\nline2 \u{9b}csi \u{202e}rtl\u{200b}zw\u{2066}iso {jwt}");
        (evil, jwt)
    }

    /// `m` holds no control or format character, not the token, and still the words.
    pub fn assert_shown_ok(m: &str, jwt: &str) {
        assert!(
            !m.chars().any(|c| c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')),
            "control or format character in {m:?}"
        );
        assert!(!m.contains(jwt), "token echoed in {m:?}");
        assert!(
            m.contains("bad") && m.contains("red") && m.contains("line2"),
            "the words are kept in {m:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    const NONE: &[&str] = &[];

    #[test]
    fn known_secrets_are_replaced_everywhere() {
        assert_eq!(
            redact(
                "refresh rt_abc123456 failed; retry with rt_abc123456",
                &["rt_abc123456"]
            ),
            "refresh [redacted] failed; retry with [redacted]"
        );
    }

    #[test]
    fn short_and_empty_secrets_are_ignored() {
        assert_eq!(redact("a short text", &["", "a", "short"]), "a short text");
    }

    #[test]
    fn overlapping_secrets_merge_into_one_marker() {
        assert_eq!(
            redact("xx0123456789abcdefyy", &["0123456789ab", "6789abcdef"]),
            "xx[redacted]yy"
        );
        assert_eq!(redact("aaaaaaaaaaa", &["aaaaaaaa"]), "[redacted]");
    }

    #[test]
    fn a_jwt_is_redacted_without_being_told() {
        let jwt = crate::auth::jwt::make_test_token(r#"{"sub":"user","exp":1}"#);
        assert_eq!(
            redact(&format!("token {jwt} rejected"), NONE),
            "token [redacted] rejected"
        );
        // A bare `eyJ` word is not a token.
        assert_eq!(redact("eyJ. and eyJabc.de", NONE), "eyJ. and eyJabc.de");
    }

    #[test]
    fn form_and_query_values_are_redacted() {
        assert_eq!(
            redact(
                "GET /auth/callback?code=ac_SECRET123&state=st-9&scope=openid HTTP/1.1",
                NONE
            ),
            "GET /auth/callback?code=[redacted]&state=[redacted]&scope=openid HTTP/1.1"
        );
        assert_eq!(
            redact(
                "grant_type=refresh_token&refresh_token=rt_1.abc&client_id=app_x",
                NONE
            ),
            "grant_type=refresh_token&refresh_token=[redacted]&client_id=app_x"
        );
        assert_eq!(
            redact("code_verifier=abc&code_challenge=xyz", NONE),
            "code_verifier=[redacted]&code_challenge=xyz"
        );
    }

    #[test]
    fn keys_must_start_a_word() {
        assert_eq!(
            redact("error_code=denied&mycode=1&code_challenge=c", NONE),
            "error_code=denied&mycode=1&code_challenge=c"
        );
    }

    #[test]
    fn json_and_js_object_values_are_redacted() {
        assert_eq!(
            redact(
                r#"{"type":"oauth","refresh":"rt_1","access":"at_2","expires":5,"code":"refresh-reused"}"#,
                NONE
            ),
            r#"{"type":"oauth","refresh":"[redacted]","access":"[redacted]","expires":5,"code":"refresh-reused"}"#
        );
        assert_eq!(
            redact("{ refresh: 'rt_1', accountId: 'acc' }", NONE),
            "{ refresh: '[redacted]', accountId: 'acc' }"
        );
        assert_eq!(
            redact(r#"{"msg":"{\"refresh_token\":\"rt_1\"}"}"#, NONE),
            r#"{"msg":"{\"refresh_token\":\"[redacted]\"}"}"#
        );
        assert_eq!(
            redact(r#""access_token": "a\"b" , x"#, NONE),
            r#""access_token": "[redacted]" , x"#
        );
    }

    #[test]
    fn bearer_values_and_api_keys_are_redacted() {
        assert_eq!(
            redact("Authorization: Bearer abc.def-ghi", NONE),
            "Authorization: Bearer [redacted]"
        );
        assert_eq!(
            redact("key sk-proj-abcdefghijklmnopqrstuvwxyz used", NONE),
            "key [redacted] used"
        );
        assert_eq!(redact("task-sk-1", NONE), "task-sk-1");
    }

    #[test]
    fn redacting_twice_changes_nothing() {
        let once = redact(r#"refresh_token=zz {"access":"a"} Bearer b.c"#, NONE);
        assert_eq!(
            once,
            r#"refresh_token=[redacted] {"access":"[redacted]"} Bearer [redacted]"#
        );
        assert_eq!(redact(&once, NONE), once);
    }

    #[test]
    fn an_already_redacted_value_does_not_hide_the_next_key() {
        // Found by fuzz target `redact` (1.2 M executions): the first `Key:"[redacted]…` value was
        // skipped but still counted as scanned up to the next quote, hiding the second `Key:`; a JWT
        // that swallowed a later key changed what the second pass skipped, so redacting twice differed.
        let text = "-Key:\"[redacted]----Key:\"eyJdc66WWe-Re\u{3}eyJdcee62ee.-Jdcee.-S----BW-Key:\"[redacted]----Key:\"eyJdc66WWe-R";
        let once = redact(text, NONE);
        assert_eq!(redact(&once, NONE), once);
        assert!(!once.contains("eyJdc66"), "{once}");
        assert_eq!(
            redact(r#"{"key":"[redacted]", "key":"visible1"}"#, NONE),
            r#"{"key":"[redacted]", "key":"[redacted]"}"#
        );
    }

    #[test]
    fn repeated_keys_stay_linear() {
        let text = "code=".repeat(20_000);
        let start = std::time::Instant::now();
        assert_eq!(redact(&text, NONE), format!("code={MARKER}"));
        let text = r#"{"refresh":""#.repeat(10_000);
        assert!(redact(&text, NONE).starts_with(r#"{"refresh":"[redacted]"#));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn unterminated_values_are_redacted_to_the_end() {
        assert_eq!(
            redact(r#"{"refresh":"rt_trunc"#, NONE),
            r#"{"refresh":"[redacted]"#
        );
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn never_panics(text in any::<String>(), secrets in proptest::collection::vec(any::<String>(), 0..4)) {
            let _ = redact(&text, &secrets);
        }

        #[test]
        fn display_text_shows_no_control_or_format_character(text in any::<String>(), max in 0usize..300) {
            let out = display_text(&text, max);
            prop_assert!(!out.chars().any(|c| c.is_control() || is_invisible_format(c)), "{:?}", out);
            prop_assert!(out.chars().count() <= max + 1);
            prop_assert_eq!(out.trim(), out.as_str());
        }

        #[test]
        fn a_secret_never_survives(
            before in any::<String>(),
            after in any::<String>(),
            secret in "[A-Za-z0-9._~+/=-]{8,64}",
        ) {
            prop_assume!(!MARKER.contains(secret.as_str()));
            let text = format!("{before}{secret}{after}{secret}");
            let out = redact(&text, &[secret.as_str()]);
            prop_assert!(!out.contains(&secret), "{out:?}");
        }

        #[test]
        fn redaction_is_idempotent(text in "(code=|refresh_token=|\"access\": ?|Bearer |eyJhbGc\\.eyJzdWIi\\.|sk-|[a-z\\[\\]\"' =&.])*") {
            let once = redact(&text, NONE);
            prop_assert_eq!(redact(&once, NONE), once);
        }

        #[test]
        fn text_without_secrets_or_patterns_is_unchanged(text in "[a-z ,.!?]{0,200}") {
            prop_assume!(!text.contains("sk-") && !text.contains("bearer "));
            prop_assert_eq!(redact(&text, NONE), text);
        }
    }
}

//! Classifies Codex backend failures (HTTP error responses and in-stream `response.failed` codes)
//! into a kind, a message a person understands, and a retry decision. Pure: the caller passes the
//! clock (`now_ms`), the local time zone offset and the jitter; nothing here sleeps or sends.

use serde_json::Value;

use crate::auth::redact::display_text;
use crate::json::{self, Fields};

/// Attempts (the first send included) for server and transport failures.
pub const MAX_ATTEMPTS: u32 = 4;
const BASE_DELAY_MS: f64 = 200.0;
/// A rate-limit wait longer than this is not waited out inside one request.
const MAX_RATE_LIMIT_WAIT_MS: u64 = 60_000;

/// A failure's kind; JS reads it by its snake_case [`ErrorKind::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The plan's usage window is used up; waits until `resets_at`.
    UsageLimit,
    /// The ChatGPT plan does not include Codex.
    NotIncluded,
    /// The account is not entitled (403 without a known code).
    Entitlement,
    /// The model is not available with a ChatGPT login.
    ModelUnsupported,
    /// The backend wants a newer Codex client for this model ("requires a newer version of Codex").
    ClientTooOld,
    /// `insufficient_quota`: the account's quota or credits are used up (not the plan's usage window).
    QuotaExceeded,
    /// The login is not accepted (after the caller's one refresh).
    Unauthorized,
    /// A short-term rate limit ("try again in N s").
    RateLimited,
    /// 5xx, overloaded, slow down.
    Server,
    /// Any other 4xx / invalid prompt.
    BadRequest,
    /// The conversation does not fit the model's context window.
    ContextLength,
    /// The request never got an HTTP answer (JS-side network failure).
    Transport,
    /// `invalid_encrypted_content`: reasoning saved from an earlier turn cannot be read (another
    /// login or workspace); sent once more without it (see [`crate::request::resend`]).
    EncryptedContent,
    /// `response.incomplete`: the backend stopped the answer early, with a reason.
    ResponseIncomplete,
    Other,
}

impl ErrorKind {
    /// Every kind, in declaration order (the order serde's "expected one of" named them).
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::UsageLimit,
        ErrorKind::NotIncluded,
        ErrorKind::Entitlement,
        ErrorKind::ModelUnsupported,
        ErrorKind::ClientTooOld,
        ErrorKind::QuotaExceeded,
        ErrorKind::Unauthorized,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::BadRequest,
        ErrorKind::ContextLength,
        ErrorKind::Transport,
        ErrorKind::EncryptedContent,
        ErrorKind::ResponseIncomplete,
        ErrorKind::Other,
    ];

    /// The name JS reads and passes back (`usage_limit`, `context_length`, …).
    #[inline(never)] // one copy of the table (wasm size)
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::UsageLimit => "usage_limit",
            ErrorKind::NotIncluded => "not_included",
            ErrorKind::Entitlement => "entitlement",
            ErrorKind::ModelUnsupported => "model_unsupported",
            ErrorKind::ClientTooOld => "client_too_old",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::ContextLength => "context_length",
            ErrorKind::Transport => "transport",
            ErrorKind::EncryptedContent => "encrypted_content",
            ErrorKind::ResponseIncomplete => "response_incomplete",
            ErrorKind::Other => "other",
        }
    }

    /// The kind named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A kind from a JSON value (a name), with serde's wording for anything else.
    pub fn read(v: &Value) -> Result<ErrorKind, String> {
        let Some(name) = v.as_str() else {
            return Err(json::invalid(v, "enum ErrorKind"));
        };
        ErrorKind::from_name(name).ok_or_else(|| {
            let mut msg = format!("unknown variant `{name}`, expected one of ");
            for (i, k) in ErrorKind::ALL.iter().enumerate() {
                msg.push_str(if i == 0 { "`" } else { ", `" });
                msg.push_str(k.name());
                msg.push('`');
            }
            msg
        })
    }
}

/// A classified failure, ready for JS ([`HttpError::to_json`]).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpError {
    pub kind: ErrorKind,
    pub status: u16,
    pub message: String,
    pub retryable: bool,
    pub retry_after_ms: Option<u64>,
    pub resets_at_ms: Option<i64>,
    pub plan: Option<String>,
}

impl HttpError {
    /// `{kind, status, message, retryable, retryAfterMs, resetsAtMs, plan}`, `null` for what is
    /// not known.
    pub fn to_json(&self) -> String {
        json::object(|o| {
            o.str("kind", self.kind.name())
                .u64("status", u64::from(self.status))
                .str("message", &self.message)
                .bool("retryable", self.retryable);
            match self.retry_after_ms {
                Some(ms) => o.u64("retryAfterMs", ms),
                None => o.null("retryAfterMs"),
            };
            match self.resets_at_ms {
                Some(ms) => o.i64("resetsAtMs", ms),
                None => o.null("resetsAtMs"),
            };
            o.opt_str("plan", self.plan.as_deref());
        })
    }
}

/// Kind and message for an error `code` (+ backend message) as found in `response.failed` events
/// and HTTP error bodies. `None` when the code is unknown.
pub fn classify_code(code: &str, message: &str) -> Option<(ErrorKind, String)> {
    let wait = retry_after_from_text(message)
        .map(|ms| format!(" in {}", human_duration(ms)))
        .unwrap_or_default();
    Some(match code {
        "context_length_exceeded" => (
            ErrorKind::ContextLength,
            "the conversation is too long for this model's context window; compact it (/compact) or start a new session".into(),
        ),
        "usage_limit_reached" => (
            ErrorKind::UsageLimit,
            "ChatGPT usage limit reached for your plan; wait for it to reset or check your plan's limits".into(),
        ),
        "insufficient_quota" => (ErrorKind::QuotaExceeded, QUOTA_EXCEEDED.into()),
        "usage_not_included" => (ErrorKind::NotIncluded, NOT_INCLUDED.into()),
        "invalid_encrypted_content" => (
            ErrorKind::EncryptedContent,
            "the ChatGPT backend could not read the reasoning saved from an earlier turn (it belongs to another login or workspace); start a new session".into(),
        ),
        "invalid_prompt" => (ErrorKind::BadRequest, format!("the ChatGPT backend rejected the prompt: {}", short(message))),
        "server_is_overloaded" | "slow_down" => {
            (ErrorKind::Server, format!("the ChatGPT backend is overloaded; try again{}", if wait.is_empty() { " in a moment" } else { &wait }))
        }
        "rate_limit_exceeded" => (
            ErrorKind::RateLimited,
            format!("ChatGPT rate limit reached; try again{}", if wait.is_empty() { " shortly" } else { &wait }),
        ),
        _ => return None,
    })
}

const QUOTA_EXCEEDED: &str = "this account has no quota or credits left (insufficient_quota); this is not your plan's 5-hour or weekly usage window, so waiting for a reset will not help: check the account's credits and billing, or log in with another account";

const NOT_INCLUDED: &str =
    "your ChatGPT plan does not include Codex; use a Plus, Pro, Business, Edu or Enterprise plan (or an OpenAI API key)";

/// What the caller knows that makes a refusal actionable: the models this login can use and the
/// client version we spoke as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub models: Vec<String>,
    pub client_version: Option<String>,
}

impl Context {
    /// `{models?: string[], clientVersion?: string}`; absent or `null` fields read as empty.
    pub fn read(v: &Value) -> Result<Context, String> {
        let f = Fields::of(v, "struct Context")?;
        let models = match f.array("models")? {
            Some(items) => json::each(items, |m| {
                m.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| json::invalid(m, "a string"))
            })?,
            None => Vec::new(),
        };
        Ok(Context {
            models,
            client_version: f.string("clientVersion")?,
        })
    }
}

/// Classifies an HTTP error response. `headers` are (lower-case name, value) pairs; `tz_offset_min`
/// is minutes to add to UTC for local time (JS: `-new Date().getTimezoneOffset()`).
pub fn classify(
    status: u16,
    headers: &[(String, String)],
    body: &str,
    now_ms: i64,
    tz_offset_min: i32,
) -> HttpError {
    classify_with(
        status,
        headers,
        body,
        now_ms,
        tz_offset_min,
        &Context::default(),
    )
}

/// `classify`, with the models this login can use and our client version named in model refusals.
pub fn classify_with(
    status: u16,
    headers: &[(String, String)],
    body: &str,
    now_ms: i64,
    tz_offset_min: i32,
    ctx: &Context,
) -> HttpError {
    let json: Option<Value> = json::parse(body).ok();
    let err = json.as_ref().map(|j| j.get("error").unwrap_or(j));
    let field = |k: &str| {
        err.and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let (etype, code, backend_msg) = (field("type"), field("code"), field("message"));
    let detail = json
        .as_ref()
        .and_then(|j| j.get("detail"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let backend_msg = if backend_msg.is_empty() {
        detail
    } else {
        backend_msg
    };
    let plan = err
        .and_then(|e| e.get("plan_type"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    let retry_after_ms = header("retry-after-ms")
        .and_then(crate::num::parse_decimal)
        .or_else(|| {
            header("retry-after")
                .and_then(crate::num::parse_decimal)
                .map(|s| s * 1000.0)
        })
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .map(|ms| ms.min(u64::MAX as f64) as u64)
        .or_else(|| retry_after_from_text(backend_msg));
    let resets_at_ms = err
        .and_then(|e| e.get("resets_at"))
        .and_then(Value::as_f64)
        .map(|s| (s * 1000.0) as i64)
        .or_else(|| {
            let secs = err
                .and_then(|e| e.get("resets_in_seconds"))
                .and_then(Value::as_f64)?;
            Some(now_ms.saturating_add((secs * 1000.0) as i64))
        });
    let lower = backend_msg.to_ascii_lowercase();
    let mut out = HttpError {
        kind: ErrorKind::Other,
        status,
        message: String::new(),
        retryable: false,
        retry_after_ms,
        resets_at_ms,
        plan,
    };

    let known = [etype, code]
        .into_iter()
        .find_map(|c| classify_code(c, backend_msg));
    let (kind, message) = match (status, known) {
        (_, Some((ErrorKind::UsageLimit, _))) => {
            let plan = out
                .plan
                .as_deref()
                .map(|p| format!(" for your {p} plan"))
                .unwrap_or_default();
            let when = match resets_at_ms {
                Some(at) => format!("; resets at {}", reset_text(at, now_ms, tz_offset_min)),
                None => "; wait for it to reset".into(),
            };
            (
                ErrorKind::UsageLimit,
                format!("ChatGPT usage limit reached{plan}{when}"),
            )
        }
        (_, Some(k)) => k,
        (400 | 403 | 404 | 426, None) if lower.contains("requires a newer version") => {
            let refused = quoted(backend_msg);
            let model = refused
                .map(|m| format!("model {m}"))
                .unwrap_or_else(|| "this model".into());
            let ours = ctx
                .client_version
                .as_deref()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default();
            (
                ErrorKind::ClientTooOld,
                format!(
                    "the ChatGPT backend says {model} requires a newer Codex client than the version this plugin speaks as{ours}; upgrade opencode-chatgpt-wasm, or set OPENCODE_CODEX_CLIENT_VERSION to the current Codex CLI version{}",
                    pick_from(&ctx.models, refused)
                ),
            )
        }
        (400 | 404, None)
            if code == "model_not_supported_with_chatgpt_account"
                || lower.contains("not supported")
                || lower.contains("model_not_found")
                || code == "model_not_found" =>
        {
            let refused = quoted(backend_msg);
            let model = refused
                .map(|m| format!("the model {}", display_text(m, 80)))
                .unwrap_or_else(|| "this model".into());
            let pick = match pick_from(&ctx.models, refused) {
                p if p.is_empty() => {
                    "; pick one of the models this plugin lists (`opencode models openai`)"
                        .to_string()
                }
                p => p,
            };
            (
                ErrorKind::ModelUnsupported,
                format!("{model} is not available with this ChatGPT login (retired, or not in your plan){pick}"),
            )
        }
        (401, None) => (
            ErrorKind::Unauthorized,
            "ChatGPT rejected the login (401); log in again with `opencode auth login`".into(),
        ),
        (403, None) => (
            ErrorKind::Entitlement,
            format!(
                "ChatGPT refused access (403){}; check that your plan includes Codex",
                suffix(backend_msg, body)
            ),
        ),
        (429, None) => {
            let wait = retry_after_ms
                .map(|ms| format!(" in {}", human_duration(ms)))
                .unwrap_or_else(|| " shortly".into());
            (
                ErrorKind::RateLimited,
                format!("ChatGPT rate limit reached; try again{wait}"),
            )
        }
        (500..=599, None) => (
            ErrorKind::Server,
            format!(
                "ChatGPT backend is unavailable ({status}){}; try again in a moment",
                suffix(backend_msg, body)
            ),
        ),
        (400..=499, None) => (
            ErrorKind::BadRequest,
            format!(
                "ChatGPT backend rejected the request ({status}){}",
                suffix(backend_msg, body)
            ),
        ),
        (_, None) => (
            ErrorKind::Other,
            format!(
                "ChatGPT backend answered {status}{}",
                suffix(backend_msg, body)
            ),
        ),
    };
    out.retryable = matches!(kind, ErrorKind::Server | ErrorKind::RateLimited);
    out.kind = kind;
    out.message = message;
    out
}

/// Wait before attempt `attempt + 1`, given `attempt` attempts so far failed with `kind`; `None`:
/// do not retry. Server/transport: 200 ms × 2^(attempt-1) × (0.9..1.1), up to [`MAX_ATTEMPTS`];
/// a rate limit with a known short wait is retried once; everything else never.
pub fn retry_delay(
    attempt: u32,
    kind: ErrorKind,
    retry_after_ms: Option<u64>,
    rand01: f64,
) -> Option<u64> {
    if attempt == 0 || attempt >= MAX_ATTEMPTS {
        return None;
    }
    match kind {
        ErrorKind::Server | ErrorKind::Transport => {
            let jitter = 0.9
                + 0.2
                    * if rand01.is_finite() {
                        rand01.clamp(0.0, 1.0)
                    } else {
                        0.5
                    };
            let backoff =
                (BASE_DELAY_MS * f64::from(1u32 << (attempt - 1).min(16)) * jitter) as u64;
            Some(retry_after_ms.map_or(backoff, |ra| {
                ra.clamp(backoff, MAX_RATE_LIMIT_WAIT_MS.max(backoff))
            }))
        }
        ErrorKind::RateLimited => {
            retry_after_ms.filter(|&ms| attempt == 1 && ms <= MAX_RATE_LIMIT_WAIT_MS)
        }
        ErrorKind::UsageLimit
        | ErrorKind::NotIncluded
        | ErrorKind::Entitlement
        | ErrorKind::ModelUnsupported
        | ErrorKind::ClientTooOld
        | ErrorKind::QuotaExceeded
        | ErrorKind::Unauthorized
        | ErrorKind::BadRequest
        | ErrorKind::ContextLength
        | ErrorKind::EncryptedContent
        | ErrorKind::ResponseIncomplete
        | ErrorKind::Other => None,
    }
}

/// "try again in 20s" / "in 1.5 s" / "in 250 ms" / "in 3 seconds" → milliseconds.
pub fn retry_after_from_text(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("try again in")? + "try again in".len();
    let rest = lower.get(at..)?.trim_start();
    let num_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let value: f64 = crate::num::parse_decimal(rest.get(..num_len)?)?;
    let unit = rest.get(num_len..)?.trim_start();
    let ms = if unit.starts_with("ms") || unit.starts_with("millisecond") {
        value
    } else if unit.starts_with('s') {
        value * 1000.0
    } else if unit.starts_with('m') {
        value * 60_000.0
    } else {
        return None;
    };
    Some(ms.min(u64::MAX as f64) as u64)
}

/// "2 h 13 min", "45 s", "250 ms", "3 d 2 h".
pub fn human_duration(ms: u64) -> String {
    let s = ms.div_ceil(1000);
    match s {
        _ if ms < 1000 => format!("{ms} ms"),
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s.div_ceil(60)),
        3600..=86_399 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// "14:05 (in 2 h 13 min)", or "2025-03-05 14:05 (in 3 d 2 h)" beyond a day.
pub fn reset_text(at_ms: i64, now_ms: i64, tz_offset_min: i32) -> String {
    let local_min = at_ms
        .div_euclid(60_000)
        .saturating_add(i64::from(tz_offset_min));
    let (days, minute_of_day) = (local_min.div_euclid(1440), local_min.rem_euclid(1440));
    let clock = format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60);
    let ahead = at_ms.saturating_sub(now_ms).max(0) as u64;
    if ahead < 86_400_000 {
        return format!("{clock} (in {})", human_duration(ahead));
    }
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year}-{month:02}-{day:02} {clock} (in {})",
        human_duration(ahead)
    )
}

/// "; or pick a model this login can use: a, b, c" (at most 12 names, the refused one left out),
/// or nothing.
fn pick_from(models: &[String], refused: Option<&str>) -> String {
    let names: Vec<&str> = models
        .iter()
        .map(|m| m.trim())
        .filter(|m| !m.is_empty() && m.len() <= 80 && Some(*m) != refused)
        .take(12)
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!("; or pick a model this login can use: {}", names.join(", "))
    }
}

/// The first `'…'`/`"…"`/`` `…` ``-quoted word in a message (the model name in "model 'x' is not supported").
fn quoted(text: &str) -> Option<&str> {
    let start = text.find(['\'', '"', '`'])?;
    let quote = text.get(start..start + 1)?;
    let rest = text.get(start + 1..)?;
    let inner = rest.get(..rest.find(quote)?)?;
    (!inner.is_empty() && inner.len() <= 80).then_some(inner)
}

/// ": <backend message>" or ": <short text of a non-JSON body>"; never raw HTML.
fn suffix(backend_msg: &str, body: &str) -> String {
    let text = if backend_msg.is_empty() {
        strip_markup(body)
    } else {
        backend_msg.to_string()
    };
    let text = short(&text);
    if text.is_empty() || text.starts_with('{') {
        String::new()
    } else {
        format!(": {text}")
    }
}

fn strip_markup(body: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so an index into `lower` is one into `body`.
    let start = body.to_ascii_lowercase().find("<body").unwrap_or(0);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.get(start..).unwrap_or(body).chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Backend text as shown: no control or invisible format characters, credentials redacted,
/// whitespace collapsed, at most 200 characters.
fn short(text: &str) -> String {
    display_text(text, 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000_000;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn usage_limit_names_the_plan_and_local_reset_time() {
        let resets = NOW / 1000 + 2 * 3600 + 13 * 60;
        let body = format!(
            r#"{{"error":{{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_at":{resets}}}}}"#
        );
        let e = classify(429, &[], &body, NOW, 120);
        // NOW = 2023-11-14 22:13:20 UTC; +2h13m = 00:26:20 UTC; +120 min = 02:26 local.
        assert_eq!(
            e,
            HttpError {
                kind: ErrorKind::UsageLimit,
                status: 429,
                message: "ChatGPT usage limit reached for your plus plan; resets at 02:26 (in 2 h 13 min)".into(),
                retryable: false,
                retry_after_ms: None,
                resets_at_ms: Some(resets * 1000),
                plan: Some("plus".into()),
            }
        );
        let far = format!(
            r#"{{"error":{{"type":"usage_limit_reached","resets_at":{}}}}}"#,
            NOW / 1000 + 3 * 86_400
        );
        assert_eq!(
            classify(429, &[], &far, NOW, 0).message,
            "ChatGPT usage limit reached; resets at 2023-11-17 22:13 (in 3 d 0 h)"
        );
        assert_eq!(retry_delay(1, ErrorKind::UsageLimit, Some(1000), 0.5), None);
    }

    #[test]
    fn each_http_class() {
        let c = |status, body: &str| classify(status, &[], body, NOW, 0);
        assert_eq!(
            c(
                403,
                r#"{"error":{"code":"usage_not_included","message":"x"}}"#
            )
            .message,
            NOT_INCLUDED
        );
        assert_eq!(
            c(403, r#"{"detail":"Forbidden"}"#).message,
            "ChatGPT refused access (403): Forbidden; check that your plan includes Codex"
        );
        let m = c(
            400,
            r#"{"detail":"The 'gpt-4o' model is not supported when using Codex with a ChatGPT account."}"#,
        );
        assert_eq!(
            (
                m.kind,
                m.message.starts_with("the model gpt-4o is not available")
            ),
            (ErrorKind::ModelUnsupported, true)
        );
        let q = c(
            429,
            r#"{"error":{"code":"insufficient_quota","type":"insufficient_quota","message":"You exceeded your current quota"}}"#,
        );
        assert_eq!(
            (q.kind, q.retryable, q.message.as_str()),
            (ErrorKind::QuotaExceeded, false, QUOTA_EXCEEDED)
        );
        assert_eq!(
            retry_delay(1, ErrorKind::QuotaExceeded, Some(10), 0.5),
            None
        );
        assert_eq!(c(401, "").kind, ErrorKind::Unauthorized);
        let s = c(503, "<html><head><title>x</title><style>b{}</style></head><body><h1>Service Unavailable</h1></body></html>");
        assert_eq!((s.kind, s.retryable), (ErrorKind::Server, true));
        assert_eq!(
            s.message,
            "ChatGPT backend is unavailable (503): Service Unavailable; try again in a moment"
        );
        let b = c(
            400,
            r#"{"error":{"message":"Invalid value for 'input'","type":"invalid_request_error"}}"#,
        );
        assert_eq!(
            (b.kind, b.message.as_str()),
            (
                ErrorKind::BadRequest,
                "ChatGPT backend rejected the request (400): Invalid value for 'input'"
            )
        );
        let cl = c(
            400,
            r#"{"error":{"code":"context_length_exceeded","message":"too long"}}"#,
        );
        assert_eq!(cl.kind, ErrorKind::ContextLength);
    }

    #[test]
    fn model_refusals_say_why_and_what_this_login_can_use() {
        let ctx = Context {
            models: vec!["gpt-6-astra".into(), "gpt-5.6-sol".into()],
            client_version: Some("0.99.0".into()),
        };
        // The live wording (seen 2026-07..09 by several clients).
        let old = classify_with(
            400,
            &[],
            r#"{"detail":"The 'gpt-5.6-sol' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again."}"#,
            NOW,
            0,
            &ctx,
        );
        assert_eq!(
            (old.kind, old.retryable, old.message.as_str()),
            (
                ErrorKind::ClientTooOld,
                false,
                "the ChatGPT backend says model gpt-5.6-sol requires a newer Codex client than the version this plugin speaks as (0.99.0); upgrade opencode-chatgpt-wasm, or set OPENCODE_CODEX_CLIENT_VERSION to the current Codex CLI version; or pick a model this login can use: gpt-6-astra"
            )
        );
        let gone = classify_with(
            400,
            &[],
            r#"{"error":{"type":"invalid_request_error","code":"model_not_supported_with_chatgpt_account","message":"The 'gpt-5.3-codex' model is not supported when using Codex with a ChatGPT account."}}"#,
            NOW,
            0,
            &ctx,
        );
        assert_eq!(
            (gone.kind, gone.message.as_str()),
            (
                ErrorKind::ModelUnsupported,
                "the model gpt-5.3-codex is not available with this ChatGPT login (retired, or not in your plan); or pick a model this login can use: gpt-6-astra, gpt-5.6-sol"
            )
        );
        let bare = classify_with(
            400,
            &[],
            r#"{"error":{"code":"model_not_supported_with_chatgpt_account","message":"no"}}"#,
            NOW,
            0,
            &Context::default(),
        );
        assert_eq!(
            bare.message,
            "this model is not available with this ChatGPT login (retired, or not in your plan); pick one of the models this plugin lists (`opencode models openai`)"
        );
    }

    #[test]
    fn rate_limits_take_retry_after_from_header_or_text_and_retry_once() {
        let e = classify(429, &h(&[("Retry-After", "7")]), "{}", NOW, 0);
        assert_eq!(
            (e.kind, e.retry_after_ms, e.message.as_str()),
            (
                ErrorKind::RateLimited,
                Some(7000),
                "ChatGPT rate limit reached; try again in 7 s"
            )
        );
        let t = classify(
            429,
            &[],
            r#"{"error":{"code":"rate_limit_exceeded","message":"Please try again in 1.5s."}}"#,
            NOW,
            0,
        );
        assert_eq!(t.retry_after_ms, Some(1500));
        assert_eq!(
            retry_delay(1, ErrorKind::RateLimited, Some(1500), 0.0),
            Some(1500)
        );
        assert_eq!(
            retry_delay(2, ErrorKind::RateLimited, Some(1500), 0.0),
            None
        );
        assert_eq!(retry_delay(1, ErrorKind::RateLimited, None, 0.0), None);
        assert_eq!(retry_after_from_text("try again in 250 ms"), Some(250));
        assert_eq!(
            retry_after_from_text("try again in 2 minutes"),
            Some(120_000)
        );
        assert_eq!(retry_after_from_text("try again later"), None);
    }

    #[test]
    fn server_backoff_doubles_with_jitter_for_four_attempts() {
        let d: Vec<Option<u64>> = (1..=4)
            .map(|a| retry_delay(a, ErrorKind::Server, None, 0.5))
            .collect();
        assert_eq!(d, vec![Some(200), Some(400), Some(800), None]);
        assert_eq!(retry_delay(1, ErrorKind::Transport, None, 0.0), Some(180));
        assert_eq!(retry_delay(1, ErrorKind::Transport, None, 1.0), Some(220));
        assert_eq!(retry_delay(0, ErrorKind::Server, None, 0.5), None);
    }

    #[test]
    fn backend_text_is_shown_without_controls_or_secrets() {
        let (evil, jwt) = crate::auth::redact::shown_text::evil_backend_text();
        let shown_ok = |m: &str| crate::auth::redact::shown_text::assert_shown_ok(m, &jwt);
        let body = serde_json::json!({"error": {"message": evil, "code": "x"}}).to_string();
        for status in [400, 403, 404, 500, 502] {
            shown_ok(&classify(status, &[], &body, NOW, 0).message);
        }
        shown_ok(&classify(400, &[], &evil, NOW, 0).message);
        let prompt =
            serde_json::json!({"error": {"message": evil, "code": "invalid_prompt"}}).to_string();
        shown_ok(&classify(400, &[], &prompt, NOW, 0).message);
        let model = serde_json::json!({"error": {"message": "model 'gpt\u{1b}[2Jx' is not supported when using Codex with a ChatGPT account"}}).to_string();
        let m = classify(400, &[], &model, NOW, 0).message;
        assert!(!m.chars().any(char::is_control), "{m:?}");
    }

    #[test]
    fn kinds_go_to_js_and_back_by_their_snake_case_names() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(
            names.join(","),
            "usage_limit,not_included,entitlement,model_unsupported,client_too_old,quota_exceeded,unauthorized,rate_limited,server,bad_request,context_length,transport,encrypted_content,response_incomplete,other"
        );
        for k in ErrorKind::ALL {
            assert_eq!(ErrorKind::read(&Value::from(k.name())), Ok(k));
        }
        assert_eq!(
            ErrorKind::read(&Value::from("bogus")),
            Err("unknown variant `bogus`, expected one of `usage_limit`, `not_included`, `entitlement`, `model_unsupported`, `client_too_old`, `quota_exceeded`, `unauthorized`, `rate_limited`, `server`, `bad_request`, `context_length`, `transport`, `encrypted_content`, `response_incomplete`, `other`".into())
        );
        assert_eq!(
            ErrorKind::read(&Value::Null),
            Err("invalid type: null, expected enum ErrorKind".into())
        );
    }

    #[test]
    fn http_errors_are_written_whole_and_contexts_read_leniently() {
        let e = HttpError {
            kind: ErrorKind::UsageLimit,
            status: 429,
            message: "limit \"reached\"\n".into(),
            retryable: false,
            retry_after_ms: Some(1500),
            resets_at_ms: Some(-5),
            plan: Some("plus".into()),
        };
        assert_eq!(
            e.to_json(),
            r#"{"kind":"usage_limit","status":429,"message":"limit \"reached\"\n","retryable":false,"retryAfterMs":1500,"resetsAtMs":-5,"plan":"plus"}"#
        );
        let bare = classify(500, &[], "", NOW, 0);
        assert_eq!(
            bare.to_json(),
            format!(
                r#"{{"kind":"server","status":500,"message":{},"retryable":true,"retryAfterMs":null,"resetsAtMs":null,"plan":null}}"#,
                Value::from(bare.message.as_str())
            )
        );
        let read = |t: &str| Context::read(&json::parse(t).unwrap());
        assert_eq!(
            read(r#"{"models":["a","b"],"clientVersion":"0.99.0","x":1}"#),
            Ok(Context {
                models: vec!["a".into(), "b".into()],
                client_version: Some("0.99.0".into()),
            })
        );
        assert_eq!(read(r#"{"models":null}"#), Ok(Context::default()));
        assert_eq!(
            read(r#"{"models":[1]}"#),
            Err("invalid type: integer `1`, expected a string".into())
        );
        assert_eq!(
            read("[]"),
            Err("invalid type: sequence, expected struct Context".into())
        );
    }

    #[test]
    fn in_stream_codes() {
        assert_eq!(
            classify_code("server_is_overloaded", "").map(|k| k.0),
            Some(ErrorKind::Server)
        );
        assert_eq!(
            classify_code(
                "rate_limit_exceeded",
                "Rate limit reached. Please try again in 20s."
            ),
            Some((
                ErrorKind::RateLimited,
                "ChatGPT rate limit reached; try again in 20 s".into()
            ))
        );
        assert_eq!(
            classify_code("invalid_prompt", "bad   words").map(|k| k.1),
            Some("the ChatGPT backend rejected the prompt: bad words".into())
        );
        assert_eq!(classify_code("nope", ""), None);
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn classify_never_panics(status in 0u16..1000, body in ".{0,300}", ra in ".{0,12}", now in any::<i64>(), tz in any::<i32>(), resets in any::<f64>()) {
            let e = classify(status, &h(&[("retry-after", &ra)]), &body, now, tz);
            prop_assert!(!e.message.is_empty());
            prop_assert!(!e.message.contains('<'));
            let ul = format!(r#"{{"error":{{"type":"usage_limit_reached","resets_at":{resets}}}}}"#);
            let _ = classify(429, &[], &ul, now, tz);
        }

        #[test]
        fn retry_delay_is_bounded(attempt in any::<u32>(), ra in proptest::option::of(any::<u64>()), r in any::<f64>()) {
            for kind in [ErrorKind::Server, ErrorKind::Transport, ErrorKind::RateLimited, ErrorKind::UsageLimit] {
                if let Some(d) = retry_delay(attempt, kind, ra, r) {
                    prop_assert!(attempt >= 1 && attempt < MAX_ATTEMPTS && d <= 60_000);
                }
            }
        }
    }
}

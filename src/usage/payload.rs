//! The usage endpoint's reply and the saved header snapshot, read into one [`Usage`]. Both are read
//! loosely (a field of an unexpected type is skipped, not fatal): the endpoint is undocumented and
//! the snapshot file may come from another version of the plugin. Windows are told apart by
//! `limit_window_seconds`; a window with 0 %, no length and no reset is "off" and dropped (as the
//! reference client does). Identity fields (`email`, `user_id`, `account_id`) are never read.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::CoreError;

/// How long figures stay fresh before the endpoint is asked again (the TUI polls at most this often).
pub const REFRESH_EVERY_MS: i64 = 5 * 60_000;

/// Where the figures came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// `GET …/wham/usage`.
    Endpoint,
    /// The `x-codex-*` headers of a reply.
    Headers,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageWindow {
    /// `None`: the plan's main (Codex) limit; else a per-feature limit's name.
    pub limit: Option<String>,
    pub used_percent: f64,
    pub window_s: Option<u64>,
    pub resets_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageCredits {
    pub has_credits: bool,
    pub unlimited: bool,
    pub balance: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub source: Source,
    pub observed_at_ms: i64,
    pub plan: Option<String>,
    pub limit_reached: bool,
    pub windows: Vec<UsageWindow>,
    pub credits: Option<UsageCredits>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UsageError {
    /// 401/403: the login was refused.
    Unauthorized(u16),
    /// Any other non-2xx status.
    Http(u16),
    /// A 2xx reply that is not a JSON object.
    BadBody,
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unauthorized(s) => write!(
                f,
                "the usage endpoint refused the stored ChatGPT login (HTTP {s}); sign in again with `opencode auth login`"
            ),
            Self::Http(s) => write!(
                f,
                "the usage endpoint answered HTTP {s}; the figures shown are from the last reply, try again later"
            ),
            Self::BadBody => f.write_str(
                "the usage endpoint sent something that is not usage figures; try again later",
            ),
        }
    }
}

impl CoreError for UsageError {
    fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "usage-unauthorized",
            Self::Http(_) => "usage-http",
            Self::BadBody => "usage-bad-body",
        }
    }
}

/// The usage URL for a Codex endpoint: `…/backend-api/codex` → `…/backend-api/wham/usage`; an
/// endpoint without `/backend-api` (the Codex API style) → `{endpoint}/usage`.
pub fn usage_url(endpoint: &str) -> String {
    let base = endpoint.trim_end_matches('/');
    match base.find("/backend-api") {
        Some(i) => format!("{}/backend-api/wham/usage", &base[..i]),
        None => format!("{base}/usage"),
    }
}

/// Whether to ask the endpoint now: nothing newer than [`REFRESH_EVERY_MS`] from any source, and no
/// attempt within that time either (a failing endpoint is not hammered).
pub fn refresh_due(newest_ms: Option<i64>, last_attempt_ms: Option<i64>, now_ms: i64) -> bool {
    let stale = |t: Option<i64>| t.is_none_or(|t| now_ms.saturating_sub(t) >= REFRESH_EVERY_MS);
    stale(newest_ms) && stale(last_attempt_ms)
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => crate::num::parse_decimal(s.trim()),
        _ => None,
    }
    .filter(|n| n.is_finite())
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().chars().take(80).collect()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn to_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).clamp(i64::MIN as f64, i64::MAX as f64) as i64
}

/// A window unless it is off (0 %, no length, no reset) or has no usable percentage.
fn window(
    limit: Option<String>,
    used: Option<f64>,
    window_s: Option<f64>,
    reset_at_ms: Option<i64>,
) -> Option<UsageWindow> {
    let used_percent = used?;
    let window_s = window_s
        .filter(|s| *s > 0.0)
        .map(|s| s.min(u64::MAX as f64) as u64);
    if used_percent == 0.0 && window_s.is_none() && reset_at_ms.is_none() {
        return None;
    }
    Some(UsageWindow {
        limit,
        used_percent,
        window_s,
        resets_at_ms: reset_at_ms,
    })
}

/// `{used_percent, limit_window_seconds, reset_at?, reset_after_seconds?}` of the endpoint.
fn endpoint_window(limit: &Option<String>, w: &Value, now_ms: i64) -> Option<UsageWindow> {
    let reset = number(w.get("reset_at"))
        .map(to_ms)
        .or_else(|| number(w.get("reset_after_seconds")).map(|s| now_ms.saturating_add(to_ms(s))));
    window(
        limit.clone(),
        number(w.get("used_percent")),
        number(w.get("limit_window_seconds")),
        reset,
    )
}

fn endpoint_windows(limit: Option<String>, rate_limit: &Value, now_ms: i64) -> Vec<UsageWindow> {
    ["primary_window", "secondary_window"]
        .iter()
        .filter_map(|k| endpoint_window(&limit, rate_limit.get(*k)?, now_ms))
        .collect()
}

fn flag(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s.eq_ignore_ascii_case("true") || s == "1"),
        Value::Number(n) => Some(n.as_f64() == Some(1.0)),
        _ => None,
    }
}

fn credits(c: &Value, has: &str, unlimited: &str, balance: &str) -> Option<UsageCredits> {
    let credits = UsageCredits {
        has_credits: flag(c.get(has)).unwrap_or(false),
        unlimited: flag(c.get(unlimited)).unwrap_or(false),
        balance: text(c.get(balance)),
    };
    (credits != UsageCredits::default()).then_some(credits)
}

/// The endpoint's reply (`status`, `body`) fetched at `now_ms`.
pub fn parse_response(status: u16, body: &str, now_ms: i64) -> Result<Usage, UsageError> {
    match status {
        401 | 403 => return Err(UsageError::Unauthorized(status)),
        200..=299 => {}
        _ => return Err(UsageError::Http(status)),
    }
    let root: Value = serde_json::from_str(body).map_err(|_| UsageError::BadBody)?;
    if !root.is_object() {
        return Err(UsageError::BadBody);
    }
    let rate_limit = root.get("rate_limit").filter(|v| v.is_object());
    let mut windows = rate_limit.map_or_else(Vec::new, |r| endpoint_windows(None, r, now_ms));
    let extra = root.get("additional_rate_limits").and_then(Value::as_array);
    for entry in extra.into_iter().flatten() {
        let name = ["limit_name", "metered_feature", "limit_id", "name"]
            .iter()
            .find_map(|k| text(entry.get(*k)))
            .unwrap_or_else(|| "other".to_string());
        if let Some(r) = entry.get("rate_limit").filter(|v| v.is_object()) {
            windows.extend(endpoint_windows(Some(name), r, now_ms));
        }
    }
    let reached = rate_limit.is_some_and(|r| {
        flag(r.get("limit_reached")) == Some(true) || flag(r.get("allowed")) == Some(false)
    });
    Ok(Usage {
        source: Source::Endpoint,
        observed_at_ms: now_ms,
        plan: text(root.get("plan_type")),
        limit_reached: reached,
        windows,
        credits: root
            .get("credits")
            .and_then(|c| credits(c, "has_credits", "unlimited", "balance")),
    })
}

/// The quota file `{savedAt, snapshot: {primary, secondary, credits}}` (camelCase, as
/// `parseRateLimits` returns it), or `None` when it holds no figures.
pub fn from_quota_file(text_in: &str) -> Option<Usage> {
    let root: Value = serde_json::from_str(text_in).ok()?;
    let saved = number(root.get("savedAt"))? as i64;
    let snapshot = root.get("snapshot").filter(|v| v.is_object())?;
    let windows: Vec<UsageWindow> = ["primary", "secondary"]
        .iter()
        .filter_map(|k| {
            let w = snapshot.get(*k).filter(|v| v.is_object())?;
            let reset = number(w.get("resetsAtS"))
                .map(to_ms)
                .or_else(|| number(w.get("resetsAfterS")).map(|s| saved.saturating_add(to_ms(s))));
            window(
                None,
                number(w.get("usedPercent")),
                number(w.get("windowMinutes")).map(|m| m * 60.0),
                reset,
            )
        })
        .collect();
    let credits = snapshot
        .get("credits")
        .and_then(|c| credits(c, "hasCredits", "unlimited", "balance"));
    if windows.is_empty() && credits.is_none() {
        return None;
    }
    Some(Usage {
        source: Source::Headers,
        observed_at_ms: saved,
        plan: None,
        limit_reached: false,
        windows,
        credits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn reads_the_endpoint_reply_by_window_length() {
        // The weekly window sits in the primary slot here: the length decides, not the slot.
        let body = r#"{"user_id":"u-1","email":"a@b.c","plan_type":"plus",
          "rate_limit":{"allowed":true,"limit_reached":false,
            "primary_window":{"used_percent":71,"limit_window_seconds":604800,"reset_after_seconds":3600,"reset_at":1800003600},
            "secondary_window":{"used_percent":42.5,"limit_window_seconds":18000,"reset_after_seconds":600}},
          "additional_rate_limits":[{"limit_name":"codex-spark","rate_limit":{"primary_window":{"used_percent":3,"limit_window_seconds":18000,"reset_at":1800001000},"secondary_window":null}}],
          "credits":{"has_credits":true,"unlimited":false,"balance":"12.50"}}"#;
        assert_eq!(
            parse_response(200, body, NOW),
            Ok(Usage {
                source: Source::Endpoint,
                observed_at_ms: NOW,
                plan: Some("plus".into()),
                limit_reached: false,
                windows: vec![
                    UsageWindow {
                        limit: None,
                        used_percent: 71.0,
                        window_s: Some(604_800),
                        resets_at_ms: Some(1_800_003_600_000)
                    },
                    UsageWindow {
                        limit: None,
                        used_percent: 42.5,
                        window_s: Some(18_000),
                        resets_at_ms: Some(NOW + 600_000)
                    },
                    UsageWindow {
                        limit: Some("codex-spark".into()),
                        used_percent: 3.0,
                        window_s: Some(18_000),
                        resets_at_ms: Some(1_800_001_000_000)
                    },
                ],
                credits: Some(UsageCredits {
                    has_credits: true,
                    unlimited: false,
                    balance: Some("12.50".into())
                }),
            })
        );
    }

    #[test]
    fn off_windows_errors_and_odd_shapes() {
        let off = r#"{"rate_limit":{"limit_reached":true,"primary_window":{"used_percent":0,"limit_window_seconds":0},"secondary_window":{"used_percent":"x"}}}"#;
        let got = parse_response(200, off, NOW).unwrap();
        assert_eq!(
            (got.windows, got.limit_reached, got.plan),
            (vec![], true, None)
        );
        assert_eq!(
            parse_response(401, "{}", NOW),
            Err(UsageError::Unauthorized(401))
        );
        assert_eq!(
            parse_response(502, "<html>", NOW),
            Err(UsageError::Http(502))
        );
        assert_eq!(parse_response(200, "[1]", NOW), Err(UsageError::BadBody));
        assert_eq!(parse_response(200, "<html>", NOW), Err(UsageError::BadBody));
        assert!(!UsageError::Http(500).to_string().is_empty());
    }

    #[test]
    fn reads_the_quota_file() {
        let file = r#"{"savedAt":1800000000000,"snapshot":{"primary":{"usedPercent":42,"windowMinutes":300,"resetsAtS":null,"resetsAfterS":120},"secondary":{"usedPercent":71,"windowMinutes":10080,"resetsAtS":1800100000},"credits":null}}"#;
        assert_eq!(
            from_quota_file(file),
            Some(Usage {
                source: Source::Headers,
                observed_at_ms: NOW,
                plan: None,
                limit_reached: false,
                windows: vec![
                    UsageWindow {
                        limit: None,
                        used_percent: 42.0,
                        window_s: Some(18_000),
                        resets_at_ms: Some(NOW + 120_000)
                    },
                    UsageWindow {
                        limit: None,
                        used_percent: 71.0,
                        window_s: Some(604_800),
                        resets_at_ms: Some(1_800_100_000_000)
                    },
                ],
                credits: None,
            })
        );
        assert_eq!(from_quota_file(r#"{"savedAt":1,"snapshot":{}}"#), None);
        assert_eq!(from_quota_file("not json"), None);
    }

    #[test]
    fn urls_and_refresh_policy() {
        assert_eq!(
            usage_url("https://chatgpt.com/backend-api/codex/"),
            "https://chatgpt.com/backend-api/wham/usage"
        );
        assert_eq!(
            usage_url("http://127.0.0.1:9/backend-api/codex"),
            "http://127.0.0.1:9/backend-api/wham/usage"
        );
        assert_eq!(
            usage_url("https://x.test/api/codex"),
            "https://x.test/api/codex/usage"
        );
        assert!(refresh_due(None, None, NOW));
        assert!(!refresh_due(Some(NOW - 60_000), None, NOW));
        assert!(!refresh_due(None, Some(NOW - 60_000), NOW));
        assert!(refresh_due(
            Some(NOW - REFRESH_EVERY_MS),
            Some(NOW - REFRESH_EVERY_MS),
            NOW
        ));
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn never_panics(status in any::<u16>(), body in ".{0,200}", now in any::<i64>(), p in any::<f64>(), w in any::<f64>(), r in any::<f64>()) {
            let _ = parse_response(status, &body, now);
            let shaped = format!(r#"{{"rate_limit":{{"primary_window":{{"used_percent":{p:e},"limit_window_seconds":{w:e},"reset_after_seconds":{r:e}}}}}}}"#);
            if let Ok(u) = parse_response(200, &shaped, now) {
                prop_assert!(u.windows.iter().all(|w| w.used_percent.is_finite()));
            }
            let _ = from_quota_file(&body);
            let _ = refresh_due(Some(now), Some(now), now.wrapping_add(1));
        }
    }
}

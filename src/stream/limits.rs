//! Reads the Codex rate-limit headers (`x-codex-primary-*`, `x-codex-secondary-*`,
//! `x-codex-credits-*`, `x-codex-active-limit`, `x-codex-limit-name`, and every other limit
//! family `x-<id>-primary-*` / `x-<id>-secondary-*` with its `x-<id>-limit-name`) into a snapshot,
//! and words a warning when a usage window crosses 80 % or 95 %. A window counts only as
//! codex-rs `parse_rate_limit_for_limit` reads it: its used percent parses, and it is not
//! "0 %, 0 minutes, no reset" (that is a window switched off). Never stores or sends anything;
//! JS keeps the latest snapshot.

use serde::{Deserialize, Serialize};

/// Usage thresholds that deserve a warning, highest first.
pub const THRESHOLDS: [f64; 2] = [95.0, 80.0];

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub used_percent: f64,
    pub window_minutes: Option<u64>,
    /// Unix seconds (`-reset-at`), or seconds from the response (`-reset-after-seconds`).
    pub resets_at_s: Option<f64>,
    pub resets_after_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credits {
    pub has_credits: Option<bool>,
    pub unlimited: Option<bool>,
    pub balance: Option<String>,
}

/// A limit family other than `codex` (e.g. `x-codex-bengalfox-*`): its windows and name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Family {
    /// The header prefix without `x-`, `-` → `_` (`codex_bengalfox`), as codex-rs names it.
    pub id: String,
    /// `x-<id>-limit-name`, when sent.
    pub name: Option<String>,
    pub primary: Option<Window>,
    pub secondary: Option<Window>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimits {
    pub primary: Option<Window>,
    pub secondary: Option<Window>,
    pub credits: Option<Credits>,
    pub active_limit: Option<String>,
    /// `x-codex-limit-name`, when sent.
    #[serde(default)]
    pub limit_name: Option<String>,
    /// The other limit families, in header order.
    #[serde(default)]
    pub families: Vec<Family>,
}

/// The snapshot in `headers` ((name, value) pairs, any case); `None` when it has no codex header.
pub fn parse(headers: &[(String, String)]) -> Option<RateLimits> {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    let num = |name: &str| get(name).and_then(crate::num::parse_decimal);
    let flag = |name: &str| get(name).map(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let window = |prefix: &str, which: &str| {
        let used_percent = num(&format!("{prefix}-{which}-used-percent"))?;
        let w = Window {
            used_percent,
            window_minutes: get(&format!("{prefix}-{which}-window-minutes"))
                .and_then(|v| v.parse().ok()),
            resets_at_s: num(&format!("{prefix}-{which}-reset-at")),
            resets_after_s: num(&format!("{prefix}-{which}-reset-after-seconds")),
        };
        // 0 %, 0 (or no) minutes and no reset: the window is off.
        let off = w.used_percent == 0.0
            && w.window_minutes.unwrap_or(0) == 0
            && w.resets_at_s.is_none()
            && w.resets_after_s.is_none();
        (!off).then_some(w)
    };
    let mut families: Vec<Family> = Vec::new();
    for (name, _) in headers {
        let lower = name.to_ascii_lowercase();
        let Some(id) = lower
            .strip_prefix("x-")
            .and_then(|r| r.strip_suffix("-primary-used-percent"))
            .filter(|id| !id.is_empty() && *id != "codex")
        else {
            continue;
        };
        let snake = id.replace('-', "_");
        if families.iter().any(|f| f.id == snake) {
            continue;
        }
        let prefix = format!("x-{id}");
        let family = Family {
            name: get(&format!("{prefix}-limit-name"))
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            primary: window(&prefix, "primary"),
            secondary: window(&prefix, "secondary"),
            id: snake,
        };
        if family.primary.is_some() || family.secondary.is_some() {
            families.push(family);
        }
    }
    let credits = Credits {
        has_credits: flag("x-codex-credits-has-credits"),
        unlimited: flag("x-codex-credits-unlimited"),
        balance: get("x-codex-credits-balance").map(str::to_string),
    };
    let limits = RateLimits {
        primary: window("x-codex", "primary"),
        secondary: window("x-codex", "secondary"),
        credits: (credits != Credits::default()).then_some(credits),
        active_limit: get("x-codex-active-limit").map(str::to_string),
        limit_name: get("x-codex-limit-name")
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        families,
    };
    (limits != RateLimits::default()).then_some(limits)
}

/// A warning when a window of `next` reached a threshold it had not reached in `prev`.
pub fn warning(prev: Option<&RateLimits>, next: &RateLimits) -> Option<String> {
    [true, false]
        .into_iter()
        .filter_map(|primary| {
            let side = |r: &RateLimits| {
                if primary {
                    r.primary.clone()
                } else {
                    r.secondary.clone()
                }
            };
            let now = side(next)?;
            let before = prev.and_then(side).map_or(0.0, |w| w.used_percent);
            let crossed = THRESHOLDS
                .into_iter()
                .find(|t| now.used_percent >= *t && before < *t)?;
            Some((crossed, now))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, w)| {
            let label = match w.window_minutes {
                Some(10_080) => "weekly".to_string(),
                Some(m) if m % 60 == 0 && m > 0 => format!("{} h", m / 60),
                Some(m) => format!("{m} min"),
                None => "current".to_string(),
            };
            let reset = w
                .resets_after_s
                .map(|s| {
                    format!(
                        "; resets in {}",
                        crate::stream::errors_http::human_duration((s.max(0.0) * 1000.0) as u64)
                    )
                })
                .unwrap_or_default();
            format!(
                "ChatGPT usage: {}% of your {label} limit used{reset}",
                w.used_percent.round() as i64
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn at(primary: f64, secondary: f64) -> RateLimits {
        let w = |p, m| {
            Some(Window {
                used_percent: p,
                window_minutes: Some(m),
                resets_at_s: None,
                resets_after_s: Some(3900.0),
            })
        };
        RateLimits {
            primary: w(primary, 300),
            secondary: w(secondary, 10_080),
            ..Default::default()
        }
    }

    #[test]
    fn parses_every_header() {
        let got = parse(&h(&[
            ("X-Codex-Primary-Used-Percent", "42.5"),
            ("x-codex-primary-window-minutes", "300"),
            ("x-codex-primary-reset-after-seconds", "120"),
            ("x-codex-secondary-used-percent", "7"),
            ("x-codex-secondary-reset-at", "1700000000"),
            ("x-codex-credits-has-credits", "True"),
            ("x-codex-credits-balance", "12.50"),
            ("x-codex-active-limit", "codex"),
        ]));
        assert_eq!(
            got,
            Some(RateLimits {
                primary: Some(Window {
                    used_percent: 42.5,
                    window_minutes: Some(300),
                    resets_at_s: None,
                    resets_after_s: Some(120.0)
                }),
                secondary: Some(Window {
                    used_percent: 7.0,
                    window_minutes: None,
                    resets_at_s: Some(1.7e9),
                    resets_after_s: None
                }),
                credits: Some(Credits {
                    has_credits: Some(true),
                    unlimited: None,
                    balance: Some("12.50".into())
                }),
                active_limit: Some("codex".into()),
                ..Default::default()
            })
        );
        assert_eq!(
            parse(&h(&[
                ("content-type", "text/event-stream"),
                ("x-codex-primary-used-percent", "NaN")
            ])),
            None
        );
    }

    #[test]
    fn reads_every_limit_family_and_switched_off_windows() {
        // codex-rs rate_limits.rs tests: all families are read, `-limit-name` names each; a window
        // at 0 %, 0 minutes, without reset is off.
        let got = parse(&h(&[
            ("x-codex-primary-used-percent", "12.5"),
            ("x-codex-primary-window-minutes", "300"),
            ("x-codex-secondary-used-percent", "0"),
            ("x-codex-secondary-window-minutes", "0"),
            ("x-codex-limit-name", "codex"),
            ("X-Codex-Bengalfox-Primary-Used-Percent", "80"),
            ("x-codex-bengalfox-primary-window-minutes", "60"),
            ("x-codex-bengalfox-primary-reset-at", "1704069000"),
            ("x-codex-bengalfox-limit-name", "GPT-5.6-Sol weekly"),
            ("x-other-primary-used-percent", "0"),
            ("x-other-primary-window-minutes", "0"),
            ("x-codex-bengalfox-primary-used-percent", "99"),
        ]))
        .unwrap();
        assert_eq!(
            got,
            RateLimits {
                primary: Some(Window {
                    used_percent: 12.5,
                    window_minutes: Some(300),
                    resets_at_s: None,
                    resets_after_s: None
                }),
                secondary: None,
                credits: None,
                active_limit: None,
                limit_name: Some("codex".into()),
                families: vec![Family {
                    id: "codex_bengalfox".into(),
                    name: Some("GPT-5.6-Sol weekly".into()),
                    primary: Some(Window {
                        used_percent: 80.0,
                        window_minutes: Some(60),
                        resets_at_s: Some(1_704_069_000.0),
                        resets_after_s: None
                    }),
                    secondary: None,
                }],
            }
        );
        // 0 % with a window length is a live, unused window.
        assert_eq!(
            parse(&h(&[
                ("x-codex-primary-used-percent", "0"),
                ("x-codex-primary-window-minutes", "300")
            ]))
            .and_then(|r| r.primary)
            .map(|w| w.window_minutes),
            Some(Some(300))
        );
    }

    #[test]
    fn warns_once_per_threshold_crossing() {
        assert_eq!(warning(None, &at(50.0, 10.0)), None);
        assert_eq!(
            warning(Some(&at(79.0, 10.0)), &at(81.0, 10.0)).as_deref(),
            Some("ChatGPT usage: 81% of your 5 h limit used; resets in 1 h 5 min")
        );
        assert_eq!(warning(Some(&at(81.0, 10.0)), &at(85.0, 10.0)), None);
        assert_eq!(
            warning(Some(&at(85.0, 90.0)), &at(85.0, 96.0)).as_deref(),
            Some("ChatGPT usage: 96% of your weekly limit used; resets in 1 h 5 min")
        );
        assert_eq!(
            warning(None, &at(96.0, 81.0)).map(|m| m.contains("5 h")),
            Some(true)
        );
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn never_panics(vals in proptest::collection::vec(".{0,12}", 4), p in any::<f64>(), q in any::<f64>()) {
            let names = ["x-codex-primary-used-percent", "x-codex-primary-window-minutes", "x-codex-primary-reset-after-seconds", "x-codex-secondary-used-percent"];
            let pairs: Vec<(String, String)> = names.iter().zip(&vals).map(|(k, v)| (k.to_string(), v.clone())).collect();
            if let Some(r) = parse(&pairs) { let _ = warning(None, &r); }
            let _ = warning(Some(&at(p, q)), &at(q, p));
        }
    }
}

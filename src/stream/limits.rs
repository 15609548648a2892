//! Reads the Codex rate-limit headers (`x-codex-primary-*`, `x-codex-secondary-*`,
//! `x-codex-credits-*`, `x-codex-active-limit`, `x-codex-limit-name`, and every other limit
//! family `x-<id>-primary-*` / `x-<id>-secondary-*` with its `x-<id>-limit-name`) into a snapshot,
//! and words a warning when a usage window crosses 80 % or 95 %. A window counts only as
//! codex-rs `parse_rate_limit_for_limit` reads it: its used percent parses, and it is not
//! "0 %, 0 minutes, no reset" (that is a window switched off). Never stores or sends anything;
//! JS keeps the latest snapshot.
//!
//! The snapshot crosses to JS and back as JSON (camelCase, every field written, `null` for what
//! is unknown) through [`RateLimits::write`] / [`RateLimits::read`], hand-written on
//! [`crate::json`] in place of serde derives (issue 18: each derived type cost kilobytes of wasm).

#[cfg(test)]
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{self, Fields, Obj};

// The serde derives below exist in tests only: the oracle `same_text_as_the_derive` checks that
// `read` / `write` keep the JSON the derives wrote (the pool's files and the quota file hold it).

/// Usage thresholds that deserve a warning, highest first.
pub const THRESHOLDS: [f64; 2] = [95.0, 80.0];

#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(test, derive(Serialize, Deserialize), serde(rename_all = "camelCase"))]
pub struct Window {
    pub used_percent: f64,
    pub window_minutes: Option<u64>,
    /// Unix seconds (`-reset-at`), or seconds from the response (`-reset-after-seconds`).
    pub resets_at_s: Option<f64>,
    pub resets_after_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(test, derive(Serialize, Deserialize), serde(rename_all = "camelCase"))]
pub struct Credits {
    pub has_credits: Option<bool>,
    pub unlimited: Option<bool>,
    pub balance: Option<String>,
}

/// A limit family other than `codex` (e.g. `x-codex-bengalfox-*`): its windows and name.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(test, derive(Serialize, Deserialize), serde(rename_all = "camelCase"))]
pub struct Family {
    /// The header prefix without `x-`, `-` → `_` (`codex_bengalfox`), as codex-rs names it.
    pub id: String,
    /// `x-<id>-limit-name`, when sent.
    pub name: Option<String>,
    pub primary: Option<Window>,
    pub secondary: Option<Window>,
}

#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(test, derive(Serialize, Deserialize), serde(rename_all = "camelCase"))]
pub struct RateLimits {
    pub primary: Option<Window>,
    pub secondary: Option<Window>,
    pub credits: Option<Credits>,
    pub active_limit: Option<String>,
    /// `x-codex-limit-name`, when sent.
    #[cfg_attr(test, serde(default))]
    pub limit_name: Option<String>,
    /// The other limit families, in header order.
    #[cfg_attr(test, serde(default))]
    pub families: Vec<Family>,
}

/// A window, or `null` for none (the derives' `Option` without `skip_serializing_if`).
#[inline(never)] // one copy for the four windows of a snapshot (wasm size)
fn write_window(out: &mut String, w: &Option<Window>) {
    match w {
        Some(w) => w.write(out),
        None => out.push_str("null"),
    }
}

/// The value at `key` read by `read`, `None` when absent or `null`.
fn opt_read<T>(
    f: &Fields,
    key: &str,
    read: impl FnOnce(&Value) -> Result<T, String>,
) -> Result<Option<T>, String> {
    f.get(key).map(read).transpose()
}

impl Window {
    /// `{usedPercent, windowMinutes, resetsAtS, resetsAfterS}`; serde's wording on errors.
    pub fn read(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v, "struct Window")?;
        Ok(Window {
            used_percent: f.need("usedPercent", f.f64("usedPercent"))?,
            window_minutes: f.u64("windowMinutes")?,
            resets_at_s: f.f64("resetsAtS")?,
            resets_after_s: f.f64("resetsAfterS")?,
        })
    }

    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        o.f64("usedPercent", self.used_percent);
        match self.window_minutes {
            Some(m) => o.u64("windowMinutes", m),
            None => o.null("windowMinutes"),
        };
        o.opt_f64("resetsAtS", self.resets_at_s)
            .opt_f64("resetsAfterS", self.resets_after_s)
            .end();
    }
}

impl Credits {
    /// `{hasCredits, unlimited, balance}`.
    pub fn read(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v, "struct Credits")?;
        Ok(Credits {
            has_credits: f.bool("hasCredits")?,
            unlimited: f.bool("unlimited")?,
            balance: f.string("balance")?,
        })
    }

    pub fn write(&self, out: &mut String) {
        Obj::start(out)
            .opt_bool("hasCredits", self.has_credits)
            .opt_bool("unlimited", self.unlimited)
            .opt_str("balance", self.balance.as_deref())
            .end();
    }
}

impl Family {
    /// `{id, name, primary, secondary}`.
    pub fn read(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v, "struct Family")?;
        Ok(Family {
            id: f.need("id", f.string("id"))?,
            name: f.string("name")?,
            primary: opt_read(&f, "primary", Window::read)?,
            secondary: opt_read(&f, "secondary", Window::read)?,
        })
    }

    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        o.str("id", &self.id)
            .opt_str("name", self.name.as_deref())
            .with("primary", |out| write_window(out, &self.primary))
            .with("secondary", |out| write_window(out, &self.secondary))
            .end();
    }
}

impl RateLimits {
    /// `{primary, secondary, credits, activeLimit, limitName, families}` (a [`RateLimits::write`]
    /// text, or what JS kept of one); absent or `null` fields read as empty. Errors use serde's
    /// wording.
    pub fn read(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v, "struct RateLimits")?;
        Ok(RateLimits {
            primary: opt_read(&f, "primary", Window::read)?,
            secondary: opt_read(&f, "secondary", Window::read)?,
            credits: opt_read(&f, "credits", Credits::read)?,
            active_limit: f.string("activeLimit")?,
            limit_name: f.string("limitName")?,
            families: match f.array("families")? {
                Some(items) => json::each(items, Family::read)?,
                None => Vec::new(),
            },
        })
    }

    /// A snapshot or `null`.
    pub fn read_opt(v: &Value) -> Result<Option<Self>, String> {
        match v {
            Value::Null => Ok(None),
            v => Self::read(v).map(Some),
        }
    }

    /// Every field, in declaration order, `null` for what is unknown.
    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        o.with("primary", |out| write_window(out, &self.primary))
            .with("secondary", |out| write_window(out, &self.secondary))
            .with("credits", |out| match &self.credits {
                Some(c) => c.write(out),
                None => out.push_str("null"),
            })
            .opt_str("activeLimit", self.active_limit.as_deref())
            .opt_str("limitName", self.limit_name.as_deref())
            .with("families", |out| {
                json::arr(out, &self.families, |out, f| f.write(out))
            })
            .end();
    }

    /// [`RateLimits::write`] into a new string.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

/// The snapshot in `headers` ((name, value) pairs, any case); `None` when it has no codex header.
pub fn parse(headers: &[(String, String)]) -> Option<RateLimits> {
    const FAMILY_SUFFIX: &str = "-primary-used-percent";
    let mut families: Vec<Family> = Vec::new();
    for (name, _) in headers {
        // `x-<id>-primary-used-percent`, `<id>` not empty and not `codex`.
        let Some(id) = name
            .len()
            .checked_sub(FAMILY_SUFFIX.len())
            .filter(|end| *end > 2 && named(&name.as_bytes()[..2], &["x-"]))
            .filter(|end| named(&name.as_bytes()[*end..], &[FAMILY_SUFFIX]))
            .and_then(|end| name.get(2..end))
            .filter(|id| !id.eq_ignore_ascii_case("codex"))
        else {
            continue;
        };
        let snake = id.to_ascii_lowercase().replace('-', "_");
        if families.iter().any(|f| f.id == snake) {
            continue;
        }
        let prefix = &name[..2 + id.len()];
        let family = Family {
            name: header(headers, &[prefix, "-limit-name"])
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            primary: window(headers, prefix, "-primary"),
            secondary: window(headers, prefix, "-secondary"),
            id: snake,
        };
        if family.primary.is_some() || family.secondary.is_some() {
            families.push(family);
        }
    }
    let codex = |name: &str| header(headers, &["x-codex-", name]);
    let flag = |name: &str| codex(name).map(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let credits = Credits {
        has_credits: flag("credits-has-credits"),
        unlimited: flag("credits-unlimited"),
        balance: codex("credits-balance").map(str::to_string),
    };
    let limits = RateLimits {
        primary: window(headers, "x-codex", "-primary"),
        secondary: window(headers, "x-codex", "-secondary"),
        credits: (credits != Credits::default()).then_some(credits),
        active_limit: codex("active-limit").map(str::to_string),
        limit_name: codex("limit-name")
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        families,
    };
    (limits != RateLimits::default()).then_some(limits)
}

/// Whether the header name `k` is `parts` joined, in any case.
#[inline(never)] // one copy, not one per header name (wasm size)
fn named(mut k: &[u8], parts: &[&str]) -> bool {
    for p in parts {
        let p = p.as_bytes();
        match k.split_at_checked(p.len()) {
            Some((head, rest)) if head.eq_ignore_ascii_case(p) => k = rest,
            _ => return false,
        }
    }
    k.is_empty()
}

/// The value (trimmed) of the first header named `parts` joined, in any case.
#[inline(never)] // one copy, not one per header name (wasm size)
fn header<'a>(headers: &'a [(String, String)], parts: &[&str]) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| named(k.as_bytes(), parts))
        .map(|(_, v)| v.trim())
}

/// The window `<prefix><which>-*` (`x-codex` `-primary`), when its used percent parses and it is
/// not switched off (0 %, 0 or no minutes, no reset).
#[inline(never)] // one copy, not one per header name (wasm size)
fn window(headers: &[(String, String)], prefix: &str, which: &str) -> Option<Window> {
    let get = |name: &str| header(headers, &[prefix, which, name]);
    let num = |name: &str| get(name).and_then(crate::num::parse_decimal);
    let w = Window {
        used_percent: num("-used-percent")?,
        window_minutes: get("-window-minutes").and_then(|v| v.parse().ok()),
        resets_at_s: num("-reset-at"),
        resets_after_s: num("-reset-after-seconds"),
    };
    let off = w.used_percent == 0.0
        && w.window_minutes.unwrap_or(0) == 0
        && w.resets_at_s.is_none()
        && w.resets_after_s.is_none();
    (!off).then_some(w)
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

    fn full() -> RateLimits {
        RateLimits {
            primary: Some(Window {
                used_percent: 5.0,
                window_minutes: Some(300),
                resets_at_s: None,
                resets_after_s: Some(120.5),
            }),
            secondary: None,
            credits: Some(Credits {
                has_credits: Some(true),
                unlimited: None,
                balance: Some("12.50 \"€\"".into()),
            }),
            active_limit: Some("codex".into()),
            limit_name: None,
            families: vec![Family {
                id: "codex_bengalfox".into(),
                name: None,
                primary: None,
                secondary: Some(Window {
                    used_percent: 80.25,
                    window_minutes: None,
                    resets_at_s: Some(1.7e9),
                    resets_after_s: None,
                }),
            }],
        }
    }

    /// The snapshot JS keeps (and `accounts.json` holds): camelCase, every field, `null` for
    /// what is unknown, `5.0` as serde_json writes it.
    #[test]
    fn writes_the_snapshot_as_the_derive_did() {
        let text = full().to_json();
        assert_eq!(
            text,
            r#"{"primary":{"usedPercent":5.0,"windowMinutes":300,"resetsAtS":null,"resetsAfterS":120.5},"secondary":null,"credits":{"hasCredits":true,"unlimited":null,"balance":"12.50 \"€\""},"activeLimit":"codex","limitName":null,"families":[{"id":"codex_bengalfox","name":null,"primary":null,"secondary":{"usedPercent":80.25,"windowMinutes":null,"resetsAtS":1700000000.0,"resetsAfterS":null}}]}"#
        );
        assert_eq!(RateLimits::read(&json::parse(&text).unwrap()), Ok(full()));
        assert_eq!(
            RateLimits::default().to_json(),
            r#"{"primary":null,"secondary":null,"credits":null,"activeLimit":null,"limitName":null,"families":[]}"#
        );
    }

    #[test]
    fn reads_absent_and_null_as_unknown_and_words_errors_as_serde() {
        let read = |t: &str| RateLimits::read_opt(&json::parse(t).unwrap());
        assert_eq!(read("null"), Ok(None));
        assert_eq!(read("{}"), Ok(Some(RateLimits::default())));
        assert_eq!(
            read(r#"{"primary":{"usedPercent":81,"x":1},"families":null}"#),
            Ok(Some(RateLimits {
                primary: Some(Window {
                    used_percent: 81.0,
                    ..Window::default()
                }),
                ..RateLimits::default()
            }))
        );
        assert_eq!(
            read("5"),
            Err("invalid type: integer `5`, expected struct RateLimits".into())
        );
        assert_eq!(
            read(r#"{"primary":{"windowMinutes":300}}"#),
            Err("missing field `usedPercent`".into())
        );
        assert_eq!(
            read(r#"{"secondary":"high"}"#),
            Err(r#"invalid type: string "high", expected struct Window"#.into())
        );
        assert_eq!(
            read(r#"{"primary":{"usedPercent":"9"}}"#),
            Err(r#"invalid type: string "9", expected f64 at `usedPercent`"#.into())
        );
        assert_eq!(
            read(r#"{"families":[{"name":"x"}]}"#),
            Err("missing field `id`".into())
        );
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    fn any_window() -> impl Strategy<Value = Window> {
        // Any f64 (NaN and infinities too), and the short decimals the headers carry (what
        // serde_json's float parser reads back exactly; it is not exact for every 17-digit value).
        let num = || {
            prop_oneof![
                any::<f64>(),
                (any::<i64>(), 0u32..4).prop_map(|(n, d)| n as f64 / 10f64.powi(d as i32)),
            ]
        };
        (
            num(),
            proptest::option::of(any::<u64>()),
            proptest::option::of(num()),
            proptest::option::of(num()),
        )
            .prop_map(
                |(used_percent, window_minutes, resets_at_s, resets_after_s)| Window {
                    used_percent,
                    window_minutes,
                    resets_at_s,
                    resets_after_s,
                },
            )
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn any_limits() -> impl Strategy<Value = RateLimits> {
        let w = || proptest::option::of(any_window());
        let s = || proptest::option::of(".{0,8}");
        let family = (".{0,8}", s(), w(), w()).prop_map(|(id, name, primary, secondary)| Family {
            id,
            name,
            primary,
            secondary,
        });
        let credits = proptest::option::of(
            (
                proptest::option::of(any::<bool>()),
                proptest::option::of(any::<bool>()),
                s(),
            )
                .prop_map(|(has_credits, unlimited, balance)| Credits {
                    has_credits,
                    unlimited,
                    balance,
                }),
        );
        (
            w(),
            w(),
            credits,
            s(),
            s(),
            proptest::collection::vec(family, 0..3),
        )
            .prop_map(
                |(primary, secondary, credits, active_limit, limit_name, families)| RateLimits {
                    primary,
                    secondary,
                    credits,
                    active_limit,
                    limit_name,
                    families,
                },
            )
    }

    /// Numbers that serde_json reads back from its own text: finite (NaN is written as `null`,
    /// which reads back as unknown), and not one of the long values its fast float parser rounds
    /// differently (a property of serde_json, not of `read` / `write`).
    #[cfg(not(target_arch = "wasm32"))]
    fn exact(r: &RateLimits) -> bool {
        let n = |x: f64| {
            x.is_finite()
                && serde_json::from_str::<f64>(&serde_json::to_string(&x).unwrap()).ok() == Some(x)
        };
        let w = |w: &Option<Window>| {
            w.as_ref().is_none_or(|w| {
                n(w.used_percent) && w.resets_at_s.is_none_or(n) && w.resets_after_s.is_none_or(n)
            })
        };
        w(&r.primary)
            && w(&r.secondary)
            && r.families.iter().all(|f| w(&f.primary) && w(&f.secondary))
    }

    /// `parse` as it was before it read header names without building them (the oracle of
    /// `parses_as_before`).
    #[cfg(not(target_arch = "wasm32"))]
    mod before {
        use super::super::{Credits, Family, RateLimits, Window};

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
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn any_headers() -> impl Strategy<Value = Vec<(String, String)>> {
        let name = prop_oneof![
            Just("x-codex-primary-used-percent"),
            Just("X-Codex-Primary-Window-Minutes"),
            Just("x-codex-primary-reset-at"),
            Just("x-codex-primary-reset-after-seconds"),
            Just("x-codex-secondary-used-percent"),
            Just("x-codex-secondary-window-minutes"),
            Just("x-codex-secondary-reset-after-seconds"),
            Just("x-codex-credits-has-credits"),
            Just("x-codex-credits-unlimited"),
            Just("x-codex-credits-balance"),
            Just("x-codex-active-limit"),
            Just("x-codex-limit-name"),
            Just("X-Codex-Bengalfox-Primary-Used-Percent"),
            Just("x-codex-bengalfox-primary-used-percent"),
            Just("x-codex-bengalfox-secondary-used-percent"),
            Just("x-codex-bengalfox-limit-name"),
            Just("x-codex-bengalfox-primary-window-minutes"),
            Just("x-other-primary-used-percent"),
            Just("x-other-primary-reset-at"),
            Just("x-codex_bengalfox-primary-used-percent"),
            Just("x--primary-used-percent"),
            Just("x-primary-used-percent"),
            Just("x-CODEX-primary-used-percent"),
            Just("x-é-primary-used-percent"),
            Just("y-a-primary-used-percent"),
            Just("content-type"),
        ];
        let value = prop_oneof![
            Just("0"),
            Just("12.5"),
            Just(" 80 "),
            Just("300"),
            Just("-1"),
            Just("true"),
            Just("1"),
            Just("NaN"),
            Just(""),
            Just("GPT weekly"),
        ];
        proptest::collection::vec((name, value), 0..12).prop_map(|pairs| {
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        /// The same snapshot from the same headers as before.
        #[test]
        fn parses_as_before(headers in any_headers()) {
            prop_assert_eq!(parse(&headers), before::parse(&headers));
        }

        /// What `write` writes, `read` reads back unchanged.

        #[test]
        fn read_write_round_trip(r in any_limits()) {
            prop_assume!(exact(&r));
            let text = r.to_json();
            prop_assert_eq!(RateLimits::read(&json::parse(&text).unwrap()), Ok(r));
        }

        /// `write` writes what the serde derive wrote (the derives now exist in tests only, as
        /// this oracle), NaN as `null` included;
        /// and `read` accepts whatever the derive accepted, with the same result.
        #[test]
        fn same_text_as_the_derive(r in any_limits()) {
            let text = r.to_json();
            prop_assert_eq!(&text, &serde_json::to_string(&r).unwrap());
            let v = json::parse(&text).unwrap();
            if let Ok(derived) = serde_json::from_value::<RateLimits>(v.clone()) {
                prop_assert_eq!(RateLimits::read(&v), Ok(derived));
            }
        }

        #[test]
        fn never_panics(vals in proptest::collection::vec(".{0,12}", 4), p in any::<f64>(), q in any::<f64>()) {
            let names = ["x-codex-primary-used-percent", "x-codex-primary-window-minutes", "x-codex-primary-reset-after-seconds", "x-codex-secondary-used-percent"];
            let pairs: Vec<(String, String)> = names.iter().zip(&vals).map(|(k, v)| (k.to_string(), v.clone())).collect();
            if let Some(r) = parse(&pairs) { let _ = warning(None, &r); }
            let _ = warning(Some(&at(p, q)), &at(q, p));
        }
    }
}

//! The display model for usage figures: one [`UsageView`] with the compact prompt-line status
//! (`5h 42% · wk 71%`), per-account window details ("resets 14:05 (in 2 h 13 min)"), a colour
//! level per window, and the table `usage` prints. The TUI and the CLI only draw what this returns.

use serde::{Deserialize, Serialize};

use super::payload::{Source, Usage, UsageCredits, UsageWindow};
use crate::stream::errors_http::{human_duration, reset_text};

/// Above this share used, the prompt line also says when the window resets.
pub const SHOW_RESET_ABOVE: f64 = 80.0;

/// Headroom, for the colour: `ok` < 70 %, `warn` < 90 %, `critical` from 90 % or when the limit is
/// reached; `muted` for separators and notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Muted,
    Ok,
    Warn,
    Critical,
}

impl Level {
    fn of(used_percent: f64) -> Level {
        match used_percent {
            p if p >= 90.0 => Level::Critical,
            p if p >= 70.0 => Level::Warn,
            _ => Level::Ok,
        }
    }
}

/// One account as the caller knows it: a label (never an e-mail; `None`: "ChatGPT login"), whether
/// it serves this session, and every usage seen for it (the newest one is shown).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInput {
    pub label: Option<String>,
    pub serving: bool,
    pub usages: Vec<Usage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    pub text: String,
    pub level: Level,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowView {
    /// "5-hour", "weekly", "codex-spark 5-hour".
    pub label: String,
    /// "5h", "wk".
    pub short: String,
    /// Rounded and clamped to 0..=100.
    pub percent: u8,
    /// "42% used".
    pub used_text: String,
    /// "[████░░░░░░]".
    pub bar: String,
    pub level: Level,
    /// "resets 14:05 (in 2 h 13 min)".
    pub reset_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// "ChatGPT login · plus".
    pub title: String,
    pub serving: bool,
    pub windows: Vec<WindowView>,
    /// "credits: 12.50", "credits: unlimited".
    pub credits: Option<String>,
    /// "limit reached", "no usage figures yet".
    pub note: Option<String>,
    /// "checked just now", "from the last reply 3 min ago".
    pub age_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    /// The prompt-line status of the serving account; empty when it has no figures.
    pub status: Vec<Segment>,
    /// `status` as one string.
    pub status_text: String,
    /// The highest level in `status` (`muted` when empty).
    pub level: Level,
    pub accounts: Vec<AccountView>,
    /// The table, one line per entry, for the CLI and the dialog.
    pub lines: Vec<String>,
}

/// ("5-hour", "5h"), ("weekly", "wk"), ("daily", "day"), else from the length.
fn window_names(window_s: Option<u64>) -> (String, String) {
    let Some(s) = window_s else {
        return ("current".into(), "now".into());
    };
    let minutes = s.div_ceil(60);
    match minutes {
        300 => ("5-hour".into(), "5h".into()),
        10_080 => ("weekly".into(), "wk".into()),
        1440 => ("daily".into(), "day".into()),
        m if m % 1440 == 0 => (format!("{}-day", m / 1440), format!("{}d", m / 1440)),
        m if m % 60 == 0 => (format!("{}-hour", m / 60), format!("{}h", m / 60)),
        m => (format!("{m}-minute"), format!("{m}m")),
    }
}

fn clock(at_ms: i64, tz_offset_min: i32) -> String {
    let local_min = at_ms
        .div_euclid(60_000)
        .saturating_add(i64::from(tz_offset_min))
        .rem_euclid(1440);
    format!("{:02}:{:02}", local_min / 60, local_min % 60)
}

/// "14:05 (in 2 h 13 min)" within a day, "Fri 22:58 (in 2 d 7 h)" within a week, else with the date.
fn when_text(at_ms: i64, now_ms: i64, tz: i32) -> String {
    let ahead = at_ms.saturating_sub(now_ms);
    if !(86_400_000..7 * 86_400_000).contains(&ahead) {
        return reset_text(at_ms, now_ms, tz);
    }
    let day = at_ms
        .div_euclid(60_000)
        .saturating_add(i64::from(tz))
        .div_euclid(1440);
    // 1970-01-01 was a Thursday.
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][day.rem_euclid(7) as usize];
    format!(
        "{weekday} {} (in {})",
        clock(at_ms, tz),
        human_duration(ahead as u64)
    )
}

fn window_view(w: &UsageWindow, now_ms: i64, tz: i32, reached: bool) -> WindowView {
    let (long, short) = window_names(w.window_s);
    let percent = w.used_percent.clamp(0.0, 100.0).round() as u8;
    let filled = usize::from(percent).div_ceil(10).min(10);
    let level = if reached && percent >= 100 {
        Level::Critical
    } else {
        Level::of(w.used_percent)
    };
    WindowView {
        label: match &w.limit {
            Some(name) => format!("{name} {long}"),
            None => long,
        },
        short,
        percent,
        used_text: format!("{percent}% used"),
        bar: format!("[{}{}]", "█".repeat(filled), "░".repeat(10 - filled)),
        level,
        reset_text: w.resets_at_ms.map(|at| {
            if at > now_ms {
                format!("resets {}", when_text(at, now_ms, tz))
            } else {
                format!(
                    "reset at {}; new figures come with the next reply",
                    clock(at, tz)
                )
            }
        }),
    }
}

fn credits_text(c: &UsageCredits) -> Option<String> {
    if c.unlimited {
        return Some("credits: unlimited".into());
    }
    match (&c.balance, c.has_credits) {
        (Some(b), true) => Some(format!("credits: {b}")),
        (None, true) => Some("credits: available".into()),
        (_, false) => None,
    }
}

fn age_text(u: &Usage, now_ms: i64) -> String {
    let age = now_ms.saturating_sub(u.observed_at_ms).max(0) as u64;
    let ago = if age < 60_000 {
        "just now".to_string()
    } else {
        format!("{} ago", human_duration(age - age % 60_000))
    };
    match u.source {
        Source::Endpoint => format!("checked {ago}"),
        Source::Headers => format!("from the last reply {ago}"),
    }
}

fn newest(usages: &[Usage]) -> Option<&Usage> {
    usages.iter().max_by_key(|u| u.observed_at_ms)
}

fn account_view(a: &AccountInput, now_ms: i64, tz: i32) -> AccountView {
    let u = newest(&a.usages);
    let mut windows: Vec<&UsageWindow> = u.map_or_else(Vec::new, |u| u.windows.iter().collect());
    // Main limit first, then shortest window first; per-feature limits after, by name.
    windows.sort_by(|x, y| {
        (x.limit.is_some(), &x.limit, x.window_s).cmp(&(y.limit.is_some(), &y.limit, y.window_s))
    });
    let reached = u.is_some_and(|u| u.limit_reached);
    let plan = u.and_then(|u| u.plan.clone()).or_else(|| {
        // A plan seen earlier (the endpoint names it, headers do not).
        a.usages.iter().rev().find_map(|u| u.plan.clone())
    });
    let label = a.label.clone().unwrap_or_else(|| "ChatGPT login".into());
    AccountView {
        title: plan.map_or(label.clone(), |p| format!("{label} · {p}")),
        serving: a.serving,
        windows: windows
            .iter()
            .map(|w| window_view(w, now_ms, tz, reached))
            .collect(),
        credits: u.and_then(|u| u.credits.as_ref()).and_then(credits_text),
        note: match u {
            None => Some("no usage figures yet".into()),
            Some(u) if u.limit_reached => Some("limit reached".into()),
            Some(u) if u.windows.is_empty() => Some("no usage limits reported".into()),
            Some(_) => None,
        },
        age_text: u.map(|u| age_text(u, now_ms)),
    }
}

fn status(a: &AccountInput, now_ms: i64, tz: i32) -> Vec<Segment> {
    let Some(u) = newest(&a.usages) else {
        return Vec::new();
    };
    let mut main: Vec<&UsageWindow> = u.windows.iter().filter(|w| w.limit.is_none()).collect();
    main.sort_by_key(|w| w.window_s);
    let mut out = Vec::new();
    for w in main {
        let v = window_view(w, now_ms, tz, u.limit_reached);
        if !out.is_empty() {
            out.push(Segment {
                text: " · ".into(),
                level: Level::Muted,
            });
        }
        let reset = match w.resets_at_ms {
            Some(at) if w.used_percent > SHOW_RESET_ABOVE && at > now_ms => {
                format!(" (resets {})", clock(at, tz))
            }
            _ => String::new(),
        };
        out.push(Segment {
            text: format!("{} {}%{reset}", v.short, v.percent),
            level: v.level,
        });
    }
    out
}

/// The whole display model. `tz_offset_min`: minutes east of UTC (JS: `-getTimezoneOffset()`).
pub fn view(accounts: &[AccountInput], now_ms: i64, tz_offset_min: i32) -> UsageView {
    let serving = accounts.iter().find(|a| a.serving).or(accounts.first());
    let segments = serving.map_or_else(Vec::new, |a| status(a, now_ms, tz_offset_min));
    let views: Vec<AccountView> = accounts
        .iter()
        .map(|a| account_view(a, now_ms, tz_offset_min))
        .collect();
    let mut lines = Vec::new();
    for a in &views {
        let serves = if a.serving && accounts.len() > 1 {
            " (serves this session)"
        } else {
            ""
        };
        lines.push(format!("{}{serves}", a.title));
        let width = a
            .windows
            .iter()
            .map(|w| w.label.chars().count())
            .max()
            .unwrap_or(0);
        for w in &a.windows {
            let reset = w
                .reset_text
                .as_deref()
                .map(|r| format!("  {r}"))
                .unwrap_or_default();
            lines.push(format!(
                "  {:<width$}  {} {:>3}%{reset}",
                w.label, w.bar, w.percent
            ));
        }
        lines.extend(a.credits.iter().map(|c| format!("  {c}")));
        lines.extend(a.note.iter().map(|n| format!("  {n}")));
        lines.extend(a.age_text.iter().map(|t| format!("  {t}")));
    }
    UsageView {
        status_text: segments.iter().map(|s| s.text.as_str()).collect(),
        level: segments
            .iter()
            .map(|s| s.level)
            .max()
            .unwrap_or(Level::Muted),
        status: segments,
        accounts: views,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    // 2027-01-14 08:00:00 UTC
    const NOW: i64 = 1_799_913_600_000;

    fn w(limit: Option<&str>, used: f64, window_s: u64, in_ms: i64) -> UsageWindow {
        UsageWindow {
            limit: limit.map(str::to_string),
            used_percent: used,
            window_s: Some(window_s),
            resets_at_ms: Some(NOW + in_ms),
        }
    }

    fn usage(source: Source, at: i64, windows: Vec<UsageWindow>) -> Usage {
        Usage {
            source,
            observed_at_ms: at,
            plan: None,
            limit_reached: false,
            windows,
            credits: None,
        }
    }

    #[test]
    fn status_line_and_table() {
        let endpoint = Usage {
            plan: Some("plus".into()),
            credits: Some(UsageCredits {
                has_credits: true,
                unlimited: false,
                balance: Some("12.50".into()),
            }),
            ..usage(
                Source::Endpoint,
                NOW - 600_000,
                vec![
                    w(None, 71.0, 604_800, 2 * 86_400_000 + 3_600_000),
                    w(None, 85.2, 18_000, 7_980_000),
                    w(Some("codex-spark"), 3.0, 18_000, 60_000),
                ],
            )
        };
        let v = view(
            &[AccountInput {
                label: None,
                serving: true,
                usages: vec![endpoint],
            }],
            NOW,
            60,
        );
        assert_eq!(v.status_text, "5h 85% (resets 11:13) · wk 71%");
        assert_eq!(
            v.status.iter().map(|s| s.level).collect::<Vec<_>>(),
            vec![Level::Warn, Level::Muted, Level::Warn]
        );
        assert_eq!(v.level, Level::Warn);
        assert_eq!(
            v.lines,
            vec![
                "ChatGPT login · plus",
                "  5-hour              [█████████░]  85%  resets 11:13 (in 2 h 13 min)",
                "  weekly              [████████░░]  71%  resets Sat 10:00 (in 2 d 1 h)",
                "  codex-spark 5-hour  [█░░░░░░░░░]   3%  resets 09:01 (in 1 min)",
                "  credits: 12.50",
                "  checked 10 min ago",
            ]
        );
    }

    #[test]
    fn newest_source_wins_and_empty_states() {
        let old = usage(
            Source::Endpoint,
            NOW - 900_000,
            vec![w(None, 10.0, 18_000, 1)],
        );
        let new = usage(
            Source::Headers,
            NOW - 30_000,
            vec![w(None, 95.0, 18_000, -1)],
        );
        let v = view(
            &[AccountInput {
                label: Some("work".into()),
                serving: true,
                usages: vec![old, new],
            }],
            NOW,
            0,
        );
        assert_eq!(v.status_text, "5h 95%");
        assert_eq!(v.level, Level::Critical);
        assert_eq!(
            v.accounts[0].windows[0].reset_text.as_deref(),
            Some("reset at 07:59; new figures come with the next reply")
        );
        assert_eq!(
            v.accounts[0].age_text.as_deref(),
            Some("from the last reply just now")
        );

        let none = view(&[AccountInput::default()], NOW, 0);
        assert_eq!((none.status_text.as_str(), none.level), ("", Level::Muted));
        assert_eq!(none.lines, vec!["ChatGPT login", "  no usage figures yet"]);
        assert_eq!(view(&[], NOW, 0).lines, Vec::<String>::new());
    }

    #[test]
    fn window_names_by_length() {
        let names = |s| window_names(Some(s));
        assert_eq!(names(18_000), ("5-hour".into(), "5h".into()));
        assert_eq!(names(604_800), ("weekly".into(), "wk".into()));
        assert_eq!(names(7_200), ("2-hour".into(), "2h".into()));
        assert_eq!(names(2_592_000), ("30-day".into(), "30d".into()));
        assert_eq!(names(90), ("2-minute".into(), "2m".into()));
        assert_eq!(window_names(None), ("current".into(), "now".into()));
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn any_figures_give_a_view(used in any::<f64>(), ws in any::<Option<u64>>(), at in any::<Option<i64>>(), now in any::<i64>(), tz in any::<i32>(), seen in any::<i64>()) {
            let u = Usage { source: Source::Headers, observed_at_ms: seen, plan: None, limit_reached: used > 50.0, windows: vec![UsageWindow { limit: None, used_percent: used, window_s: ws, resets_at_ms: at }], credits: None };
            let v = view(&[AccountInput { label: None, serving: true, usages: vec![u] }], now, tz);
            prop_assert!(v.accounts[0].windows[0].percent <= 100);
            prop_assert!(!v.status_text.is_empty());
        }
    }
}

//! What the user sees of the pool (`accounts`, `accounts --json`, `doctor`, the `chatgpt_accounts`
//! tool): number, label, email, plan, workspace, active, pins, health and the last usage figures
//! with their reset times, each with a sentence. Never a token (the pool holds none). And which
//! account `<n|label|email>` names.

use serde::Serialize;

use super::pool::{CoolReason, Pool};
use super::AccountsError;
use crate::stream::errors_http::human_duration;
use crate::stream::limits::Window;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// 1-based number (what `accounts use <n>` takes).
    pub n: usize,
    pub key: String,
    pub label: Option<String>,
    pub email: Option<String>,
    pub plan: Option<String>,
    /// The ChatGPT account (workspace) id.
    pub workspace: String,
    pub active: bool,
    /// Pinned to the project asked about.
    pub pinned_here: bool,
    /// Every project pinned to it.
    pub pins: Vec<String>,
    pub health: HealthView,
    pub usage: Option<UsageView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    Ok,
    /// Failed lately, not cooling yet.
    Failing,
    Cooling,
    Dead,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthView {
    pub state: HealthState,
    pub until_ms: Option<i64>,
    pub reason: Option<CoolReason>,
    pub failures: u32,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowView {
    pub used_percent: f64,
    pub window_minutes: Option<u64>,
    pub resets_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    pub observed_ms: i64,
    pub primary: Option<WindowView>,
    pub secondary: Option<WindowView>,
    pub text: String,
}

fn window_view(w: &Window, observed_ms: i64) -> WindowView {
    let at = w
        .resets_at_s
        .map(|s| s * 1000.0)
        .or_else(|| w.resets_after_s.map(|s| observed_ms as f64 + s * 1000.0))
        .filter(|t| t.is_finite() && t.abs() < 9.0e15)
        .map(|t| t as i64);
    WindowView {
        used_percent: if w.used_percent.is_finite() {
            w.used_percent
        } else {
            0.0
        },
        window_minutes: w.window_minutes,
        resets_at_ms: at,
    }
}

fn window_text(w: &WindowView, now_ms: i64) -> String {
    let name = match w.window_minutes {
        Some(10_080) => "weekly".to_string(),
        Some(m) if m % 60 == 0 && m > 0 => format!("{} h", m / 60),
        Some(m) => format!("{m} min"),
        None => "window".to_string(),
    };
    match w.resets_at_ms {
        Some(at) if at <= now_ms => format!("{name}: reset since"),
        Some(at) => format!(
            "{name}: {}% used, resets in {}",
            w.used_percent.round() as i64,
            human_duration(at.saturating_sub(now_ms) as u64)
        ),
        None => format!("{name}: {}% used", w.used_percent.round() as i64),
    }
}

fn health_view(h: &super::pool::Health, now_ms: i64) -> HealthView {
    let cooling = h.cooling_until_ms.filter(|t| *t > now_ms);
    let (state, text) = match (h.dead, cooling) {
        (true, _) => (
            HealthState::Dead,
            "login expired: run `opencode auth login` with this account".to_string(),
        ),
        (false, Some(t)) => {
            let left = human_duration(t.saturating_sub(now_ms) as u64);
            match h.cooling_reason {
                Some(CoolReason::Failing) => {
                    (HealthState::Cooling, format!("failing: resting for {left}"))
                }
                Some(CoolReason::UsageLimit) | None => (
                    HealthState::Cooling,
                    format!("usage limit reached: resets in {left}"),
                ),
            }
        }
        (false, None) if h.failures > 0 => (
            HealthState::Failing,
            format!("{} failure(s) in a row", h.failures),
        ),
        (false, None) => (HealthState::Ok, "ok".to_string()),
    };
    HealthView {
        state,
        until_ms: cooling,
        reason: cooling.and(h.cooling_reason),
        failures: h.failures,
        text,
    }
}

/// The accounts in pool order, as shown at `now_ms` for `project`.
pub fn list(pool: &Pool, now_ms: i64, project: Option<&str>) -> Vec<AccountView> {
    pool.accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let key = &a.identity.key;
            let usage = a.usage.as_ref().map(|u| {
                let primary = u
                    .limits
                    .primary
                    .as_ref()
                    .map(|w| window_view(w, u.observed_ms));
                let secondary = u
                    .limits
                    .secondary
                    .as_ref()
                    .map(|w| window_view(w, u.observed_ms));
                let text = [&primary, &secondary]
                    .into_iter()
                    .flatten()
                    .map(|w| window_text(w, now_ms))
                    .collect::<Vec<_>>()
                    .join("; ");
                UsageView {
                    observed_ms: u.observed_ms,
                    primary,
                    secondary,
                    text,
                }
            });
            AccountView {
                n: i + 1,
                key: key.clone(),
                label: a.label.clone(),
                email: a.identity.email.clone(),
                plan: a.identity.plan.clone(),
                workspace: a.identity.account_id.clone(),
                active: pool.active.as_deref() == Some(key),
                pinned_here: project.is_some_and(|p| pool.pins.get(p) == Some(key)),
                pins: pool
                    .pins
                    .iter()
                    .filter(|(_, k)| *k == key)
                    .map(|(p, _)| p.clone())
                    .collect(),
                health: health_view(&a.health, now_ms),
                usage,
            }
        })
        .collect()
}

/// The key `selector` names: a number (1-based), else a label, else an email (case-insensitive),
/// else a key. Several matches are `Ambiguous` (with their numbers).
pub fn resolve(pool: &Pool, selector: &str) -> Result<String, AccountsError> {
    let s = selector.trim();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return s
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .and_then(|n| pool.accounts.get(n - 1))
            .map(|a| a.identity.key.clone())
            .ok_or_else(|| AccountsError::NotFound(s.to_string()));
    }
    let by = |f: &dyn Fn(&super::pool::Account) -> bool| -> Vec<usize> {
        pool.accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| f(a))
            .map(|(i, _)| i + 1)
            .collect()
    };
    let eq = |v: Option<&str>| v.is_some_and(|v| v.eq_ignore_ascii_case(s));
    for matches in [
        by(&|a| eq(a.label.as_deref())),
        by(&|a| eq(a.identity.email.as_deref())),
        by(&|a| a.identity.key == s),
    ] {
        match matches.as_slice() {
            [] => continue,
            [n] => return Ok(pool.accounts[n - 1].identity.key.clone()),
            _ => return Err(AccountsError::Ambiguous(s.to_string(), matches)),
        }
    }
    Err(AccountsError::NotFound(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::pool::tests::{ident, pool_of};
    use crate::accounts::pool::{apply, Event};
    use crate::stream::limits::RateLimits;

    #[test]
    fn lists_health_and_usage_in_words() {
        let mut p = pool_of(2);
        apply(
            &mut p,
            Event::Usage {
                key: "acc-1/u1".into(),
                limits: RateLimits {
                    primary: Some(Window {
                        used_percent: 42.4,
                        window_minutes: Some(300),
                        resets_at_s: None,
                        resets_after_s: Some(3_720.0),
                    }),
                    secondary: Some(Window {
                        used_percent: 7.0,
                        window_minutes: Some(10_080),
                        resets_at_s: None,
                        resets_after_s: None,
                    }),
                    ..RateLimits::default()
                },
                now_ms: 1_000,
            },
        )
        .unwrap();
        apply(
            &mut p,
            Event::UsageLimit {
                key: "acc-2/u2".into(),
                resets_at_ms: Some(7_201_000),
                now_ms: 1_000,
            },
        )
        .unwrap();
        apply(
            &mut p,
            Event::Use {
                key: "acc-2/u2".into(),
                project: Some("/w".into()),
            },
        )
        .unwrap();
        let v = list(&p, 1_000, Some("/w"));
        assert_eq!(
            v[0],
            AccountView {
                n: 1,
                key: "acc-1/u1".into(),
                label: None,
                email: Some("user1@example.com".into()),
                plan: Some("plus".into()),
                workspace: "acc-1".into(),
                active: true,
                pinned_here: false,
                pins: vec![],
                health: HealthView {
                    state: HealthState::Ok,
                    until_ms: None,
                    reason: None,
                    failures: 0,
                    text: "ok".into()
                },
                usage: Some(UsageView {
                    observed_ms: 1_000,
                    primary: Some(WindowView {
                        used_percent: 42.4,
                        window_minutes: Some(300),
                        resets_at_ms: Some(3_721_000)
                    }),
                    secondary: Some(WindowView {
                        used_percent: 7.0,
                        window_minutes: Some(10_080),
                        resets_at_ms: None
                    }),
                    text: "5 h: 42% used, resets in 1 h 2 min; weekly: 7% used".into(),
                }),
            }
        );
        assert_eq!(
            v[1].health,
            HealthView {
                state: HealthState::Cooling,
                until_ms: Some(7_201_000),
                reason: Some(CoolReason::UsageLimit),
                failures: 0,
                text: "usage limit reached: resets in 2 h 0 min".into()
            }
        );
        assert!(v[1].pinned_here);
        assert_eq!(v[1].pins, vec!["/w".to_string()]);
        // After the reset it is ok again.
        assert_eq!(list(&p, 7_201_000, None)[1].health.state, HealthState::Ok);
    }

    #[test]
    fn resolves_numbers_labels_and_emails() {
        let mut p = pool_of(3);
        apply(
            &mut p,
            Event::Label {
                key: "acc-3/u3".into(),
                label: Some("Work".into()),
            },
        )
        .unwrap();
        assert_eq!(resolve(&p, "2"), Ok("acc-2/u2".into()));
        assert_eq!(resolve(&p, "work"), Ok("acc-3/u3".into()));
        assert_eq!(resolve(&p, "USER1@example.com"), Ok("acc-1/u1".into()));
        assert_eq!(resolve(&p, "0"), Err(AccountsError::NotFound("0".into())));
        assert_eq!(resolve(&p, "9"), Err(AccountsError::NotFound("9".into())));
        // One email in two workspaces: ambiguous, use the number.
        let mut twin = ident(1);
        twin.account_id = "acc-team".into();
        twin.key = "acc-team/u1".into();
        apply(
            &mut p,
            Event::Joined {
                identity: twin,
                activate: false,
                now_ms: 0,
            },
        )
        .unwrap();
        assert_eq!(
            resolve(&p, "user1@example.com"),
            Err(AccountsError::Ambiguous(
                "user1@example.com".into(),
                vec![1, 4]
            ))
        );
    }
}

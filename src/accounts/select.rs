//! Which account serves a request. Sticky per conversation (its prompt cache lives on that
//! account), else the project's pin, else the global active account. It moves only when that
//! account is not available: cooling down (a usage limit until its reset, or
//! [`FAILURES_TO_COOL`](super::pool::FAILURES_TO_COOL) consecutive failures) or dead (its login
//! cannot be refreshed). The next one is the available account with the most headroom in its last
//! usage snapshot (a window whose reset time has passed counts as unused; an account never seen
//! counts as unused), the earlier account on a tie. A project pin is never left unless
//! `allow_leave_pin`. When nothing is available the answer names the earliest reset.

use serde_json::Value;

use super::pool::{Account, CoolReason, Pool};
use crate::json::{Fields, Obj};
use crate::stream::errors_http::human_duration;
use crate::stream::limits::Window;

/// The question: who serves this request? JSON: `{conversation, project, nowMs, allowLeavePin}`
/// (`nowMs` required; the others may be absent or `null`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ask {
    /// The conversation (`prompt_cache_key`, else the session id); `None`: not remembered.
    pub conversation: Option<String>,
    /// The project directory (its pin applies).
    pub project: Option<String>,
    pub now_ms: i64,
    /// Config: a pinned project may use other accounts when its pin is exhausted.
    pub allow_leave_pin: bool,
}

impl Ask {
    pub fn read(v: &Value) -> Result<Ask, String> {
        let f = Fields::of(v, "struct Ask")?;
        Ok(Ask {
            conversation: f.string("conversation")?,
            project: f.string("project")?,
            now_ms: f.need("nowMs", f.i64("nowMs"))?,
            allow_leave_pin: f.bool("allowLeavePin")?.unwrap_or(false),
        })
    }
}

/// Why a conversation left its account. JSON: `"usage_limit"`, `"login_dead"`, `"failing"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveReason {
    UsageLimit,
    LoginDead,
    Failing,
}

impl MoveReason {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveReason::UsageLimit => "usage_limit",
            MoveReason::LoginDead => "login_dead",
            MoveReason::Failing => "failing",
        }
    }
}

/// JSON: `{from, reason, fromUntilMs, message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: String,
    pub reason: MoveReason,
    /// When `from` may be used again (`None` for a dead login).
    pub from_until_ms: Option<i64>,
    /// One sentence for a toast: which account serves now and when the other resets.
    pub message: String,
}

/// The answer. JSON: `{type: "serve", key, index, moved, dropReasoning}`, `{type: "exhausted",
/// earliestResetMs, message}` or `{type: "empty", message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Send with `key` (account number `index`, 1-based). `moved`: it is not the account that
    /// served this conversation, project or pool until now.
    Serve {
        key: String,
        index: usize,
        moved: Option<Moved>,
        /// Drop encrypted reasoning from the input (see [`super::reasoning`]): this conversation
        /// has been served by another account.
        drop_reasoning: bool,
    },
    /// No account may serve it now; `message` says why and until when.
    Exhausted {
        earliest_reset_ms: Option<i64>,
        message: String,
    },
    /// The pool has no account.
    Empty { message: String },
}

impl Selection {
    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        match self {
            Selection::Serve {
                key,
                index,
                moved,
                drop_reasoning,
            } => {
                o.str("type", "serve")
                    .str("key", key)
                    .u64("index", *index as u64);
                match moved {
                    Some(m) => o.with("moved", |out| {
                        let mut m_o = Obj::start(out);
                        m_o.str("from", &m.from)
                            .str("reason", m.reason.as_str())
                            .opt_i64("fromUntilMs", m.from_until_ms)
                            .str("message", &m.message)
                            .end();
                    }),
                    None => o.null("moved"),
                };
                o.bool("dropReasoning", *drop_reasoning);
            }
            Selection::Exhausted {
                earliest_reset_ms,
                message,
            } => {
                o.str("type", "exhausted")
                    .opt_i64("earliestResetMs", *earliest_reset_ms)
                    .str("message", message);
            }
            Selection::Empty { message } => {
                o.str("type", "empty").str("message", message);
            }
        }
        o.end();
    }
}

/// Whether `acc` may be chosen at `now_ms`.
pub fn available(acc: &Account, now_ms: i64) -> bool {
    !acc.health.dead && acc.health.cooling_until_ms.is_none_or(|t| now_ms >= t)
}

/// Percent left in the tighter window of the last snapshot (0–100; 100 when unknown).
pub fn headroom(acc: &Account, now_ms: i64) -> f64 {
    let Some(usage) = &acc.usage else {
        return 100.0;
    };
    let used = |w: &Option<Window>| -> f64 {
        let Some(w) = w else { return 0.0 };
        let reset_ms = w
            .resets_at_s
            .map(|s| s * 1000.0)
            .or_else(|| {
                w.resets_after_s
                    .map(|s| usage.observed_ms as f64 + s * 1000.0)
            })
            .filter(|t| t.is_finite());
        if reset_ms.is_some_and(|t| t <= now_ms as f64) {
            return 0.0;
        }
        if w.used_percent.is_nan() {
            100.0
        } else {
            w.used_percent.clamp(0.0, 100.0)
        }
    };
    100.0 - used(&usage.limits.primary).max(used(&usage.limits.secondary))
}

/// `#2 work`: the number and the label, else the email, else the workspace id.
pub fn name(pool: &Pool, key: &str) -> String {
    match pool.position(key) {
        Some(i) => {
            let a = &pool.accounts[i];
            let what = a
                .label
                .as_deref()
                .or(a.identity.email.as_deref())
                .unwrap_or(&a.identity.account_id);
            format!("#{} {what}", i + 1)
        }
        None => "an account no longer in the pool".into(),
    }
}

fn until_text(until_ms: i64, now_ms: i64) -> String {
    human_duration(until_ms.saturating_sub(now_ms).max(0) as u64)
}

/// Why `acc` is not available, in words, with its reset.
fn unavailable_text(acc: &Account, now_ms: i64) -> String {
    if acc.health.dead {
        return "needs a new login (`opencode auth login`)".into();
    }
    let until = acc.health.cooling_until_ms.unwrap_or(now_ms);
    match acc.health.cooling_reason {
        Some(CoolReason::Failing) => format!(
            "kept failing; it is tried again in {}",
            until_text(until, now_ms)
        ),
        Some(CoolReason::UsageLimit) | None => format!(
            "reached its usage limit; it resets in {}",
            until_text(until, now_ms)
        ),
    }
}

fn reason_of(acc: &Account) -> MoveReason {
    match (acc.health.dead, acc.health.cooling_reason) {
        (true, _) => MoveReason::LoginDead,
        (false, Some(CoolReason::Failing)) => MoveReason::Failing,
        (false, Some(CoolReason::UsageLimit) | None) => MoveReason::UsageLimit,
    }
}

/// The best available account among `candidates` (indices), if any.
fn best(pool: &Pool, candidates: &[usize], now_ms: i64) -> Option<usize> {
    candidates
        .iter()
        .copied()
        .filter(|&i| available(&pool.accounts[i], now_ms))
        // max_by keeps the last of equals: compare reversed indices so the earlier account wins.
        .max_by(|&a, &b| {
            headroom(&pool.accounts[a], now_ms)
                .total_cmp(&headroom(&pool.accounts[b], now_ms))
                .then(b.cmp(&a))
        })
}

/// Answers `ask` and remembers the conversation's account. Changes only `pool.sticky`.
pub fn select(pool: &mut Pool, ask: &Ask) -> Selection {
    pool.normalize();
    let now = ask.now_ms;
    if pool.accounts.is_empty() {
        return Selection::Empty {
            message: "no ChatGPT account is in the pool; log in with `opencode auth login` and choose OpenAI".into(),
        };
    }
    let pin = ask
        .project
        .as_ref()
        .and_then(|p| pool.pins.get(p))
        .and_then(|k| pool.position(k));
    let all: Vec<usize> = (0..pool.accounts.len()).collect();
    let candidates: Vec<usize> = match pin {
        Some(p) if !ask.allow_leave_pin => vec![p],
        _ => all.clone(),
    };
    let sticky = ask
        .conversation
        .as_ref()
        .and_then(|c| pool.sticky.get(c))
        .and_then(|s| pool.position(&s.key))
        .filter(|i| candidates.contains(i));
    let active = pool.active.as_deref().and_then(|k| pool.position(k));
    let preferred = sticky.or(pin).or(active).unwrap_or(0);

    let chosen = if available(&pool.accounts[preferred], now) {
        Some((preferred, None))
    } else {
        best(pool, &candidates, now).map(|i| {
            let from = &pool.accounts[preferred];
            let message = format!(
                "ChatGPT account {} now serves this conversation: {} {}",
                name(pool, &pool.accounts[i].identity.key),
                name(pool, &from.identity.key),
                unavailable_text(from, now)
            );
            let moved = Moved {
                from: from.identity.key.clone(),
                reason: reason_of(from),
                from_until_ms: (!from.health.dead)
                    .then_some(from.health.cooling_until_ms)
                    .flatten(),
                message,
            };
            (i, Some(moved))
        })
    };
    if let Some((i, moved)) = chosen {
        let key = pool.accounts[i].identity.key.clone();
        let mut drop_reasoning = moved.is_some();
        if let Some(c) = &ask.conversation {
            pool.stick(c, &key, now);
            drop_reasoning |= pool.sticky.get(c).is_some_and(|s| s.moved);
        }
        return Selection::Serve {
            key,
            index: i + 1,
            moved,
            drop_reasoning,
        };
    }
    exhausted(pool, &candidates, pin, &all, now)
}

/// The message when no candidate is available: the earliest reset among them, or the pin and
/// how to leave it when only the pin is exhausted.
fn exhausted(
    pool: &Pool,
    candidates: &[usize],
    pin: Option<usize>,
    all: &[usize],
    now: i64,
) -> Selection {
    let earliest = candidates
        .iter()
        .filter(|&&i| !pool.accounts[i].health.dead)
        .filter_map(|&i| pool.accounts[i].health.cooling_until_ms.map(|t| (t, i)))
        .min();
    let earliest_reset_ms = earliest.map(|(t, _)| t);
    let message = match (pin, candidates.len() < all.len()) {
        (Some(p), true) => {
            let others = best(pool, all, now).is_some();
            let acc = &pool.accounts[p];
            format!(
                "this project is pinned to ChatGPT account {}, which {}{}",
                name(pool, &acc.identity.key),
                unavailable_text(acc, now),
                if others {
                    "; other accounts are free: pin another with `opencode-chatgpt-wasm accounts use <n> --project`, or allow pinned projects to use them (OPENCODE_CODEX_ACCOUNTS_LEAVE_PIN=1)"
                } else {
                    ""
                }
            )
        }
        _ => match earliest {
            Some((t, i)) => format!(
                "every ChatGPT account in the pool is unavailable; the earliest, {}, resets in {}",
                name(pool, &pool.accounts[i].identity.key),
                until_text(t, now)
            ),
            None => "every ChatGPT account in the pool needs a new login; run `opencode auth login` and choose OpenAI".into(),
        },
    };
    Selection::Exhausted {
        earliest_reset_ms,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::pool::tests::pool_of;
    use crate::accounts::pool::{apply, Event};
    use crate::stream::limits::RateLimits;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    const HOUR: i64 = 3_600_000;

    fn ask(conversation: Option<&str>, project: Option<&str>, now_ms: i64) -> Ask {
        Ask {
            conversation: conversation.map(String::from),
            project: project.map(String::from),
            now_ms,
            allow_leave_pin: false,
        }
    }

    fn key(n: u32) -> String {
        format!("acc-{n}/u{n}")
    }

    fn limit(p: &mut Pool, n: u32, until: i64, now: i64) {
        apply(
            p,
            Event::UsageLimit {
                key: key(n),
                resets_at_ms: Some(until),
                now_ms: now,
            },
        )
        .unwrap();
    }

    fn used(p: &mut Pool, n: u32, percent: f64) {
        let limits = RateLimits {
            primary: Some(Window {
                used_percent: percent,
                window_minutes: Some(300),
                resets_at_s: None,
                resets_after_s: Some(3600.0),
            }),
            ..RateLimits::default()
        };
        apply(
            p,
            Event::Usage {
                key: key(n),
                limits,
                now_ms: 0,
            },
        )
        .unwrap();
    }

    fn served(s: &Selection) -> &str {
        match s {
            Selection::Serve { key, .. } => key,
            other => panic!("not served: {other:?}"),
        }
    }

    #[test]
    fn a_conversation_stays_then_moves_to_the_most_headroom() {
        let mut p = pool_of(3);
        used(&mut p, 2, 90.0);
        used(&mut p, 3, 20.0);
        assert_eq!(
            select(&mut p, &ask(Some("c"), None, 0)),
            Selection::Serve {
                key: key(1),
                index: 1,
                moved: None,
                drop_reasoning: false,
            }
        );
        limit(&mut p, 1, 2 * HOUR + 13 * 60_000, 0);
        assert_eq!(
            select(&mut p, &ask(Some("c"), None, 0)),
            Selection::Serve {
                key: key(3),
                index: 3,
                moved: Some(Moved {
                    from: key(1),
                    reason: MoveReason::UsageLimit,
                    from_until_ms: Some(2 * HOUR + 13 * 60_000),
                    message: "ChatGPT account #3 user3@example.com now serves this conversation: #1 user1@example.com reached its usage limit; it resets in 2 h 13 min".into(),
                }),
                drop_reasoning: true,
            }
        );
        // Sticky on the new account, also after the first one resets.
        assert_eq!(
            served(&select(&mut p, &ask(Some("c"), None, 3 * HOUR))),
            key(3)
        );
        // A new conversation starts on the active account again once it reset.
        assert_eq!(
            served(&select(&mut p, &ask(Some("d"), None, 3 * HOUR))),
            key(1)
        );
    }

    #[test]
    fn a_usage_window_that_reset_counts_as_unused() {
        let mut p = pool_of(2);
        used(&mut p, 1, 99.0);
        used(&mut p, 2, 50.0);
        assert_eq!(headroom(&p.accounts[0], 0), 1.0);
        assert_eq!(headroom(&p.accounts[0], HOUR), 100.0);
    }

    #[test]
    fn a_pin_holds_unless_allowed() {
        let mut p = pool_of(2);
        apply(
            &mut p,
            Event::Use {
                key: key(2),
                project: Some("/work".into()),
            },
        )
        .unwrap();
        assert_eq!(
            served(&select(&mut p, &ask(Some("c"), Some("/work"), 0))),
            key(2)
        );
        assert_eq!(
            served(&select(&mut p, &ask(Some("e"), Some("/else"), 0))),
            key(1)
        );
        limit(&mut p, 2, HOUR, 0);
        assert_eq!(
            select(&mut p, &ask(Some("c"), Some("/work"), 0)),
            Selection::Exhausted {
                earliest_reset_ms: Some(HOUR),
                message: "this project is pinned to ChatGPT account #2 user2@example.com, which reached its usage limit; it resets in 1 h 0 min; other accounts are free: pin another with `opencode-chatgpt-wasm accounts use <n> --project`, or allow pinned projects to use them (OPENCODE_CODEX_ACCOUNTS_LEAVE_PIN=1)".into(),
            }
        );
        let mut allowed = ask(Some("c"), Some("/work"), 0);
        allowed.allow_leave_pin = true;
        assert_eq!(served(&select(&mut p, &allowed)), key(1));
    }

    #[test]
    fn exhausted_names_the_earliest_reset() {
        let mut p = pool_of(3);
        limit(&mut p, 1, 5 * HOUR, 0);
        limit(&mut p, 2, 2 * HOUR, 0);
        apply(
            &mut p,
            Event::LoginDead {
                key: key(3),
                now_ms: 0,
            },
        )
        .unwrap();
        assert_eq!(
            select(&mut p, &ask(None, None, 0)),
            Selection::Exhausted {
                earliest_reset_ms: Some(2 * HOUR),
                message: "every ChatGPT account in the pool is unavailable; the earliest, #2 user2@example.com, resets in 2 h 0 min".into(),
            }
        );
        assert_eq!(
            select(&mut Pool::default(), &ask(None, None, 0)),
            Selection::Empty {
                message: "no ChatGPT account is in the pool; log in with `opencode auth login` and choose OpenAI".into()
            }
        );
    }

    #[test]
    fn use_moves_every_conversation_to_the_new_choice() {
        let mut p = pool_of(2);
        assert_eq!(served(&select(&mut p, &ask(Some("c"), None, 0))), key(1));
        apply(
            &mut p,
            Event::Use {
                key: key(2),
                project: None,
            },
        )
        .unwrap();
        assert_eq!(served(&select(&mut p, &ask(Some("c"), None, 0))), key(2));
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn arb_event(n: u32) -> impl Strategy<Value = Event> {
        let k = (1..=n + 1).prop_map(key);
        prop_oneof![
            (1..=n + 1, any::<bool>(), any::<i64>()).prop_map(|(i, activate, now_ms)| {
                Event::Joined {
                    identity: crate::accounts::pool::tests::ident(i),
                    activate,
                    now_ms,
                }
            }),
            (k.clone(), 0.0f64..120.0, any::<i64>()).prop_map(|(key, p, now_ms)| Event::Usage {
                key,
                limits: RateLimits {
                    primary: Some(Window {
                        used_percent: p,
                        window_minutes: None,
                        resets_at_s: None,
                        resets_after_s: Some(60.0)
                    }),
                    ..RateLimits::default()
                },
                now_ms
            }),
            (k.clone(), proptest::option::of(any::<i64>()), any::<i64>()).prop_map(
                |(key, resets_at_ms, now_ms)| Event::UsageLimit {
                    key,
                    resets_at_ms,
                    now_ms
                }
            ),
            (k.clone(), any::<i64>()).prop_map(|(key, now_ms)| Event::LoginDead { key, now_ms }),
            (k.clone(), any::<i64>()).prop_map(|(key, now_ms)| Event::Failed { key, now_ms }),
            (k.clone(), any::<i64>()).prop_map(|(key, now_ms)| Event::Succeeded { key, now_ms }),
            (k.clone(), proptest::option::of("/p[12]"))
                .prop_map(|(key, project)| Event::Use { key, project }),
            (k.clone(), proptest::option::of(".{0,8}"))
                .prop_map(|(key, label)| Event::Label { key, label }),
            k.prop_map(|key| Event::Remove { key }),
        ]
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        /// No event sequence panics; the invariants of selection hold after each.
        #[test]
        fn selection_invariants(
            events in proptest::collection::vec(arb_event(3), 0..40),
            asks in proptest::collection::vec((proptest::option::of("c[12]"), proptest::option::of("/p[12]"), -10i64..10_000_000, any::<bool>()), 1..6),
        ) {
            let mut p = pool_of(3);
            for e in events {
                let _ = apply(&mut p, e);
                for (c, proj, now, leave) in &asks {
                    let a = Ask { conversation: c.clone(), project: proj.clone(), now_ms: *now, allow_leave_pin: *leave };
                    let pin = proj.as_ref().and_then(|x| p.pins.get(x)).cloned();
                    let before = c.as_ref().and_then(|x| p.sticky.get(x)).map(|s| s.key.clone());
                    let any_free = p.accounts.iter().any(|acc| available(acc, *now));
                    let mut q = p.clone();
                    match select(&mut q, &a) {
                        Selection::Serve { key, index, moved, drop_reasoning } => {
                            prop_assert!(!moved.is_some() || drop_reasoning);
                            let acc = q.get(&key).unwrap();
                            // Never a cooling or dead account.
                            prop_assert!(available(acc, *now));
                            prop_assert_eq!(q.accounts[index - 1].identity.key.clone(), key.clone());
                            // A pin is never left unless allowed.
                            if let (Some(pin), false) = (&pin, leave) {
                                prop_assert_eq!(&key, pin);
                            }
                            // Sticky unless its account became unavailable (or is outside the pin).
                            if let Some(b) = &before {
                                let in_pin = pin.as_ref().is_none_or(|p| p == b || *leave);
                                if in_pin && p.get(b).is_some_and(|acc| available(acc, *now)) {
                                    prop_assert_eq!(&key, b);
                                    prop_assert!(moved.is_none());
                                }
                            }
                            if let Some(c) = c {
                                prop_assert_eq!(&q.sticky.get(c).unwrap().key, &key);
                            }
                        }
                        Selection::Exhausted { earliest_reset_ms, .. } => {
                            // Only when nothing allowed is free.
                            match (&pin, leave) {
                                (Some(pin), false) => prop_assert!(!available(p.get(pin).unwrap(), *now)),
                                _ => prop_assert!(!any_free),
                            }
                            if let Some(t) = earliest_reset_ms { prop_assert!(t > *now); }
                        }
                        Selection::Empty { .. } => prop_assert!(p.accounts.is_empty()),
                    }
                }
            }
        }

        #[test]
        fn any_pool_text_is_refused_or_normalized(text in ".{0,200}") {
            if let Ok(p) = Pool::from_json(&text) {
                let again = Pool::from_json(&p.to_json()).unwrap();
                prop_assert_eq!(again, p);
            }
        }
    }
}

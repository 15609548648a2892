//! The pool as data and the events that change it. [`Pool`] is what `accounts.json` holds besides
//! the tokens (serde, camelCase); [`apply`] is the only way it changes. Every event carries the
//! account key and, where time matters, `now_ms`. [`Pool::normalize`] restores the invariants
//! (unique keys, an active account while there is any, pins and sticky conversations only on
//! known accounts, bounded sizes) after reading a file and after every event.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::identity::Identity;
use super::AccountsError;
use crate::stream::limits::RateLimits;

/// The pool format this version reads and writes.
pub const VERSION: u32 = 1;
/// Consecutive failures (transport errors, 5xx after retries) that cool an account down.
pub const FAILURES_TO_COOL: u32 = 3;
/// How long a failing account rests before it is tried again.
pub const FAILURE_COOLDOWN_MS: i64 = 60_000;
/// How long an account rests after a usage limit that named no reset time.
pub const UNKNOWN_RESET_COOLDOWN_MS: i64 = 15 * 60_000;
/// Conversations remembered (the least recently used are forgotten first).
pub const MAX_STICKY: usize = 256;
/// Accounts in one pool; a login beyond it is refused with a message.
pub const MAX_ACCOUNTS: usize = 64;
/// Longest label.
pub const MAX_LABEL: usize = 64;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pool {
    #[serde(default = "version")]
    pub version: u32,
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// The key of the global active account (the one auth.json holds).
    #[serde(default)]
    pub active: Option<String>,
    /// Project directory → the key it is pinned to.
    #[serde(default)]
    pub pins: BTreeMap<String, String>,
    /// Conversation (`prompt_cache_key` / session id) → the account serving it.
    #[serde(default)]
    pub sticky: BTreeMap<String, Sticky>,
}

fn version() -> u32 {
    VERSION
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[serde(flatten)]
    pub identity: Identity,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub added_ms: i64,
    #[serde(default)]
    pub health: Health,
    /// The last usage snapshot (the `x-codex-*` headers) seen for this account.
    #[serde(default)]
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Consecutive failures since the last success.
    #[serde(default)]
    pub failures: u32,
    /// Not chosen before this time.
    #[serde(default)]
    pub cooling_until_ms: Option<i64>,
    #[serde(default)]
    pub cooling_reason: Option<CoolReason>,
    /// The login cannot be refreshed; only a new login revives it.
    #[serde(default)]
    pub dead: bool,
    #[serde(default)]
    pub last_used_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoolReason {
    UsageLimit,
    Failing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub observed_ms: i64,
    pub limits: RateLimits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sticky {
    pub key: String,
    pub used_ms: i64,
    /// The conversation has moved between accounts: its history may hold another account's
    /// encrypted reasoning, which the backend refuses.
    #[serde(default)]
    pub moved: bool,
}

/// Everything that changes the pool. Read from `{type, ...fields}` through `RawEvent` (see there).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    /// A login joined (or logged in again: that revives a dead account). `activate`: it is now
    /// what auth.json holds.
    Joined {
        identity: Identity,
        activate: bool,
        now_ms: i64,
    },
    /// The usage snapshot of a response sent with this account.
    Usage {
        key: String,
        limits: RateLimits,
        now_ms: i64,
    },
    /// The account answered `usage_limit_reached`; `resets_at_ms` when the backend said.
    UsageLimit {
        key: String,
        resets_at_ms: Option<i64>,
        now_ms: i64,
    },
    /// The login cannot be refreshed (refresh token revoked, reused or expired).
    LoginDead { key: String, now_ms: i64 },
    /// A request on it failed (not the user's fault, not a usage limit).
    Failed { key: String, now_ms: i64 },
    /// A request on it succeeded.
    Succeeded { key: String, now_ms: i64 },
    /// `accounts use`: the global active account, or the pin of `project`.
    Use {
        key: String,
        project: Option<String>,
    },
    /// Forget a project's pin.
    Unpin { project: String },
    /// `accounts label` (`None` or blank: remove the label).
    Label { key: String, label: Option<String> },
    /// `accounts remove`.
    Remove { key: String },
}

/// The fields of every [`Event`] variant in one flat struct. `Event` is read through it instead of
/// serde's internally tagged derive, which buffers the object into `Content` and instantiated a
/// second deserializer for every field type: 44 KB of wasm for this one type (docs/benchmarks.md,
/// "wasm size, round two"). Unknown fields are ignored as before; a required field that is missing
/// or `null` and an unknown `type` are errors with serde's wording.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    #[serde(rename = "type")]
    kind: Option<String>,
    identity: Option<Identity>,
    activate: Option<bool>,
    now_ms: Option<i64>,
    key: Option<String>,
    limits: Option<RateLimits>,
    resets_at_ms: Option<i64>,
    project: Option<String>,
    label: Option<String>,
}

const EVENT_TYPES: &[&str] = &[
    "joined",
    "usage",
    "usageLimit",
    "loginDead",
    "failed",
    "succeeded",
    "use",
    "unpin",
    "label",
    "remove",
];

fn need<T, E: serde::de::Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(field))
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = RawEvent::deserialize(deserializer)?;
        let kind = need::<_, D::Error>(r.kind, "type")?;
        Ok(match kind.as_str() {
            "joined" => Event::Joined {
                identity: need(r.identity, "identity")?,
                activate: need(r.activate, "activate")?,
                now_ms: need(r.now_ms, "nowMs")?,
            },
            "usage" => Event::Usage {
                key: need(r.key, "key")?,
                limits: need(r.limits, "limits")?,
                now_ms: need(r.now_ms, "nowMs")?,
            },
            "usageLimit" => Event::UsageLimit {
                key: need(r.key, "key")?,
                resets_at_ms: r.resets_at_ms,
                now_ms: need(r.now_ms, "nowMs")?,
            },
            "loginDead" => Event::LoginDead {
                key: need(r.key, "key")?,
                now_ms: need(r.now_ms, "nowMs")?,
            },
            "failed" => Event::Failed {
                key: need(r.key, "key")?,
                now_ms: need(r.now_ms, "nowMs")?,
            },
            "succeeded" => Event::Succeeded {
                key: need(r.key, "key")?,
                now_ms: need(r.now_ms, "nowMs")?,
            },
            "use" => Event::Use {
                key: need(r.key, "key")?,
                project: r.project,
            },
            "unpin" => Event::Unpin {
                project: need(r.project, "project")?,
            },
            "label" => Event::Label {
                key: need(r.key, "key")?,
                label: r.label,
            },
            "remove" => Event::Remove {
                key: need(r.key, "key")?,
            },
            other => {
                return Err(serde::de::Error::unknown_variant(other, EVENT_TYPES));
            }
        })
    }
}

/// What an event did, for the caller to say once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// Whether the pool changed (else nothing needs writing).
    pub changed: bool,
    /// The account's number (1-based) after the event; `None` after `Remove`.
    pub index: Option<usize>,
    /// A login that was not in the pool before (`Joined` only).
    pub added: bool,
}

impl Pool {
    /// A pool from its JSON text, normalized. A version this code does not know is refused
    /// (never rewritten: the caller keeps the file as it is).
    pub fn from_json(text: &str) -> Result<Pool, AccountsError> {
        let mut pool: Pool = serde_json::from_str(text)
            .map_err(|e| AccountsError::BadPool(format!("not valid pool JSON: {e}")))?;
        if pool.version != VERSION {
            return Err(AccountsError::BadPool(format!(
                "it is version {}, this plugin reads version {VERSION}; update the plugin",
                pool.version
            )));
        }
        pool.normalize();
        Ok(pool)
    }

    /// Position of `key` (0-based).
    pub fn position(&self, key: &str) -> Option<usize> {
        self.accounts.iter().position(|a| a.identity.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.identity.key == key)
    }

    fn get_mut(&mut self, key: &str) -> Result<&mut Account, AccountsError> {
        self.accounts
            .iter_mut()
            .find(|a| a.identity.key == key)
            .ok_or_else(|| AccountsError::NotFound(key.to_string()))
    }

    /// Restores the invariants listed in the module doc.
    pub fn normalize(&mut self) {
        self.version = VERSION;
        let mut seen = std::collections::BTreeSet::new();
        self.accounts
            .retain(|a| !a.identity.key.is_empty() && seen.insert(a.identity.key.clone()));
        self.accounts.truncate(MAX_ACCOUNTS);
        let known = |k: &str, accounts: &[Account]| accounts.iter().any(|a| a.identity.key == k);
        if !self
            .active
            .as_deref()
            .is_some_and(|k| known(k, &self.accounts))
        {
            self.active = self.accounts.first().map(|a| a.identity.key.clone());
        }
        let accounts = &self.accounts;
        self.pins.retain(|_, k| known(k, accounts));
        self.sticky.retain(|_, s| known(&s.key, accounts));
        if self.sticky.len() > MAX_STICKY {
            let mut by_age: Vec<(i64, String)> = self
                .sticky
                .iter()
                .map(|(c, s)| (s.used_ms, c.clone()))
                .collect();
            by_age.sort();
            let excess = self.sticky.len() - MAX_STICKY;
            for (_, c) in by_age.into_iter().take(excess) {
                self.sticky.remove(&c);
            }
        }
    }

    /// Remembers that `key` serves `conversation` (forgetting the least recently used beyond
    /// [`MAX_STICKY`]).
    pub(crate) fn stick(&mut self, conversation: &str, key: &str, now_ms: i64) {
        let moved = self
            .sticky
            .get(conversation)
            .is_some_and(|s| s.moved || s.key != key);
        self.sticky.insert(
            conversation.to_string(),
            Sticky {
                key: key.to_string(),
                used_ms: now_ms,
                moved,
            },
        );
        self.normalize();
    }
}

/// A label as stored: trimmed; `None` for blank; refused when too long or only digits.
pub fn clean_label(label: Option<&str>) -> Result<Option<String>, AccountsError> {
    let Some(l) = label.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    if l.chars().count() > MAX_LABEL
        || l.chars().all(|c| c.is_ascii_digit())
        || l.chars().any(char::is_control)
    {
        return Err(AccountsError::BadLabel);
    }
    Ok(Some(l.to_string()))
}

/// Applies one event. An event naming an unknown account is `NotFound` and changes nothing.
pub fn apply(pool: &mut Pool, event: Event) -> Result<Applied, AccountsError> {
    let before = pool.clone();
    let mut added = false;
    let key = match event {
        Event::Joined {
            identity,
            activate,
            now_ms,
        } => {
            let key = identity.key.clone();
            if key.is_empty() || identity.account_id.is_empty() {
                return Err(AccountsError::NoAccountId);
            }
            match pool.get_mut(&key) {
                Ok(acc) => {
                    acc.identity = identity;
                    if acc.health.dead {
                        acc.health = Health::default();
                    }
                }
                Err(_) => {
                    if pool.accounts.len() >= MAX_ACCOUNTS {
                        return Err(AccountsError::BadPool(format!(
                            "it already holds {MAX_ACCOUNTS} accounts; remove one with `opencode-chatgpt-wasm accounts remove <n>`"
                        )));
                    }
                    added = true;
                    pool.accounts.push(Account {
                        identity,
                        label: None,
                        added_ms: now_ms,
                        health: Health::default(),
                        usage: None,
                    });
                }
            }
            if activate {
                pool.active = Some(key.clone());
            }
            Some(key)
        }
        Event::Usage {
            key,
            limits,
            now_ms,
        } => {
            pool.get_mut(&key)?.usage = Some(Usage {
                observed_ms: now_ms,
                limits,
            });
            Some(key)
        }
        Event::UsageLimit {
            key,
            resets_at_ms,
            now_ms,
        } => {
            let until = resets_at_ms
                .filter(|t| *t > now_ms)
                .unwrap_or_else(|| now_ms.saturating_add(UNKNOWN_RESET_COOLDOWN_MS));
            let h = &mut pool.get_mut(&key)?.health;
            h.cooling_until_ms = Some(until);
            h.cooling_reason = Some(CoolReason::UsageLimit);
            Some(key)
        }
        Event::LoginDead { key, now_ms } => {
            let h = &mut pool.get_mut(&key)?.health;
            h.dead = true;
            h.last_used_ms = Some(now_ms);
            Some(key)
        }
        Event::Failed { key, now_ms } => {
            let h = &mut pool.get_mut(&key)?.health;
            h.failures = h.failures.saturating_add(1);
            h.last_used_ms = Some(now_ms);
            if h.failures % FAILURES_TO_COOL == 0 {
                h.cooling_until_ms = Some(now_ms.saturating_add(FAILURE_COOLDOWN_MS));
                h.cooling_reason = Some(CoolReason::Failing);
            }
            Some(key)
        }
        Event::Succeeded { key, now_ms } => {
            let h = &mut pool.get_mut(&key)?.health;
            // It answered: whatever cooled it is over.
            *h = Health {
                last_used_ms: Some(now_ms),
                ..Health::default()
            };
            Some(key)
        }
        Event::Use { key, project } => {
            pool.get_mut(&key)?;
            match project {
                Some(p) => {
                    pool.pins.insert(p.clone(), key.clone());
                    // Conversations of that project are not known here: all follow the new choice.
                    pool.sticky.clear();
                }
                None => {
                    pool.active = Some(key.clone());
                    pool.sticky.clear();
                }
            }
            Some(key)
        }
        Event::Unpin { project } => {
            pool.pins.remove(&project);
            None
        }
        Event::Label { key, label } => {
            let label = clean_label(label.as_deref())?;
            pool.get_mut(&key)?.label = label;
            Some(key)
        }
        Event::Remove { key } => {
            let at = pool
                .position(&key)
                .ok_or_else(|| AccountsError::NotFound(key.clone()))?;
            pool.accounts.remove(at);
            None
        }
    };
    pool.normalize();
    Ok(Applied {
        changed: *pool != before,
        index: key.and_then(|k| pool.position(&k)).map(|i| i + 1),
        added,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::accounts::identity::key_of;

    pub(crate) fn ident(n: u32) -> Identity {
        let account_id = format!("acc-{n}");
        let user = format!("u{n}");
        Identity {
            key: key_of(&account_id, Some(&user)),
            account_id,
            user_id: Some(user),
            email: Some(format!("user{n}@example.com")),
            plan: Some("plus".into()),
        }
    }

    pub(crate) fn pool_of(n: u32) -> Pool {
        let mut p = Pool::default();
        for i in 1..=n {
            apply(
                &mut p,
                Event::Joined {
                    identity: ident(i),
                    activate: i == 1,
                    now_ms: 0,
                },
            )
            .unwrap();
        }
        p
    }

    #[test]
    fn joining_adds_once_and_the_first_is_active() {
        let mut p = Pool::default();
        let a = apply(
            &mut p,
            Event::Joined {
                identity: ident(1),
                activate: false,
                now_ms: 5,
            },
        )
        .unwrap();
        assert_eq!(
            a,
            Applied {
                changed: true,
                index: Some(1),
                added: true
            }
        );
        assert_eq!(p.active.as_deref(), Some("acc-1/u1"));
        let again = apply(
            &mut p,
            Event::Joined {
                identity: ident(1),
                activate: true,
                now_ms: 9,
            },
        )
        .unwrap();
        assert_eq!(
            again,
            Applied {
                changed: false,
                index: Some(1),
                added: false
            }
        );
        assert_eq!(p.accounts.len(), 1);
        assert_eq!(p.accounts[0].added_ms, 5);
    }

    #[test]
    fn a_new_login_revives_a_dead_account() {
        let mut p = pool_of(2);
        let key = "acc-2/u2".to_string();
        apply(
            &mut p,
            Event::LoginDead {
                key: key.clone(),
                now_ms: 1,
            },
        )
        .unwrap();
        assert!(p.get(&key).unwrap().health.dead);
        apply(
            &mut p,
            Event::Joined {
                identity: ident(2),
                activate: true,
                now_ms: 2,
            },
        )
        .unwrap();
        assert_eq!(p.get(&key).unwrap().health, Health::default());
        assert_eq!(p.active.as_deref(), Some(key.as_str()));
    }

    #[test]
    fn usage_limits_and_failures_cool_down() {
        let mut p = pool_of(2);
        let k = "acc-1/u1".to_string();
        apply(
            &mut p,
            Event::UsageLimit {
                key: k.clone(),
                resets_at_ms: Some(50_000),
                now_ms: 1_000,
            },
        )
        .unwrap();
        assert_eq!(
            p.get(&k).unwrap().health,
            Health {
                failures: 0,
                cooling_until_ms: Some(50_000),
                cooling_reason: Some(CoolReason::UsageLimit),
                dead: false,
                last_used_ms: None,
            }
        );
        // A reset time in the past (clock skew) still cools for the default time.
        apply(
            &mut p,
            Event::UsageLimit {
                key: k.clone(),
                resets_at_ms: Some(10),
                now_ms: 1_000,
            },
        )
        .unwrap();
        assert_eq!(
            p.get(&k).unwrap().health.cooling_until_ms,
            Some(1_000 + UNKNOWN_RESET_COOLDOWN_MS)
        );
        let k2 = "acc-2/u2".to_string();
        for i in 0..FAILURES_TO_COOL {
            assert_eq!(p.get(&k2).unwrap().health.cooling_until_ms, None, "{i}");
            apply(
                &mut p,
                Event::Failed {
                    key: k2.clone(),
                    now_ms: 7,
                },
            )
            .unwrap();
        }
        assert_eq!(
            p.get(&k2).unwrap().health,
            Health {
                failures: FAILURES_TO_COOL,
                cooling_until_ms: Some(7 + FAILURE_COOLDOWN_MS),
                cooling_reason: Some(CoolReason::Failing),
                dead: false,
                last_used_ms: Some(7),
            }
        );
        apply(
            &mut p,
            Event::Succeeded {
                key: k2.clone(),
                now_ms: 8,
            },
        )
        .unwrap();
        assert_eq!(
            p.get(&k2).unwrap().health,
            Health {
                last_used_ms: Some(8),
                ..Health::default()
            }
        );
    }

    #[test]
    fn removing_the_active_account_makes_the_first_active_and_drops_its_pins() {
        let mut p = pool_of(3);
        apply(
            &mut p,
            Event::Use {
                key: "acc-2/u2".into(),
                project: Some("/p".into()),
            },
        )
        .unwrap();
        apply(
            &mut p,
            Event::Use {
                key: "acc-2/u2".into(),
                project: None,
            },
        )
        .unwrap();
        let r = apply(
            &mut p,
            Event::Remove {
                key: "acc-2/u2".into(),
            },
        )
        .unwrap();
        assert_eq!(
            r,
            Applied {
                changed: true,
                index: None,
                added: false
            }
        );
        assert_eq!(p.active.as_deref(), Some("acc-1/u1"));
        assert!(p.pins.is_empty());
        assert_eq!(
            apply(
                &mut p,
                Event::Remove {
                    key: "acc-2/u2".into()
                }
            ),
            Err(AccountsError::NotFound("acc-2/u2".into()))
        );
    }

    #[test]
    fn labels_are_checked() {
        let mut p = pool_of(1);
        let k = "acc-1/u1".to_string();
        for bad in ["12", &"x".repeat(65), "a\nb"] {
            assert_eq!(
                apply(
                    &mut p,
                    Event::Label {
                        key: k.clone(),
                        label: Some(bad.into())
                    }
                ),
                Err(AccountsError::BadLabel)
            );
        }
        apply(
            &mut p,
            Event::Label {
                key: k.clone(),
                label: Some("  work ".into()),
            },
        )
        .unwrap();
        assert_eq!(p.accounts[0].label.as_deref(), Some("work"));
        apply(
            &mut p,
            Event::Label {
                key: k.clone(),
                label: Some(" ".into()),
            },
        )
        .unwrap();
        assert_eq!(p.accounts[0].label, None);
    }

    #[test]
    fn a_damaged_or_newer_pool_is_refused_not_repaired() {
        assert!(matches!(
            Pool::from_json("{\"accounts\": 3}"),
            Err(AccountsError::BadPool(_))
        ));
        assert!(matches!(
            Pool::from_json("{\"version\": 2}"),
            Err(AccountsError::BadPool(m)) if m.contains("version 2")
        ));
        let p = pool_of(2);
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(Pool::from_json(&text), Ok(p));
    }

    #[test]
    fn the_sticky_map_is_bounded() {
        let mut p = pool_of(1);
        for i in 0..(MAX_STICKY as i64 + 10) {
            p.stick(&format!("c{i}"), "acc-1/u1", i);
        }
        assert_eq!(p.sticky.len(), MAX_STICKY);
        assert!(!p.sticky.contains_key("c0"));
        assert!(p.sticky.contains_key(&format!("c{}", MAX_STICKY + 9)));
    }

    /// `Event` is read by hand (`RawEvent`) instead of serde's internally tagged derive: every
    /// variant still reads back what it writes, unknown fields are still ignored, and a missing
    /// field or an unknown type is still an error in serde's words.
    #[test]
    fn events_read_back_what_they_write() {
        let events = vec![
            Event::Joined {
                identity: ident(1),
                activate: true,
                now_ms: 5,
            },
            Event::Usage {
                key: "k".into(),
                limits: RateLimits::default(),
                now_ms: 6,
            },
            Event::UsageLimit {
                key: "k".into(),
                resets_at_ms: Some(9),
                now_ms: 7,
            },
            Event::UsageLimit {
                key: "k".into(),
                resets_at_ms: None,
                now_ms: 7,
            },
            Event::LoginDead {
                key: "k".into(),
                now_ms: 1,
            },
            Event::Failed {
                key: "k".into(),
                now_ms: 2,
            },
            Event::Succeeded {
                key: "k".into(),
                now_ms: 3,
            },
            Event::Use {
                key: "k".into(),
                project: Some("/p".into()),
            },
            Event::Use {
                key: "k".into(),
                project: None,
            },
            Event::Unpin {
                project: "/p".into(),
            },
            Event::Label {
                key: "k".into(),
                label: Some("work".into()),
            },
            Event::Label {
                key: "k".into(),
                label: None,
            },
            Event::Remove { key: "k".into() },
        ];
        for e in events {
            let text = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), e, "{text}");
        }
        let read = |t: &str| serde_json::from_str::<Event>(t).map_err(|e| e.to_string());
        assert_eq!(
            read(r#"{"type":"remove","key":"k","extra":[1,{"a":2}]}"#),
            Ok(Event::Remove { key: "k".into() })
        );
        assert_eq!(
            read(r#"{"type":"use","key":"k","project":null}"#),
            Ok(Event::Use {
                key: "k".into(),
                project: None
            })
        );
        assert_eq!(
            read(r#"{"type":"failed","key":"k"}"#),
            Err("missing field `nowMs`".into())
        );
        assert_eq!(read(r#"{"key":"k"}"#), Err("missing field `type`".into()));
        assert_eq!(
            read(r#"{"type":"nope"}"#),
            Err(
                "unknown variant `nope`, expected one of `joined`, `usage`, `usageLimit`, \
                 `loginDead`, `failed`, `succeeded`, `use`, `unpin`, `label`, `remove`"
                    .into()
            )
        );
        assert!(read(r#"{"type":"remove","key":5}"#).is_err());
        assert!(read("[]").is_err());
    }
    /// An account is one flat object (the identity's fields, then its own); the identity's
    /// optional fields and the account's own may be absent.
    #[test]
    fn an_account_is_one_flat_object() {
        let a = Account {
            identity: ident(1),
            label: None,
            added_ms: 3,
            health: Health::default(),
            usage: None,
        };
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(
            text,
            r#"{"key":"acc-1/u1","accountId":"acc-1","userId":"u1","email":"user1@example.com","plan":"plus","label":null,"addedMs":3,"health":{"failures":0,"coolingUntilMs":null,"coolingReason":null,"dead":false,"lastUsedMs":null},"usage":null}"#
        );
        assert_eq!(serde_json::from_str::<Account>(&text).unwrap(), a);
        let bare: Account = serde_json::from_str(r#"{"key":"k","accountId":"a","x":1}"#).unwrap();
        assert_eq!(
            bare,
            Account {
                identity: Identity {
                    key: "k".into(),
                    account_id: "a".into(),
                    user_id: None,
                    email: None,
                    plan: None
                },
                label: None,
                added_ms: 0,
                health: Health::default(),
                usage: None,
            }
        );
        let missing = serde_json::from_str::<Account>(r#"{"key":"k"}"#).map_err(|e| e.to_string());
        assert!(matches!(missing, Err(m) if m.starts_with("missing field `accountId`")));
    }
}

//! The pool as data and the events that change it. [`Pool`] is what `accounts.json` holds besides
//! the tokens (camelCase JSON, read by [`Pool::read`] and written by [`Pool::write`] in field
//! order, without serde derives: see [`crate::json`]); [`apply`] is the only way it changes. Every
//! event carries the account key and, where time matters, `now_ms`. [`Pool::normalize`] restores
//! the invariants (unique keys, an active account while there is any, pins and sticky
//! conversations only on known accounts, bounded sizes) after reading a file and after every event.
//!
//! The JSON is the one the serde derives wrote and read before (a file written by either version
//! reads in the other): the same names and order, `null` for an absent optional value, absent or
//! `null` fields of a defaulted value read as the default, unknown fields ignored.

use std::collections::BTreeMap;

use serde_json::Value;

use super::identity::Identity;
use super::AccountsError;
use crate::json::{self, Fields, Obj};
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

/// JSON: `{version, accounts, active, pins, sticky}`; every field may be absent (a default).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pool {
    pub version: u32,
    pub accounts: Vec<Account>,
    /// The key of the global active account (the one auth.json holds).
    pub active: Option<String>,
    /// Project directory → the key it is pinned to.
    pub pins: BTreeMap<String, String>,
    /// Conversation (`prompt_cache_key` / session id) → the account serving it.
    pub sticky: BTreeMap<String, Sticky>,
}

/// JSON: one flat object, the identity's fields (`key`, `accountId` required) then `label`,
/// `addedMs`, `health`, `usage` (each may be absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub identity: Identity,
    pub label: Option<String>,
    pub added_ms: i64,
    pub health: Health,
    /// The last usage snapshot (the `x-codex-*` headers) seen for this account.
    pub usage: Option<Usage>,
}

/// JSON: `{failures, coolingUntilMs, coolingReason, dead, lastUsedMs}`, each may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Health {
    /// Consecutive failures since the last success.
    pub failures: u32,
    /// Not chosen before this time.
    pub cooling_until_ms: Option<i64>,
    pub cooling_reason: Option<CoolReason>,
    /// The login cannot be refreshed; only a new login revives it.
    pub dead: bool,
    pub last_used_ms: Option<i64>,
}

/// JSON: `"usage_limit"` or `"failing"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoolReason {
    UsageLimit,
    Failing,
}

/// JSON: `{observedMs, limits}`, both required.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub observed_ms: i64,
    pub limits: RateLimits,
}

/// JSON: `{key, usedMs, moved}`; `moved` may be absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sticky {
    pub key: String,
    pub used_ms: i64,
    /// The conversation has moved between accounts: its history may hold another account's
    /// encrypted reasoning, which the backend refuses.
    pub moved: bool,
}

/// Everything that changes the pool. JSON: `{type, ...fields}` (camelCase), read by
/// [`Event::read`].
#[derive(Debug, Clone, PartialEq)]
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

/// serde's "unknown variant" error.
fn unknown_variant(got: &str, expected: &[&str]) -> String {
    let quoted: Vec<String> = expected.iter().map(|e| format!("`{e}`")).collect();
    let list = if quoted.len() == 2 {
        quoted.join(" or ")
    } else {
        format!("one of {}", quoted.join(", "))
    };
    format!("unknown variant `{got}`, expected {list}")
}

/// The fields of every [`Event`] variant, read before the variant is known: every field is
/// type-checked whether the variant uses it or not (as serde's flat reader did before). One
/// value, so that an error drops it at once (cheaper in wasm than one drop per field read).
#[derive(Default)]
struct RawEvent {
    identity: Option<Identity>,
    activate: Option<bool>,
    now_ms: Option<i64>,
    key: Option<String>,
    limits: Option<RateLimits>,
    resets_at_ms: Option<i64>,
    project: Option<String>,
    label: Option<String>,
}

/// A required field's value, or serde's "missing field".
fn need<T>(value: Option<T>, key: &str) -> Result<T, String> {
    value.ok_or_else(|| json::missing(key))
}

impl Event {
    /// An event from `{type, ...fields}`. Every field any variant has is type-checked whether
    /// the variant uses it or not; unknown fields are ignored; a required field that is missing
    /// or `null` and an unknown `type` are errors in serde's words.
    pub fn read(v: &Value) -> Result<Event, String> {
        let f = Fields::of(v, "struct Event")?;
        let kind = f.str("type")?;
        let mut r = RawEvent::default();
        if let Some(id) = f.get("identity") {
            r.identity = Some(Identity::read(id)?);
        }
        r.activate = f.bool("activate")?;
        r.now_ms = f.i64("nowMs")?;
        r.key = f.string("key")?;
        if let Some(l) = f.get("limits") {
            r.limits = Some(RateLimits::read(l)?);
        }
        r.resets_at_ms = f.i64("resetsAtMs")?;
        r.project = f.string("project")?;
        r.label = f.string("label")?;
        let kind = need(kind, "type")?;
        Ok(match kind {
            "joined" => Event::Joined {
                identity: need(r.identity.take(), "identity")?,
                activate: need(r.activate.take(), "activate")?,
                now_ms: need(r.now_ms.take(), "nowMs")?,
            },
            "usage" => Event::Usage {
                key: need(r.key.take(), "key")?,
                limits: need(r.limits.take(), "limits")?,
                now_ms: need(r.now_ms.take(), "nowMs")?,
            },
            "usageLimit" => Event::UsageLimit {
                key: need(r.key.take(), "key")?,
                resets_at_ms: r.resets_at_ms.take(),
                now_ms: need(r.now_ms.take(), "nowMs")?,
            },
            "loginDead" => Event::LoginDead {
                key: need(r.key.take(), "key")?,
                now_ms: need(r.now_ms.take(), "nowMs")?,
            },
            "failed" => Event::Failed {
                key: need(r.key.take(), "key")?,
                now_ms: need(r.now_ms.take(), "nowMs")?,
            },
            "succeeded" => Event::Succeeded {
                key: need(r.key.take(), "key")?,
                now_ms: need(r.now_ms.take(), "nowMs")?,
            },
            "use" => Event::Use {
                key: need(r.key.take(), "key")?,
                project: r.project.take(),
            },
            "unpin" => Event::Unpin {
                project: need(r.project.take(), "project")?,
            },
            "label" => Event::Label {
                key: need(r.key.take(), "key")?,
                label: r.label.take(),
            },
            "remove" => Event::Remove {
                key: need(r.key.take(), "key")?,
            },
            other => return Err(unknown_variant(other, EVENT_TYPES)),
        })
    }
}

/// What an event did, for the caller to say once. JSON: `{changed, index, added}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Whether the pool changed (else nothing needs writing).
    pub changed: bool,
    /// The account's number (1-based) after the event; `None` after `Remove`.
    pub index: Option<usize>,
    /// A login that was not in the pool before (`Joined` only).
    pub added: bool,
}

impl Applied {
    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        o.bool("changed", self.changed);
        match self.index {
            Some(i) => o.u64("index", i as u64),
            None => o.null("index"),
        };
        o.bool("added", self.added).end();
    }
}

/// A JSON object's values, each read by `read`, by key.
fn read_map<T>(
    m: Fields,
    read: impl Fn(&Value) -> Result<T, String>,
) -> Result<BTreeMap<String, T>, String> {
    // A loop rather than `collect`: collecting into a map sorts (the keys are sorted already), and
    // that sort cost ~10 KB of wasm.
    let mut out = BTreeMap::new();
    for (k, v) in m.0 {
        out.insert(k.clone(), read(v)?);
    }
    Ok(out)
}

/// The elements of a JSON array, each read by `read` (a loop: see [`read_map`]).
fn read_vec<T>(
    items: &[Value],
    read: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let mut out = Vec::with_capacity(items.len());
    for v in items {
        out.push(read(v)?);
    }
    Ok(out)
}

fn read_string(v: &Value) -> Result<String, String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| json::invalid(v, "a string"))
}

impl Account {
    pub fn read(v: &Value) -> Result<Account, String> {
        let f = Fields::of(v, "struct Account")?;
        Ok(Account {
            identity: Identity::read_fields(f)?,
            label: f.string("label")?,
            added_ms: f.i64("addedMs")?.unwrap_or(0),
            health: f
                .get("health")
                .map(Health::read)
                .transpose()?
                .unwrap_or_default(),
            usage: f.get("usage").map(Usage::read).transpose()?,
        })
    }

    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        self.identity.write_fields(&mut o);
        o.opt_str("label", self.label.as_deref())
            .i64("addedMs", self.added_ms)
            .with("health", |out| self.health.write(out));
        match &self.usage {
            Some(u) => o.with("usage", |out| u.write(out)),
            None => o.null("usage"),
        };
        o.end();
    }
}

impl Health {
    pub fn read(v: &Value) -> Result<Health, String> {
        let f = Fields::of(v, "struct Health")?;
        Ok(Health {
            failures: f.u32("failures")?.unwrap_or(0),
            cooling_until_ms: f.i64("coolingUntilMs")?,
            cooling_reason: f.get("coolingReason").map(CoolReason::read).transpose()?,
            dead: f.bool("dead")?.unwrap_or(false),
            last_used_ms: f.i64("lastUsedMs")?,
        })
    }

    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        o.u64("failures", u64::from(self.failures))
            .opt_i64("coolingUntilMs", self.cooling_until_ms)
            .opt_str("coolingReason", self.cooling_reason.map(CoolReason::as_str))
            .bool("dead", self.dead)
            .opt_i64("lastUsedMs", self.last_used_ms)
            .end();
    }
}

impl CoolReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CoolReason::UsageLimit => "usage_limit",
            CoolReason::Failing => "failing",
        }
    }

    pub fn read(v: &Value) -> Result<CoolReason, String> {
        match v.as_str() {
            Some("usage_limit") => Ok(CoolReason::UsageLimit),
            Some("failing") => Ok(CoolReason::Failing),
            Some(other) => Err(unknown_variant(other, &["usage_limit", "failing"])),
            None => Err(json::invalid(v, "enum CoolReason")),
        }
    }
}

/// The cold module's account listing (`view`, serde) shows the reason as this JSON writes it.
impl serde::Serialize for CoolReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Usage {
    pub fn read(v: &Value) -> Result<Usage, String> {
        let f = Fields::of(v, "struct Usage")?;
        Ok(Usage {
            observed_ms: f.need("observedMs", f.i64("observedMs"))?,
            limits: RateLimits::read(f.get("limits").ok_or_else(|| json::missing("limits"))?)?,
        })
    }

    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        o.i64("observedMs", self.observed_ms)
            .with("limits", |out| self.limits.write(out))
            .end();
    }
}

impl Sticky {
    pub fn read(v: &Value) -> Result<Sticky, String> {
        let f = Fields::of(v, "struct Sticky")?;
        Ok(Sticky {
            key: f.need("key", f.string("key"))?,
            used_ms: f.need("usedMs", f.i64("usedMs"))?,
            moved: f.bool("moved")?.unwrap_or(false),
        })
    }

    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        o.str("key", &self.key)
            .i64("usedMs", self.used_ms)
            .bool("moved", self.moved)
            .end();
    }
}

impl Pool {
    /// A pool from its JSON value, as it is (not checked or normalized: see [`Pool::checked`]).
    pub fn read(v: &Value) -> Result<Pool, String> {
        let f = Fields::of(v, "struct Pool")?;
        Ok(Pool {
            version: f.u32("version")?.unwrap_or(VERSION),
            accounts: match f.array("accounts")? {
                Some(items) => read_vec(items, Account::read)?,
                None => Vec::new(),
            },
            active: f.string("active")?,
            pins: match f.object("pins")? {
                Some(m) => read_map(m, read_string)?,
                None => BTreeMap::new(),
            },
            sticky: match f.object("sticky")? {
                Some(m) => read_map(m, Sticky::read)?,
                None => BTreeMap::new(),
            },
        })
    }

    /// Writes the pool's JSON onto `out` (the order and `null`s of [`Pool`]'s doc).
    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        o.u64("version", u64::from(self.version))
            .with("accounts", |out| {
                json::arr(out, &self.accounts, |out, a| a.write(out))
            })
            .opt_str("active", self.active.as_deref())
            .with("pins", |out| {
                json::write_map(out, &self.pins, |out, v| json::write_str(out, v))
            })
            .with("sticky", |out| {
                json::write_map(out, &self.sticky, |out, s| s.write(out))
            })
            .end();
    }

    /// The pool's JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// The pool in `v`, normalized; `BadPool` when it does not read (`prefix` before serde's words)
    /// or is a version this code does not know (never rewritten: the caller keeps it as it is).
    pub fn checked(v: &Value, prefix: &str) -> Result<Pool, AccountsError> {
        let mut pool = Pool::read(v).map_err(|e| AccountsError::BadPool(format!("{prefix}{e}")))?;
        if pool.version != VERSION {
            return Err(AccountsError::BadPool(format!(
                "it is version {}, this plugin reads version {VERSION}; update the plugin",
                pool.version
            )));
        }
        pool.normalize();
        Ok(pool)
    }

    /// A pool from its JSON text, normalized (see [`Pool::checked`]).
    pub fn from_json(text: &str) -> Result<Pool, AccountsError> {
        let v = json::parse(text)
            .map_err(|e| AccountsError::BadPool(format!("not valid pool JSON: {e}")))?;
        Pool::checked(&v, "not valid pool JSON: ")
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
    use crate::stream::limits::{Credits, Family, Window};
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

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

    /// JSON text of any shape (nested objects and arrays, strings with quotes, escapes and
    /// brackets, empty containers).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn arb_json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            "[a-z{}\\[\\],:\"\\\\ \n]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                proptest::collection::vec(("[a-z:{]{0,3}", inner), 0..5).prop_map(|fields| {
                    let fields: Vec<String> = fields
                        .into_iter()
                        .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap()))
                        .collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn arb_text() -> impl Strategy<Value = String> {
        "[a-z/@\"\\\\\u{1}é ]{0,6}"
    }

    /// Numbers whose shortest text serde_json's parser reads back exactly (it is not exact for
    /// every `f64` without its `float_roundtrip` feature, derive or not).
    #[cfg(not(target_arch = "wasm32"))]
    fn arb_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            (any::<i32>(), 0i32..4).prop_map(|(m, d)| f64::from(m) / 10f64.powi(d)),
            Just(1e21),
            Just(1e-7),
            Just(5.0),
            Just(-0.0),
        ]
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn arb_window() -> impl Strategy<Value = Window> {
        (
            arb_f64(),
            proptest::option::of(any::<u64>()),
            proptest::option::of(arb_f64()),
            proptest::option::of(arb_f64()),
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
    fn arb_limits() -> impl Strategy<Value = RateLimits> {
        let opt_text = || proptest::option::of(arb_text());
        let family = (
            arb_text(),
            opt_text(),
            proptest::option::of(arb_window()),
            proptest::option::of(arb_window()),
        )
            .prop_map(|(id, name, primary, secondary)| Family {
                id,
                name,
                primary,
                secondary,
            });
        let credits = (
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            opt_text(),
        )
            .prop_map(|(has_credits, unlimited, balance)| Credits {
                has_credits,
                unlimited,
                balance,
            });
        (
            proptest::option::of(arb_window()),
            proptest::option::of(arb_window()),
            proptest::option::of(credits),
            opt_text(),
            opt_text(),
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

    /// Any pool value, including what `normalize` would drop (reading does not normalize).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn arb_pool() -> impl Strategy<Value = Pool> {
        let opt_text = || proptest::option::of(arb_text());
        let identity = (arb_text(), arb_text(), opt_text(), opt_text(), opt_text()).prop_map(
            |(key, account_id, user_id, email, plan)| Identity {
                key,
                account_id,
                user_id,
                email,
                plan,
            },
        );
        let health = (
            any::<u32>(),
            proptest::option::of(any::<i64>()),
            proptest::option::of(prop_oneof![
                Just(CoolReason::UsageLimit),
                Just(CoolReason::Failing)
            ]),
            any::<bool>(),
            proptest::option::of(any::<i64>()),
        )
            .prop_map(
                |(failures, cooling_until_ms, cooling_reason, dead, last_used_ms)| Health {
                    failures,
                    cooling_until_ms,
                    cooling_reason,
                    dead,
                    last_used_ms,
                },
            );
        let usage = (any::<i64>(), arb_limits()).prop_map(|(observed_ms, limits)| Usage {
            observed_ms,
            limits,
        });
        let account = (
            identity,
            opt_text(),
            any::<i64>(),
            health,
            proptest::option::of(usage),
        )
            .prop_map(|(identity, label, added_ms, health, usage)| Account {
                identity,
                label,
                added_ms,
                health,
                usage,
            });
        let sticky =
            (arb_text(), any::<i64>(), any::<bool>()).prop_map(|(key, used_ms, moved)| Sticky {
                key,
                used_ms,
                moved,
            });
        (
            any::<u32>(),
            proptest::collection::vec(account, 0..4),
            opt_text(),
            proptest::collection::btree_map(arb_text(), arb_text(), 0..3),
            proptest::collection::btree_map(arb_text(), sticky, 0..3),
        )
            .prop_map(|(version, accounts, active, pins, sticky)| Pool {
                version,
                accounts,
                active,
                pins,
                sticky,
            })
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        /// What the derives guaranteed: every pool reads back as the value it was written from.
        #[test]
        fn every_pool_reads_back_what_it_writes(p in arb_pool()) {
            let text = p.to_json();
            prop_assert_eq!(Pool::read(&json::parse(&text).unwrap()), Ok(p), "{}", text);
        }
    }

    /// A pool the previous version wrote with its derives, every field present (floats as
    /// serde_json writes them): read and written back to the same text.
    #[test]
    fn a_pool_of_the_previous_version_is_written_back_as_it_was() {
        let text = r#"{"version":1,"accounts":[{"key":"acc-A/user-A","accountId":"acc-A","userId":"user-A","email":"a@example.com","plan":"plus","label":"w \"q\"","addedMs":1000,"health":{"failures":2,"coolingUntilMs":9000000,"coolingReason":"usage_limit","dead":false,"lastUsedMs":null},"usage":{"observedMs":5000,"limits":{"primary":{"usedPercent":42.5,"windowMinutes":300,"resetsAtS":1700000000.5,"resetsAfterS":null},"secondary":{"usedPercent":5.0,"windowMinutes":10080,"resetsAtS":null,"resetsAfterS":3600.0},"credits":{"hasCredits":true,"unlimited":null,"balance":"12.5"},"activeLimit":"codex","limitName":"Codex","families":[{"id":"codex_bengalfox","name":null,"primary":{"usedPercent":1e-7,"windowMinutes":null,"resetsAtS":1e+21,"resetsAfterS":null},"secondary":null}]}}},{"key":"acc-C/-","accountId":"acc-C","userId":null,"email":null,"plan":null,"label":null,"addedMs":3000,"health":{"failures":0,"coolingUntilMs":906000,"coolingReason":"failing","dead":true,"lastUsedMs":7000},"usage":null}],"active":"acc-C/-","pins":{"/p":"acc-A/user-A"},"sticky":{"c1":{"key":"acc-A/user-A","usedMs":8500,"moved":true}}}"#;
        let p = Pool::from_json(text).unwrap();
        assert_eq!(p.to_json(), text);
        // Absent or `null` fields read as their defaults.
        assert_eq!(
            Pool::from_json(r#"{"accounts":null,"pins":null,"sticky":null,"active":null}"#),
            Ok(Pool {
                version: VERSION,
                ..Pool::default()
            })
        );
        assert_eq!(
            Pool::from_json(
                r#"{"accounts":[{"key":"k","accountId":"a","health":{"coolingReason":"other"}}]}"#
            ),
            Err(AccountsError::BadPool(
                "not valid pool JSON: unknown variant `other`, expected `usage_limit` or `failing`"
                    .into()
            ))
        );
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
        assert_eq!(Pool::from_json(&p.to_json()), Ok(p));
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

    /// An event as JS sends it (and as serde's internally tagged derive wrote it before).
    fn event_json(e: &Event) -> String {
        json::object(|o| {
            match e {
                Event::Joined {
                    identity,
                    activate,
                    now_ms,
                } => o
                    .str("type", "joined")
                    .raw("identity", &identity.to_json())
                    .bool("activate", *activate)
                    .i64("nowMs", *now_ms),
                Event::Usage {
                    key,
                    limits,
                    now_ms,
                } => o
                    .str("type", "usage")
                    .str("key", key)
                    .with("limits", |out| limits.write(out))
                    .i64("nowMs", *now_ms),
                Event::UsageLimit {
                    key,
                    resets_at_ms,
                    now_ms,
                } => o
                    .str("type", "usageLimit")
                    .str("key", key)
                    .opt_i64("resetsAtMs", *resets_at_ms)
                    .i64("nowMs", *now_ms),
                Event::LoginDead { key, now_ms } => o
                    .str("type", "loginDead")
                    .str("key", key)
                    .i64("nowMs", *now_ms),
                Event::Failed { key, now_ms } => o
                    .str("type", "failed")
                    .str("key", key)
                    .i64("nowMs", *now_ms),
                Event::Succeeded { key, now_ms } => o
                    .str("type", "succeeded")
                    .str("key", key)
                    .i64("nowMs", *now_ms),
                Event::Use { key, project } => o
                    .str("type", "use")
                    .str("key", key)
                    .opt_str("project", project.as_deref()),
                Event::Unpin { project } => o.str("type", "unpin").str("project", project),
                Event::Label { key, label } => o
                    .str("type", "label")
                    .str("key", key)
                    .opt_str("label", label.as_deref()),
                Event::Remove { key } => o.str("type", "remove").str("key", key),
            };
        })
    }

    fn read_event(text: &str) -> Result<Event, String> {
        Event::read(&json::parse(text)?)
    }

    /// `Event` is read by hand: every variant reads back as JS writes it, unknown fields are
    /// ignored, and a missing field or an unknown type is an error in serde's words.
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
            let text = event_json(&e);
            assert_eq!(read_event(&text), Ok(e), "{text}");
        }
        assert_eq!(
            event_json(&Event::UsageLimit {
                key: "k".into(),
                resets_at_ms: None,
                now_ms: 7
            }),
            r#"{"type":"usageLimit","key":"k","resetsAtMs":null,"nowMs":7}"#
        );
        let read = read_event;
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
        assert_eq!(
            read(r#"{"type":"remove","key":5}"#),
            Err("invalid type: integer `5`, expected a string at `key`".into())
        );
        // Every field is type-checked, also one the variant does not use (as before).
        assert!(read(r#"{"type":"remove","key":"k","nowMs":"x"}"#).is_err());
        assert_eq!(
            read(r#"{"type":"joined","identity":{"key":"k"},"activate":true,"nowMs":1}"#),
            Err("missing field `accountId`".into())
        );
        assert_eq!(
            read("[]"),
            Err("invalid type: sequence, expected struct Event".into())
        );
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
        let mut text = String::new();
        a.write(&mut text);
        assert_eq!(
            text,
            r#"{"key":"acc-1/u1","accountId":"acc-1","userId":"u1","email":"user1@example.com","plan":"plus","label":null,"addedMs":3,"health":{"failures":0,"coolingUntilMs":null,"coolingReason":null,"dead":false,"lastUsedMs":null},"usage":null}"#
        );
        let read = |t: &str| Account::read(&json::parse(t).unwrap());
        assert_eq!(read(&text), Ok(a));
        let bare = read(r#"{"key":"k","accountId":"a","x":1}"#).unwrap();
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
        assert_eq!(
            read(r#"{"key":"k"}"#),
            Err("missing field `accountId`".into())
        );
    }
}

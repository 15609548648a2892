//! The export file of the account pool (`accounts export` / `accounts import`): its format (a
//! name and a version), what it must hold to be imported, and what importing it does to a pool.
//!
//! An export is `{format, version, exportedMs, pool, logins}`: the pool as [`Pool`] holds it
//! (conversations left out: they are local) and one login per account (OpenCode's oauth fields:
//! `type`, `refresh`, `access`, `expires`, `accountId`). A file is accepted only whole: every
//! account has a login, every login has an account, no account appears twice, and each login's
//! token names the very account it is filed under (so an import never merges two different
//! accounts into one; identity is the pool key, see [`super::identity`]).
//!
//! What it decides: whether a file is an export this version reads, and for each account in it
//! whether an import adds it, updates it (its login is newer than the pool's, or it brings a label
//! the pool lacks) or leaves it alone. What it never does: read or write a file, or put a token
//! in a message (messages name accounts by number and key only). Tokens pass through untouched.

use std::collections::BTreeMap;

use serde_json::Value;

use super::identity;
use super::pool::{self, Pool, MAX_ACCOUNTS};
use super::AccountsError;
use crate::json::{self, Fields, Obj};

/// The `format` an export names.
pub const FORMAT: &str = "opencode-chatgpt-wasm/accounts-export";
/// The export format this version reads and writes.
pub const VERSION: u32 = 1;

/// One stored login (OpenCode's oauth record in auth.json). JSON: `{type, refresh, access,
/// expires, accountId}` (`expires` `null` when unknown, may be absent; `accountId` absent when
/// unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    pub kind: String,
    pub refresh: String,
    pub access: String,
    pub expires: Option<i64>,
    pub account_id: Option<String>,
}

impl Login {
    pub fn read(v: &Value) -> Result<Login, String> {
        let f = Fields::of(v, "struct Login")?;
        Ok(Login {
            kind: f.need("type", f.string("type"))?,
            refresh: f.need("refresh", f.string("refresh"))?,
            access: f.need("access", f.string("access"))?,
            expires: f.i64("expires")?,
            account_id: f.string("accountId")?,
        })
    }

    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        o.str("type", &self.kind)
            .str("refresh", &self.refresh)
            .str("access", &self.access)
            .opt_i64("expires", self.expires);
        if let Some(id) = &self.account_id {
            o.str("accountId", id);
        }
        o.end();
    }

    /// Logins by key (`{key: login}`), as JS passes them and an export holds them.
    pub fn read_map(v: &Value) -> Result<BTreeMap<String, Login>, String> {
        let f = Fields::of(v, "a map")?;
        f.0.iter()
            .map(|(k, v)| Ok((k.clone(), Login::read(v)?)))
            .collect()
    }
}

/// The whole export file. JSON: `{format, version, exportedMs, pool, logins}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub format: String,
    pub version: u32,
    pub exported_ms: i64,
    pub pool: Pool,
    pub logins: BTreeMap<String, Login>,
}

impl Export {
    /// The export in `v` as it is (not checked: see [`parse`]).
    pub fn read(v: &Value) -> Result<Export, String> {
        let f = Fields::of(v, "struct Export")?;
        Ok(Export {
            format: f.need("format", f.string("format"))?,
            version: f.need("version", f.u32("version"))?,
            exported_ms: f.i64("exportedMs")?.unwrap_or(0),
            pool: Pool::read(f.get("pool").ok_or_else(|| json::missing("pool"))?)?,
            logins: Login::read_map(f.get("logins").ok_or_else(|| json::missing("logins"))?)?,
        })
    }

    pub fn write(&self, out: &mut String) {
        let mut o = Obj::start(out);
        o.str("format", &self.format)
            .u64("version", u64::from(self.version))
            .i64("exportedMs", self.exported_ms)
            .with("pool", |out| self.pool.write(out))
            .with("logins", |out| {
                json::write_map(out, &self.logins, |out, l| l.write(out))
            })
            .end();
    }

    /// The export's JSON text, compact.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// The export file's text: the JSON indented by two spaces, as serde_json's pretty printer
    /// writes it (the file a user may read or diff).
    pub fn to_file_text(&self) -> String {
        pretty(&self.to_json())
    }
}

/// Compact JSON text (no whitespace outside strings, as [`crate::json`] writes it) indented as
/// `serde_json::to_string_pretty` indents: two spaces a level, `"key": value`, `{}` and `[]` when
/// empty.
fn pretty(compact: &str) -> String {
    let bytes = compact.as_bytes();
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let mut start = 0;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    for (i, &b) in bytes.iter().enumerate() {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                (false, _) => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_str = true;
                continue;
            }
            b'{' | b'[' | b'}' | b']' | b',' | b':' => {}
            _ => continue,
        }
        out.push_str(&compact[start..i]);
        start = i + 1;
        match b {
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                out.push(char::from(b));
                if bytes.get(i + 1) != Some(&close) {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                if i > 0 && bytes[i - 1] != b'{' && bytes[i - 1] != b'[' {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(char::from(b));
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            _ => out.push_str(": "),
        }
    }
    out.push_str(&compact[start..]);
    out
}

/// When each account's newest login expires (key → ms or `null`), as JS passes it to [`plan`].
pub fn read_expiries(v: &Value) -> Result<BTreeMap<String, Option<i64>>, String> {
    let mut out = BTreeMap::new();
    for (k, ms) in Fields::of(v, "a map")?.0 {
        let ms = match ms {
            Value::Null => None,
            v => Some(v.as_i64().ok_or_else(|| json::invalid(v, "i64"))?),
        };
        out.insert(k.clone(), ms);
    }
    Ok(out)
}

/// What an import does to one account. JSON: `"add"`, `"update"`, `"same"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Not in the pool: it joins.
    Add,
    /// In the pool: the file's login is newer (`login`), and/or it brings a label the pool lacks.
    Update,
    /// In the pool with a login as new or newer: left as it is.
    Same,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Update => "update",
            Action::Same => "same",
        }
    }
}

/// JSON: `{key, n, name, action, login}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: String,
    /// Its number in the file (1-based).
    pub n: usize,
    /// Label, else email, else account id.
    pub name: String,
    pub action: Action,
    /// The file's login replaces the pool's (Add, or Update with a newer login).
    pub login: bool,
}

/// The pool after an import, what happens to each account, and which logins to take. JSON:
/// `{pool, items}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub pool: Pool,
    pub items: Vec<Item>,
}

impl Import {
    pub fn to_json(&self) -> String {
        json::object(|o| {
            o.with("pool", |out| self.pool.write(out))
                .with("items", |out| {
                    json::arr(out, &self.items, |out, it| {
                        let mut i_o = Obj::start(out);
                        i_o.str("key", &it.key)
                            .u64("n", it.n as u64)
                            .str("name", &it.name)
                            .str("action", it.action.as_str())
                            .bool("login", it.login)
                            .end();
                    })
                });
        })
    }
}

fn bad(why: impl Into<String>) -> AccountsError {
    AccountsError::BadExport(why.into())
}

/// The export of `pool` with `logins` (conversations left out); refused unless every account has
/// a login that names it.
pub fn make(
    pool: &Pool,
    logins: BTreeMap<String, Login>,
    now_ms: i64,
) -> Result<Export, AccountsError> {
    let mut pool = pool.clone();
    pool.sticky.clear();
    let logins = logins
        .into_iter()
        .filter(|(k, _)| pool.position(k).is_some())
        .collect();
    let export = Export {
        format: FORMAT.to_string(),
        version: VERSION,
        exported_ms: now_ms,
        pool,
        logins,
    };
    check(&export)?;
    Ok(export)
}

/// An export from its text, checked whole (see the module doc); `BadExport` says what is wrong.
pub fn parse(text: &str) -> Result<Export, AccountsError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        _ => {
            return Err(bad(format!(
                "it is not an account export of opencode-chatgpt-wasm (no \"format\": \"{FORMAT}\")"
            )))
        }
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => {
            return Err(bad(format!(
                "it is export version {v}, this plugin reads version {VERSION}; update the plugin"
            )))
        }
        None => return Err(bad("it has no export version")),
    }
    let export = Export::read(&value).map_err(|e| bad(format!("malformed: {e}")))?;
    if export.pool.version != pool::VERSION {
        return Err(bad(format!(
            "its pool is version {}, this plugin reads version {}; update the plugin",
            export.pool.version,
            pool::VERSION
        )));
    }
    check(&export)?;
    let mut export = export;
    export.pool.normalize();
    Ok(export)
}

/// The rules of the module doc.
fn check(export: &Export) -> Result<(), AccountsError> {
    let accounts = &export.pool.accounts;
    if accounts.len() > MAX_ACCOUNTS {
        return Err(bad(format!("it holds more than {MAX_ACCOUNTS} accounts")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, acc) in accounts.iter().enumerate() {
        let n = i + 1;
        let key = &acc.identity.key;
        if key.is_empty() || acc.identity.account_id.is_empty() {
            return Err(bad(format!("account {n} has no key")));
        }
        if !seen.insert(key.clone()) {
            return Err(bad(format!("account {key} appears twice")));
        }
        let login = export
            .logins
            .get(key)
            .ok_or_else(|| bad(format!("account {n} ({key}) has no login")))?;
        if login.kind != "oauth" || login.refresh.is_empty() || login.access.is_empty() {
            return Err(bad(format!(
                "the login of account {n} ({key}) is not a ChatGPT login with a refresh token"
            )));
        }
        let id = identity::from_tokens(&login.access, None, login.account_id.as_deref()).map_err(
            |_| {
                bad(format!(
                    "the login of account {n} ({key}) names no ChatGPT account"
                ))
            },
        )?;
        if id.key != *key {
            return Err(bad(format!(
                "the login filed under account {n} ({key}) belongs to another account ({}); two accounts are never merged",
                id.key
            )));
        }
    }
    if let Some(k) = export.logins.keys().find(|k| !seen.contains(*k)) {
        return Err(bad(format!(
            "it holds a login for {k}, which is not among its accounts"
        )));
    }
    Ok(())
}

fn name(acc: &pool::Account) -> String {
    acc.label
        .clone()
        .or_else(|| acc.identity.email.clone())
        .unwrap_or_else(|| acc.identity.account_id.clone())
}

/// What importing `export` does to `current`, whose accounts' newest logins expire at
/// `current_expires` (key → ms; absent: no usable login). Accounts are matched by key only; an
/// added account keeps its label, health and usage; a pin the pool lacks is taken; the active
/// account stays, unless the pool was empty.
pub fn plan(
    current: &Pool,
    current_expires: &BTreeMap<String, Option<i64>>,
    export: &Export,
) -> Result<Import, AccountsError> {
    let mut pool = current.clone();
    let mut items = Vec::new();
    let was_empty = pool.accounts.is_empty();
    for (i, acc) in export.pool.accounts.iter().enumerate() {
        let key = acc.identity.key.clone();
        let theirs = export.logins.get(&key).and_then(|l| l.expires);
        let (action, login) = match pool.accounts.iter_mut().find(|a| a.identity.key == key) {
            Some(mine) => {
                let newer = match current_expires.get(&key) {
                    Some(Some(ours)) => theirs.is_some_and(|t| t > *ours),
                    Some(None) => theirs.is_some(),
                    None => true,
                };
                let label = mine.label.is_none() && acc.label.is_some();
                if label {
                    mine.label = acc.label.clone();
                }
                if newer && mine.health.dead {
                    mine.health = pool::Health::default();
                }
                if newer || label {
                    (Action::Update, newer)
                } else {
                    (Action::Same, false)
                }
            }
            None => {
                if pool.accounts.len() >= MAX_ACCOUNTS {
                    return Err(bad(format!(
                        "the pool would hold more than {MAX_ACCOUNTS} accounts; remove some first"
                    )));
                }
                pool.accounts.push(acc.clone());
                (Action::Add, true)
            }
        };
        items.push(Item {
            key,
            n: i + 1,
            name: name(acc),
            action,
            login,
        });
    }
    for (project, key) in &export.pool.pins {
        pool.pins
            .entry(project.clone())
            .or_insert_with(|| key.clone());
    }
    if was_empty {
        pool.active = export.pool.active.clone();
    }
    pool.normalize();
    Ok(Import { pool, items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::pool::{apply, Event};
    use crate::auth::jwt::make_test_token;

    fn token(account: &str) -> String {
        make_test_token(
            &serde_json::json!({
                "https://api.openai.com/auth": {"chatgpt_account_id": account, "chatgpt_user_id": "u"},
            })
            .to_string(),
        )
    }

    fn pool_of(accounts: &[&str]) -> (Pool, BTreeMap<String, Login>) {
        let mut p = Pool::default();
        let mut logins = BTreeMap::new();
        for a in accounts {
            let id = identity::from_tokens(&token(a), None, None).unwrap();
            logins.insert(
                id.key.clone(),
                Login {
                    kind: "oauth".into(),
                    refresh: format!("rt-{a}"),
                    access: token(a),
                    expires: Some(1000),
                    account_id: Some(a.to_string()),
                },
            );
            apply(
                &mut p,
                Event::Joined {
                    identity: id,
                    activate: false,
                    now_ms: 1,
                },
            )
            .unwrap();
        }
        (p, logins)
    }

    #[test]
    fn round_trip_and_plan() {
        let (p, logins) = pool_of(&["a", "b"]);
        let export = make(&p, logins, 5).unwrap();
        let back = parse(&export.to_file_text()).unwrap();
        assert_eq!(back, export);
        let plan_empty = plan(&Pool::default(), &BTreeMap::new(), &back).unwrap();
        assert_eq!(
            plan_empty
                .items
                .iter()
                .map(|i| i.action)
                .collect::<Vec<_>>(),
            vec![Action::Add, Action::Add]
        );
        assert_eq!(plan_empty.pool.accounts, p.accounts);
        let expires: BTreeMap<_, _> = p
            .accounts
            .iter()
            .map(|a| (a.identity.key.clone(), Some(1000)))
            .collect();
        let same = plan(&p, &expires, &back).unwrap();
        assert!(same
            .items
            .iter()
            .all(|i| i.action == Action::Same && !i.login));
        let older: BTreeMap<_, _> = p
            .accounts
            .iter()
            .map(|a| (a.identity.key.clone(), Some(10)))
            .collect();
        let upd = plan(&p, &older, &back).unwrap();
        assert!(upd
            .items
            .iter()
            .all(|i| i.action == Action::Update && i.login));
    }

    #[test]
    fn refuses_a_login_of_another_account_and_malformed_files() {
        let (p, mut logins) = pool_of(&["a", "b"]);
        let keys: Vec<String> = logins.keys().cloned().collect();
        let b = logins[&keys[1]].clone();
        logins.insert(keys[0].clone(), b);
        let err = make(&p, logins, 5).unwrap_err();
        assert!(
            matches!(err, AccountsError::BadExport(ref m) if m.contains("belongs to another account")),
            "{err}"
        );
        for text in [
            "",
            "[]",
            "{}",
            r#"{"format":"x"}"#,
            &format!(r#"{{"format":"{FORMAT}","version":2}}"#),
            &format!(r#"{{"format":"{FORMAT}","version":1,"pool":{{}}}}"#),
        ] {
            assert!(
                matches!(parse(text), Err(AccountsError::BadExport(_))),
                "{text}"
            );
        }
    }

    /// An export file the previous version wrote (serde's derives and pretty printer: every
    /// pool field, usage with credits and a second limit family, floats such as `5.0`, `1e-7`
    /// and `1e+21`, a login without `accountId`) reads, and is written back byte for byte.
    #[test]
    fn the_previous_versions_file_reads_and_is_written_back_identically() {
        let text = include_str!("testdata/export-v1.json");
        let export = parse(text).unwrap();
        assert_eq!(export.pool.accounts.len(), 3);
        assert_eq!(export.to_file_text(), text);
        assert_eq!(parse(&export.to_json()), Ok(export));
    }

    #[test]
    fn expiries_read_as_numbers_or_null() {
        let read = |t: &str| read_expiries(&json::parse(t).unwrap());
        assert_eq!(
            read(r#"{"a":5,"b":null}"#),
            Ok(BTreeMap::from([("a".into(), Some(5)), ("b".into(), None)]))
        );
        assert_eq!(
            read(r#"{"a":"5"}"#),
            Err("invalid type: string \"5\", expected i64".into())
        );
        assert_eq!(
            read("[]"),
            Err("invalid type: sequence, expected a map".into())
        );
    }

    #[test]
    fn logins_read_with_serdes_defaults_and_errors() {
        let read = |t: &str| Login::read(&json::parse(t).unwrap());
        assert_eq!(
            read(r#"{"type":"oauth","refresh":"r","access":"a","x":1}"#),
            Ok(Login {
                kind: "oauth".into(),
                refresh: "r".into(),
                access: "a".into(),
                expires: None,
                account_id: None
            })
        );
        assert_eq!(
            read(r#"{"type":"oauth","refresh":"r"}"#),
            Err("missing field `access`".into())
        );
        assert_eq!(
            read(r#"{"type":"oauth","refresh":"r","access":"a","expires":"soon"}"#),
            Err("invalid type: string \"soon\", expected i64 at `expires`".into())
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn parse_never_panics(text in ".{0,400}") {
            let _ = parse(&text);
        }

        /// `pretty` indents compact JSON exactly as serde_json's pretty printer does.
        #[test]
        fn pretty_is_serde_jsons_pretty(text in crate::accounts::pool::tests::arb_json_text()) {
            let v = json::parse(&text).unwrap();
            proptest::prop_assert_eq!(
                pretty(&serde_json::to_string(&v).unwrap()),
                serde_json::to_string_pretty(&v).unwrap()
            );
        }
    }
}

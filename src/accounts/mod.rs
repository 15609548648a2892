//! **Accounts**: several ChatGPT logins in one pool, and which of them serves a conversation.
//!
//! - [`identity`]: what makes two logins the same account (ChatGPT account/workspace id + user),
//!   read from the token's claims.
//! - [`pool`]: the pool as data (its JSON read and written by hand on [`crate::json`]; what
//!   `accounts.json` holds besides the tokens) and the
//!   events that change it (a login joins, a usage snapshot, a usage limit, a dead login, a
//!   failure, a success, `use`, `label`, `remove`).
//! - [`select`]: the selection state machine: which account serves a conversation (sticky per
//!   conversation, a project pin, the global active one), when it moves (usage limit until its
//!   reset, dead login, [`pool::FAILURES_TO_COOL`] consecutive failures), which account is next
//!   (most headroom from its last usage snapshot, not cooling down, inside a project pin unless
//!   the config allows leaving it), and the message when every account is exhausted (the
//!   earliest reset across them).
//! - [`reasoning`]: dropping encrypted reasoning from a request whose conversation moved to
//!   another account (the backend refuses another account's).
//! - [`transfer`]: the export file (`accounts export` / `import`): its format and version, the
//!   checks a file must pass before anything changes, and what an import adds, updates or leaves.
//! - [`view`]: what `accounts`, `accounts --json`, `doctor` and the `chatgpt_accounts` tool show
//!   (never a token), and resolving `<n|label|email>`.
//!
//! What it decides: every question above, from events that carry `now_ms`. What it never does:
//! hold or see a token (the JS side keeps the tokens beside this data, in the same 0600 file), read
//! a file or the clock, lock, or send anything. No input makes it panic (proptests here,
//! `fuzz/fuzz_targets/accounts.rs`).

pub mod identity;
pub mod pool;
pub mod reasoning;
pub mod select;
pub mod transfer;
pub mod view;

use crate::error::CoreError;

/// A failure of an accounts operation, worded for the user (what happened, what to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountsError {
    /// The login's token names no ChatGPT account id: it cannot join the pool.
    NoAccountId,
    /// `<n|label|email>` matched no account.
    NotFound(String),
    /// `<n|label|email>` matched several accounts (their numbers).
    Ambiguous(String, Vec<usize>),
    /// A label that is empty, too long, or only digits (it would read as a number).
    BadLabel,
    /// The pool data is not what this version writes.
    BadPool(String),
    /// A file given to `accounts import` is not an export this version reads (why).
    BadExport(String),
}

impl std::fmt::Display for AccountsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountsError::NoAccountId => f.write_str(
                "this login's token names no ChatGPT account id, so it cannot join the account pool; log in again with `opencode auth login`",
            ),
            AccountsError::NotFound(s) => write!(
                f,
                "no account matches {s:?}; run `opencode-chatgpt-wasm accounts` to see the numbers, labels and emails"
            ),
            AccountsError::Ambiguous(s, ns) => {
                let list: Vec<String> = ns.iter().map(|n| n.to_string()).collect();
                write!(
                    f,
                    "{s:?} matches accounts {}; use the number instead",
                    list.join(", ")
                )
            }
            AccountsError::BadLabel => f.write_str(
                "a label must be 1 to 64 characters, not only digits, and not only spaces",
            ),
            AccountsError::BadPool(why) => write!(f, "the account pool cannot be read ({why})"),
            AccountsError::BadExport(why) => write!(f, "this file cannot be imported: {why}"),
        }
    }
}

impl CoreError for AccountsError {
    fn code(&self) -> &'static str {
        match self {
            AccountsError::NoAccountId => "accounts-no-account-id",
            AccountsError::NotFound(_) => "accounts-not-found",
            AccountsError::Ambiguous(..) => "accounts-ambiguous",
            AccountsError::BadLabel => "accounts-bad-label",
            AccountsError::BadPool(_) => "accounts-bad-pool",
            AccountsError::BadExport(_) => "accounts-bad-export",
        }
    }
}

//! **Sign-in**: everything that decides how a ChatGPT login is obtained, kept and shown.
//!
//! - [`pkce`]: verifier, S256 challenge and `state` from the secure random source.
//! - [`oauth`]: the browser flow on the wire (authorize URL, callback and pasted-redirect parsing,
//!   token request bodies).
//! - [`device`]: the headless device-code flow (reply parsing, poll decisions and intervals).
//! - [`token_response`]: token endpoint replies, and which failures are permanent.
//! - [`token`]: the stored login and the refresh decisions (proactive margin, 401 handling).
//! - [`jwt`]: the claims the plugin routes with (account id, plan, email, expiry).
//! - [`callback_page`]: the static page the browser shows after a sign-in attempt.
//! - [`redact`]: removing tokens, codes and verifiers from any text before it is shown or logged.
//!
//! What it decides: every protocol question of sign-in and refresh. What it never does: open a
//! socket, fetch, read the clock, sleep, lock or touch a file; the JS shim (`js/auth/`) does those
//! and hands in bytes, strings and `now_ms`. No error message ever quotes a secret.

pub mod callback_page;
pub mod device;
pub mod jwt;
pub mod oauth;
pub mod pkce;
pub mod redact;
pub mod token;
pub mod token_response;

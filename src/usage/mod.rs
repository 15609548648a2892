//! **Usage**: how much of the plan's usage windows (5 hours, a week, per-feature limits) is used,
//! for the TUI's prompt-line status, its sidebar and dialog, and the `usage` command.
//!
//! - [`payload`]: the usage endpoint's JSON (`GET {chatgpt base}/backend-api/wham/usage`) and the
//!   quota snapshot saved from reply headers (`js/transport/quota.js`) → one [`payload::Usage`].
//! - [`view`]: usages per account + `now_ms` + the time-zone offset → the display model: texts,
//!   percentages, reset wording and a colour level per window, and the table the CLI prints.
//!
//! What it decides: which window is which (by its length in seconds, never by its primary/secondary
//! slot), which figures are freshest, when to ask the endpoint again, and every word shown.
//! What it never does: fetch, read files or the clock; it never keeps an e-mail address or user id
//! from the payload.

pub mod payload;
pub mod view;

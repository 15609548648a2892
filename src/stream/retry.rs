//! Stream retries: what to do when a `/responses` stream stops before any output reached OpenCode
//! (the pass-through held it back: [`crate::stream::rewriter::StreamRewriter::holding`]). As the
//! Codex CLI does (codex-rs `stream_max_retries` = 5, `backoff()` = 200 ms × 2^(n-1) × 0.9..1.1,
//! a server-given wait overrides it): re-send a dropped, stalled or retryably failed stream; never
//! one the backend refused for good. `invalid_encrypted_content` is answered once by sending the
//! request again without its encrypted reasoning ([`crate::request::resend`]).
//!
//! What it decides: whether, when and how to re-send. What it never does: sleep, send, or look at
//! a stream after output started (then the user reads what happened).

use crate::stream::errors_http::ErrorKind;

/// Re-sends after the first attempt (codex-rs `DEFAULT_STREAM_MAX_RETRIES`).
pub const STREAM_MAX_RETRIES: u32 = 5;
const BASE_DELAY_MS: f64 = 200.0;
/// A server-given wait longer than this is not waited out inside one request.
const MAX_WAIT_MS: u64 = 60_000;

/// Why a stream stopped before output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The body ended without `response.completed`.
    EndedEarly,
    /// No data for the stall timeout.
    Stall,
    /// One event passed the size cap: a broken stream that a re-send will not mend.
    TooLarge,
    /// A failure the backend reported (a `response.failed` / `error` / `response.incomplete`
    /// event, or an HTTP error on a re-send), or a read error ([`ErrorKind::Transport`]).
    Failed(ErrorKind),
}

impl Stop {
    /// The JS name of a stop: `ended_early`, `stall`, `too_large`, else an error kind
    /// (`context_length`, `server`, …); anything unknown is a transport failure (a read error).
    pub fn from_name(name: &str) -> Stop {
        match name {
            "ended_early" => Stop::EndedEarly,
            "stall" => Stop::Stall,
            "too_large" => Stop::TooLarge,
            other => Stop::Failed(ErrorKind::from_name(other).unwrap_or(ErrorKind::Transport)),
        }
    }
}

/// The next attempt: wait `delay_ms`, then send — without the encrypted reasoning items when
/// `drop_reasoning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resend {
    pub delay_ms: u64,
    pub drop_reasoning: bool,
}

impl Resend {
    /// `{delayMs, dropReasoning}`.
    pub fn to_json(&self) -> String {
        crate::json::object(|o| {
            o.u64("delayMs", self.delay_ms)
                .bool("dropReasoning", self.drop_reasoning);
        })
    }
}

/// `retry` is the number of this re-send (1 for the first); `reasoning_dropped`: an earlier
/// re-send of this request already went without the encrypted reasoning. `None`: give up and
/// report the stop.
pub fn next(
    retry: u32,
    stop: Stop,
    retry_after_ms: Option<u64>,
    rand01: f64,
    reasoning_dropped: bool,
) -> Option<Resend> {
    if retry == 0 || retry > STREAM_MAX_RETRIES {
        return None;
    }
    let backoff = || {
        let jitter = 0.9
            + 0.2
                * if rand01.is_finite() {
                    rand01.clamp(0.0, 1.0)
                } else {
                    0.5
                };
        (BASE_DELAY_MS * f64::from(1u32 << (retry - 1).min(16)) * jitter) as u64
    };
    let after = |delay_ms| {
        Some(Resend {
            delay_ms,
            drop_reasoning: false,
        })
    };
    match stop {
        Stop::EndedEarly | Stop::Stall => after(backoff()),
        Stop::TooLarge => None,
        Stop::Failed(kind) => match kind {
            // codex-rs `is_retryable`: a dropped connection, a server error, an unknown failure,
            // an incomplete response.
            ErrorKind::Transport | ErrorKind::Other | ErrorKind::ResponseIncomplete => {
                after(backoff())
            }
            // A rate limit waits what the backend said (codex-rs `try_parse_retry_after`), when
            // that is short; else backoff.
            ErrorKind::RateLimited => match retry_after_ms {
                Some(ms) if ms > MAX_WAIT_MS => None,
                Some(ms) => after(ms),
                None => after(backoff()),
            },
            ErrorKind::EncryptedContent if !reasoning_dropped => Some(Resend {
                delay_ms: 0,
                drop_reasoning: true,
            }),
            // Overloaded / slow down (codex-rs: ServerOverloaded, told to the user), and every
            // refusal a re-send cannot change.
            ErrorKind::Server
            | ErrorKind::EncryptedContent
            | ErrorKind::UsageLimit
            | ErrorKind::NotIncluded
            | ErrorKind::Entitlement
            | ErrorKind::ModelUnsupported
            | ErrorKind::ClientTooOld
            | ErrorKind::QuotaExceeded
            | ErrorKind::Unauthorized
            | ErrorKind::BadRequest
            | ErrorKind::ContextLength => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn wait(delay_ms: u64) -> Option<Resend> {
        Some(Resend {
            delay_ms,
            drop_reasoning: false,
        })
    }

    #[test]
    fn drops_and_stalls_are_resent_five_times_with_doubling_backoff() {
        let delays: Vec<Option<Resend>> = (1..=6)
            .map(|n| next(n, Stop::EndedEarly, None, 0.5, false))
            .collect();
        assert_eq!(
            delays,
            vec![
                wait(200),
                wait(400),
                wait(800),
                wait(1600),
                wait(3200),
                None
            ]
        );
        assert_eq!(next(1, Stop::Stall, None, 0.0, false), wait(180));
        assert_eq!(next(1, Stop::Stall, None, 1.0, false), wait(220));
        assert_eq!(next(2, Stop::Stall, None, f64::NAN, false), wait(400));
        assert_eq!(next(0, Stop::Stall, None, 0.5, false), None);
    }

    #[test]
    fn refusals_are_final_and_retryable_failures_are_not() {
        for kind in [
            ErrorKind::ContextLength,
            ErrorKind::UsageLimit,
            ErrorKind::NotIncluded,
            ErrorKind::BadRequest,
            ErrorKind::Server,
            ErrorKind::Unauthorized,
        ] {
            assert_eq!(
                next(1, Stop::Failed(kind), None, 0.5, false),
                None,
                "{kind:?}"
            );
        }
        for kind in [
            ErrorKind::Other,
            ErrorKind::Transport,
            ErrorKind::ResponseIncomplete,
        ] {
            assert_eq!(
                next(1, Stop::Failed(kind), None, 0.5, false),
                wait(200),
                "{kind:?}"
            );
        }
        assert_eq!(next(1, Stop::TooLarge, None, 0.5, false), None);
    }

    #[test]
    fn a_rate_limit_waits_what_the_backend_said() {
        let rl = Stop::Failed(ErrorKind::RateLimited);
        assert_eq!(next(1, rl, Some(11_054), 0.5, false), wait(11_054));
        assert_eq!(next(1, rl, Some(28), 0.5, false), wait(28));
        assert_eq!(next(1, rl, Some(120_000), 0.5, false), None);
        assert_eq!(next(3, rl, None, 0.5, false), wait(800));
    }

    #[test]
    fn invalid_encrypted_content_is_resent_once_without_reasoning() {
        let ec = Stop::Failed(ErrorKind::EncryptedContent);
        assert_eq!(
            next(1, ec, None, 0.5, false),
            Some(Resend {
                delay_ms: 0,
                drop_reasoning: true
            })
        );
        assert_eq!(next(2, ec, None, 0.5, true), None);
    }

    #[test]
    fn a_resend_goes_to_js_as_camel_case_json() {
        assert_eq!(
            Resend {
                delay_ms: 1600,
                drop_reasoning: true
            }
            .to_json(),
            r#"{"delayMs":1600,"dropReasoning":true}"#
        );
    }

    #[test]
    fn stop_names() {
        assert_eq!(Stop::from_name("ended_early"), Stop::EndedEarly);
        assert_eq!(Stop::from_name("stall"), Stop::Stall);
        assert_eq!(Stop::from_name("too_large"), Stop::TooLarge);
        assert_eq!(
            Stop::from_name("context_length"),
            Stop::Failed(ErrorKind::ContextLength)
        );
        assert_eq!(
            Stop::from_name("encrypted_content"),
            Stop::Failed(ErrorKind::EncryptedContent)
        );
        assert_eq!(
            Stop::from_name("UND_ERR_SOCKET"),
            Stop::Failed(ErrorKind::Transport)
        );
    }
}

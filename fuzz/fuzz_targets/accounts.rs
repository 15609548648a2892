//! The account pool and selection: any pool text is refused or normalized (and round-trips), any
//! event sequence (structured or raw JSON) changes it without panicking, and every selection keeps
//! the invariants: a served account is available, a pin is never left unless allowed, a
//! conversation stays on its account while that account is available and allowed.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::accounts::identity::{key_of, Identity};
use opencode_chatgpt_wasm::accounts::pool::{apply, Event, Pool};
use opencode_chatgpt_wasm::accounts::reasoning::drop_reasoning;
use opencode_chatgpt_wasm::accounts::transfer;
use opencode_chatgpt_wasm::accounts::select::{available, select, Ask, Selection};
use opencode_chatgpt_wasm::accounts::view::{list, resolve};
use opencode_chatgpt_wasm::json;
use opencode_chatgpt_wasm::stream::limits::{RateLimits, Window};

#[derive(Arbitrary, Debug)]
enum Op {
    Join(u8, bool, i64),
    Usage(u8, f64, Option<f64>, Option<f64>, i64),
    Limit(u8, Option<i64>, i64),
    Dead(u8, i64),
    Fail(u8, i64),
    Ok(u8, i64),
    Use(u8, Option<u8>),
    Unpin(u8),
    Label(u8, Option<String>),
    Remove(u8),
    /// An event as the wasm boundary receives it.
    RawEvent(String),
    Select(Option<u8>, Option<u8>, i64, bool),
    Resolve(String),
    /// A request body of a conversation that moved.
    DropReasoning(String),
    /// A file given to `accounts import`, planned against the pool.
    Import(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    pool_text: Option<String>,
    ops: Vec<Op>,
}

fn key(n: u8) -> String {
    key_of(&format!("acc-{}", n % 5), Some(&format!("u{}", n % 5)))
}

fn project(n: u8) -> String {
    format!("/p{}", n % 3)
}

fn check(pool: &Pool, ask: &Ask) {
    let pin = ask.project.as_ref().and_then(|p| pool.pins.get(p)).cloned();
    let before = ask
        .conversation
        .as_ref()
        .and_then(|c| pool.sticky.get(c))
        .map(|s| s.key.clone());
    let mut after = pool.clone();
    match select(&mut after, ask) {
        Selection::Serve {
            key,
            index,
            moved,
            drop_reasoning,
        } => {
            assert!(moved.is_none() || drop_reasoning);
            let acc = after.get(&key).expect("served account is in the pool");
            assert!(available(acc, ask.now_ms));
            assert_eq!(after.accounts[index - 1].identity.key, key);
            if let (Some(pin), false) = (&pin, ask.allow_leave_pin) {
                assert_eq!(&key, pin);
            }
            if let Some(b) = before {
                let allowed = pin.as_ref().is_none_or(|p| *p == b || ask.allow_leave_pin);
                if allowed && pool.get(&b).is_some_and(|a| available(a, ask.now_ms)) {
                    assert_eq!(key, b);
                    assert!(moved.is_none());
                }
            }
        }
        Selection::Exhausted { .. } => match (&pin, ask.allow_leave_pin) {
            (Some(p), false) => assert!(!available(pool.get(p).unwrap(), ask.now_ms)),
            _ => assert!(!pool.accounts.iter().any(|a| available(a, ask.now_ms))),
        },
        Selection::Empty { .. } => assert!(pool.accounts.is_empty()),
    }
}

fuzz_target!(|input: Input| {
    let mut pool = match input.pool_text.as_deref().map(Pool::from_json) {
        Some(Ok(p)) => {
            let text = p.to_json();
            assert_eq!(Pool::from_json(&text).as_ref(), Ok(&p));
            p
        }
        Some(Err(_)) | None => Pool::default(),
    };
    for op in input.ops.into_iter().take(64) {
        let event = match op {
            Op::Join(n, activate, now_ms) => Event::Joined {
                identity: Identity {
                    key: key(n),
                    account_id: format!("acc-{}", n % 5),
                    user_id: Some(format!("u{}", n % 5)),
                    email: Some(format!("{n}@example.com")),
                    plan: None,
                },
                activate,
                now_ms,
            },
            Op::Usage(n, used_percent, resets_at_s, resets_after_s, now_ms) => Event::Usage {
                key: key(n),
                limits: RateLimits {
                    primary: Some(Window {
                        used_percent,
                        window_minutes: Some(300),
                        resets_at_s,
                        resets_after_s,
                    }),
                    ..RateLimits::default()
                },
                now_ms,
            },
            Op::Limit(n, resets_at_ms, now_ms) => Event::UsageLimit {
                key: key(n),
                resets_at_ms,
                now_ms,
            },
            Op::Dead(n, now_ms) => Event::LoginDead {
                key: key(n),
                now_ms,
            },
            Op::Fail(n, now_ms) => Event::Failed {
                key: key(n),
                now_ms,
            },
            Op::Ok(n, now_ms) => Event::Succeeded {
                key: key(n),
                now_ms,
            },
            Op::Use(n, p) => Event::Use {
                key: key(n),
                project: p.map(project),
            },
            Op::Unpin(p) => Event::Unpin {
                project: project(p),
            },
            Op::Label(n, label) => Event::Label { key: key(n), label },
            Op::Remove(n) => Event::Remove { key: key(n) },
            Op::RawEvent(text) => match json::parse(&text).and_then(|v| Event::read(&v)) {
                Ok(e) => e,
                Err(_) => continue,
            },
            Op::Select(c, p, now_ms, allow_leave_pin) => {
                let ask = Ask {
                    conversation: c.map(|c| format!("c{}", c % 4)),
                    project: p.map(project),
                    now_ms,
                    allow_leave_pin,
                };
                check(&pool, &ask);
                let _ = select(&mut pool, &ask);
                continue;
            }
            Op::DropReasoning(body) => {
                if let Some(out) = drop_reasoning(&body) {
                    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
                    let input = v["input"].as_array().expect("input stays an array");
                    assert!(input.iter().all(|i| i["type"] != "reasoning"));
                }
                continue;
            }
            Op::Import(text) => {
                if let Ok(export) = transfer::parse(&text) {
                    let expires = std::collections::BTreeMap::new();
                    if let Ok(plan) = transfer::plan(&pool, &expires, &export) {
                        for acc in &export.pool.accounts {
                            assert!(plan.pool.get(&acc.identity.key).is_some(), "every imported account is in the pool");
                        }
                        assert!(plan.pool.accounts.len() >= pool.accounts.len());
                    }
                }
                continue;
            }
            Op::Resolve(s) => {
                if let Ok(k) = resolve(&pool, &s) {
                    assert!(pool.get(&k).is_some());
                }
                continue;
            }
        };
        let _ = apply(&mut pool, event);
        let views = list(&pool, 0, Some("/p0"));
        assert_eq!(views.len(), pool.accounts.len());
        assert_eq!(
            views.iter().filter(|v| v.active).count(),
            usize::from(!pool.accounts.is_empty())
        );
    }
});

//! Building a login from token fields and the refresh decisions: any tokens, lifetimes and clocks
//! give a JS-safe expiry and a decision that never picks a stale or identical stored login.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::auth::token::{
    needs_refresh, refresh_decision, Login, LoginState, RefreshDecision, MAX_SAFE_MS,
};

#[derive(Arbitrary, Debug)]
struct Input {
    access: String,
    refresh: String,
    id_token: Option<String>,
    expires_in_s: Option<f64>,
    now_ms: i64,
    margin_ms: i64,
    stored: Option<(String, String, Option<i64>)>,
}

fuzz_target!(|input: Input| {
    let Input {
        access,
        refresh,
        id_token,
        expires_in_s,
        now_ms,
        margin_ms,
        stored,
    } = input;
    let login = Login::from_tokens(access, refresh, id_token, expires_in_s, now_ms);
    assert!((-MAX_SAFE_MS..=MAX_SAFE_MS).contains(&login.expires_ms));
    let held = login.state();
    let stored = stored.as_ref().map(|(a, r, e)| LoginState {
        access: a,
        refresh: r,
        expires_ms: *e,
    });
    match refresh_decision(held, stored, now_ms, margin_ms) {
        RefreshDecision::UseStored => {
            let s = stored.expect("UseStored needs a stored login");
            assert!(!s.access.is_empty() && !s.refresh.is_empty());
            assert!(s.access != held.access || s.refresh != held.refresh);
            assert!(!needs_refresh(s.access, s.expires_ms, now_ms, margin_ms));
        }
        RefreshDecision::Refresh => {}
    }
});

//! A throwaway native timing of the request transform on a generated ~2 MB agent session, against
//! serde_json's parse + serialize of the same body (the nearest native stand-in for V8's
//! JSON.parse + JSON.stringify floor). Run: `cargo test --release --test request_bench -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use opencode_chatgpt_wasm::request::models::Catalog;
use opencode_chatgpt_wasm::request::transform::{transform, Options};
use serde_json::{json, Value};

/// ~300 items the way OpenCode sends a long session: ids on every item, encrypted reasoning,
/// tool calls with multi-KB outputs full of escapes, assistant prose.
fn session(target_bytes: usize) -> String {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let b64 = |n: usize, r: &mut dyn FnMut() -> u64| -> String {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..n)
            .map(|_| alphabet[(r() % 64) as usize] as char)
            .collect()
    };
    let prose = |n: usize, r: &mut dyn FnMut() -> u64| -> String {
        let words = [
            "the",
            "cart",
            "total",
            "\"coupon\"",
            "is",
            "applied",
            "before",
            "gift card;",
            "tests\n",
            "pass",
            "café",
            "→",
            "fn x() {}",
            "\t",
        ];
        let mut s = String::new();
        while s.len() < n {
            s.push_str(words[(r() % words.len() as u64) as usize]);
            s.push(' ');
        }
        s
    };
    let mut input = vec![
        json!({"role": "user", "id": "msg_u0", "content": [{"type": "input_text", "text": prose(400, &mut rand)}]}),
    ];
    let mut size = 0;
    let mut i = 0;
    while size < target_bytes {
        i += 1;
        let items = [
            json!({"type": "reasoning", "id": format!("rs_{i}"), "summary": [{"type": "summary_text", "text": prose(200, &mut rand)}], "encrypted_content": b64(2500 + (rand() % 1000) as usize, &mut rand)}),
            json!({"type": "function_call", "id": format!("fc_{i}"), "call_id": format!("call_{i}"), "name": "read", "arguments": format!("{{\"filePath\":\"/home/dev/shop/src/f{i}.ts\"}}")}),
            json!({"type": "function_call_output", "call_id": format!("call_{i}"), "output": prose(2000 + (rand() % 3000) as usize, &mut rand)}),
            json!({"type": "message", "role": "assistant", "id": format!("msg_{i}"), "content": [{"type": "output_text", "text": prose(600, &mut rand), "annotations": []}]}),
        ];
        for item in items {
            size += item.to_string().len();
            input.push(item);
        }
    }
    let tools: Vec<Value> = (0..9)
        .map(|t| json!({"type": "function", "name": format!("tool{t}"), "description": prose(1200, &mut rand), "parameters": {"type": "object", "properties": {"a": {"type": "string", "description": prose(400, &mut rand)}}}}))
        .collect();
    json!({
        "model": "gpt-5.5", "input": input, "text": {"verbosity": "low"}, "store": false, "instructions": prose(10_000, &mut rand),
        "include": ["reasoning.encrypted_content"], "prompt_cache_key": "ses_bench", "reasoning": {"effort": "medium", "summary": "auto"},
        "tools": tools, "tool_choice": "auto", "stream": true
    })
    .to_string()
}

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

#[test]
#[ignore = "timing, run by hand with --release"]
fn transform_vs_serde_json_round_trip() {
    let catalog = Catalog::bundled();
    for target in [29_000, 2_000_000] {
        let body = session(target);
        let ours = median(
            || {
                drop(std::hint::black_box(
                    transform(&body, &catalog, &Options::default()).unwrap(),
                ))
            },
            41,
        );
        let floor = median(
            || {
                drop(std::hint::black_box(
                    serde_json::from_str::<Value>(&body).unwrap().to_string(),
                ))
            },
            41,
        );
        let mb = body.len() as f64 / 1e6;
        println!(
            "{:>9} bytes: transform {:>8.3} ms ({:>6.0} MB/s), serde_json Value parse+serialize {:>8.3} ms ({:>6.0} MB/s), ratio {:.2}x",
            body.len(),
            ours.as_secs_f64() * 1e3,
            mb / ours.as_secs_f64(),
            floor.as_secs_f64() * 1e3,
            mb / floor.as_secs_f64(),
            ours.as_secs_f64() / floor.as_secs_f64()
        );
    }
}

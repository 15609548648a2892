//! A conversation that moved to another account carries, in its history, reasoning items encrypted
//! for the account that produced them; the backend refuses them from any other account. This drops
//! every `reasoning` item from the request's `input` (the new account's reasoning comes back with
//! `include: ["reasoning.encrypted_content"]` and is dropped again on the next turn: correctness over
//! the small cache gain). Everything else is kept as it was, in order.

use serde_json::Value;

/// The body without `reasoning` input items; `None` when there is none to drop (send it as it is).
/// A body that is not a JSON object is left to the transform to report.
pub fn drop_reasoning(body: &str) -> Option<String> {
    let mut value: Value = serde_json::from_str(body).ok()?;
    let input = value.get_mut("input")?.as_array_mut()?;
    let before = input.len();
    input.retain(|item| item.get("type").and_then(Value::as_str) != Some("reasoning"));
    // json::write_value, not `Value::to_string`: the same text without linking `Value`'s
    // Display and Serialize (the collector writes its replies with it too).
    (input.len() != before).then(|| {
        let mut out = String::new();
        crate::json::write_value(&mut out, &value);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    #[test]
    fn drops_only_reasoning_items() {
        let body = r#"{"model":"gpt-5.4","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]},{"type":"reasoning","id":"rs_1","encrypted_content":"gAAA","summary":[]},{"type":"function_call","call_id":"c1","name":"x","arguments":"{}"}],"include":["reasoning.encrypted_content"]}"#;
        assert_eq!(
            drop_reasoning(body).as_deref(),
            Some(
                r#"{"include":["reasoning.encrypted_content"],"input":[{"content":[{"text":"hi","type":"input_text"}],"role":"user","type":"message"},{"arguments":"{}","call_id":"c1","name":"x","type":"function_call"}],"model":"gpt-5.4"}"#
            )
        );
        assert_eq!(drop_reasoning(r#"{"input":[{"type":"message"}]}"#), None);
        assert_eq!(drop_reasoning("not json"), None);
        assert_eq!(drop_reasoning(r#"{"input":"text"}"#), None);
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn never_panics_and_leaves_no_reasoning(text in ".{0,200}", n in 0usize..5) {
            let _ = drop_reasoning(&text);
            let items: Vec<String> = (0..n).map(|i| if i % 2 == 0 { r#"{"type":"reasoning"}"#.to_string() } else { format!(r#"{{"type":"message","n":{i}}}"#) }).collect();
            let body = format!(r#"{{"input":[{}]}}"#, items.join(","));
            let out = drop_reasoning(&body).unwrap_or(body);
            prop_assert!(!out.contains("reasoning"));
        }
    }
}

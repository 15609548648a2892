//! The body sent once more after `invalid_encrypted_content` (HTTP 400 or in the stream): the
//! backend cannot read encrypted reasoning saved under another login or workspace (or a corrupted
//! one), so the `reasoning` items that carry `encrypted_content` are left out of `input`. Every
//! other byte of the body is kept as it was. Pure; bytes in, bytes out.

use crate::request::turn::input_items;

/// The body without its encrypted reasoning items; `None` when it has none (or is not a JSON
/// object with an `input` array): sending it again would change nothing.
pub fn drop_encrypted_reasoning(body: &str) -> Option<String> {
    let (whole, items) = input_items(body)?;
    let dropped = |h: &crate::request::turn::Head<'_>| {
        h.kind.as_deref() == Some("reasoning") && h.encrypted_content
    };
    if !items.iter().any(|(_, h)| dropped(h)) {
        return None;
    }
    let mut out = String::with_capacity(body.len());
    out.push_str(body.get(..whole.start)?);
    out.push('[');
    let mut first = true;
    for (span, head) in &items {
        if dropped(head) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(body.get(span.clone())?);
    }
    out.push(']');
    out.push_str(body.get(whole.end..)?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn drops_only_reasoning_with_encrypted_content_and_keeps_every_other_byte() {
        let body = r#"{"model":"gpt-5.5", "input" : [ {"role":"user","content":"hi"},
            {"type":"reasoning","summary":[],"encrypted_content":"gAAA"},
            {"type":"function_call","call_id":"c","name":"read","arguments":"{}"},
            {"type":"reasoning","summary":[{"type":"summary_text","text":"t"}],"encrypted_content":null},
            {"type":"function_call_output","call_id":"c","output":"é"} ] ,"store":false}"#;
        let out = drop_encrypted_reasoning(body).expect("dropped");
        assert_eq!(
            out,
            r#"{"model":"gpt-5.5", "input" : [{"role":"user","content":"hi"},{"type":"function_call","call_id":"c","name":"read","arguments":"{}"},{"type":"reasoning","summary":[{"type":"summary_text","text":"t"}],"encrypted_content":null},{"type":"function_call_output","call_id":"c","output":"é"}] ,"store":false}"#
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["store"], json!(false));
        assert_eq!(drop_encrypted_reasoning(&out), None, "nothing left to drop");
    }

    #[test]
    fn the_captured_tool_session_loses_its_three_reasoning_items() {
        let body = include_str!("../../tests/fixtures/requests/after-tool-calls.input.json");
        let before: Value = serde_json::from_str(body).unwrap();
        let out: Value = serde_json::from_str(&drop_encrypted_reasoning(body).unwrap()).unwrap();
        let kept: Vec<&Value> = before["input"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["type"] != "reasoning")
            .collect();
        assert_eq!(
            out["input"].as_array().unwrap().iter().collect::<Vec<_>>(),
            kept
        );
        assert_eq!(before["input"].as_array().unwrap().len() - kept.len(), 3);
        assert_eq!(out["instructions"], before["instructions"]);
    }

    #[test]
    fn bodies_without_encrypted_reasoning_are_not_resent() {
        for body in [
            "",
            "{",
            "[]",
            r#"{"input":"text"}"#,
            r#"{"input":[]}"#,
            r#"{"input":[{"type":"reasoning","summary":[]}]}"#,
            r#"{"input":[{"type":"message","encrypted_content":"x"}]}"#,
            r#"{"input":[{"type":"reasoning","encrypted_content":"x","type":"message"}]}"#,
        ] {
            assert_eq!(drop_encrypted_reasoning(body), None, "{body}");
        }
        assert_eq!(
            drop_encrypted_reasoning(r#"{"input":[{"type":"reasoning","encrypted_content":"x"}]}"#)
                .as_deref(),
            Some(r#"{"input":[]}"#)
        );
        // A member given twice counts as its last value (as the backend's JSON reader takes it).
        assert_eq!(
            drop_encrypted_reasoning(
                r#"{"input":[{"type":"message","type":"reasoning","encrypted_content":null,"encrypted_content":"x"},1]}"#
            )
            .as_deref(),
            Some(r#"{"input":[1]}"#)
        );
    }
}

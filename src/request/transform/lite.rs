//! Responses-lite: the request shape the Codex CLI sends for catalog entries marked
//! `use_responses_lite` (the gpt-5.6 family, gpt-6-astra), and when to stop sending it.
//!
//! What the shape is (docs/protocol-notes.md §5 has the sources):
//! - no top-level `instructions` and no top-level `tools` (absent, not empty);
//! - `input[0]` = `{"type":"additional_tools","role":"developer","tools":[…]}` holding the tools
//!   as they would have been sent at the top level, `input[1]` = a developer message holding the
//!   instructions, then the conversation;
//! - `reasoning.context: "all_turns"` (a reasoning block is made for it if there was none) and
//!   `parallel_tool_calls: false`; the backend refuses a lite request that lacks either;
//! - input images lose `detail` (messages and tool outputs alike);
//! - the request header `x-openai-internal-codex-responses-lite: true` (set by JS when
//!   [`super::Transformed::lite`] is true).
//!
//! What it decides: whether a body goes lite ([`tools_fit`]: only when every tool is a function or
//! custom tool: the Codex CLI leaves hosted tools out of a lite request, and dropping a tool the
//! caller asked for would change the request silently), the pieces written into the body, and
//! [`fall_back`]: which refusal of a lite request makes the plugin send the full shape instead.
//! What it never does: decide the model (the catalog does) or send anything.

use super::scan::{decode, Scanner, Span};
use super::Writer;

/// The request header that marks the lite lane.
pub const HEADER: &str = "x-openai-internal-codex-responses-lite";

/// Whether the body's `tools` (the span of its last `tools` value, if any) can travel inside an
/// `additional_tools` item: absent, `null`, or an array of objects whose `type` is `function` or
/// `custom`. Anything else (a hosted tool such as `web_search`, a value of another shape) keeps
/// the full shape.
pub(super) fn tools_fit(text: &str, tools: Option<Span>) -> bool {
    let Some(span) = tools else { return true };
    let mut sc = Scanner::at(text, span.start);
    match sc.peek() {
        Some(b'n') => return true,
        Some(b'[') => {}
        _ => return false,
    }
    let mut fits = || -> Result<bool, super::scan::SyntaxError> {
        sc.begin_array()?;
        let mut first = true;
        while sc.next_element(&mut first)? {
            if sc.peek() != Some(b'{') {
                return Ok(false);
            }
            sc.begin_object()?;
            let mut first_key = true;
            let mut kind = None;
            while let Some(key) = sc.next_key(&mut first_key)? {
                let (_, string) = sc.value_or_string()?;
                if decode(text, key).is_some_and(|k| k == "type") {
                    kind = string.and_then(|s| decode(text, s));
                }
            }
            if !matches!(kind.as_deref(), Some("function" | "custom")) {
                return Ok(false);
            }
        }
        Ok(true)
    };
    fits().unwrap_or(false)
}

/// The two items that open a lite `input`: the tools (`[]` when there are none) and the
/// instructions as a developer message. `instructions` is a raw JSON string token.
pub(super) fn write_prefix(out: &mut String, tools: Option<&str>, instructions: &str) {
    out.push_str(r#"{"type":"additional_tools","role":"developer","tools":"#);
    out.push_str(match tools {
        Some(t) if t.starts_with('[') => t,
        _ => "[]",
    });
    out.push_str(
        r#"},{"type":"message","role":"developer","content":[{"type":"input_text","text":"#,
    );
    out.push_str(instructions);
    out.push_str("}]}");
}

/// The `reasoning` member of a lite request: the decided effort and summary plus `context`.
pub(super) fn write_reasoning(w: &mut Writer<'_>, effort: Option<&str>, summary: Option<&str>) {
    w.member("reasoning");
    w.out.push('{');
    if let Some(effort) = effort {
        w.out.push_str("\"effort\":");
        w.string(effort);
        if let Some(summary) = summary {
            w.out.push_str(",\"summary\":");
            w.string(summary);
        }
        w.out.push(',');
    }
    w.out.push_str("\"context\":\"all_turns\"}");
}

/// The written `input` array with `detail` removed from every `input_image` part of a message's
/// `content` or a tool output's `output`; `None` when there is nothing to remove (the common case:
/// OpenCode sends `detail` only when configured) or the array is not what this module wrote.
pub(super) fn strip_image_detail(input: &str) -> Option<String> {
    memchr::memmem::find(input.as_bytes(), b"\"detail\"")?;
    let mut out = String::with_capacity(input.len());
    let mut sc = Scanner::new(input);
    let changed = copy_array(&mut sc, input, &mut out, |sc, out| {
        sc.begin_object()?;
        out.push('{');
        let mut changed = false;
        let mut first_key = true;
        while let Some(key) = sc.next_key(&mut first_key)? {
            if !out.ends_with('{') {
                out.push(',');
            }
            out.push_str(raw(input, key.span));
            out.push(':');
            let name = decode(input, key);
            if matches!(name.as_deref(), Some("content" | "output")) && sc.peek() == Some(b'[') {
                changed |= copy_array(sc, input, out, |sc, out| copy_part(sc, input, out))?;
            } else {
                out.push_str(raw(input, sc.value()?));
            }
        }
        out.push('}');
        Ok(changed)
    })
    .and_then(|changed| sc.finish().map(|()| changed))
    .ok()?;
    changed.then_some(out)
}

fn raw(text: &str, s: Span) -> &str {
    text.get(s.start..s.end).unwrap_or("null")
}

/// Copies the array at the scanner into `out`: elements that are not objects as they are, objects
/// through `object` (which says whether it changed one); true if any was changed.
fn copy_array<'a>(
    sc: &mut Scanner<'a>,
    text: &'a str,
    out: &mut String,
    mut object: impl FnMut(&mut Scanner<'a>, &mut String) -> Result<bool, super::scan::SyntaxError>,
) -> Result<bool, super::scan::SyntaxError> {
    let mut changed = false;
    sc.begin_array()?;
    out.push('[');
    let mut first = true;
    while sc.next_element(&mut first)? {
        if !out.ends_with('[') {
            out.push(',');
        }
        if sc.peek() == Some(b'{') {
            changed |= object(sc, out)?;
        } else {
            out.push_str(raw(text, sc.value()?));
        }
    }
    out.push(']');
    Ok(changed)
}

/// Copies one content part, leaving out `detail` when it is an `input_image`; true if it did.
fn copy_part(
    sc: &mut Scanner<'_>,
    text: &str,
    out: &mut String,
) -> Result<bool, super::scan::SyntaxError> {
    let part = sc.value()?;
    let mut inner = Scanner::at(text, part.start);
    inner.begin_object()?;
    let mut members: Vec<(Span, Span, bool)> = Vec::new();
    let mut image = false;
    let mut first_key = true;
    while let Some(key) = inner.next_key(&mut first_key)? {
        let (value, string) = inner.value_or_string()?;
        let name = decode(text, key);
        if name.as_deref() == Some("type") {
            image = string
                .and_then(|s| decode(text, s))
                .is_some_and(|t| t == "input_image");
        }
        members.push((key.span, value, name.as_deref() == Some("detail")));
    }
    if !image || !members.iter().any(|m| m.2) {
        out.push_str(raw(text, part));
        return Ok(false);
    }
    out.push('{');
    for (key, value, _) in members.iter().filter(|m| !m.2) {
        if !out.ends_with('{') {
            out.push(',');
        }
        out.push_str(raw(text, *key));
        out.push(':');
        out.push_str(raw(text, *value));
    }
    out.push('}');
    Ok(true)
}

/// Whether a refusal of a lite request should be answered by sending the same request once in the
/// full shape (and the full shape for the rest of the process): an HTTP 400/415/422 the error
/// classes do not otherwise explain. A known refusal (context too long, model not available, client
/// too old, unreadable encrypted reasoning) has nothing to do with the lane and is shown as it is.
pub fn fall_back(status: u16, kind: &str) -> bool {
    matches!(status, 400 | 415 | 422) && matches!(kind, "bad_request" | "other")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_of(text: &str) -> Option<Span> {
        Some(Span {
            start: 0,
            end: text.len(),
        })
    }

    #[test]
    fn only_function_and_custom_tools_fit() {
        for (tools, fits) in [
            ("[]", true),
            ("null", true),
            (
                r#"[{"type":"function","name":"a"},{"name":"b","type":"custom"}]"#,
                true,
            ),
            (r#"[{"type":"function"},{"type":"web_search"}]"#, false),
            (r#"[{"name":"no type"}]"#, false),
            (r#"[1]"#, false),
            (r#"{"type":"function"}"#, false),
            (r#""tools""#, false),
            (r#"[{"type":"func\u0074ion"}]"#, true),
        ] {
            assert_eq!(tools_fit(tools, span_of(tools)), fits, "{tools}");
        }
        assert!(tools_fit("", None));
    }

    #[test]
    fn prefix_holds_tools_then_instructions() {
        let mut out = String::new();
        write_prefix(
            &mut out,
            Some(r#"[{"type":"function","name":"a"}]"#),
            r#""be brief""#,
        );
        let v: serde_json::Value = serde_json::from_str(&format!("[{out}]")).unwrap();
        assert_eq!(
            v,
            serde_json::json!([
                {"type":"additional_tools","role":"developer","tools":[{"type":"function","name":"a"}]},
                {"type":"message","role":"developer","content":[{"type":"input_text","text":"be brief"}]}
            ])
        );
        let mut none = String::new();
        write_prefix(&mut none, None, r#""x""#);
        assert!(none.starts_with(r#"{"type":"additional_tools","role":"developer","tools":[]}"#));
    }

    #[test]
    fn image_detail_is_stripped_in_messages_and_tool_outputs_only() {
        let input = r#"[{"type":"message","role":"user","content":[{"type":"input_image","image_url":"https://e/x.png","detail":"high"},{"type":"input_text","text":"\"detail\"","detail":"kept"}]},{"type":"function_call_output","call_id":"c","output":[{"detail":"low","type":"input_image","image_url":"data:image/png;base64,eA=="}]},{"type":"message","role":"user","content":"plain \"detail\""}]"#;
        let out: serde_json::Value =
            serde_json::from_str(&strip_image_detail(input).unwrap()).unwrap();
        assert_eq!(
            out,
            serde_json::json!([
                {"type":"message","role":"user","content":[{"type":"input_image","image_url":"https://e/x.png"},{"type":"input_text","text":"\"detail\"","detail":"kept"}]},
                {"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"data:image/png;base64,eA=="}]},
                {"type":"message","role":"user","content":"plain \"detail\""}
            ])
        );
        // Nothing to strip: no copy.
        assert_eq!(
            strip_image_detail(r#"[{"type":"message","content":"no images"}]"#),
            None
        );
        assert_eq!(
            strip_image_detail(
                r#"[{"type":"message","content":[{"type":"input_text","text":"x","detail":"d"}]}]"#
            ),
            None
        );
        // Not an array, or broken: left alone.
        assert_eq!(strip_image_detail(r#"{"detail":1}"#), None);
        assert_eq!(strip_image_detail(r#"[{"content":[{"detail""#), None);
    }

    #[test]
    fn only_unexplained_refusals_fall_back() {
        assert!(fall_back(400, "bad_request"));
        assert!(fall_back(422, "other"));
        assert!(fall_back(415, "bad_request"));
        for kind in [
            "context_length",
            "model_unsupported",
            "client_too_old",
            "encrypted_content",
        ] {
            assert!(!fall_back(400, kind), "{kind}");
        }
        assert!(!fall_back(401, "bad_request"));
        assert!(!fall_back(500, "other"));
        assert!(!fall_back(429, "other"));
    }
}

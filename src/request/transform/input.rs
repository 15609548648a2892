//! Input repair under `store: false`, in one forward pass over the `input` array: the server keeps
//! nothing, so item `id`s and `item_reference`s cannot be resolved, reasoning items are useless
//! without `encrypted_content`, and a tool output must follow its call. Items are copied byte for
//! byte unless one of those rules applies; no message text is ever dropped or altered.

use std::borrow::Cow;

use super::push_escaped;
use super::scan::{decode, Scanner, Span, Str, SyntaxError};

/// One member of an item re-emitted without its `id`.
struct Field {
    key: Span,
    value: Span,
    skip: bool,
}

/// What becomes of one input item.
enum Item {
    /// Copied byte for byte.
    Copy(Span),
    /// Re-emitted member by member (`fields[range]`), without the `id` member(s).
    WithoutId(std::ops::Range<usize>),
    /// A tool output whose call is not earlier in the input: a user message carrying it.
    /// `label` is the output's `name`, else its `call_id` (string tokens).
    Orphan {
        label: Option<Str>,
        output: Option<Span>,
    },
}

/// The repair plan for an `input` array: built by [`scan`], written by [`Input::write`].
pub(super) struct Input {
    items: Vec<Item>,
    fields: Vec<Field>,
    /// The `content`s of the messages that open the conversation (the leading user, developer
    /// and system messages): what a derived prompt cache key is made of.
    pub opening: Vec<Span>,
    /// User messages sent, and the last one: its index in `items` and its `content` (else the
    /// whole item) — what names the turn (`request::turn`).
    pub users: usize,
    pub last_user: Option<(usize, Span)>,
}

/// Per-item facts gathered while scanning its members.
#[derive(Default)]
struct Facts<'a> {
    kind: Option<Cow<'a, str>>,
    role: Option<Cow<'a, str>>,
    has_id: bool,
    call_id: Option<Str>,
    name: Option<Str>,
    output: Option<Span>,
    content: Option<Span>,
    has_encrypted_content: bool,
}

/// Tool output types whose `call_id` must match an earlier call.
const OUTPUT_TYPES: [&str; 2] = ["function_call_output", "custom_tool_call_output"];

/// Scans the array at the scanner's position and decides each item's fate.
pub(super) fn scan<'a>(sc: &mut Scanner<'a>, text: &'a str) -> Result<Input, SyntaxError> {
    let mut input = Input {
        items: Vec::new(),
        fields: Vec::new(),
        opening: Vec::new(),
        users: 0,
        last_user: None,
    };
    let mut opening_done = false;
    // call_ids of every call item seen so far (function_call, custom_tool_call, local_shell_call, …),
    // sorted: a binary search costs less wasm than a hash set.
    let mut calls: Vec<Cow<'a, str>> = Vec::new();
    sc.begin_array()?;
    let mut first = true;
    while sc.next_element(&mut first)? {
        if sc.peek() != Some(b'{') {
            opening_done = true;
            input.items.push(Item::Copy(sc.value()?));
            continue;
        }
        let fields_start = input.fields.len();
        let mut facts = Facts::default();
        let start = sc.value_start();
        sc.begin_object()?;
        let mut first_member = true;
        while let Some(key) = sc.next_key(&mut first_member)? {
            let (value, string) = sc.value_or_string()?;
            let text_of = |s: Option<Str>| s.and_then(|s| decode(text, s));
            let key_text = decode(text, key).unwrap_or_default();
            let skip = match key_text.as_ref() {
                "id" => {
                    facts.has_id = true;
                    true
                }
                "type" => {
                    facts.kind = text_of(string);
                    false
                }
                "role" => {
                    facts.role = text_of(string);
                    false
                }
                "call_id" => {
                    facts.call_id = string;
                    false
                }
                "name" => {
                    facts.name = string;
                    false
                }
                "output" => {
                    facts.output = Some(value);
                    false
                }
                "content" => {
                    facts.content = Some(value);
                    false
                }
                "encrypted_content" => {
                    facts.has_encrypted_content =
                        string.is_some_and(|s| s.span.end.saturating_sub(s.span.start) > 2);
                    false
                }
                _ => false,
            };
            input.fields.push(Field {
                key: key.span,
                value,
                skip,
            });
        }
        let span = Span {
            start,
            end: sc.pos(),
        };
        let kind =
            facts
                .kind
                .as_deref()
                .unwrap_or(if facts.role.is_some() { "message" } else { "" });
        let call_id = facts.call_id.and_then(|s| decode(text, s));

        let item = match kind {
            "item_reference" => None,
            "reasoning" if !facts.has_encrypted_content => None,
            k if OUTPUT_TYPES.contains(&k)
                && call_id
                    .as_ref()
                    .is_none_or(|id| calls.binary_search(id).is_err()) =>
            {
                Some(Item::Orphan {
                    label: facts.name.or(facts.call_id),
                    output: facts.output,
                })
            }
            // `local_shell_call_output` pairs through its `id`: it is not a server item id.
            k if facts.has_id && k != "local_shell_call_output" => {
                Some(Item::WithoutId(fields_start..input.fields.len()))
            }
            _ => Some(Item::Copy(span)),
        };
        if !kind.ends_with("_output") {
            if let Some(id) = call_id {
                if let Err(at) = calls.binary_search(&id) {
                    calls.insert(at, id);
                }
            }
        }
        if !opening_done {
            match facts.role.as_deref() {
                Some("user" | "developer" | "system") => {
                    input.opening.push(facts.content.unwrap_or(span))
                }
                _ => opening_done = true,
            }
        }
        if !matches!(item, Some(Item::WithoutId(_))) {
            input.fields.truncate(fields_start);
        }
        if let Some(item) = item {
            if kind == "message"
                && facts.role.as_deref() == Some("user")
                && !matches!(item, Item::Orphan { .. })
            {
                input.users += 1;
                input.last_user = Some((input.items.len(), facts.content.unwrap_or(span)));
            }
            input.items.push(item);
        }
    }
    Ok(input)
}

impl Input {
    /// How many items go out.
    pub(super) fn count(&self) -> usize {
        self.items.len()
    }

    /// Writes the repaired array, `prefix` (items already written as JSON, e.g. the lite opening)
    /// first. `None` only if a span does not belong to `text` (a bug).
    pub(super) fn write(&self, text: &str, prefix: Option<&str>, out: &mut String) -> Option<()> {
        let raw = |span: Span| text.get(span.start..span.end);
        out.push('[');
        if let Some(p) = prefix {
            out.push_str(p);
        }
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 || prefix.is_some() {
                out.push(',');
            }
            match item {
                Item::Copy(span) => out.push_str(raw(*span)?),
                Item::WithoutId(range) => {
                    out.push('{');
                    let mut first = true;
                    for f in self.fields.get(range.clone())?.iter().filter(|f| !f.skip) {
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        out.push_str(raw(f.key)?);
                        out.push(':');
                        out.push_str(raw(f.value)?);
                    }
                    out.push('}');
                }
                Item::Orphan { label, output } => write_orphan(text, *label, *output, out)?,
            }
        }
        out.push(']');
        Some(())
    }
}

/// `{"type":"message","role":"user","content":[{"type":"input_text","text":"[tool output for X]: …"}]}`.
/// A string output is spliced in still escaped; an array of content parts follows the label part;
/// any other value is quoted as JSON text.
fn write_orphan(
    text: &str,
    label: Option<Str>,
    output: Option<Span>,
    out: &mut String,
) -> Option<()> {
    let inner = |span: Span| text.get(span.start.checked_add(1)?..span.end.checked_sub(1)?);
    out.push_str(r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"[tool output for "#);
    match label {
        Some(l) => out.push_str(inner(l.span)?),
        None => out.push_str("an unknown call"),
    }
    out.push(']');
    let value = match output {
        Some(span) => text.get(span.start..span.end)?,
        None => "",
    };
    match value.as_bytes().first() {
        Some(b'"') => {
            out.push_str(": ");
            out.push_str(inner(output?)?);
            out.push_str("\"}");
        }
        Some(b'[') => {
            out.push_str(":\"}");
            let parts = value
                .get(1..value.len().checked_sub(1)?)?
                .trim_matches([' ', '\t', '\n', '\r']);
            if !parts.is_empty() {
                out.push(',');
                out.push_str(parts);
            }
        }
        Some(_) => {
            out.push_str(": ");
            push_escaped(out, value);
            out.push_str("\"}");
        }
        None => out.push_str(":\"}"),
    }
    out.push_str("]}");
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The repaired array and the opening contents, as JSON values.
    fn repair(input: Value) -> (Value, Vec<Value>) {
        let text = input.to_string();
        let mut sc = Scanner::new(&text);
        let plan = scan(&mut sc, &text).unwrap();
        let mut out = String::new();
        plan.write(&text, None, &mut out).unwrap();
        let opening = plan
            .opening
            .iter()
            .map(|s| serde_json::from_str(&text[s.start..s.end]).unwrap())
            .collect();
        (serde_json::from_str(&out).unwrap(), opening)
    }

    #[test]
    fn drops_ids_references_and_opaque_reasoning() {
        let (out, opening) = repair(json!([
            {"role":"developer","content":"be terse"},
            {"type":"message","id":"msg_1","role":"user","content":[{"type":"input_text","text":"hi"}]},
            {"type":"item_reference","id":"rs_0"},
            {"type":"reasoning","id":"rs_1","summary":[]},
            {"type":"reasoning","id":"rs_2","summary":[],"encrypted_content":""},
            {"type":"reasoning","id":"rs_3","summary":[{"type":"summary_text","text":"s"}],"encrypted_content":"gAAA"},
            {"role":"assistant","id":"msg_2","content":"plain"},
            {"type":"local_shell_call_output","id":"call_9","output":"x"}
        ]));
        assert_eq!(
            out,
            json!([
                {"role":"developer","content":"be terse"},
                {"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]},
                {"type":"reasoning","summary":[{"type":"summary_text","text":"s"}],"encrypted_content":"gAAA"},
                {"role":"assistant","content":"plain"},
                {"type":"local_shell_call_output","id":"call_9","output":"x"}
            ])
        );
        // The opening ends at the first item that is not a user/developer/system message.
        assert_eq!(
            opening,
            [
                json!("be terse"),
                json!([{"type":"input_text","text":"hi"}])
            ]
        );
    }

    #[test]
    fn keeps_paired_calls_and_unanswered_calls() {
        let items = json!([
            {"type":"function_call","call_id":"c1","name":"read","arguments":"{}"},
            {"type":"function_call_output","call_id":"c1","output":"file"},
            {"type":"custom_tool_call","call_id":"c2","name":"apply_patch","input":"*** Begin"},
            {"type":"custom_tool_call_output","call_id":"c2","output":"done"},
            {"type":"function_call","call_id":"c3","name":"bash","arguments":"{}"}
        ]);
        assert_eq!(repair(items.clone()).0, items);
    }

    #[test]
    fn orphaned_outputs_become_user_messages() {
        let (out, _) = repair(json!([
            {"type":"function_call_output","call_id":"call_\"q\"","output":"line1\nline2"},
            {"type":"custom_tool_call_output","call_id":"c2","name":"apply_patch","output":[{"type":"input_text","text":"ok"},{"type":"input_image","image_url":"data:x"}]},
            {"type":"function_call_output","call_id":"c3","output":{"exit":0}},
            {"type":"function_call_output","output":[]},
            {"type":"function_call_output","call_id":"c4"},
            {"type":"function_call","call_id":"c5","name":"read","arguments":"{}"},
            {"type":"custom_tool_call_output","call_id":"c5","output":"later"}
        ]));
        let msg = |content: Value| json!({"type":"message","role":"user","content":content});
        let text = |t: &str| json!([{"type":"input_text","text":t}]);
        assert_eq!(
            out,
            json!([
                msg(text("[tool output for call_\"q\"]: line1\nline2")),
                msg(json!([{"type":"input_text","text":"[tool output for apply_patch]:"},{"type":"input_text","text":"ok"},{"type":"input_image","image_url":"data:x"}])),
                msg(text("[tool output for c3]: {\"exit\":0}")),
                msg(text("[tool output for an unknown call]:")),
                msg(text("[tool output for c4]:")),
                {"type":"function_call","call_id":"c5","name":"read","arguments":"{}"},
                {"type":"custom_tool_call_output","call_id":"c5","output":"later"}
            ])
        );
    }

    #[test]
    fn an_output_before_its_call_is_an_orphan() {
        let (out, _) = repair(json!([
            {"type":"function_call_output","call_id":"c1","output":"early"},
            {"type":"function_call","call_id":"c1","name":"read","arguments":"{}"}
        ]));
        assert_eq!(out[0]["role"], "user");
        assert_eq!(out[1]["type"], "function_call");
    }

    #[test]
    fn non_object_items_and_escaped_keys_are_handled() {
        let text = r#"["loose", 3, {"\u0069d":"msg_1","role":"user","content":"x"}, {"type":"item_\u0072eference","id":"a"}]"#;
        let mut sc = Scanner::new(text);
        let plan = scan(&mut sc, text).unwrap();
        let mut out = String::new();
        plan.write(text, None, &mut out).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            json!(["loose", 3, {"role":"user","content":"x"}])
        );
    }
}

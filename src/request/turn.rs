//! Which turn of a session a `/responses` body belongs to, for `x-codex-turn-state`: the backend's
//! sticky-routing token that the Codex CLI replays on every further request of one turn (the tool
//! loop after one user message) and never on the next turn (codex-rs `ModelClientSession`, one per
//! turn, `turn_state: OnceLock`).
//!
//! OpenCode sends the whole conversation each time (`store: false`): a turn's first request ends
//! with the user's message; its follow-ups repeat that message and add the tool calls and their
//! outputs after it. So a turn is named by its last user message — how many user messages the
//! input holds up to it and a hash of its `content` — and a body whose input ends with that message
//! is the turn's first request. The transform names the turn of every body it writes, in its one
//! scan ([`crate::request::transform::Transformed::turn`]); [`turn_of`] is the same reading of a
//! finished body (a reference for tests and fuzzing). JS keeps the token per session and turn.
//! Pure; never fails: a body without a user message has no turn.

use std::borrow::Cow;
use std::ops::Range;

use crate::json;
use crate::request::transform::scan::{decode, Scanner, Str};

/// A body's turn: `key` names it within its session; `first`: nothing follows the user message
/// (the turn starts here, so no token of it can exist yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub key: String,
    pub first: bool,
}

impl Turn {
    /// The turn whose last user message is the `users`-th, with this raw `content` JSON.
    pub fn named(users: usize, content: &str, first: bool) -> Turn {
        Turn {
            key: format!("{users}:{:016x}", fnv1a(content.as_bytes())),
            first,
        }
    }

    /// `{key, first}` (what `transformRequest` returns as `turn`).
    pub fn to_json(&self) -> String {
        json::object(|o| {
            o.str("key", &self.key).bool("first", self.first);
        })
    }
}

/// The members of one input item this crate looks at; every other member is skipped unread. A
/// member given twice counts as its last value (as JSON.parse reads it).
#[derive(Debug, Default)]
pub(crate) struct Head<'a> {
    pub kind: Option<Cow<'a, str>>,
    pub role: Option<Cow<'a, str>>,
    /// `encrypted_content` is present and not null.
    pub encrypted_content: bool,
    /// The raw JSON of `content`.
    pub content: Option<&'a str>,
}

impl Head<'_> {
    /// A user message (`type` "message" or absent, `role` "user").
    pub fn is_user_message(&self) -> bool {
        self.role.as_deref() == Some("user") && self.kind.as_deref().is_none_or(|k| k == "message")
    }
}

/// A string token's text as a strict JSON reader decodes it: `None` for a lone surrogate escape
/// (which serde_json, and so the backend's reading of the body, refuses in a string it decodes).
fn text(body: &str, s: Str) -> Option<Cow<'_, str>> {
    if !s.escaped {
        return decode(body, s);
    }
    match json::parse(body.get(s.span.start..s.span.end)?) {
        Ok(serde_json::Value::String(t)) => Some(Cow::Owned(t)),
        _ => None,
    }
}

/// The head of the object item the scanner is at (`None`: not JSON). A member name that cannot be
/// decoded leaves the whole head empty.
fn head<'a>(body: &'a str, s: &mut Scanner<'a>) -> Option<Head<'a>> {
    s.begin_object().ok()?;
    let mut head = Head::default();
    let mut names_ok = true;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first).ok()? {
        let (span, string) = s.value_or_string().ok()?;
        let value = body.get(span.start..span.end)?;
        let Some(name) = text(body, key) else {
            names_ok = false;
            continue;
        };
        match name.as_ref() {
            "type" => head.kind = string.and_then(|t| text(body, t)),
            "role" => head.role = string.and_then(|t| text(body, t)),
            "content" => head.content = Some(value),
            "encrypted_content" => head.encrypted_content = value != "null",
            _ => {}
        }
    }
    Some(if names_ok { head } else { Head::default() })
}

/// The span of an `input` array and each item's span and head.
type Items<'a> = (Range<usize>, Vec<(Range<usize>, Head<'a>)>);

/// The `input` array the scanner is at. `None` when it is not an array (or not JSON).
fn items<'a>(body: &'a str, s: &mut Scanner<'a>) -> Option<Items<'a>> {
    if s.peek() != Some(b'[') {
        return None;
    }
    let start = s.value_start();
    s.begin_array().ok()?;
    let mut items = Vec::new();
    let mut first = true;
    while s.next_element(&mut first).ok()? {
        let at = s.value_start();
        let head = if s.peek() == Some(b'{') {
            head(body, s)?
        } else {
            s.value().ok()?;
            Head::default()
        };
        items.push((at..s.pos(), head));
    }
    Some((start..s.pos(), items))
}

/// The `input` array of a JSON object body: its byte span and each item's span and [`Head`]
/// (an item that is not an object, or has a member of the wrong type, gets an empty head). Read
/// with the transform's scanner (no tree, no recursion), as serde_json's derives read it before.
/// `None`: not a JSON object (the whole text is checked), `input` absent, given twice or not an
/// array, or a member name that cannot be decoded.
pub(crate) fn input_items(body: &str) -> Option<Items<'_>> {
    let mut s = Scanner::new(body);
    s.begin_object().ok()?;
    let mut found = None;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first).ok()? {
        if text(body, key)? == "input" {
            if found.is_some() {
                return None;
            }
            found = Some(items(body, &mut s)?);
        } else {
            s.value().ok()?;
        }
    }
    s.finish().ok()?;
    found
}

/// See the module doc. `None`: no user message (or not a body with an `input` array).
pub fn turn_of(body: &str) -> Option<Turn> {
    let (_, items) = input_items(body)?;
    let users = items.iter().filter(|(_, h)| h.is_user_message()).count();
    let (last, (span, head)) = items
        .iter()
        .enumerate()
        .rev()
        .find(|(_, (_, h))| h.is_user_message())?;
    let content = match head.content {
        Some(c) => c,
        None => body.get(span.clone())?,
    };
    Some(Turn::named(users, content, last + 1 == items.len()))
}

/// FNV-1a, 64 bit: a cheap name for a message's bytes (not a secret, not an integrity check).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TURN1: &str =
        include_str!("../../tests/fixtures/requests/captured/opencode-1.18.33-turn1.json");
    const TURN2: &str =
        include_str!("../../tests/fixtures/requests/captured/opencode-1.18.33-turn2.json");

    /// The transform's turn of a body, checked against the reading of the body it wrote.
    fn sent(captured: &str) -> Option<Turn> {
        use crate::request::{models::Catalog, transform};
        let out = transform::transform(
            captured,
            &Catalog::bundled(),
            &transform::Options::default(),
        )
        .expect("transform");
        assert_eq!(
            out.turn,
            turn_of(&out.body),
            "the transform and the reading differ"
        );
        out.turn
    }

    #[test]
    fn a_tool_loop_follow_up_is_the_same_turn_and_not_its_first_request() {
        // What OpenCode 1.18.33 sent, as our transform sends it: the user's message; then that
        // message again with the read call and its output after it.
        let first = sent(TURN1).expect("turn 1");
        let follow_up = sent(TURN2).expect("turn 1, follow-up");
        assert!(first.first);
        assert!(!follow_up.first);
        assert_eq!(first.key, follow_up.key);
    }

    #[test]
    fn the_next_user_message_starts_a_new_turn() {
        let body = |input: &str| format!(r#"{{"model":"m","input":[{input}]}}"#);
        let u1 = r#"{"role":"user","content":[{"type":"input_text","text":"hi"}]}"#;
        let call = r#"{"type":"function_call","call_id":"c","name":"read","arguments":"{}"}"#;
        let out = r#"{"type":"function_call_output","call_id":"c","output":"x"}"#;
        let answer = r#"{"type":"message","role":"assistant","content":[{"type":"output_text","text":"ok"}]}"#;
        let u2 =
            r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}"#;
        let t1 = sent(&body(u1)).unwrap();
        let t1b = sent(&body(&[u1, call, out].join(","))).unwrap();
        let t2 = sent(&body(&[u1, call, out, answer, u2].join(","))).unwrap();
        let t2b = turn_of(&body(&[u1, call, out, answer, u2, call].join(","))).unwrap();
        // A user message with an id (re-written without it) names the same turn.
        let with_id = u2.replacen('{', r#"{"id":"msg_1","#, 1);
        assert_eq!(
            sent(&body(&[u1, call, out, answer, &with_id].join(","))),
            Some(t2.clone())
        );
        let after_tools = include_str!("../../tests/fixtures/requests/after-tool-calls.input.json");
        assert_eq!(sent(after_tools).map(|t| t.first), Some(false));
        assert_eq!(
            (t1.first, t1b.first, t2.first, t2b.first),
            (true, false, true, false)
        );
        assert_eq!(t1.key, t1b.key);
        assert_eq!(t2.key, t2b.key);
        assert_ne!(t1.key, t2.key, "same text, later message: another turn");
        // The same words as the first message of another session's turn name the same key: JS keys by session too.
        assert_eq!(turn_of(&body(u1)).unwrap().key, t1.key);
    }

    /// The reading this module did with serde derives before issue 18 (kept as the oracle of
    /// the scanner-based reading: the same items, spans and heads on every body).
    #[cfg(not(target_arch = "wasm32"))]
    mod serde_reading {
        use serde::Deserialize;
        use serde_json::value::RawValue;
        use std::borrow::Cow;
        use std::ops::Range;

        #[derive(Debug, Default, PartialEq)]
        pub struct Head<'a> {
            pub kind: Option<Cow<'a, str>>,
            pub role: Option<Cow<'a, str>>,
            pub encrypted_content: bool,
            pub content: Option<&'a str>,
        }

        impl<'de: 'a, 'a> Deserialize<'de> for Head<'a> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<'a>(std::marker::PhantomData<&'a ()>);
                impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
                    type Value = Head<'a>;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("an input item")
                    }
                    fn visit_map<M: serde::de::MapAccess<'de>>(
                        self,
                        mut map: M,
                    ) -> Result<Head<'a>, M::Error> {
                        let mut head = Head::default();
                        let text = |raw: &'de RawValue| {
                            serde_json::from_str::<Cow<'de, str>>(raw.get()).ok()
                        };
                        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                            match key.as_ref() {
                                "type" => head.kind = text(map.next_value::<&'de RawValue>()?),
                                "role" => head.role = text(map.next_value::<&'de RawValue>()?),
                                "content" => {
                                    head.content = Some(map.next_value::<&'de RawValue>()?.get())
                                }
                                "encrypted_content" => {
                                    head.encrypted_content =
                                        map.next_value::<&'de RawValue>()?.get() != "null"
                                }
                                _ => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(head)
                    }
                }
                d.deserialize_map(V(std::marker::PhantomData))
            }
        }

        #[derive(Deserialize)]
        struct Top<'a> {
            #[serde(borrow, default)]
            input: Option<&'a RawValue>,
        }

        pub fn input_items(body: &str) -> Option<(Range<usize>, Vec<(Range<usize>, Head<'_>)>)> {
            let top: Top<'_> = serde_json::from_str(body).ok()?;
            let input = top.input?;
            let items: Vec<&RawValue> = serde_json::from_str(input.get()).ok()?;
            let span = |raw: &str| {
                let start = (raw.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
                (start <= body.len() && body.len() - start >= raw.len())
                    .then(|| start..start + raw.len())
            };
            let whole = span(input.get())?;
            let heads = items
                .into_iter()
                .map(|raw| {
                    let head = serde_json::from_str::<Head<'_>>(raw.get()).unwrap_or_default();
                    Some((span(raw.get())?, head))
                })
                .collect::<Option<Vec<_>>>()?;
            Some((whole, heads))
        }
    }

    /// The scanner's reading next to the serde one, in comparable form.
    #[cfg(not(target_arch = "wasm32"))]
    fn both_readings(body: &str) -> (String, String) {
        let ours = input_items(body).map(|(whole, items)| {
            let items: Vec<_> = items
                .into_iter()
                .map(|(span, h)| (span, h.kind, h.role, h.encrypted_content, h.content))
                .collect();
            (whole, items)
        });
        let theirs = serde_reading::input_items(body).map(|(whole, items)| {
            let items: Vec<_> = items
                .into_iter()
                .map(|(span, h)| (span, h.kind, h.role, h.encrypted_content, h.content))
                .collect();
            (whole, items)
        });
        (format!("{ours:?}"), format!("{theirs:?}"))
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_scanner_reads_items_as_the_serde_reading_did() {
        for body in [
            TURN1,
            TURN2,
            include_str!("../../tests/fixtures/requests/after-tool-calls.input.json"),
            "",
            " { } ",
            "{}x",
            r#"{"input":null}"#,
            r#"{"input":"x"}"#,
            r#"{"input":[],"input":[]}"#,
            r#"{"input":null,"input":[]}"#,
            r#"{"inp\u0075t" : [ 1 , {"typ\u0065":"re\u0061soning","encrypted_content":{"a":[1]}} ] }"#,
            r#"{"input":[{"type":"\ud800","role":"user","content":"a"}]}"#,
            r#"{"input":[{"\ud800":1,"type":"reasoning","encrypted_content":"x"}]}"#,
            r#"{"\ud800":1,"input":[]}"#,
            r#"{"x":"\ud800","input":[{"type":"reasoning","encrypted_content":"\udfff"}]}"#,
            r#"{"input":[{"type":"reasoning","type":7,"role":"user","role":"user"},[],"s",null]}"#,
            r#"{"input":[{"type":"message","role":"user","content":[1,{"x":"}"}]}   ]  }  "#,
            r#"{"input":[{"type":"message","role":"user","content":01}]}"#,
            r#"{"input":[{"type":"message" "role":"user"}]}"#,
            r#"{"input":[,]}"#,
            concat!(r#"{"input":[{"type":"\u0000"}]}"#, "\n"),
        ] {
            let (ours, theirs) = both_readings(body);
            assert_eq!(ours, theirs, "{body}");
        }
        // Deep values inside and outside `input` (neither reading recurses into them).
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let body = format!(
            r#"{{"x":{deep},"input":[{{"type":"reasoning","encrypted_content":{deep}}}]}}"#
        );
        let (ours, theirs) = both_readings(&body);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn only_an_object_body_has_input_items() {
        // The serde reading took a top-level array as the struct's fields in order (its first
        // element as `input`), and the re-send then dropped items out of a body that has no
        // `input` at all.
        assert_eq!(
            crate::request::resend::drop_encrypted_reasoning(
                r#"[[{"type":"reasoning","encrypted_content":"x"}]]"#
            ),
            None
        );
        assert_eq!(turn_of(r#"[[{"role":"user","content":"hi"}]]"#), None);
        #[cfg(not(target_arch = "wasm32"))]
        assert!(
            serde_reading::input_items(r#"[[{"type":"reasoning","encrypted_content":"x"}]]"#)
                .is_some(),
            "the serde reading found items there"
        );
    }

    #[test]
    fn a_turn_is_written_as_key_and_first() {
        assert_eq!(
            Turn::named(2, "\"hi\"", true).to_json(),
            format!(r#"{{"key":"2:{:016x}","first":true}}"#, fnv1a(b"\"hi\""))
        );
    }

    #[test]
    fn bodies_without_a_user_message_have_no_turn() {
        for body in [
            "",
            "[]",
            "{}",
            r#"{"input":"hi"}"#,
            r#"{"input":[]}"#,
            r#"{"input":[{"role":"assistant","content":"x"}, 3, null]}"#,
            r#"{"input":[{"role":"user","type":"function_call_output"}]}"#,
            r#"{"input":[{"role":"user"}"#,
        ] {
            assert_eq!(turn_of(body), None, "{body}");
        }
        let odd = r#"{"input":[{"role":"user","content":"a"}, 7, {"role":["x"]}]}"#;
        assert_eq!(turn_of(odd).map(|t| t.first), Some(false));
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod differential {
        use super::both_readings;
        use proptest::prelude::*;

        /// Pieces request bodies are made of, including the awkward ones: escapes in names and
        /// values, lone surrogates, duplicate members, non-object items, broken syntax.
        fn piece() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec![
                "{",
                "}",
                "[",
                "]",
                ",",
                ":",
                " ",
                "\n",
                "\"input\"",
                "\"inp\\u0075t\"",
                "\"type\"",
                "\"role\"",
                "\"content\"",
                "\"encrypted_content\"",
                "\"reasoning\"",
                "\"user\"",
                "\"message\"",
                "\"re\\u0061soning\"",
                "\"\\ud800\"",
                "null",
                "1",
                "-0.5e3",
                "true",
                "\"x\"",
                "\"\\\"\"",
                "01",
                "\"é\"",
            ])
        }

        fn body() -> impl Strategy<Value = String> {
            let item = prop::collection::vec(piece(), 0..12).prop_map(|p| p.concat());
            (
                prop::collection::vec(item, 0..5),
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|(items, dup, extra)| {
                    let mut b = String::from("{");
                    if extra {
                        b.push_str("\"model\":\"m\",");
                    }
                    b.push_str("\"input\":[");
                    b.push_str(&items.join(","));
                    b.push(']');
                    if dup {
                        b.push_str(",\"input\":[]");
                    }
                    b.push('}');
                    b
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4000))]
            #[test]
            fn scanner_and_serde_readings_agree(body in body()) {
                let (ours, theirs) = both_readings(&body);
                prop_assert_eq!(ours, theirs);
            }

            #[test]
            fn they_agree_on_arbitrary_pieces_too(p in prop::collection::vec(piece(), 0..24)) {
                let body = p.concat();
                let (ours, theirs) = both_readings(&body);
                if body.trim_start().starts_with('[') {
                    // Not an object: no items (see only_an_object_body_has_input_items).
                    prop_assert_eq!(ours, "None");
                } else {
                    prop_assert_eq!(ours, theirs);
                }
            }
        }
    }
}

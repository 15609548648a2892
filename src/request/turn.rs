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

use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A body's turn: `key` names it within its session; `first`: nothing follows the user message
/// (the turn starts here, so no token of it can exist yet).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
}

/// The members of one input item this crate looks at; every other member is skipped unread. A
/// member given twice counts as its last value (as JSON.parse reads it).
#[derive(Debug, Default)]
pub(crate) struct Head<'a> {
    pub kind: Option<std::borrow::Cow<'a, str>>,
    pub role: Option<std::borrow::Cow<'a, str>>,
    /// `encrypted_content` is present and not null.
    pub encrypted_content: bool,
    /// The raw JSON of `content`.
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
                    serde_json::from_str::<std::borrow::Cow<'de, str>>(raw.get()).ok()
                };
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "type" => head.kind = text(map.next_value::<&'de RawValue>()?),
                        "role" => head.role = text(map.next_value::<&'de RawValue>()?),
                        "content" => head.content = Some(map.next_value::<&'de RawValue>()?.get()),
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

impl Head<'_> {
    /// A user message (`type` "message" or absent, `role` "user").
    pub fn is_user_message(&self) -> bool {
        self.role.as_deref() == Some("user") && self.kind.as_deref().is_none_or(|k| k == "message")
    }
}

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow, default)]
    input: Option<&'a RawValue>,
}

/// The `input` array of a JSON object body: its byte span and each item's span and [`Head`]
/// (an item that is not an object, or has a member of the wrong type, gets an empty head).
/// `None`: not a JSON object, or `input` is not an array.
pub(crate) fn input_items(body: &str) -> Option<(Range<usize>, Vec<(Range<usize>, Head<'_>)>)> {
    let top: Top<'_> = serde_json::from_str(body).ok()?;
    let input = top.input?;
    let items: Vec<&RawValue> = serde_json::from_str(input.get()).ok()?;
    let span = |raw: &str| {
        // RawValue borrows from `body`: its offset is the pointer distance.
        let start = (raw.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
        (start <= body.len() && body.len() - start >= raw.len()).then(|| start..start + raw.len())
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
}

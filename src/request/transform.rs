//! The Codex request transform: an OpenCode Responses API body in, a body the ChatGPT Codex
//! backend accepts out, plus what JS needs to know about it (model, effort, notice, cache key).
//!
//! One forward scan over the body validates it and records byte spans; the output then copies
//! every untouched value (instructions, tools, message contents, encrypted reasoning, tool
//! outputs) verbatim and writes only what must change. Never builds a JSON tree of the body.
//! Pure: no I/O, no clock.

mod input;
pub mod lite;
pub(crate) mod scan;

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use crate::error::CoreError;
use crate::request::models::{Catalog, Effort, ModelInfo};
use scan::{decode, Scanner, Span, Str, SyntaxError};

/// Parameters the Codex backend rejects or ignores for ChatGPT logins (`service_tier` is handled
/// separately: kept when the model lists the tier).
pub const UNSUPPORTED_PARAMS: &[&str] = &[
    "max_output_tokens",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "previous_response_id",
    "metadata",
    "user",
    "truncation",
];

/// Used only when a caller sends no instructions at all: the backend requires a non-empty value.
pub const FALLBACK_INSTRUCTIONS: &str = "You are a coding agent running in OpenCode. Help the user with their software engineering tasks.";

/// The `include` entry that makes reasoning survive `store: false`.
pub const ENCRYPTED_REASONING: &str = "reasoning.encrypted_content";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options<'a> {
    /// The model to use when the body names none or an unknown one (`OPENCODE_CODEX_MODEL`).
    pub default_model: Option<&'a str>,
    /// Send the full Responses shape even for catalog entries marked `use_responses_lite`
    /// (the option `responsesLite: false`, or after the backend refused a lite request).
    pub full_shape: bool,
}

/// The rewritten body and the decisions JS reports or reuses (`transformRequest` hands them to JS
/// field by field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transformed {
    pub body: String,
    /// The live slug sent as `model`.
    pub model: String,
    /// The effort sent in `reasoning.effort`, if a reasoning block was sent.
    pub effort: Option<String>,
    /// Set when the requested model was remapped (retired or unknown name).
    pub notice: Option<String>,
    /// The `prompt_cache_key` sent: the caller's, else one derived from the conversation.
    pub prompt_cache_key: String,
    /// The body has the responses-lite shape (see [`lite`]): JS adds the [`lite::HEADER`] header.
    pub lite: bool,
    /// The caller's own top-level `stream` was `true`. The backend always streams; when the caller
    /// did not ask for a stream (`false`, absent, anything else: the Responses API default is a
    /// JSON reply) the SSE must be collected into one JSON response.
    pub caller_streams: bool,
    /// The turn this body belongs to (`x-codex-turn-state`), when it holds a user message.
    /// (Not in the golden files: JS receives it as its own field.)
    pub turn: Option<crate::request::turn::Turn>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The body is not JSON.
    NotJson {
        line: usize,
        column: usize,
        expected: &'static str,
    },
    /// The body is JSON but not an object.
    NotObject,
    /// `input` is neither an array of items nor a string.
    BadInput,
    /// A span the scanner produced did not fit the body: a bug in this module, never the input's fault.
    Internal,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::NotJson {
                line,
                column,
                expected,
            } => {
                write!(f, "request body is not valid json (line {line}, column {column}: expected {expected}); nothing was sent")
            }
            RequestError::NotObject => {
                f.write_str("request body is not a json object; nothing was sent")
            }
            RequestError::BadInput => f.write_str(
                "request `input` must be an array of items or a string; nothing was sent",
            ),
            RequestError::Internal => {
                f.write_str("internal error in the request transform; nothing was sent")
            }
        }
    }
}

impl CoreError for RequestError {
    fn code(&self) -> &'static str {
        match self {
            RequestError::NotJson { .. } => "request-not-json",
            RequestError::NotObject => "request-not-object",
            RequestError::BadInput => "request-bad-input",
            RequestError::Internal => "request-internal",
        }
    }
}

/// Top-level fields the transform writes itself; every other field is copied verbatim or dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Model,
    Instructions,
    Input,
    Store,
    Stream,
    Include,
    Reasoning,
    Text,
    ToolChoice,
    ParallelToolCalls,
    PromptCacheKey,
    ServiceTier,
}

/// Every slot, in the order missing ones are appended.
const SLOTS: [Slot; 12] = [
    Slot::Model,
    Slot::Instructions,
    Slot::Input,
    Slot::Store,
    Slot::Stream,
    Slot::Include,
    Slot::Reasoning,
    Slot::Text,
    Slot::ToolChoice,
    Slot::ParallelToolCalls,
    Slot::PromptCacheKey,
    Slot::ServiceTier,
];

impl Slot {
    fn of(key: &str) -> Option<Slot> {
        SLOTS.iter().copied().find(|s| s.key() == key)
    }

    fn key(self) -> &'static str {
        match self {
            Slot::Model => "model",
            Slot::Instructions => "instructions",
            Slot::Input => "input",
            Slot::Store => "store",
            Slot::Stream => "stream",
            Slot::Include => "include",
            Slot::Reasoning => "reasoning",
            Slot::Text => "text",
            Slot::ToolChoice => "tool_choice",
            Slot::ParallelToolCalls => "parallel_tool_calls",
            Slot::PromptCacheKey => "prompt_cache_key",
            Slot::ServiceTier => "service_tier",
        }
    }
}

/// A top-level member in body order: copied as is, or the place a slot is written.
enum Member {
    Copy {
        key: Span,
        value: Span,
    },
    /// A `tools` member: copied as is, or (responses-lite) moved into the input.
    Tools {
        key: Span,
        value: Span,
    },
    Slot(Slot),
}

/// The body's `input`.
enum InputValue {
    Items(input::Input),
    /// A plain string: sent as one user message.
    Text(Span),
}

/// What one scan of the body found (for duplicate keys, the last occurrence wins, as in JSON.parse).
struct Scanned<'a> {
    members: Vec<Member>,
    /// The last value of each slot's key, as (span, string token if it is a string).
    values: [Option<(Span, Option<Str>)>; SLOTS.len()],
    input: Option<InputValue>,
    tools_nonempty: bool,
    /// The last `tools` value.
    tools: Option<Span>,
    text: &'a str,
}

impl<'a> Scanned<'a> {
    fn value(&self, slot: Slot) -> Option<(Span, Option<Str>)> {
        self.values.get(slot as usize).copied().flatten()
    }

    fn string(&self, slot: Slot) -> Option<Cow<'a, str>> {
        self.value(slot)
            .and_then(|(_, s)| s)
            .and_then(|s| decode(self.text, s))
    }

    fn raw(&self, span: Span) -> Result<&'a str, RequestError> {
        self.text
            .get(span.start..span.end)
            .ok_or(RequestError::Internal)
    }
}

/// Rewrites `body` for the Codex backend. Top-level members keep their order; duplicates of a
/// rewritten key collapse to one (the last value wins, as in `JSON.parse`); missing ones are appended.
/// - `model`: the catalog's resolution of the body's model (`default_model`, else the top model, if
///   none); `notice` is set when a retired or unknown name was remapped.
/// - `store: false`, `stream: true`, `tool_choice: "auto"` (what the Codex CLI sends);
///   `parallel_tool_calls`: true iff `tools` is a non-empty array and the model supports it.
/// - `include` gains `reasoning.encrypted_content`; blank or missing `instructions` get
///   [`FALLBACK_INSTRUCTIONS`]; [`UNSUPPORTED_PARAMS`] are dropped.
/// - `reasoning`: `{effort, summary}` only. Effort = the name's `-<effort>` suffix, else the body's,
///   else the model default, clamped to the model's levels (never `ultra`: it clamps to the highest
///   other level; `none`/`minimal` rise to the lowest level where the model lacks them); `summary`
///   kept if auto/concise/detailed, omitted if "none", else the model's `default_reasoning_summary`
///   (omitted when that is "none"; "auto" when the catalog has none); omitted for models without
///   summaries. No block for a model without efforts.
/// - `text.verbosity`: the body's (low/medium/high), else the model default, only where supported;
///   other `text` members (e.g. `format`) are copied.
/// - `service_tier`: the body's if the model lists that tier; else `priority` for a `-fast` name
///   when listed; else omitted.
/// - `prompt_cache_key`: the body's if non-blank, else derived from the model and the opening
///   messages of `input` (see `derive_cache_key`).
/// - `input`: repaired as described in `input.rs`; a string becomes one user message.
pub fn transform(
    body: &str,
    catalog: &Catalog,
    opts: &Options<'_>,
) -> Result<Transformed, RequestError> {
    let scanned = scan_body(body)?;
    let requested = scanned.string(Slot::Model).unwrap_or_default();
    let resolved = catalog.resolve(&requested, opts.default_model);
    let info = catalog.get(&resolved.model);

    let (body_effort, body_summary) = read_reasoning(&scanned)?;
    let effort = match (info, resolved.effort.clone().or(body_effort)) {
        (Some(m), Some(e)) => m.clamp_effort(&e),
        (Some(m), None) => m.default_effort.as_ref().and_then(|e| m.clamp_effort(e)),
        // A model the catalog does not know: sent as asked, except `ultra`, which no model takes.
        (None, Some(Effort::Ultra)) => Some(Effort::Max),
        (None, e) => e,
    };
    let summary = match body_summary.as_deref() {
        _ if !info.is_none_or(|m| m.supports_summaries) => None,
        Some("none") => None,
        Some(s @ ("auto" | "concise" | "detailed")) => Some(s.to_owned()),
        _ => match info.and_then(|m| m.default_summary.as_deref()) {
            Some(s @ ("auto" | "concise" | "detailed")) => Some(s.to_owned()),
            Some(_) => None,
            None => Some("auto".to_owned()),
        },
    };
    let service_tier = service_tier(&scanned, info, resolved.fast);
    let lite = !opts.full_shape
        && info.is_some_and(|m| m.use_responses_lite)
        && lite::tools_fit(body, scanned.tools);
    let prompt_cache_key = match scanned
        .string(Slot::PromptCacheKey)
        .filter(|k| !k.trim().is_empty())
    {
        Some(key) => key.into_owned(),
        None => derive_cache_key(&resolved.model, &cache_key_material(&scanned)?),
    };

    let mut out = String::with_capacity(body.len().saturating_add(512));
    let mut w = Writer {
        out: &mut out,
        first: true,
    };
    let mut written = [false; SLOTS.len()];
    let decided = Decided {
        info,
        effort: effort.as_ref(),
        summary: summary.as_deref(),
        service_tier: service_tier.as_deref(),
        prompt_cache_key: &prompt_cache_key,
        model: &resolved.model,
        lite,
    };
    let mut input_at = 0..0;
    w.out.push('{');
    for member in &scanned.members {
        match member {
            Member::Copy { key, value } => {
                w.member_raw(scanned.raw(*key)?);
                w.out.push_str(scanned.raw(*value)?);
            }
            Member::Tools { .. } if lite => {}
            Member::Tools { key, value } => {
                w.member_raw(scanned.raw(*key)?);
                w.out.push_str(scanned.raw(*value)?);
            }
            Member::Slot(slot) => {
                if let Some(done) = written.get_mut(*slot as usize).filter(|done| !**done) {
                    *done = true;
                    write_at(&mut w, &scanned, &decided, *slot, &mut input_at)?;
                }
            }
        }
    }
    for (slot, done) in SLOTS.iter().zip(written) {
        if !done {
            write_at(&mut w, &scanned, &decided, *slot, &mut input_at)?;
        }
    }
    out.push('}');
    if lite {
        // Input images lose `detail` (rare: OpenCode sends it only when configured).
        let stripped = out.get(input_at.clone()).and_then(lite::strip_image_detail);
        if let Some(stripped) = stripped {
            out.replace_range(input_at, &stripped);
        }
    }
    Ok(Transformed {
        body: out,
        model: resolved.model,
        effort: effort.map(|e| e.as_str().to_owned()),
        notice: resolved.notice,
        prompt_cache_key,
        lite,
        caller_streams: match scanned.value(Slot::Stream) {
            Some((span, _)) => scanned.raw(span)? == "true",
            None => false,
        },
        turn: match &scanned.input {
            Some(InputValue::Items(items)) => match items.last_user {
                Some((at, content)) => Some(crate::request::turn::Turn::named(
                    items.users,
                    scanned.raw(content)?,
                    at + 1 == items.count(),
                )),
                None => None,
            },
            _ => None,
        },
    })
}

/// The one pass over the body: validates all of it, records member spans, plans the input repair.
fn scan_body(body: &str) -> Result<Scanned<'_>, RequestError> {
    let syntax = |e: SyntaxError| not_json(body, e);
    let mut sc = Scanner::new(body);
    if sc.peek() != Some(b'{') {
        // Valid JSON of another kind is "not an object"; anything else is "not json".
        sc.value().and_then(|_| sc.finish()).map_err(syntax)?;
        return Err(RequestError::NotObject);
    }
    let mut scanned = Scanned {
        members: Vec::new(),
        values: Default::default(),
        input: None,
        tools_nonempty: false,
        tools: None,
        text: body,
    };
    sc.begin_object().map_err(syntax)?;
    let mut first = true;
    let mut bad_input = false;
    while let Some(key) = sc.next_key(&mut first).map_err(syntax)? {
        let name = decode(body, key).ok_or(RequestError::Internal)?;
        if UNSUPPORTED_PARAMS.contains(&name.as_ref()) {
            sc.value().map_err(syntax)?;
            continue;
        }
        let Some(slot) = Slot::of(&name) else {
            let value = sc.value().map_err(syntax)?;
            if name == "tools" {
                scanned.tools_nonempty = body.as_bytes().get(value.start) == Some(&b'[')
                    && Scanner::at(body, value.start.saturating_add(1)).peek() != Some(b']');
                scanned.tools = Some(value);
                scanned.members.push(Member::Tools {
                    key: key.span,
                    value,
                });
                continue;
            }
            scanned.members.push(Member::Copy {
                key: key.span,
                value,
            });
            continue;
        };
        scanned.members.push(Member::Slot(slot));
        if slot == Slot::Input {
            scanned.input = match sc.peek() {
                Some(b'[') => Some(InputValue::Items(
                    input::scan(&mut sc, body).map_err(syntax)?,
                )),
                Some(b'"') => Some(InputValue::Text(sc.value().map_err(syntax)?)),
                Some(b'n') => sc.value().map_err(syntax).map(|_| None)?,
                _ => {
                    sc.value().map_err(syntax)?;
                    // Reported once the whole body is known to be JSON: broken JSON is "not json".
                    bad_input = true;
                    None
                }
            };
        } else if let Some(v) = scanned.values.get_mut(slot as usize) {
            *v = Some(sc.value_or_string().map_err(syntax)?);
        }
    }
    sc.finish().map_err(syntax)?;
    if bad_input {
        return Err(RequestError::BadInput);
    }
    Ok(scanned)
}

fn not_json(body: &str, e: SyntaxError) -> RequestError {
    let before = body.as_bytes().get(..e.offset).unwrap_or(body.as_bytes());
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = before
        .get(line_start..)
        .unwrap_or_default()
        .iter()
        .filter(|b| (**b & 0xC0) != 0x80)
        .count()
        + 1;
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    RequestError::NotJson {
        line,
        column,
        expected: e.expected,
    }
}

/// `reasoning.effort` and `reasoning.summary` from the body, when they are strings.
fn read_reasoning(scanned: &Scanned<'_>) -> Result<(Option<Effort>, Option<String>), RequestError> {
    let mut effort = None;
    let mut summary = None;
    let text = scanned.text;
    let Some((span, _)) = scanned
        .value(Slot::Reasoning)
        .filter(|(s, _)| text.as_bytes().get(s.start) == Some(&b'{'))
    else {
        return Ok((effort, summary));
    };
    let internal = |_| RequestError::Internal;
    let mut sc = Scanner::at(text, span.start);
    sc.begin_object().map_err(internal)?;
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first).map_err(internal)? {
        let (_, string) = sc.value_or_string().map_err(internal)?;
        let value = string.and_then(|s| decode(text, s));
        match (decode(text, key).as_deref(), value) {
            (Some("effort"), Some(v)) => effort = Some(Effort::parse(&v)),
            (Some("summary"), Some(v)) => summary = Some(v.into_owned()),
            _ => {}
        }
    }
    Ok((effort, summary))
}

/// The body's `service_tier` if the model lists it; else `priority` for a `-fast` name when listed.
fn service_tier(scanned: &Scanned<'_>, info: Option<&ModelInfo>, fast: bool) -> Option<String> {
    let info = info?;
    let listed = |tier: &str| info.service_tiers.iter().any(|t| t == tier);
    match scanned.string(Slot::ServiceTier) {
        Some(tier) if listed(&tier) => Some(tier.into_owned()),
        _ if fast && info.supports_fast() => Some("priority".to_owned()),
        _ => None,
    }
}

/// What identifies the conversation: the contents of its opening messages (which stay the same
/// turn after turn), else the instructions.
fn cache_key_material<'a>(scanned: &Scanned<'a>) -> Result<Vec<&'a str>, RequestError> {
    let spans = match &scanned.input {
        Some(InputValue::Items(items)) => items.opening.clone(),
        Some(InputValue::Text(span)) => vec![*span],
        None => Vec::new(),
    };
    match (spans.is_empty(), scanned.value(Slot::Instructions)) {
        (true, Some((span, _))) => Ok(vec![scanned.raw(span)?]),
        _ => spans.into_iter().map(|s| scanned.raw(s)).collect(),
    }
}

/// A stable key per conversation: the same model and opening messages give the same key,
/// across turns and restarts.
fn derive_cache_key(model: &str, material: &[&str]) -> String {
    let mut hash = Sha256::new()
        .chain_update(b"opencode-chatgpt-wasm prompt_cache_key v1\n")
        .chain_update(model.as_bytes());
    for part in material {
        hash.update(b"\n");
        hash.update(part.as_bytes());
    }
    let mut key = String::from("ocw-");
    for byte in hash.finalize().iter().take(16) {
        push_hex_byte(&mut key, *byte);
    }
    key
}

/// Everything decided before writing.
struct Decided<'d> {
    info: Option<&'d ModelInfo>,
    effort: Option<&'d Effort>,
    summary: Option<&'d str>,
    service_tier: Option<&'d str>,
    prompt_cache_key: &'d str,
    model: &'d str,
    /// The responses-lite shape (see [`lite`]).
    lite: bool,
}

/// Writes members of the output object, handling commas.
struct Writer<'o> {
    out: &'o mut String,
    first: bool,
}

impl Writer<'_> {
    /// `,` if needed, then the raw key token and `:`.
    fn member_raw(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push_str(key);
        self.out.push(':');
    }

    fn member(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    fn string(&mut self, value: &str) {
        self.out.push('"');
        push_escaped(self.out, value);
        self.out.push('"');
    }
}

/// [`write_slot`], noting where the `input` array went (for the lite image pass).
fn write_at(
    w: &mut Writer<'_>,
    scanned: &Scanned<'_>,
    d: &Decided<'_>,
    slot: Slot,
    input_at: &mut std::ops::Range<usize>,
) -> Result<(), RequestError> {
    let start = w.out.len();
    write_slot(w, scanned, d, slot)?;
    if slot == Slot::Input {
        let array = w.out.get(start..).and_then(|s| s.find('[')).unwrap_or(0);
        *input_at = start.saturating_add(array)..w.out.len();
    }
    Ok(())
}

fn write_slot(
    w: &mut Writer<'_>,
    scanned: &Scanned<'_>,
    d: &Decided<'_>,
    slot: Slot,
) -> Result<(), RequestError> {
    let key = slot.key();
    match slot {
        Slot::Model => {
            w.member(key);
            w.string(d.model);
        }
        Slot::Instructions if d.lite => {}
        Slot::Instructions => {
            w.member(key);
            match scanned.value(Slot::Instructions) {
                Some((span, Some(s))) if !is_blank(scanned.text, s) => {
                    w.out.push_str(scanned.raw(span)?)
                }
                _ => w.string(FALLBACK_INSTRUCTIONS),
            }
        }
        Slot::Input => {
            let mut prefix = String::new();
            if d.lite {
                let tools = scanned.tools.map(|s| scanned.raw(s)).transpose()?;
                let instructions = match scanned.value(Slot::Instructions) {
                    Some((span, Some(s))) if !is_blank(scanned.text, s) => {
                        Cow::Borrowed(scanned.raw(span)?)
                    }
                    _ => Cow::Owned(format!("\"{FALLBACK_INSTRUCTIONS}\"")),
                };
                lite::write_prefix(&mut prefix, tools, &instructions);
            }
            let prefix = (!prefix.is_empty()).then_some(prefix.as_str());
            match &scanned.input {
                Some(InputValue::Items(items)) => {
                    w.member(key);
                    items
                        .write(scanned.text, prefix, w.out)
                        .ok_or(RequestError::Internal)?;
                }
                Some(InputValue::Text(span)) => {
                    w.member(key);
                    w.out.push('[');
                    if let Some(p) = prefix {
                        w.out.push_str(p);
                        w.out.push(',');
                    }
                    w.out
                        .push_str(r#"{"type":"message","role":"user","content":"#);
                    w.out.push_str(scanned.raw(*span)?);
                    w.out.push_str("}]");
                }
                None => {
                    if let Some(p) = prefix {
                        w.member(key);
                        w.out.push('[');
                        w.out.push_str(p);
                        w.out.push(']');
                    }
                }
            }
        }
        Slot::Store => {
            w.member(key);
            w.out.push_str("false");
        }
        Slot::Stream => {
            w.member(key);
            w.out.push_str("true");
        }
        Slot::Include => write_include(w, scanned)?,
        Slot::Reasoning if d.lite => {
            lite::write_reasoning(w, d.effort.map(Effort::as_str), d.summary)
        }
        Slot::Reasoning => {
            if let Some(effort) = d.effort {
                w.member(key);
                w.out.push_str("{\"effort\":");
                w.string(effort.as_str());
                if let Some(summary) = d.summary {
                    w.out.push_str(",\"summary\":");
                    w.string(summary);
                }
                w.out.push('}');
            }
        }
        Slot::Text => write_text(w, scanned, d.info)?,
        Slot::ToolChoice => {
            w.member(key);
            w.out.push_str("\"auto\"");
        }
        Slot::ParallelToolCalls => {
            w.member(key);
            let parallel = !d.lite
                && scanned.tools_nonempty
                && d.info.is_none_or(|m| m.supports_parallel_tool_calls);
            w.out.push_str(if parallel { "true" } else { "false" });
        }
        Slot::PromptCacheKey => {
            w.member(key);
            w.string(d.prompt_cache_key);
        }
        Slot::ServiceTier => {
            if let Some(tier) = d.service_tier {
                w.member(key);
                w.string(tier);
            }
        }
    }
    Ok(())
}

/// True if the string token holds only whitespace, Unicode's included, as `str::trim` reads it
/// (checked on the raw bytes; decoded only when an escape or a non-ASCII character comes before
/// any other character).
fn is_blank(text: &str, s: Str) -> bool {
    let raw = text
        .as_bytes()
        .get(s.span.start.saturating_add(1)..s.span.end.saturating_sub(1))
        .unwrap_or_default();
    match raw
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        None => true,
        Some(&b) if b == b'\\' || b >= 0x80 => decode(text, s).is_none_or(|t| t.trim().is_empty()),
        Some(_) => false,
    }
}

/// The body's `include` array with `reasoning.encrypted_content` added if missing.
fn write_include(w: &mut Writer<'_>, scanned: &Scanned<'_>) -> Result<(), RequestError> {
    w.member(Slot::Include.key());
    let Some((span, _)) = scanned
        .value(Slot::Include)
        .filter(|(s, _)| scanned.text.as_bytes().get(s.start) == Some(&b'['))
    else {
        w.out.push_str("[\"reasoning.encrypted_content\"]");
        return Ok(());
    };
    let mut sc = Scanner::at(scanned.text, span.start);
    let internal = |_| RequestError::Internal;
    sc.begin_array().map_err(internal)?;
    let mut first = true;
    let mut has_encrypted = false;
    let mut any = false;
    w.out.push('[');
    while sc.next_element(&mut first).map_err(internal)? {
        let (value, string) = sc.value_or_string().map_err(internal)?;
        has_encrypted |= string
            .and_then(|s| decode(scanned.text, s))
            .is_some_and(|v| v == ENCRYPTED_REASONING);
        if any {
            w.out.push(',');
        }
        any = true;
        w.out.push_str(scanned.raw(value)?);
    }
    if !has_encrypted {
        if any {
            w.out.push(',');
        }
        w.out.push_str("\"reasoning.encrypted_content\"");
    }
    w.out.push(']');
    Ok(())
}

/// The body's `text` object: `verbosity` kept (else the model's default) only where the model
/// supports it; every other member (e.g. `format`) copied verbatim.
fn write_text(
    w: &mut Writer<'_>,
    scanned: &Scanned<'_>,
    info: Option<&ModelInfo>,
) -> Result<(), RequestError> {
    let mut others: Vec<(Span, Span)> = Vec::new();
    let mut verbosity: Option<String> = None;
    if let Some((span, _)) = scanned
        .value(Slot::Text)
        .filter(|(s, _)| scanned.text.as_bytes().get(s.start) == Some(&b'{'))
    {
        let mut sc = Scanner::at(scanned.text, span.start);
        let internal = |_| RequestError::Internal;
        sc.begin_object().map_err(internal)?;
        let mut first = true;
        while let Some(key) = sc.next_key(&mut first).map_err(internal)? {
            let (value, string) = sc.value_or_string().map_err(internal)?;
            if decode(scanned.text, key).is_some_and(|k| k == "verbosity") {
                verbosity = string
                    .and_then(|s| decode(scanned.text, s))
                    .map(Cow::into_owned);
            } else {
                others.push((key.span, value));
            }
        }
    }
    let verbosity = match info {
        Some(m) if m.supports_verbosity => verbosity
            .filter(|v| matches!(v.as_str(), "low" | "medium" | "high"))
            .or_else(|| m.default_verbosity.clone()),
        Some(_) => None,
        None => verbosity,
    };
    if others.is_empty() && verbosity.is_none() {
        return Ok(());
    }
    w.member(Slot::Text.key());
    w.out.push('{');
    for (i, (key, value)) in others.iter().enumerate() {
        if i > 0 {
            w.out.push(',');
        }
        w.out.push_str(scanned.raw(*key)?);
        w.out.push(':');
        w.out.push_str(scanned.raw(*value)?);
    }
    if let Some(v) = verbosity {
        if !others.is_empty() {
            w.out.push(',');
        }
        w.out.push_str("\"verbosity\":");
        w.string(&v);
    }
    w.out.push('}');
    Ok(())
}

/// Appends `s` JSON-escaped (without quotes).
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                push_hex_byte(out, c as u8);
            }
            c => out.push(c),
        }
    }
}

/// Two lowercase hex digits (without `format!`, which costs wasm).
fn push_hex_byte(out: &mut String, byte: u8) {
    for nibble in [byte >> 4, byte & 0xf] {
        out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
    }
}

#[cfg(test)]
mod tests;

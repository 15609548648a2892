//! The model catalog: any `GET /models` document either replaces the live list or leaves the
//! catalog exactly as it was; any requested name (retired, suffixed, prefixed, unknown) resolves
//! to a live model; and the transform accepts a request for it with that catalog.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::request::transform::{transform, Options};
use opencode_chatgpt_wasm_fuzz::{assert_codex_invariants, object, pick, Json, CATALOG};
use serde_json::Value;

const FIELDS: &[&str] = &[
    "slug",
    "display_name",
    "context_window",
    "supported_reasoning_levels",
    "default_reasoning_level",
    "supports_reasoning_summaries",
    "support_verbosity",
    "default_verbosity",
    "supports_parallel_tool_calls",
    "service_tiers",
    "additional_speed_tiers",
    "priority",
    "visibility",
    "upgrade",
];
const WORDS: &[&str] = &[
    "gpt-5.4",
    "gpt-5.5",
    "gpt-5-codex",
    "gpt-5.1-codex-max",
    "codex-mini-latest",
    "list",
    "hide",
    "priority",
    "fast",
    "low",
    "medium",
    "high",
    "xhigh",
    "none",
    "minimal",
    "openai/",
    "-fast",
    "-high",
    "-none",
    "-xhigh",
    "GPT-5.4",
];

#[derive(Arbitrary, Debug)]
enum Slug {
    Word(u8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
struct Entry {
    slug: Option<Slug>,
    fields: Vec<(u8, Json)>,
    levels: Option<Vec<u8>>,
    priority: Option<i64>,
}

#[derive(Arbitrary, Debug)]
enum Doc {
    Raw(String),
    Models(Vec<Entry>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    docs: Vec<Doc>,
    names: Vec<(Option<u8>, Option<u8>, Option<u8>, String)>,
    default_model: Option<String>,
}

fn word(i: u8) -> String {
    pick(WORDS, i).to_string()
}

fn doc_text(doc: &Doc) -> String {
    match doc {
        Doc::Raw(s) => s.clone(),
        Doc::Models(entries) => {
            let models: Vec<Value> = entries
                .iter()
                .map(|e| {
                    let mut f: Vec<(String, Value)> = e
                        .fields
                        .iter()
                        .map(|(k, v)| (pick(FIELDS, *k).to_string(), v.to_value()))
                        .collect();
                    match &e.slug {
                        Some(Slug::Word(w)) => f.push(("slug".into(), word(*w).into())),
                        Some(Slug::Text(t)) => f.push(("slug".into(), t.clone().into())),
                        None => {}
                    }
                    if let Some(levels) = &e.levels {
                        let levels = levels
                            .iter()
                            .map(|l| serde_json::json!({ "effort": word(*l) }))
                            .collect();
                        f.push(("supported_reasoning_levels".into(), Value::Array(levels)));
                    }
                    if let Some(p) = e.priority {
                        f.push(("priority".into(), p.into()));
                    }
                    object(f)
                })
                .collect();
            serde_json::json!({ "models": models }).to_string()
        }
    }
}

fuzz_target!(|input: Input| {
    let mut catalog = CATALOG.clone();
    for doc in &input.docs {
        let before = catalog.clone();
        match catalog.merge_remote(&doc_text(doc)) {
            Ok(()) => {}
            Err(_) => assert_eq!(catalog, before, "a refused document changed the catalog"),
        }
    }
    let default_model = input.default_model.as_deref();
    for (prefix, stem, suffix, text) in &input.names {
        let name = format!(
            "{}{}{}",
            prefix.map(word).unwrap_or_default(),
            stem.map(word).unwrap_or_else(|| text.clone()),
            suffix.map(word).unwrap_or_default()
        );
        let resolved = catalog.resolve(&name, default_model);
        assert!(
            catalog.get(&resolved.model).is_some(),
            "{name:?} resolved to {:?}, not a live model",
            resolved.model
        );
        let body = serde_json::json!({ "model": name, "input": [] }).to_string();
        let out = transform(&body, &catalog, &Options { default_model })
            .unwrap_or_else(|e| panic!("refused a request for {name:?}: {e}"));
        assert_eq!(out.model, resolved.model);
        assert_codex_invariants(&out.body);
        if let (Some(effort), Some(info)) = (&out.effort, catalog.get(&out.model)) {
            assert!(
                info.efforts.iter().any(|e| e.as_str() == effort),
                "effort {effort} not offered by {}",
                out.model
            );
        }
    }
});

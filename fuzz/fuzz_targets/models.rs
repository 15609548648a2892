//! The model catalog and the client identity: any `GET /models` document either is laid over the
//! catalog or leaves it exactly as it was; any requested name (retired, suffixed, prefixed) resolves
//! to a catalog model, or (unknown) is sent as named, never empty; the transform accepts a request
//! for it and never sends `ultra`; any client-version override gives a whole version and a header-safe
//! User-Agent, or a coded error.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::request::client::{identity, Machine, Version, CLIENT_VERSION};
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
    "minimal_client_version",
    "default_reasoning_summary",
    "use_responses_lite",
    "available_in_plans",
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
    "ultra",
    "-ultra",
    "max",
    "0.153.0",
    "gpt-6-astra",
    "gpt-5.3-codex",
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
    client_versions: Vec<String>,
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
            catalog.get(&resolved.model).is_some()
                || (resolved.notice.is_none() && !resolved.model.is_empty())
                || catalog.models().is_empty(),
            "{name:?} resolved to {:?}: neither a catalog model nor sent as named",
            resolved.model
        );
        let body = serde_json::json!({ "model": name, "input": [] }).to_string();
        let out = transform(
            &body,
            &catalog,
            &Options {
                default_model,
                ..Options::default()
            },
        )
        .unwrap_or_else(|e| panic!("refused a request for {name:?}: {e}"));
        assert_eq!(out.model, resolved.model);
        assert_codex_invariants(&out.body, out.lite);
        assert_ne!(
            out.effort.as_deref(),
            Some("ultra"),
            "ultra sent for {name:?}"
        );
        if let (Some(effort), Some(info)) = (&out.effort, catalog.get(&out.model)) {
            assert!(
                info.efforts.iter().any(|e| e.as_str() == effort),
                "effort {effort} not offered by {}",
                out.model
            );
        }
    }
    let _ = catalog.usable();
    let _ = catalog.highest_min_client_version();
    let machine = Machine {
        originator: "opencode",
        os: "linux",
        os_version: "6.1",
        arch: "x64",
        suffix: "x/1",
    };
    for v in &input.client_versions {
        let parsed = if v.trim().is_empty() {
            Version::parse(CLIENT_VERSION)
        } else {
            Version::parse(v)
        };
        match identity(Some(v), &machine) {
            Ok(id) => {
                assert_eq!(Version::parse(&id.whole), parsed, "{v:?}");
                assert!(
                    id.user_agent.chars().all(|c| (' '..='~').contains(&c)),
                    "{:?}",
                    id.user_agent
                );
            }
            Err(e) => assert!(parsed.is_none(), "{v:?} refused: {e}"),
        }
    }
});

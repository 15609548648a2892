//! Unit tests of the request transform, one per rule, plus property tests over arbitrary bodies.

use serde_json::{json, Value};

use super::*;

fn transform_value(
    body: &Value,
    catalog: &Catalog,
    default_model: Option<&str>,
) -> (Value, Transformed) {
    // The full shape: the responses-lite shape of the same rules has its own tests (`lite_*`).
    let opts = Options {
        default_model,
        full_shape: true,
    };
    let out = transform(&body.to_string(), catalog, &opts).unwrap();
    (serde_json::from_str(&out.body).unwrap(), out)
}

/// The transform as the plugin runs it: lite for catalog entries marked `use_responses_lite`.
fn run_lite(body: Value) -> (Value, Transformed) {
    let out = transform(&body.to_string(), &Catalog::bundled(), &Options::default()).unwrap();
    (serde_json::from_str(&out.body).unwrap(), out)
}

fn run(body: Value) -> (Value, Transformed) {
    transform_value(&body, &Catalog::bundled(), None)
}

#[test]
fn enforces_the_codex_invariants() {
    let (out, meta) = run(json!({
        "model": "gpt-5.4", "store": true, "stream": false, "temperature": 0.5, "top_p": 1, "max_output_tokens": 32000,
        "max_tokens": 1, "metadata": {"a": 1}, "user": "u", "truncation": "auto", "previous_response_id": "resp_1",
        "input": [], "instructions": "be brief", "prompt_cache_key": "ses_1"
    }));
    assert_eq!(
        out,
        json!({
            "model": "gpt-5.4", "store": false, "stream": true, "input": [], "instructions": "be brief",
            "prompt_cache_key": "ses_1", "include": ["reasoning.encrypted_content"],
            "reasoning": {"effort": "medium"}, "text": {"verbosity": "low"},
            "tool_choice": "auto", "parallel_tool_calls": false
        })
    );
    assert_eq!(
        meta,
        Transformed {
            body: meta.body.clone(),
            model: "gpt-5.4".into(),
            effort: Some("medium".into()),
            notice: None,
            prompt_cache_key: "ses_1".into(),
            lite: false,
            caller_streams: false,
            turn: None,
        }
    );
}

#[test]
fn reports_whether_the_caller_itself_asked_for_a_stream() {
    let streams = |body: &str| {
        transform(body, &Catalog::bundled(), &Options::default())
            .unwrap()
            .caller_streams
    };
    assert!(streams(r#"{"input":[],"stream":true}"#));
    assert!(
        streams(r#"{"stream":false,"input":[],"stream" : true}"#),
        "the last duplicate wins"
    );
    assert!(!streams(r#"{"input":[],"stream":false}"#));
    assert!(
        !streams(r#"{"input":[]}"#),
        "absent: the Responses API answers with JSON"
    );
    assert!(!streams(r#"{"input":[],"stream":"true"}"#));
    assert!(
        !streams(r#"{"input":[{"role":"user","content":"x"}],"text":{"stream":true}}"#),
        "nested keys do not count"
    );
    assert!(!streams(
        r#"{"input":[{"role":"user","content":"\"stream\": true"}]}"#
    ));
}

#[test]
fn keeps_member_order_and_copies_untouched_values_byte_for_byte() {
    let body = r#"{"model":"gpt-5.5", "tools" : [ {"type":"function","name":"read","parameters":{"type":"object"}} ],
        "instructions":"caf\u00e9 \"quoted\"\n", "x_custom": {"keep": [1, 2.50, "\ud83d\ude00"]}, "input":[]}"#;
    let out = transform(body, &Catalog::bundled(), &Options::default())
        .unwrap()
        .body;
    for raw in [
        r#""tools":[ {"type":"function","name":"read","parameters":{"type":"object"}} ]"#,
        r#""instructions":"caf\u00e9 \"quoted\"\n""#,
        r#""x_custom":{"keep": [1, 2.50, "\ud83d\ude00"]}"#,
    ] {
        assert!(out.contains(raw), "{raw} not in {out}");
    }
    let order = [
        "model",
        "tools",
        "instructions",
        "x_custom",
        "input",
        "store",
        "stream",
        "include",
        "reasoning",
        "text",
        "tool_choice",
        "parallel_tool_calls",
        "prompt_cache_key",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|k| out.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
    assert_eq!(
        serde_json::from_str::<serde_json::Map<String, Value>>(&out)
            .unwrap()
            .len(),
        order.len()
    );
}

#[test]
fn include_gets_encrypted_reasoning_once() {
    let include = |v: Value| run(json!({"include": v, "instructions": "i"})).0["include"].clone();
    assert_eq!(
        include(json!(["reasoning.encrypted_content", "x"])),
        json!(["reasoning.encrypted_content", "x"])
    );
    assert_eq!(
        include(json!(["x", 3])),
        json!(["x", 3, "reasoning.encrypted_content"])
    );
    assert_eq!(include(json!([])), json!(["reasoning.encrypted_content"]));
    assert_eq!(
        include(json!("reasoning.encrypted_content")),
        json!(["reasoning.encrypted_content"])
    );
}

#[test]
fn blank_or_missing_instructions_get_a_fallback() {
    for instructions in [
        json!("  "),
        json!("\n\t "),
        json!(""),
        json!(null),
        json!(["a"]),
    ] {
        assert_eq!(
            run(json!({"instructions": instructions})).0["instructions"],
            FALLBACK_INSTRUCTIONS
        );
    }
    assert_eq!(
        run(json!({"input": []})).0["instructions"],
        FALLBACK_INSTRUCTIONS
    );
    let escaped = r#"{"model":"gpt-5.4","instructions":"\u0020\n x"}"#;
    let out = transform(escaped, &Catalog::bundled(), &Options::default())
        .unwrap()
        .body;
    assert!(out.contains(r#""instructions":"\u0020\n x""#));
}

#[test]
fn bad_bodies_are_typed_errors() {
    let err = |body: &str| transform(body, &Catalog::bundled(), &Options::default()).unwrap_err();
    assert_eq!(
        err("{"),
        RequestError::NotJson {
            line: 1,
            column: 2,
            expected: "a string"
        }
    );
    assert_eq!(
        err("{\n  \"a\": tru\n}"),
        RequestError::NotJson {
            line: 2,
            column: 8,
            expected: "true, false or null"
        }
    );
    assert_eq!(
        err("{\"a\":1} x"),
        RequestError::NotJson {
            line: 1,
            column: 9,
            expected: "end of input"
        }
    );
    assert_eq!(err("[1]"), RequestError::NotObject);
    assert_eq!(err("\"str\""), RequestError::NotObject);
    assert_eq!(err("").code(), "request-not-json");
    assert_eq!(err("{\"input\": 5}"), RequestError::BadInput);
    // Found by fuzz/fuzz_targets/request_bytes.rs: broken JSON after a mistyped `input` was
    // reported as a bad `input` instead of as not json.
    assert_eq!(err("{\"input\": {}, {").code(), "request-not-json");
    assert_eq!(err("{\"input\": {}, \"a\": 1}"), RequestError::BadInput);
    assert_eq!(err("{\"input\": {\"a\":1}}").code(), "request-bad-input");
    assert_eq!(
        err("{\"input\": [{\"type\":\"message\",}]}").code(),
        "request-not-json"
    );
    assert_eq!(
        err("{").to_string(),
        "request body is not valid json (line 1, column 2: expected a string); nothing was sent"
    );
}

#[test]
fn models_are_resolved_with_notices_and_the_default() {
    let c = Catalog::bundled();
    let (out, meta) = transform_value(&json!({"model": "openai/gpt-5.1-codex"}), &c, None);
    assert_eq!(
        (out["model"].clone(), meta.model.as_str()),
        (json!("gpt-5.4"), "gpt-5.4")
    );
    assert_eq!(
        meta.notice.as_deref(),
        Some("model `openai/gpt-5.1-codex` is no longer available; using gpt-5.4")
    );
    let (out, meta) = transform_value(&json!({"input": []}), &c, Some("gpt-5.5"));
    assert_eq!(
        (out["model"].clone(), meta.notice),
        (json!("gpt-5.5"), None)
    );
    let (out, meta) = transform_value(&json!({"model": 42}), &c, None);
    assert_eq!(
        (out["model"].clone(), meta.notice),
        (json!("gpt-5.6-sol"), None)
    );
    // Never a silent downgrade: an unknown name is sent as named, its effort as asked (never ultra).
    let (out, meta) = transform_value(
        &json!({"model": "openai/Mystery-9", "reasoning": {"effort": "ultra"}}),
        &c,
        Some("gpt-5.5"),
    );
    assert_eq!(
        (
            meta.model.as_str(),
            meta.notice.as_deref(),
            out["reasoning"].clone()
        ),
        (
            "mystery-9",
            None,
            json!({"effort": "max", "summary": "auto"})
        )
    );
    let (out, _) = transform_value(
        &json!({"model": "mystery-9", "reasoning": {"effort": "none"}}),
        &c,
        None,
    );
    assert_eq!(
        out["reasoning"],
        json!({"effort": "none", "summary": "auto"})
    );
}

#[test]
fn effort_is_clamped_and_summary_set() {
    let reasoning = |body: Value| run(body).0["reasoning"].clone();
    // The bundled models default to `default_reasoning_summary: "none"`: no summary unless asked.
    // OpenCode's title request: effort none on a model without it.
    assert_eq!(
        reasoning(json!({"model": "gpt-5.4-mini", "reasoning": {"effort": "none"}})),
        json!({"effort": "low"})
    );
    assert_eq!(
        reasoning(json!({"model": "gpt-5.5", "reasoning": {"effort": "max"}})),
        json!({"effort": "xhigh"})
    );
    // gpt-5.6-sol: default_reasoning_summary "none" (no summary unless asked), `ultra` never sent.
    assert_eq!(
        reasoning(json!({"model": "gpt-5.6-sol", "reasoning": {"effort": "max"}})),
        json!({"effort": "max"})
    );
    assert_eq!(
        reasoning(
            json!({"model": "gpt-5.6-sol", "reasoning": {"effort": "ultra", "summary": "auto"}})
        ),
        json!({"effort": "max", "summary": "auto"})
    );
    assert_eq!(
        reasoning(json!({"model": "openai/gpt-5.6-sol-ultra"})),
        json!({"effort": "max"})
    );
    assert_eq!(
        reasoning(json!({"model": "gpt-5.6-terra", "reasoning": {"effort": "minimal"}})),
        json!({"effort": "low"})
    );
    // The name's suffix beats the body; a body without reasoning gets the model default.
    assert_eq!(
        reasoning(json!({"model": "gpt-5.5-high", "reasoning": {"effort": "low"}})),
        json!({"effort": "high"})
    );
    assert_eq!(
        reasoning(json!({"model": "gpt-5.6-sol"})),
        json!({"effort": "low"})
    );
    assert_eq!(
        reasoning(json!({"model": "gpt-5.5", "reasoning": {"effort": "warp"}})),
        json!({"effort": "medium"})
    );
    assert_eq!(
        reasoning(
            json!({"model": "gpt-5.5", "reasoning": {"effort": "high", "summary": "detailed", "extra": 1}})
        ),
        json!({"effort": "high", "summary": "detailed"})
    );
    assert_eq!(
        reasoning(json!({"model": "gpt-5.5", "reasoning": {"summary": "none"}})),
        json!({"effort": "medium"})
    );
    assert_eq!(
        reasoning(json!({"model": "gpt-5.5", "reasoning": {"summary": 3}})),
        json!({"effort": "medium"})
    );
    assert_eq!(
        reasoning(json!({"model": "gpt-5.5", "reasoning": "high"})),
        json!({"effort": "medium"})
    );
}

#[test]
fn the_summary_defaults_to_the_models_default_reasoning_summary() {
    let mut c = Catalog::bundled();
    c.merge_remote(r#"{"models":[{"slug":"chatty","priority":1,"visibility":"list","supported_reasoning_levels":["low"],"default_reasoning_level":"low",
        "supports_reasoning_summaries":true,"default_reasoning_summary":"concise"},
        {"slug":"older","priority":2,"visibility":"list","supported_reasoning_levels":["low"],"default_reasoning_level":"low","supports_reasoning_summaries":true}]}"#)
        .unwrap();
    let reasoning = |body: Value| transform_value(&body, &c, None).0["reasoning"].clone();
    assert_eq!(
        reasoning(json!({"model": "chatty"})),
        json!({"effort": "low", "summary": "concise"})
    );
    assert_eq!(
        reasoning(json!({"model": "chatty", "reasoning": {"summary": "none"}})),
        json!({"effort": "low"}),
        "an explicit none wins over the catalog default"
    );
    assert_eq!(
        reasoning(json!({"model": "chatty", "reasoning": {"summary": "detailed"}})),
        json!({"effort": "low", "summary": "detailed"})
    );
    // An entry without the field (older live lists): "auto", as before.
    assert_eq!(
        reasoning(json!({"model": "older"})),
        json!({"effort": "low", "summary": "auto"})
    );
}

#[test]
fn models_without_reasoning_or_summaries_or_verbosity_get_none() {
    let mut c = Catalog::bundled();
    c.merge_remote(r#"{"models":[{"slug":"plain","priority":1,"visibility":"list","supported_reasoning_levels":[],
        "supports_reasoning_summaries":false,"support_verbosity":false}]}"#)
        .unwrap();
    let (out, meta) = transform_value(
        &json!({"model": "plain", "reasoning": {"effort": "high"}, "text": {"verbosity": "low"}}),
        &c,
        None,
    );
    assert_eq!(
        (out.get("reasoning"), out.get("text"), meta.effort),
        (None, None, None)
    );
    c.merge_remote(r#"{"models":[{"slug":"terse","priority":1,"visibility":"list","supported_reasoning_levels":["low"],
        "supports_reasoning_summaries":false,"support_verbosity":false}]}"#)
        .unwrap();
    let (out, _) = transform_value(
        &json!({"reasoning": {"effort": "high", "summary": "auto"}, "text": {"verbosity": "low", "format": {"type": "text"}}}),
        &c,
        None,
    );
    assert_eq!(
        (out["reasoning"].clone(), out["text"].clone()),
        (
            json!({"effort": "low"}),
            json!({"format": {"type": "text"}})
        )
    );
}

#[test]
fn verbosity_is_kept_where_supported_and_format_always() {
    let text = |body: Value| run(body).0["text"].clone();
    assert_eq!(
        text(json!({"model": "gpt-5.4", "text": {"verbosity": "high"}})),
        json!({"verbosity": "high"})
    );
    assert_eq!(
        text(json!({"model": "gpt-5.4-mini", "text": {"verbosity": "loud"}})),
        json!({"verbosity": "medium"})
    );
    assert_eq!(
        text(
            json!({"model": "gpt-5.4", "text": {"format": {"type": "json_schema", "name": "t", "schema": {}}}})
        ),
        json!({"format": {"type": "json_schema", "name": "t", "schema": {}}, "verbosity": "low"})
    );
}

#[test]
fn fast_means_the_priority_tier_where_the_model_lists_it() {
    let tier = |body: Value| run(body).0.get("service_tier").cloned();
    assert_eq!(
        tier(json!({"model": "gpt-5.6-sol-fast"})),
        Some(json!("priority"))
    );
    assert_eq!(
        tier(json!({"model": "gpt-5.4", "service_tier": "priority"})),
        Some(json!("priority"))
    );
    assert_eq!(tier(json!({"model": "gpt-5.4-mini-fast"})), None);
    assert_eq!(
        tier(json!({"model": "gpt-5.4-mini", "service_tier": "priority"})),
        None
    );
    assert_eq!(
        tier(json!({"model": "gpt-5.4", "service_tier": "flex"})),
        None
    );
    assert_eq!(
        tier(json!({"model": "gpt-5.4", "service_tier": "auto"})),
        None
    );
}

#[test]
fn tool_choice_is_auto_and_parallel_calls_follow_the_tools() {
    let tools = json!([{"type": "function", "name": "read", "parameters": {}}]);
    let pick = |body: Value| {
        let out = run(body).0;
        (
            out["tool_choice"].clone(),
            out["parallel_tool_calls"].clone(),
        )
    };
    assert_eq!(
        pick(json!({"tools": tools, "tool_choice": "required", "parallel_tool_calls": false})),
        (json!("auto"), json!(true))
    );
    assert_eq!(pick(json!({"tools": []})), (json!("auto"), json!(false)));
    assert_eq!(pick(json!({"tools": " "})), (json!("auto"), json!(false)));
    assert_eq!(pick(json!({})), (json!("auto"), json!(false)));
}

#[test]
fn prompt_cache_key_is_kept_or_derived_per_conversation() {
    let first_turn = json!({"model": "gpt-5.5", "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "fix the bug"}]}
    ]});
    let later_turn = json!({"model": "openai/gpt-5.5-high", "prompt_cache_key": "  ", "input": [
        {"role": "user", "id": "msg_1", "content": [{"type": "input_text", "text": "fix the bug"}]},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": [{"type": "input_text", "text": "thanks"}]}
    ]});
    let other = json!({"model": "gpt-5.5", "input": [{"role": "user", "content": [{"type": "input_text", "text": "other"}]}]});
    let key = |body: Value| run(body).1.prompt_cache_key;
    let k1 = key(first_turn.clone());
    assert!(k1.starts_with("ocw-") && k1.len() == 36, "{k1}");
    assert_eq!(k1, key(later_turn));
    assert_ne!(k1, key(other));
    let mut on_sol = first_turn.clone();
    on_sol["model"] = json!("gpt-5.6-sol");
    assert_ne!(k1, key(on_sol));
    assert_eq!(derive_cache_key("m", &["x"]), derive_cache_key("m", &["x"]));
    assert_ne!(
        derive_cache_key("m", &["x", "y"]),
        derive_cache_key("m", &["xy"])
    );
    // Title requests share their first message; the question that follows tells them apart.
    let title = |q: &str| {
        json!({"model": "gpt-5.4", "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Generate a title for this conversation:\n"}]},
            {"role": "user", "content": [{"type": "input_text", "text": q}]}
        ]})
    };
    assert_ne!(key(title("fix the bug")), key(title("add a feature")));
    assert_eq!(
        run(json!({"prompt_cache_key": "ses_abc"})).0["prompt_cache_key"],
        "ses_abc"
    );
    let (out, meta) = run(json!({"instructions": "only instructions"}));
    assert_eq!(out["prompt_cache_key"], json!(meta.prompt_cache_key));
}

#[test]
fn a_string_input_becomes_one_user_message() {
    let (out, _) = run(json!({"input": "hello"}));
    assert_eq!(
        out["input"],
        json!([{"type": "message", "role": "user", "content": "hello"}])
    );
    assert_eq!(run(json!({"input": null})).0.get("input"), None);
}

#[test]
fn duplicate_keys_keep_the_last_value_once() {
    let body = r#"{"store":true,"model":"gpt-5.2","instructions":"a","model":"gpt-5.5","instructions":"b","store":true,"x":1,"x":2}"#;
    let out = transform(body, &Catalog::bundled(), &Options::default())
        .unwrap()
        .body;
    assert_eq!(out.matches("\"store\"").count(), 1);
    assert_eq!(out.matches("\"model\":\"gpt-5.5\"").count(), 1);
    assert!(out.contains("\"instructions\":\"b\"") && !out.contains("\"instructions\":\"a\""));
    assert!(
        out.contains("\"x\":1,\"x\":2"),
        "unknown members are copied as they are"
    );
}

#[test]
fn escaped_keys_are_recognised() {
    let body = r#"{"\u0073tore":true,"temp\u0065rature":1,"instructions":"i"}"#;
    let out: Value = serde_json::from_str(
        &transform(body, &Catalog::bundled(), &Options::default())
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(
        (out["store"].clone(), out.get("temperature")),
        (json!(false), None)
    );
}

#[test]
fn generated_strings_are_escaped() {
    let mut out = String::new();
    push_escaped(&mut out, "a\"\\\n\r\t\u{1}\u{1f}é😀");
    assert_eq!(out, r#"a\"\\\n\r\t\u0001\u001fé😀"#);
    assert_eq!(
        serde_json::from_str::<String>(&format!("\"{out}\"")).unwrap(),
        "a\"\\\n\r\t\u{1}\u{1f}é😀"
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use proptest::prelude::*;
    use serde_json::{json, Map, Value};

    use super::super::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[a-z \\n\"\\\\é😀]{0,40}"]
    }

    fn call_id() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("c1".to_owned()),
            Just("c2".to_owned()),
            Just("c3".to_owned()),
            "[a-z0-9_]{1,8}"
        ]
    }

    /// Items OpenCode and older clients send, ids included, in any order.
    fn item() -> impl Strategy<Value = Value> {
        let id = proptest::option::of("(msg|rs|fc)_[a-z0-9]{1,6}");
        let with_id = |mut v: Value, id: Option<String>| {
            if let (Some(id), Some(o)) = (id, v.as_object_mut()) {
                o.insert("id".into(), json!(id));
            }
            v
        };
        prop_oneof![
            (prop_oneof![Just("user"), Just("assistant"), Just("developer")], text(), any::<bool>(), id.clone()).prop_map(
                move |(role, t, typed, id)| {
                    let mut m = json!({"role": role, "content": [{"type": if role == "assistant" {"output_text"} else {"input_text"}, "text": t}]});
                    if typed {
                        m["type"] = json!("message");
                    }
                    with_id(m, id)
                }
            ),
            (call_id(), text(), id.clone()).prop_map(move |(c, a, id)| with_id(json!({"type": "function_call", "call_id": c, "name": "read", "arguments": a}), id)),
            (call_id(), text(), id.clone()).prop_map(move |(c, o, id)| with_id(json!({"type": "function_call_output", "call_id": c, "output": o}), id)),
            (call_id(), text()).prop_map(|(c, o)| json!({"type": "custom_tool_call_output", "call_id": c, "output": [{"type": "input_text", "text": o}]})),
            (proptest::option::of(text()), id.clone()).prop_map(move |(enc, id)| {
                let mut r = json!({"type": "reasoning", "summary": []});
                if let Some(e) = enc {
                    r["encrypted_content"] = json!(e);
                }
                with_id(r, id)
            }),
            "rs_[a-z0-9]{1,6}".prop_map(|id| json!({"type": "item_reference", "id": id})),
        ]
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            text().prop_map(Value::String)
        ]
    }

    fn any_json() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((text(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    const KEYS: [&str; 22] = [
        "model",
        "instructions",
        "store",
        "stream",
        "include",
        "reasoning",
        "text",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "prompt_cache_key",
        "service_tier",
        "temperature",
        "top_p",
        "max_output_tokens",
        "max_tokens",
        "metadata",
        "user",
        "truncation",
        "previous_response_id",
        "x_other",
        "stream_options",
    ];

    /// An object body: any subset of the known keys with any values, plus a realistic `input`.
    fn body() -> impl Strategy<Value = Value> {
        let model = prop_oneof![
            Just(json!("gpt-5.4")),
            Just(json!("openai/gpt-5.6-sol-high-fast")),
            Just(json!("gpt-5.1-codex-max")),
            Just(json!("nonsense")),
            any_json()
        ];
        let reasoning = prop_oneof![
            (
                prop_oneof![
                    Just("none"),
                    Just("minimal"),
                    Just("low"),
                    Just("xhigh"),
                    Just("ultra"),
                    Just("??")
                ],
                any_json()
            )
                .prop_map(|(e, s)| json!({"effort": e, "summary": s})),
            any_json()
        ];
        (
            proptest::collection::vec((proptest::sample::select(KEYS.to_vec()), any_json()), 0..8),
            model,
            reasoning,
            proptest::option::of(proptest::collection::vec(item(), 0..12)),
            proptest::option::of(prop_oneof![
                Just(json!([{"type": "function", "name": "a", "parameters": {}}, {"type": "custom", "name": "b"}])),
                Just(json!([{"type": "function", "name": "a"}, {"type": "web_search"}])),
                Just(json!([])),
                any_json()
            ]),
        )
            .prop_map(|(members, model, reasoning, input, tools)| {
                let mut o: Map<String, Value> = members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                o.insert("model".into(), model);
                o.insert("reasoning".into(), reasoning);
                if let Some(tools) = tools {
                    o.insert("tools".into(), tools);
                }
                if let Some(items) = input {
                    o.insert("input".into(), Value::Array(items));
                }
                Value::Object(o)
            })
    }

    fn message_texts(input: &Value) -> Vec<Value> {
        input
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i.get("role").is_some())
            .map(|i| i["content"].clone())
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_text_never_panics(s in any::<String>(), bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let catalog = Catalog::bundled();
            for text in [s, String::from_utf8_lossy(&bytes).into_owned()] {
                if let Ok(out) = transform(&text, &catalog, &Options::default()) {
                    prop_assert!(serde_json::from_str::<Value>(&out.body).is_ok());
                }
            }
        }

        #[test]
        fn any_json_value_is_ok_exactly_when_it_is_an_object(v in any_json()) {
            let result = transform(&v.to_string(), &Catalog::bundled(), &Options::default());
            match (&v, result) {
                (Value::Object(o), Ok(_)) => prop_assert!(o.get("input").is_none_or(|i| i.is_array() || i.is_string() || i.is_null())),
                (Value::Object(o), Err(e)) => prop_assert_eq!((e, o.get("input").is_some()), (RequestError::BadInput, true)),
                (_, r) => prop_assert_eq!(r.err(), Some(RequestError::NotObject)),
            }
        }

        #[test]
        fn every_body_satisfies_the_invariants_and_keeps_the_conversation(body in body(), pretty in any::<bool>(), full_shape in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&body).unwrap() } else { body.to_string() };
            let catalog = Catalog::bundled();
            let opts = Options { default_model: None, full_shape };
            let meta = match transform(&text, &catalog, &opts) {
                Ok(meta) => meta,
                Err(e) => {
                    prop_assert_eq!(e, RequestError::BadInput);
                    return Ok(());
                }
            };
            let mut out: Value = serde_json::from_str(&meta.body).unwrap();
            prop_assert_eq!(&out["store"], &json!(false));
            prop_assert_eq!(&out["stream"], &json!(true));
            prop_assert!(out["include"].as_array().unwrap().contains(&json!("reasoning.encrypted_content")));
            // Lite exactly for lite catalog entries whose tools fit, unless the full shape is asked for.
            let lite_model = catalog.get(&meta.model).is_some_and(|m| m.use_responses_lite);
            let tools_fit = match body.get("tools") {
                None | Some(Value::Null) => true,
                Some(Value::Array(tools)) => tools.iter().all(|t| matches!(t["type"].as_str(), Some("function" | "custom"))),
                Some(_) => false,
            };
            prop_assert_eq!(meta.lite, lite_model && tools_fit && !full_shape);
            if meta.lite {
                // The lite shape: tools and instructions open the input; no top-level copies of them.
                prop_assert!(out.get("instructions").is_none() && out.get("tools").is_none());
                prop_assert_eq!(&out["reasoning"]["context"], &json!("all_turns"));
                prop_assert_eq!(&out["parallel_tool_calls"], &json!(false));
                let items = out["input"].as_array_mut().unwrap();
                let opening: Vec<Value> = items.drain(..2).collect();
                let tools = match body.get("tools") { Some(t @ Value::Array(_)) => t.clone(), _ => json!([]) };
                prop_assert_eq!(&opening[0], &json!({"type": "additional_tools", "role": "developer", "tools": tools}));
                prop_assert_eq!(&opening[1]["role"], &json!("developer"));
                prop_assert!(!opening[1]["content"][0]["text"].as_str().unwrap().trim().is_empty());
                if body.get("input").is_none() {
                    prop_assert!(items.is_empty());
                    out.as_object_mut().unwrap().remove("input");
                }
            } else {
                prop_assert!(!out["instructions"].as_str().unwrap().trim().is_empty());
                prop_assert!(out["reasoning"].get("context").is_none());
            }
            for key in UNSUPPORTED_PARAMS {
                prop_assert!(out.get(*key).is_none(), "{} survived", key);
            }
            prop_assert_eq!(&out["tool_choice"], &json!("auto"));
            prop_assert_eq!(out["model"].as_str().unwrap(), meta.model.as_str());
            prop_assert_ne!(out["reasoning"]["effort"].as_str(), Some("ultra"));
            // A name the catalog does not know is sent as named; a known model gets only its efforts.
            if let (Some(model), Some(e)) = (catalog.get(&meta.model), out["reasoning"]["effort"].as_str()) {
                prop_assert!(model.efforts.iter().any(|s| s.as_str() == e));
            }
            prop_assert_eq!(&out["prompt_cache_key"], &json!(meta.prompt_cache_key));

            let Some(input) = body.get("input") else { return Ok(()) };
            let repaired = &out["input"];
            // Every message keeps its content, in order; nothing in the input keeps an id.
            prop_assert_eq!(message_texts(repaired).iter().filter(|c| !is_orphan_text(c)).cloned().collect::<Vec<_>>(), message_texts(input));
            prop_assert!(repaired.as_array().unwrap().iter().all(|i| i.get("id").is_none()));
            // Every paired tool call and output survives unchanged (but for its id).
            let mut seen = std::collections::HashSet::new();
            let mut kept = Vec::new();
            for item in input.as_array().unwrap() {
                let t = item["type"].as_str().unwrap_or("");
                if t == "function_call" {
                    seen.insert(item["call_id"].clone());
                    kept.push(item.clone());
                } else if t.ends_with("_output") && seen.contains(&item["call_id"]) {
                    kept.push(item.clone());
                }
            }
            let strip = |mut v: Value| { v.as_object_mut().map(|o| o.remove("id")); v };
            let tool_items: Vec<Value> = repaired.as_array().unwrap().iter().filter(|i| i.get("call_id").is_some()).cloned().collect();
            prop_assert_eq!(tool_items, kept.into_iter().map(strip).collect::<Vec<_>>());
            // No item_reference and no reasoning without encrypted content remain.
            for item in repaired.as_array().unwrap() {
                prop_assert!(item["type"] != "item_reference");
                if item["type"] == "reasoning" {
                    prop_assert!(item["encrypted_content"].as_str().is_some_and(|e| !e.is_empty()));
                }
            }
        }
    }

    /// A realistic body, damaged: truncated, or with an ASCII byte replaced by a JSON-significant one.
    fn damaged() -> impl Strategy<Value = String> {
        const BODY: &str =
            include_str!("../../../tests/fixtures/requests/after-tool-calls.input.json");
        let replacement =
            proptest::sample::select(b"{}[],:\"\\ /0123456789.-+eEtfnu\n\x01x".to_vec());
        (0..BODY.len(), replacement, any::<bool>()).prop_map(|(at, byte, truncate)| {
            let mut bytes = BODY.as_bytes().to_vec();
            if truncate {
                bytes.truncate(at);
            } else if bytes[at].is_ascii() {
                bytes[at] = byte;
            }
            String::from_utf8(bytes).unwrap_or_default()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// Differential check of the scanner against serde_json on near-valid bodies: the transform
        /// succeeds exactly when serde_json reads an object (with a usable `input`), and its output parses.
        #[test]
        fn damaged_bodies_are_rejected_exactly_when_serde_json_rejects_them(text in damaged()) {
            let theirs = serde_json::from_str::<Value>(&text);
            match transform(&text, &Catalog::bundled(), &Options::default()) {
                Ok(out) => {
                    prop_assert!(theirs.as_ref().is_ok_and(Value::is_object), "accepted what serde_json rejects: {:?}", theirs.err());
                    prop_assert!(serde_json::from_str::<Value>(&out.body).is_ok());
                }
                Err(RequestError::NotJson { .. }) => prop_assert!(theirs.is_err(), "rejected valid json"),
                Err(RequestError::NotObject) => prop_assert!(theirs.is_ok_and(|v| !v.is_object())),
                Err(RequestError::BadInput) => prop_assert!(theirs.is_ok_and(|v| !v["input"].is_array() && !v["input"].is_string())),
                Err(RequestError::Internal) => prop_assert!(false, "internal error"),
            }
        }
    }

    fn is_orphan_text(content: &Value) -> bool {
        content[0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("[tool output for "))
    }
}

#[test]
fn unicode_whitespace_instructions_are_blank() {
    // Found by fuzz/fuzz_targets/request_json.rs: instructions of a raw NO-BREAK SPACE (after an
    // escaped vertical tab) were kept as non-blank, so the fallback instructions were not sent.
    let bodies = [
        r#"{"model":"gpt-5.4","instructions":"\u00a0","input":[]}"#.to_string(),
        r#"{"model":"gpt-5.4","instructions":"\u000b\u00a0","input":[]}"#.to_string(),
        "{\"model\":\"gpt-5.4\",\"instructions\":\"\u{a0}\",\"input\":[]}".to_string(),
        "{\"model\":\"gpt-5.4\",\"instructions\":\" \u{2003}\\n\u{3000}\",\"input\":[]}"
            .to_string(),
    ];
    for body in bodies {
        let out: Value = serde_json::from_str(
            &transform(&body, &Catalog::bundled(), &Options::default())
                .unwrap()
                .body,
        )
        .unwrap();
        let sent = out["instructions"].as_str().unwrap();
        assert!(
            !sent.trim().is_empty(),
            "{body} sent blank instructions {sent:?}"
        );
    }
    let body = "{\"model\":\"gpt-5.4\",\"instructions\":\"\u{a0}be brief\",\"input\":[]}";
    let kept: Value = serde_json::from_str(
        &transform(body, &Catalog::bundled(), &Options::default())
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(kept["instructions"], "\u{a0}be brief");
}

#[test]
fn lite_models_get_the_responses_lite_shape() {
    let tools = json!([{"type": "function", "name": "read", "parameters": {"type": "object"}, "strict": false}]);
    let (out, meta) = run_lite(json!({
        "model": "gpt-5.6-sol", "instructions": "be brief", "tools": tools, "parallel_tool_calls": true,
        "reasoning": {"effort": "high"}, "prompt_cache_key": "ses_1",
        "input": [{"role": "user", "content": [
            {"type": "input_text", "text": "look"},
            {"type": "input_image", "image_url": "data:image/png;base64,eA==", "detail": "high"}
        ]}]
    }));
    assert!(meta.lite);
    assert_eq!(
        out,
        json!({
            "model": "gpt-5.6-sol",
            "input": [
                {"type": "additional_tools", "role": "developer", "tools": tools},
                {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be brief"}]},
                {"role": "user", "content": [
                    {"type": "input_text", "text": "look"},
                    {"type": "input_image", "image_url": "data:image/png;base64,eA=="}
                ]}
            ],
            "parallel_tool_calls": false,
            "reasoning": {"effort": "high", "context": "all_turns"},
            "prompt_cache_key": "ses_1", "store": false, "stream": true,
            "include": ["reasoning.encrypted_content"], "text": {"verbosity": "low"}, "tool_choice": "auto"
        })
    );
}

#[test]
fn lite_keeps_the_rules_of_the_full_shape() {
    // The same body, lite and full: everything but the lite differences is the same.
    let body = json!({
        "model": "gpt-5.6-terra-xhigh", "instructions": "  ", "temperature": 1, "input": "hello",
        "reasoning": {"summary": "detailed"}, "text": {"format": {"type": "text"}}
    });
    let (lite, meta) = run_lite(body.clone());
    let (mut full, _) = run(body);
    assert!(meta.lite);
    assert_eq!(
        lite["input"][1]["content"][0]["text"],
        FALLBACK_INSTRUCTIONS
    );
    assert_eq!(lite["input"][0]["tools"], json!([]));
    assert_eq!(
        lite["input"][2],
        json!({"type": "message", "role": "user", "content": "hello"})
    );
    assert_eq!(
        lite["reasoning"],
        json!({"effort": "xhigh", "summary": "detailed", "context": "all_turns"})
    );
    let full = full.as_object_mut().unwrap();
    full.remove("instructions");
    let mut lite = lite.as_object().unwrap().clone();
    for key in ["input", "reasoning"] {
        lite.remove(key);
        full.remove(key);
    }
    assert_eq!(lite, *full);
}

#[test]
fn hosted_tools_other_models_and_the_switch_keep_the_full_shape() {
    let with_tools = |model: &str, tools: Value| {
        run_lite(json!({"model": model, "instructions": "i", "tools": tools, "input": []}))
    };
    // A hosted tool cannot travel inside additional_tools and is never dropped: full shape.
    let (out, meta) = with_tools(
        "gpt-5.6-sol",
        json!([{"type": "function", "name": "a"}, {"type": "web_search"}]),
    );
    assert!(!meta.lite);
    assert_eq!(
        out["tools"],
        json!([{"type": "function", "name": "a"}, {"type": "web_search"}])
    );
    assert_eq!(out["instructions"], "i");
    // A model without the flag: full shape.
    let (out, meta) = with_tools("gpt-5.4", json!([{"type": "function", "name": "a"}]));
    assert!(
        !meta.lite
            && out["tools"].is_array()
            && out.get("reasoning").unwrap().get("context").is_none()
    );
    // The switch (responsesLite: false, or after the backend refused a lite request).
    let body = r#"{"model":"gpt-5.6-sol","instructions":"i","input":[]}"#;
    let opts = Options {
        default_model: None,
        full_shape: true,
    };
    let out = transform(body, &Catalog::bundled(), &opts).unwrap();
    assert!(!out.lite && out.body.contains(r#""instructions":"i""#));
}

#[test]
fn a_lite_body_without_input_still_opens_with_tools_and_instructions() {
    let (out, _) = run_lite(json!({"model": "gpt-6-astra", "instructions": "i", "tools": null}));
    assert_eq!(out["input"].as_array().unwrap().len(), 2);
    assert_eq!(out["input"][0]["tools"], json!([]));
    assert!(out.get("tools").is_none());
}

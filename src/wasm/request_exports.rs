//! Exports of the request transform and the model catalog: `Catalog` (bundled snapshot, live merge,
//! listing, name resolution) and `transformRequest`. Decode, call the core, encode; nothing else.
// The startup module (no features) compiles only some of these exports: the rest of what they use is unused there.
#![cfg_attr(not(feature = "full"), allow(unused_imports, dead_code))]

use wasm_bindgen::prelude::*;

use super::{json_text_to_js, to_js_error};
use crate::error::CoreError;
use crate::request::{client, models, transform};

/// The model catalog JS keeps for the process: the bundled snapshot until `mergeRemote` succeeds.
#[wasm_bindgen(js_name = Catalog)]
pub struct CatalogHandle {
    inner: models::Catalog,
}

impl Default for CatalogHandle {
    fn default() -> Self {
        CatalogHandle {
            inner: models::Catalog::bundled(),
        }
    }
}

#[wasm_bindgen(js_class = Catalog)]
impl CatalogHandle {
    /// `new Catalog()`: the bundled snapshot.
    #[wasm_bindgen(constructor)]
    pub fn new() -> CatalogHandle {
        CatalogHandle::default()
    }

    /// Merges a `GET /models` response body; throws (`catalog-*` code) and keeps the catalog on a bad one.
    #[wasm_bindgen(js_name = mergeRemote)]
    pub fn merge_remote(&mut self, json: &str) -> Result<(), JsValue> {
        self.inner.merge_remote(json).map_err(|e| to_js_error(&e))
    }

    /// Visible live models by priority: `[{slug, displayName, contextWindow, efforts, defaultEffort,
    /// supportsSummaries, supportsVerbosity, defaultVerbosity, supportsParallelToolCalls, serviceTiers,
    /// priority, visible, upgrade}]`.
    pub fn models(&self) -> Result<JsValue, JsValue> {
        json_text_to_js(&self.inner.models_json())
    }

    /// The slugs this login was offered by the last live list (before one: every visible model).
    pub fn usable(&self) -> Result<JsValue, JsValue> {
        let mut out = String::new();
        models::write_strs(&mut out, &self.inner.usable());
        json_text_to_js(&out)
    }

    /// The highest `minimal_client_version` in the catalog (`MAJOR.MINOR.PATCH`), or `undefined`.
    #[wasm_bindgen(js_name = highestMinClientVersion)]
    pub fn highest_min_client_version(&self) -> Option<String> {
        self.inner.highest_min_client_version().map(|v| v.whole())
    }

    /// `{model, effort, fast, notice}` for a requested name (`defaultModel` for empty/unknown names).
    pub fn resolve(&self, name: &str, default_model: Option<String>) -> Result<JsValue, JsValue> {
        json_text_to_js(&self.inner.resolve(name, default_model.as_deref()).to_json())
    }
}

/// The Codex CLI version this plugin speaks as by default.
#[wasm_bindgen(js_name = clientVersion)]
pub fn client_version() -> String {
    client::CLIENT_VERSION.to_owned()
}

/// `clientIdentity(override, originator, os, osVersion, arch, suffix)` → `{version, whole, userAgent}`:
/// the one version for `/models?client_version=` (`whole`), the `version` header and the
/// User-Agent. Throws `client-version-invalid` (a sentence with the way out) for a bad override.
#[wasm_bindgen(js_name = clientIdentity)]
pub fn client_identity(
    override_version: Option<String>,
    originator: &str,
    os: &str,
    os_version: &str,
    arch: &str,
    suffix: &str,
) -> Result<JsValue, JsValue> {
    let machine = client::Machine {
        originator,
        os,
        os_version,
        arch,
        suffix,
    };
    let id =
        client::identity(override_version.as_deref(), &machine).map_err(|e| to_js_error(&e))?;
    json_text_to_js(&id.to_json())
}

/// The options object passed to `transformRequest` has the wrong shape.
struct BadOptions;
impl std::fmt::Display for BadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("transformRequest options must be {defaultModel?: string, responsesLite?: boolean} or undefined")
    }
}
impl CoreError for BadOptions {
    fn code(&self) -> &'static str {
        "transform-bad-options"
    }
}

/// `transformRequest(body: string, catalog: Catalog, opts?: {defaultModel?: string, responsesLite?: boolean})` →
/// `{body: Uint8Array (the UTF-8 JSON to send), model: string, effort: string|null,
/// notice: string|null, promptCacheKey: string, lite: boolean (send the responses-lite header),
/// callerStreams: boolean, turn: {key, first}|null}`. `responsesLite: false` keeps the full shape. Throws a coded error: `request-not-json`,
/// `request-not-object`, `request-bad-input` (nothing may be sent), `transform-bad-options`.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = transformRequest)]
pub fn transform_request(
    body: &str,
    catalog: &CatalogHandle,
    opts: JsValue,
) -> Result<JsValue, JsValue> {
    // Read with Reflect rather than serde_wasm_bindgen's Deserializer: same check, less wasm.
    let (default_model, full_shape) = if opts.is_undefined() || opts.is_null() {
        (None, false)
    } else if opts.is_object() {
        let get = |key: &str| {
            js_sys::Reflect::get(&opts, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
        };
        let v = get("defaultModel");
        let default_model = match v.as_string() {
            Some(s) => Some(s),
            None if v.is_undefined() || v.is_null() => None,
            None => return Err(to_js_error(&BadOptions)),
        };
        let lite = get("responsesLite");
        let full_shape = match lite.as_bool() {
            Some(on) => !on,
            None if lite.is_undefined() || lite.is_null() => false,
            None => return Err(to_js_error(&BadOptions)),
        };
        (default_model, full_shape)
    } else {
        return Err(to_js_error(&BadOptions));
    };
    let options = transform::Options {
        default_model: default_model.as_deref(),
        full_shape,
    };
    let out = transform::transform(body, &catalog.inner, &options).map_err(|e| to_js_error(&e))?;
    // The body leaves as UTF-8 bytes, ready for fetch: a 2 MB string would cost TextDecoder
    // (slow on non-ASCII text in V8) several times what the transform itself costs.
    let result = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| {
        js_sys::Reflect::set(&result, &JsValue::from_str(key), value).map(|_| ())
    };
    let text = |v: Option<String>| v.map_or(JsValue::NULL, |s| JsValue::from_str(&s));
    set("body", &js_sys::Uint8Array::from(out.body.as_bytes()))?;
    set("model", &JsValue::from_str(&out.model))?;
    set("effort", &text(out.effort))?;
    set("notice", &text(out.notice))?;
    set("promptCacheKey", &JsValue::from_str(&out.prompt_cache_key))?;
    set("lite", &JsValue::from_bool(out.lite))?;
    set("callerStreams", &JsValue::from_bool(out.caller_streams))?;
    let turn = match &out.turn {
        Some(t) => json_text_to_js(&t.to_json())?,
        None => JsValue::NULL,
    };
    set("turn", &turn)?;
    Ok(result.into())
}

/// `dropEncryptedReasoning(body: Uint8Array): Uint8Array | null`: the body without its encrypted
/// reasoning items, or `null` when it has none (see `request::resend`).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = dropEncryptedReasoning)]
pub fn drop_encrypted_reasoning(body: &[u8]) -> Option<js_sys::Uint8Array> {
    let text = String::from_utf8_lossy(body);
    crate::request::resend::drop_encrypted_reasoning(&text)
        .map(|out| js_sys::Uint8Array::from(out.as_bytes()))
}

/// `liteFallback(status: number, kind: string): boolean`: whether a refused responses-lite request
/// is sent once more in the full shape (and the full shape kept for the process); `kind` is the
/// error class of `classifyHttpError` (see `request::transform::lite::fall_back`).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = liteFallback)]
pub fn lite_fallback(status: u16, kind: &str) -> bool {
    transform::lite::fall_back(status, kind)
}

/// `liteHeader(): string`: the request header that marks a responses-lite body.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = liteHeader)]
pub fn lite_header() -> String {
    transform::lite::HEADER.to_owned()
}

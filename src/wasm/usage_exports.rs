//! Exports for the usage figures: the endpoint URL and refresh policy, the endpoint's reply and the
//! saved quota file read into a usage, and the display model. Decode, call the core, encode.

use wasm_bindgen::prelude::*;

use super::{from_js, to_js, to_js_error};
use crate::usage::{payload, view};

/// `{chatgpt base}/backend-api/wham/usage` for a Codex endpoint.
#[wasm_bindgen(js_name = usageUrl)]
pub fn usage_url(endpoint: &str) -> String {
    payload::usage_url(endpoint)
}

/// Whether to ask the usage endpoint now (`newestMs`: the newest figures from any source).
#[wasm_bindgen(js_name = usageRefreshDue)]
pub fn usage_refresh_due(
    newest_ms: Option<f64>,
    last_attempt_ms: Option<f64>,
    now_ms: f64,
) -> bool {
    payload::refresh_due(
        newest_ms.map(|v| v as i64),
        last_attempt_ms.map(|v| v as i64),
        now_ms as i64,
    )
}

/// The usage in the endpoint's reply; throws `usage-unauthorized` / `usage-http` / `usage-bad-body`.
#[wasm_bindgen(js_name = parseUsageResponse)]
pub fn parse_usage_response(status: u16, body: &str, now_ms: f64) -> Result<JsValue, JsValue> {
    let usage =
        payload::parse_response(status, body, now_ms as i64).map_err(|e| to_js_error(&e))?;
    to_js(&usage)
}

/// The usage in the quota file's text, or `null`.
#[wasm_bindgen(js_name = usageFromQuotaFile)]
pub fn usage_from_quota_file(text: &str) -> Result<JsValue, JsValue> {
    to_js(&payload::from_quota_file(text))
}

/// The display model for `[{label?, serving, usages: [usage…]}]`.
#[wasm_bindgen(js_name = usageView)]
pub fn usage_view(accounts: JsValue, now_ms: f64, tz_offset_min: i32) -> Result<JsValue, JsValue> {
    let accounts: Vec<view::AccountInput> = from_js(&accounts).map_err(|e| {
        JsValue::from(js_sys::Error::new(&format!(
            "usageView: not a list of accounts ({e})"
        )))
    })?;
    to_js(&view::view(&accounts, now_ms as i64, tz_offset_min))
}

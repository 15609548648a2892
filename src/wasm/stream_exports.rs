//! Exports for the response side: the SSE pass-through and collector, HTTP error classification,
//! retry delays, rate-limit headers. Decode, call the core, encode (JSON text through the core's
//! hand-written readers and writers, no serde derives: see `crate::json`).

use wasm_bindgen::prelude::*;

use super::{json_text_to_js, to_js_error, value_from_js};
use crate::stream::{collector, errors_http, limits, rewriter};

/// (lower-case name, value) pairs from a plain JS object of header strings.
fn header_pairs(headers: &JsValue) -> Vec<(String, String)> {
    if !headers.is_object() {
        return Vec::new();
    }
    js_sys::Object::entries(headers.unchecked_ref())
        .iter()
        .filter_map(|entry| {
            let pair: js_sys::Array = entry.dyn_into().ok()?;
            Some((
                pair.get(0).as_string()?.to_ascii_lowercase(),
                pair.get(1).as_string()?,
            ))
        })
        .collect()
}

#[wasm_bindgen(js_name = StreamRewriter)]
pub struct StreamRewriter(rewriter::StreamRewriter);

#[wasm_bindgen(js_class = StreamRewriter)]
impl StreamRewriter {
    /// `new StreamRewriter(hold?)`: with `hold`, nothing is forwarded before the first output
    /// event (a stream that stops before it can be re-sent unseen).
    #[wasm_bindgen(constructor)]
    pub fn new(hold: Option<bool>) -> StreamRewriter {
        StreamRewriter(if hold == Some(true) {
            rewriter::StreamRewriter::holding()
        } else {
            rewriter::StreamRewriter::new()
        })
    }

    /// An output event (item, delta, …) was seen.
    #[wasm_bindgen(getter, js_name = outputStarted)]
    pub fn output_started(&self) -> bool {
        self.0.output_started()
    }

    /// The wait (ms) the failure asked for, or `undefined`.
    #[wasm_bindgen(getter, js_name = retryAfterMs)]
    pub fn retry_after_ms(&self) -> Option<f64> {
        self.0
            .failure()
            .and_then(|f| f.retry_after_ms)
            .map(|ms| ms as f64)
    }

    /// How many of the bytes not forwarded yet (held back earlier, then this chunk's) form whole
    /// events to forward now; the caller keeps the bytes. Throws `sse-event-too-large`.
    pub fn push(&mut self, chunk: &[u8]) -> Result<usize, JsValue> {
        self.0.push(chunk).map_err(|e| to_js_error(&e))
    }

    /// How many of the remaining bytes to forward; then read `completed` / `failed` / `errorMessage()`.
    pub fn finish(&mut self) -> usize {
        self.0.finish()
    }

    #[wasm_bindgen(getter)]
    pub fn completed(&self) -> bool {
        self.0.completed()
    }

    #[wasm_bindgen(getter)]
    pub fn failed(&self) -> bool {
        self.0.failure().is_some()
    }

    /// The failure's kind (`context_length`, `usage_limit`, ...) or `null`.
    #[wasm_bindgen(js_name = errorKind)]
    pub fn error_kind(&self) -> Result<JsValue, JsValue> {
        Ok(match self.0.failure() {
            Some(f) => JsValue::from_str(f.kind.name()),
            None => JsValue::NULL,
        })
    }

    #[wasm_bindgen(js_name = errorMessage)]
    pub fn error_message(&self) -> Option<String> {
        self.0.failure().map(|f| f.message.clone())
    }
}

impl Default for StreamRewriter {
    fn default() -> Self {
        Self::new(None)
    }
}

/// `headCompletes(head)`: whether the event that starts with `head` is a completion whatever
/// follows, when what follows holds no line break (LF or CR) before the event's blank line. The
/// guard then need not copy a long completion into the core.
#[wasm_bindgen(js_name = headCompletes)]
pub fn head_completes(head: &[u8]) -> bool {
    rewriter::head_completes(head)
}

#[wasm_bindgen(js_name = SseCollector)]
pub struct SseCollector(Option<collector::SseCollector>);

#[wasm_bindgen(js_class = SseCollector)]
impl SseCollector {
    #[wasm_bindgen(constructor)]
    pub fn new() -> SseCollector {
        SseCollector(Some(collector::SseCollector::new()))
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<(), JsValue> {
        match self.0.as_mut() {
            Some(c) => c.push(chunk).map_err(|e| to_js_error(&e)),
            None => Ok(()),
        }
    }

    /// The final Responses object as JSON text; throws `response-failed` / `response-incomplete` / ...
    pub fn finish(&mut self) -> Result<String, JsValue> {
        let c = self.0.take().unwrap_or_default();
        c.finish().map_err(|e| to_js_error(&e))
    }
}

impl Default for SseCollector {
    fn default() -> Self {
        Self::new()
    }
}

/// `{kind, status, message, retryable, retryAfterMs, resetsAtMs, plan}`. `context` (optional):
/// `{models?: string[], clientVersion?: string}`, named in model refusals.
#[wasm_bindgen(js_name = classifyHttpError)]
pub fn classify_http_error(
    status: u16,
    headers: JsValue,
    body: &str,
    now_ms: f64,
    tz_offset_min: i32,
    context: JsValue,
) -> Result<JsValue, JsValue> {
    let ctx = if context.is_undefined() || context.is_null() {
        errors_http::Context::default()
    } else {
        value_from_js(&context)
            .and_then(|v| errors_http::Context::read(&v))
            .unwrap_or_default()
    };
    json_text_to_js(
        &errors_http::classify_with(
            status,
            &header_pairs(&headers),
            body,
            now_ms as i64,
            tz_offset_min,
            &ctx,
        )
        .to_json(),
    )
}

/// Milliseconds to wait before the next attempt, or `undefined`: do not retry. `kind` is a
/// `classifyHttpError` kind or `"transport"`.
#[wasm_bindgen(js_name = retryDelayMs)]
pub fn retry_delay_ms(
    attempt: u32,
    kind: JsValue,
    retry_after_ms: Option<f64>,
    rand01: f64,
) -> Result<Option<f64>, JsValue> {
    let kind = value_from_js(&kind)
        .and_then(|v| errors_http::ErrorKind::read(&v))
        .map_err(|e| js_sys::Error::new(&format!("retryDelayMs: unknown kind ({e})")))?;
    let ra = retry_after_ms
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v as u64);
    Ok(errors_http::retry_delay(attempt, kind, ra, rand01).map(|ms| ms as f64))
}

/// The rate-limit snapshot in a headers object, or `null`.
#[wasm_bindgen(js_name = parseRateLimits)]
pub fn parse_rate_limits(headers: JsValue) -> Result<JsValue, JsValue> {
    match limits::parse(&header_pairs(&headers)) {
        Some(limits) => json_text_to_js(&limits.to_json()),
        None => Ok(JsValue::NULL),
    }
}

/// A warning text when `next` crossed 80 % / 95 % since `prev` (a `parseRateLimits` result or null).
#[wasm_bindgen(js_name = quotaWarning)]
pub fn quota_warning(prev: JsValue, next: JsValue) -> Result<Option<String>, JsValue> {
    let decode = |v: JsValue| {
        value_from_js(&v)
            .and_then(|v| limits::RateLimits::read_opt(&v))
            .map_err(|e| {
                JsValue::from(js_sys::Error::new(&format!(
                    "quotaWarning: not a rate-limit snapshot ({e})"
                )))
            })
    };
    let prev = decode(prev)?;
    Ok(decode(next)?.and_then(|next| limits::warning(prev.as_ref(), &next)))
}

/// `streamRetry(retry, stop, retryAfterMs, rand01, reasoningDropped)`: `{delayMs, dropReasoning}`
/// for re-send number `retry` of a stream that stopped before output, or `null`: report the stop.
/// `stop`: `ended_early`, `stall`, `too_large` or an error kind (anything else: a read error).
#[wasm_bindgen(js_name = streamRetry)]
pub fn stream_retry(
    retry: u32,
    stop: &str,
    retry_after_ms: Option<f64>,
    rand01: f64,
    reasoning_dropped: bool,
) -> Result<JsValue, JsValue> {
    let ra = retry_after_ms
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v as u64);
    match crate::stream::retry::next(
        retry,
        crate::stream::retry::Stop::from_name(stop),
        ra,
        rand01,
        reasoning_dropped,
    ) {
        Some(resend) => json_text_to_js(&resend.to_json()),
        None => Ok(JsValue::NULL),
    }
}

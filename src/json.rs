//! JSON in and out of the core's types without serde derives: values are parsed into one
//! [`serde_json::Value`] (the only `Deserialize` instance the startup module links) and read field
//! by field through [`Fields`]; results are written in field order by [`Obj`] (the only
//! `Serialize` instances are `Value`'s and `str`'s).
//!
//! Why (issue 18, docs/wasm-size.md): every `#[derive(Deserialize)]` type instantiated serde's
//! visitor machinery over serde_json's deserializer (2–10 KB of wasm each, plus the error
//! formatting of `f64` it drags in), and every `#[derive(Serialize)]` its own serializer calls. A
//! reader over `Value` costs a few dozen bytes per field. The wording of errors follows serde's
//! (`missing field `x``, `invalid type: … expected …`), so messages did not change. The readers'
//! and the writer's methods are kept out of line: one copy each instead of one per call site (13 KB
//! of the core, measured; the startup module, built for size, already had them so); none is on a
//! path with a speed target (the transform and the SSE collector do not use them).
//!
//! Decides nothing about any protocol; never fails on well-formed input the derives accepted.

use serde_json::{Map, Value};

/// Parses JSON text into a [`Value`] (serde_json's error text on failure).
pub fn parse(text: &str) -> Result<Value, String> {
    serde_json::from_str::<Value>(text).map_err(|e| e.to_string())
}

/// serde's name for the kind of a value, for "invalid type" errors.
fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_f64() => "floating point".into(),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".into(),
        Value::Object(_) => "map".into(),
    }
}

/// serde's "invalid type" error for `v` where `expected` was wanted.
pub fn invalid(v: &Value, expected: &str) -> String {
    format!("invalid type: {}, expected {expected}", kind(v))
}

/// serde's "missing field" error.
pub fn missing(key: &str) -> String {
    format!("missing field `{key}`")
}

/// The fields of a JSON object, read one by one. `null` reads as absent for `Option`s, as serde's
/// derive does; a field of the wrong type is an error naming it.
#[derive(Clone, Copy)]
pub struct Fields<'a>(pub &'a Map<String, Value>);

impl<'a> Fields<'a> {
    /// The object in `v`, or serde's error naming what was expected (`what`, e.g. "struct Pool").
    #[inline(never)]
    pub fn of(v: &'a Value, what: &str) -> Result<Self, String> {
        match v {
            Value::Object(m) => Ok(Fields(m)),
            other => Err(invalid(other, what)),
        }
    }

    /// The raw value, `None` when absent or `null`.
    #[inline(never)]
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    #[inline(never)]
    fn typed<T>(
        &self,
        key: &str,
        expected: &str,
        read: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => read(v)
                .map(Some)
                .ok_or_else(|| format!("{} at `{key}`", invalid(v, expected))),
        }
    }

    #[inline(never)]
    pub fn str(&self, key: &str) -> Result<Option<&'a str>, String> {
        self.typed(key, "a string", Value::as_str)
    }

    #[inline(never)]
    pub fn string(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.str(key)?.map(str::to_string))
    }

    #[inline(never)]
    pub fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        self.typed(key, "a boolean", Value::as_bool)
    }

    #[inline(never)]
    pub fn f64(&self, key: &str) -> Result<Option<f64>, String> {
        self.typed(key, "f64", Value::as_f64)
    }

    #[inline(never)]
    pub fn i64(&self, key: &str) -> Result<Option<i64>, String> {
        self.typed(key, "i64", Value::as_i64)
    }

    #[inline(never)]
    pub fn u64(&self, key: &str) -> Result<Option<u64>, String> {
        self.typed(key, "u64", Value::as_u64)
    }

    #[inline(never)]
    pub fn u32(&self, key: &str) -> Result<Option<u32>, String> {
        self.typed(key, "u32", |v| {
            v.as_u64().and_then(|n| u32::try_from(n).ok())
        })
    }

    #[inline(never)]
    pub fn array(&self, key: &str) -> Result<Option<&'a [Value]>, String> {
        self.typed(key, "a sequence", |v| v.as_array().map(Vec::as_slice))
    }

    #[inline(never)]
    pub fn object(&self, key: &str) -> Result<Option<Fields<'a>>, String> {
        self.typed(key, "a map", |v| v.as_object().map(Fields))
    }

    /// A field that must be present (and not `null`): serde's "missing field" otherwise.
    #[inline(never)]
    pub fn need<T>(&self, key: &str, value: Result<Option<T>, String>) -> Result<T, String> {
        value?.ok_or_else(|| missing(key))
    }
}

/// Reads every element of a JSON array with `read`; the first error wins.
pub fn each<T>(
    items: &[Value],
    mut read: impl FnMut(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    items.iter().map(&mut read).collect()
}

/// Writes `s` as a JSON string (quotes and escapes) onto `out`.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Writes a number as serde_json does (`null` when not finite: JSON has no NaN or infinity).
pub fn write_f64(out: &mut String, v: f64) {
    match serde_json::Number::from_f64(v) {
        Some(n) => out.push_str(&n.to_string()),
        None => out.push_str("null"),
    }
}

/// Writes a [`Value`] as serde_json writes it (`Value::to_string`, compact; object members in the
/// map's order), without linking `Value`'s `Serialize` and `Display` (about 4.6 KB of wasm).
pub fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => arr(out, items, write_value),
        Value::Object(map) => {
            let mut o = Obj::start(out);
            for (k, v) in map {
                write_value(o.key(k), v);
            }
            o.end();
        }
    }
}

/// A JSON object being written, fields in the order they are added.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    /// Opens an object on `out`; [`Obj::end`] closes it.
    #[inline(never)]
    pub fn start(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    /// Writes `"key":` and returns the buffer for the value, which the caller writes.
    #[inline(never)]
    pub fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, key);
        self.out.push(':');
        self.out
    }

    #[inline(never)]
    pub fn str(&mut self, key: &str, v: &str) -> &mut Self {
        write_str(self.key(key), v);
        self
    }

    #[inline(never)]
    pub fn f64(&mut self, key: &str, v: f64) -> &mut Self {
        write_f64(self.key(key), v);
        self
    }

    #[inline(never)]
    pub fn i64(&mut self, key: &str, v: i64) -> &mut Self {
        let out = self.key(key);
        out.push_str(&v.to_string());
        self
    }

    #[inline(never)]
    pub fn u64(&mut self, key: &str, v: u64) -> &mut Self {
        let out = self.key(key);
        out.push_str(&v.to_string());
        self
    }

    #[inline(never)]
    pub fn bool(&mut self, key: &str, v: bool) -> &mut Self {
        self.key(key).push_str(if v { "true" } else { "false" });
        self
    }

    #[inline(never)]
    pub fn null(&mut self, key: &str) -> &mut Self {
        self.key(key).push_str("null");
        self
    }

    /// Writes raw JSON text (already valid JSON) as the value of `key`.
    #[inline(never)]
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key).push_str(json);
        self
    }

    /// A nested value written by `write` (an object through [`Obj::start`], an array through [`arr`]).
    #[inline(never)]
    pub fn with(&mut self, key: &str, write: impl FnOnce(&mut String)) -> &mut Self {
        write(self.key(key));
        self
    }

    /// An optional string: `null` when `None` (serde's derive without `skip_serializing_if`).
    #[inline(never)]
    pub fn opt_str(&mut self, key: &str, v: Option<&str>) -> &mut Self {
        match v {
            Some(s) => self.str(key, s),
            None => self.null(key),
        }
    }

    /// An optional number: `null` when `None`.
    #[inline(never)]
    pub fn opt_f64(&mut self, key: &str, v: Option<f64>) -> &mut Self {
        match v {
            Some(n) => self.f64(key, n),
            None => self.null(key),
        }
    }

    /// An optional integer: `null` when `None`.
    #[inline(never)]
    pub fn opt_i64(&mut self, key: &str, v: Option<i64>) -> &mut Self {
        match v {
            Some(n) => self.i64(key, n),
            None => self.null(key),
        }
    }

    /// An optional boolean: `null` when `None`.
    #[inline(never)]
    pub fn opt_bool(&mut self, key: &str, v: Option<bool>) -> &mut Self {
        match v {
            Some(b) => self.bool(key, b),
            None => self.null(key),
        }
    }

    #[inline(never)]
    pub fn end(&mut self) {
        self.out.push('}');
    }
}

/// Writes a JSON array of `items`, each by `write`.
pub fn arr<T>(out: &mut String, items: &[T], mut write: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(out, item);
    }
    out.push(']');
}

/// Writes a map (`BTreeMap<String, T>` and the like) as a JSON object, each value by `write`.
pub fn write_map<'k, T: 'k>(
    out: &mut String,
    entries: impl IntoIterator<Item = (&'k String, &'k T)>,
    mut write: impl FnMut(&mut String, &T),
) {
    let mut o = Obj::start(out);
    for (k, v) in entries {
        write(o.key(k), v);
    }
    o.end();
}

/// An object written by `write` into a new string.
pub fn object(write: impl FnOnce(&mut Obj)) -> String {
    let mut out = String::new();
    let mut o = Obj::start(&mut out);
    write(&mut o);
    o.end();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    #[test]
    fn reads_fields_with_serdes_wording() {
        let v =
            parse(r#"{"a":"x","n":3,"f":1.5,"b":true,"z":null,"o":{"k":1},"l":[1,2]}"#).unwrap();
        let f = Fields::of(&v, "struct T").unwrap();
        assert_eq!(f.str("a"), Ok(Some("x")));
        assert_eq!(f.str("z"), Ok(None));
        assert_eq!(f.str("missing"), Ok(None));
        assert_eq!(f.u64("n"), Ok(Some(3)));
        assert_eq!(f.f64("f"), Ok(Some(1.5)));
        assert_eq!(f.bool("b"), Ok(Some(true)));
        assert_eq!(f.array("l").map(|a| a.map(<[Value]>::len)), Ok(Some(2)));
        assert!(f.object("o").unwrap().is_some());
        assert_eq!(
            f.str("n"),
            Err("invalid type: integer `3`, expected a string at `n`".into())
        );
        assert_eq!(
            f.u64("f"),
            Err("invalid type: floating point, expected u64 at `f`".into())
        );
        assert_eq!(f.need("z", f.str("z")), Err("missing field `z`".into()));
        assert_eq!(
            Fields::of(&Value::from(1), "struct T").err(),
            Some("invalid type: integer `1`, expected struct T".into())
        );
    }

    #[test]
    fn writes_objects_in_field_order() {
        let text = object(|o| {
            o.str("b", "q\"\\\n\u{1}é")
                .f64("a", 1.5)
                .opt_str("n", None)
                .bool("t", true)
                .with("l", |out| {
                    arr(out, &[1u64, 2], |out, n| out.push_str(&n.to_string()))
                })
                .with("o", |out| {
                    let mut inner = Obj::start(out);
                    inner.u64("k", 7);
                    inner.end();
                });
        });
        assert_eq!(
            text,
            r#"{"b":"q\"\\\n\u0001é","a":1.5,"n":null,"t":true,"l":[1,2],"o":{"k":7}}"#
        );
        assert_eq!(
            object(|o| {
                o.f64("x", f64::NAN);
            }),
            r#"{"x":null}"#
        );
    }

    /// Arbitrary JSON values: every kind, nested, with any strings and numbers.
    #[cfg(not(target_arch = "wasm32"))]
    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        /// Any string written by `write_str` reads back as itself, as serde_json writes it.
        #[test]
        fn strings_round_trip(s in any::<String>()) {
            let mut out = String::new();
            write_str(&mut out, &s);
            prop_assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s.clone());
            prop_assert_eq!(out, serde_json::to_string(&s).unwrap());
        }

        /// Any value is written as serde_json writes it.
        #[test]
        fn values_as_serde_json_writes_them(v in any_value()) {
            let mut out = String::new();
            write_value(&mut out, &v);
            prop_assert_eq!(out, v.to_string());
        }

        /// Numbers are written as serde_json writes an `f64` (`null` when not finite).
        #[test]
        fn numbers_as_serde_json_writes_them(v in any::<f64>()) {
            let text = object(|o| { o.f64("v", v); });
            prop_assert_eq!(text, format!(r#"{{"v":{}}}"#, serde_json::to_string(&v).unwrap()));
        }
    }
}

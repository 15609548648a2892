//! A validating forward scanner over a JSON text (RFC 8259): it walks objects and arrays token by
//! token, checks the grammar as it goes, and hands back byte spans so the transform can copy
//! untouched values verbatim. It never builds a tree, never recurses (nesting depth is bounded
//! only by the input's length) and never panics: every byte access is checked.

use std::borrow::Cow;

/// A byte range of the scanned text; for strings it includes the quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

/// A string token: its span (with quotes) and whether it contains any backslash escape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Str {
    pub span: Span,
    pub escaped: bool,
}

/// Where the text stops being JSON and what the grammar expected there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub expected: &'static str,
}

pub(crate) struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// True if any byte of `word` is `"`, `\` or below 0x20 (the bytes a string scan must stop at).
/// Classic SWAR "has zero byte" / "has byte less than n" tests; exact, no false negatives.
fn has_string_special(word: u64) -> bool {
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let quote = zero(word ^ (ONES * u64::from(b'"')));
    let backslash = zero(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    (quote | backslash | control) != 0
}

/// The position of the first byte at or after `pos` that a string scan must stop at (`"`, `\\`,
/// below 0x20), or where fewer than 16 bytes remain: 16 bytes per step with wasm SIMD.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn skip_plain_16(bytes: &[u8], mut pos: usize) -> usize {
    use core::arch::wasm32::{
        u64x2, u8x16_bitmask, u8x16_eq, u8x16_lt, u8x16_splat, v128_any_true, v128_or,
    };
    let (quote, backslash, space) = (u8x16_splat(b'"'), u8x16_splat(b'\\'), u8x16_splat(0x20));
    while let Some(chunk) = bytes.get(pos..pos.saturating_add(16)) {
        let (Ok(lo), Ok(hi)) = (
            <[u8; 8]>::try_from(&chunk[..8]),
            <[u8; 8]>::try_from(&chunk[8..]),
        ) else {
            break;
        };
        let v = u64x2(u64::from_le_bytes(lo), u64::from_le_bytes(hi));
        let hit = v128_or(
            v128_or(u8x16_eq(v, quote), u8x16_eq(v, backslash)),
            u8x16_lt(v, space),
        );
        if v128_any_true(hit) {
            return pos + u8x16_bitmask(hit).trailing_zeros() as usize;
        }
        pos += 16;
    }
    pos
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn skip_plain_16(_bytes: &[u8], pos: usize) -> usize {
    pos
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Self {
        Scanner {
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    /// A scanner positioned at `pos` (a span start handed out earlier by a scanner of `text`).
    pub fn at(text: &'a str, pos: usize) -> Self {
        Scanner {
            bytes: text.as_bytes(),
            pos,
        }
    }

    fn err(&self, expected: &'static str) -> SyntaxError {
        SyntaxError {
            offset: self.pos,
            expected,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The current byte offset (just past the last token scanned).
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The offset of the next token (skips whitespace).
    pub fn value_start(&mut self) -> usize {
        self.ws();
        self.pos
    }

    /// The next non-whitespace byte, without consuming it.
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8, expected: &'static str) -> Result<(), SyntaxError> {
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(expected))
        }
    }

    /// Only whitespace is left.
    pub fn finish(&mut self) -> Result<(), SyntaxError> {
        self.ws();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(self.err("end of input"))
        }
    }

    /// Consumes `{`.
    pub fn begin_object(&mut self) -> Result<(), SyntaxError> {
        self.ws();
        self.eat(b'{', "'{'")
    }

    /// The next member's key (the scanner is then at its value), or `None` after the closing `}`.
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<Str>, SyntaxError> {
        self.ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(None);
        }
        if !*first {
            self.eat(b',', "',' or '}'")?;
            self.ws();
        }
        *first = false;
        let key = self.string()?;
        self.ws();
        self.eat(b':', "':'")?;
        self.ws();
        Ok(Some(key))
    }

    /// Consumes `[`.
    pub fn begin_array(&mut self) -> Result<(), SyntaxError> {
        self.ws();
        self.eat(b'[', "'['")
    }

    /// True if another element follows (the scanner is then at it), false after the closing `]`.
    pub fn next_element(&mut self, first: &mut bool) -> Result<bool, SyntaxError> {
        self.ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(false);
        }
        if !*first {
            self.eat(b',', "',' or ']'")?;
            self.ws();
        }
        *first = false;
        Ok(true)
    }

    /// Scans one value; a string also comes back as a token, so its text can be decoded.
    pub fn value_or_string(&mut self) -> Result<(Span, Option<Str>), SyntaxError> {
        if self.peek() == Some(b'"') {
            let s = self.string()?;
            Ok((s.span, Some(s)))
        } else {
            Ok((self.value()?, None))
        }
    }

    /// Scans one complete value of any kind and returns its span (without surrounding whitespace).
    pub fn value(&mut self) -> Result<Span, SyntaxError> {
        self.ws();
        let start = self.pos;
        match self.bytes.get(self.pos) {
            Some(b'{' | b'[') => self.container()?,
            _ => self.scalar()?,
        }
        Ok(Span {
            start,
            end: self.pos,
        })
    }

    /// Scans a string token at the current position.
    pub fn string(&mut self) -> Result<Str, SyntaxError> {
        self.ws();
        let start = self.pos;
        self.eat(b'"', "a string")?;
        let mut escaped = false;
        loop {
            // Plain bytes 16 (wasm SIMD) or eight (SWAR) at a time: large string values dominate request bodies.
            self.pos = skip_plain_16(self.bytes, self.pos);
            while let Some(chunk) = self.bytes.get(self.pos..self.pos.saturating_add(8)) {
                let Ok(word) = <[u8; 8]>::try_from(chunk) else {
                    break;
                };
                if has_string_special(u64::from_le_bytes(word)) {
                    break;
                }
                self.pos += 8;
            }
            match self.bytes.get(self.pos) {
                None => return Err(self.err("'\"' closing the string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Str {
                        span: Span {
                            start,
                            end: self.pos,
                        },
                        escaped,
                    });
                }
                Some(b'\\') => {
                    escaped = true;
                    self.escape()?;
                }
                Some(&b) if b < 0x20 => return Err(self.err("an escaped control character")),
                Some(_) => self.pos += 1,
            }
        }
    }

    fn escape(&mut self) -> Result<(), SyntaxError> {
        self.pos += 1; // the backslash
        match self.bytes.get(self.pos) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 1;
                Ok(())
            }
            Some(b'u') => {
                self.pos += 1;
                for _ in 0..4 {
                    match self.bytes.get(self.pos) {
                        Some(h) if h.is_ascii_hexdigit() => self.pos += 1,
                        _ => return Err(self.err("four hex digits after \\u")),
                    }
                }
                Ok(())
            }
            _ => Err(self.err("a valid escape")),
        }
    }

    fn scalar(&mut self) -> Result<(), SyntaxError> {
        match self.bytes.get(self.pos) {
            Some(b'"') => self.string().map(|_| ()),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("a json value")),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), SyntaxError> {
        if self
            .bytes
            .get(self.pos..self.pos.saturating_add(word.len()))
            == Some(word)
        {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.err("true, false or null"))
        }
    }

    fn digits(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        if self.pos == start {
            Err(self.err("a digit"))
        } else {
            Ok(())
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<(), SyntaxError> {
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits()?,
            _ => return Err(self.err("a digit")),
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            self.digits()?;
        }
        Ok(())
    }

    /// A key and its colon inside an object being skipped.
    fn member_key(&mut self) -> Result<(), SyntaxError> {
        self.string()?;
        self.ws();
        self.eat(b':', "':'")?;
        self.ws();
        Ok(())
    }

    /// Skips an object or array with an explicit stack of open brackets instead of recursion.
    fn container(&mut self) -> Result<(), SyntaxError> {
        let mut open: Vec<u8> = Vec::new();
        'descend: loop {
            let Some(&opener) = self.bytes.get(self.pos) else {
                return Err(self.err("a json value"));
            };
            self.pos += 1;
            open.push(opener);
            self.ws();
            let closer = if opener == b'{' { b'}' } else { b']' };
            if self.bytes.get(self.pos) == Some(&closer) {
                self.pos += 1;
                open.pop();
            } else {
                if opener == b'{' {
                    self.member_key()?;
                }
                if let Some(b'{' | b'[') = self.bytes.get(self.pos) {
                    continue 'descend;
                }
                self.scalar()?;
            }
            loop {
                let Some(&top) = open.last() else {
                    return Ok(());
                };
                self.ws();
                match self.bytes.get(self.pos) {
                    Some(b',') => {
                        self.pos += 1;
                        self.ws();
                        if top == b'{' {
                            self.member_key()?;
                        }
                        if let Some(b'{' | b'[') = self.bytes.get(self.pos) {
                            continue 'descend;
                        }
                        self.scalar()?;
                    }
                    Some(b'}') if top == b'{' => {
                        self.pos += 1;
                        open.pop();
                    }
                    Some(b']') if top == b'[' => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => {
                        return Err(self.err(if top == b'{' {
                            "',' or '}'"
                        } else {
                            "',' or ']'"
                        }))
                    }
                }
            }
        }
    }
}

/// The text of a string token scanned from `text` (escapes decoded; a lone surrogate escape
/// becomes U+FFFD, as a JS string would print it). `None` only if `s` does not belong to `text`.
pub(crate) fn decode<'a>(text: &'a str, s: Str) -> Option<Cow<'a, str>> {
    let inner = text.get(s.span.start.checked_add(1)?..s.span.end.checked_sub(1)?)?;
    if !s.escaped {
        return Some(Cow::Borrowed(inner));
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let rest = chars.as_str();
                let hex = |at: usize| {
                    rest.get(at..at + 4)
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                };
                let hi = hex(0)?;
                // A high surrogate combines with a following \uDC00-\uDFFF escape; alone it is U+FFFD.
                let lo = (0xD800..0xDC00)
                    .contains(&hi)
                    .then(|| rest.get(4..6).filter(|p| *p == "\\u").and_then(|_| hex(6)))
                    .flatten()
                    .filter(|lo| (0xDC00..0xE000).contains(lo));
                let (code, used) = match lo {
                    Some(lo) => (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), 10),
                    None => (hi, 4),
                };
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                chars = rest.get(used..)?.chars();
            }
            other => out.push(other), // '"', '\\', '/'
        }
    }
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(text: &str) -> Result<Span, SyntaxError> {
        let mut sc = Scanner::new(text);
        let span = sc.value()?;
        sc.finish()?;
        Ok(span)
    }

    #[test]
    fn accepts_every_kind_of_value() {
        for text in [
            "0",
            "-0",
            "12.5e-3",
            "1E+9",
            "true",
            "false",
            "null",
            r#""""#,
            r#""a\"b\\\/\b\f\n\r\t\u00e9""#,
            "[]",
            "{}",
            " [1, [2, {\"a\": [null, {}]}], \"x\"] ",
            r#"{"a":{"b":{"c":[[[]]]}}}"#,
            "\"h\u{e9}llo \u{1F600}\"",
        ] {
            assert!(skip(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn rejects_what_json_rejects() {
        for text in [
            "",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "[1 2]",
            "\"abc",
            "\"a\\x\"",
            "\"\\u12G4\"",
            "\"tab\there\"",
            "[",
            "{",
            "]",
            "[}",
            "{]",
            "[1]]",
            "'a'",
            "NaN",
        ] {
            assert!(skip(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn reports_where_it_stopped() {
        assert_eq!(
            skip("[1, 2 3]"),
            Err(SyntaxError {
                offset: 6,
                expected: "',' or ']'"
            })
        );
        assert_eq!(
            skip("{\"a\":tx}"),
            Err(SyntaxError {
                offset: 5,
                expected: "true, false or null"
            })
        );
    }

    #[test]
    fn value_spans_exclude_whitespace() {
        let text = "  {\"k\" : [1, 2] }  ";
        let mut sc = Scanner::new(text);
        sc.begin_object().unwrap();
        let mut first = true;
        let key = sc.next_key(&mut first).unwrap().unwrap();
        assert_eq!(&text[key.span.start..key.span.end], "\"k\"");
        let v = sc.value().unwrap();
        assert_eq!(&text[v.start..v.end], "[1, 2]");
        assert_eq!(sc.next_key(&mut first).unwrap(), None);
        assert!(sc.finish().is_ok());
    }

    #[test]
    fn long_strings_stop_at_the_right_byte_whatever_the_alignment() {
        for pad in 0..20 {
            for special in ["\\n", "\\\"", "\u{e9}", "\u{1F600}"] {
                let body = format!("\"{}{special}{}\"", "a".repeat(pad), "b".repeat(pad * 3));
                let mut sc = Scanner::new(&body);
                let s = sc.string().unwrap();
                assert_eq!(
                    s.span,
                    Span {
                        start: 0,
                        end: body.len()
                    }
                );
                assert_eq!(s.escaped, special.starts_with('\\'));
            }
            let bad = format!("\"{}\u{1}\"", "a".repeat(pad));
            assert!(Scanner::new(&bad).string().is_err());
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(skip(&deep).is_ok());
        assert!(skip(&deep[..deep.len() - 1]).is_err());
    }

    #[test]
    fn decodes_escapes_like_json_parse() {
        let text = r#""a\"b\\c\/d\n\u00e9\ud83d\ude00\ud800x""#;
        let s = Scanner::new(text).string().unwrap();
        assert_eq!(
            decode(text, s).unwrap(),
            "a\"b\\c/d\n\u{e9}\u{1F600}\u{FFFD}x"
        );
        let plain = "\"plain\"";
        let s = Scanner::new(plain).string().unwrap();
        assert_eq!(decode(plain, s).unwrap(), Cow::Borrowed("plain"));
    }

    #[test]
    fn swar_finds_each_special_byte_in_each_lane() {
        for lane in 0..8 {
            for special in [b'"', b'\\', 0u8, 0x1f] {
                let mut word = [b'a'; 8];
                word[lane] = special;
                assert!(has_string_special(u64::from_le_bytes(word)));
            }
            let mut word = [b'a'; 8];
            word[lane] = 0xff;
            assert!(!has_string_special(u64::from_le_bytes(word)));
        }
        assert!(!has_string_special(u64::from_le_bytes(*b" !#[]~\x7f ")));
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn decode_inverts_json_string_escaping(s in proptest::prelude::any::<String>()) {
            // serde_json's escaping, and an ensure_ascii one (\uXXXX, surrogate pairs for astral chars).
            let mut ascii = String::from("\"");
            for unit in s.encode_utf16() {
                match char::from_u32(u32::from(unit)).filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\') {
                    Some(c) => ascii.push(c),
                    None => ascii.push_str(&format!("\\u{unit:04X}")),
                }
            }
            ascii.push('"');
            for text in [serde_json::to_string(&s).unwrap(), ascii] {
                let mut sc = Scanner::new(&text);
                let token = sc.string().unwrap();
                proptest::prop_assert!(sc.finish().is_ok());
                proptest::prop_assert_eq!(decode(&text, token).unwrap(), s.as_str());
            }
        }
    }
}

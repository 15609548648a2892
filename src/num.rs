//! Decimal numbers from headers and messages without core's `str::parse::<f64>`, whose
//! correctly-rounded algorithm and tables (~25 KB of wasm) exist only for inputs like these,
//! where serde_json's float parser (linked anyway) is exact enough.

/// `[+-]?(digits)?(.digits)?([eE][+-]?digits)?` with at least one digit, as `str::parse::<f64>`
/// reads it, but never `inf`/`nan` and never a non-finite result.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let (sign, body) = match s.as_bytes().first()? {
        b'+' => ("", &s[1..]),
        b'-' => ("-", &s[1..]),
        _ => ("", s),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], &body[i..]),
        None => (body, ""),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if !(digits(int) && frac.is_none_or(digits)) || int.len() + frac.map_or(0, str::len) == 0 {
        return None;
    }
    // serde_json's grammar: no leading '+' or zeros, no empty integer or fraction part.
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let frac = match frac {
        Some(f) if !f.is_empty() => format!(".{f}"),
        _ => String::new(),
    };
    let exp = if exp.is_empty() {
        String::new()
    } else {
        let e = &exp[1..];
        let (esign, edigits) = match e.as_bytes().first() {
            Some(b'+') => ("", &e[1..]),
            Some(b'-') => ("-", &e[1..]),
            _ => ("", e),
        };
        if edigits.is_empty() || !digits(edigits) {
            return None;
        }
        format!("e{esign}{edigits}")
    };
    serde_json::from_str::<f64>(&format!("{sign}{int}{frac}{exp}"))
        .ok()
        .filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    #[test]
    fn reads_what_headers_and_messages_hold() {
        for (s, want) in [
            ("20", Some(20.0)),
            ("1.5", Some(1.5)),
            ("+2", Some(2.0)),
            ("-0.25", Some(-0.25)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("1e3", Some(1000.0)),
            ("2E+2", Some(200.0)),
            ("45.0", Some(45.0)),
            ("007", Some(7.0)),
            ("00.5", Some(0.5)),
        ] {
            assert_eq!(parse_decimal(s), want, "{s}");
        }
        for s in [
            "", "+", ".", "-.", "inf", "NaN", "1e400", "1.2.3", "1e", "e5", " 1", "1 ", "0x10", "١",
        ] {
            assert_eq!(parse_decimal(s), None, "{s:?}");
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #[test]
        fn agrees_with_str_parse_on_finite_decimals(s in "[+-]?[0-9]{0,6}(\\.[0-9]{0,6})?([eE][+-]?[0-9]{1,2})?") {
            let want = s.parse::<f64>().ok().filter(|v| v.is_finite());
            let got = parse_decimal(&s);
            match (got, want) {
                (Some(g), Some(w)) => prop_assert!((g - w).abs() <= w.abs() * 1e-15, "{s}: {g} vs {w}"),
                (g, w) => prop_assert_eq!(g, w, "{}", s),
            }
        }

        #[test]
        fn never_panics(s in ".{0,20}") {
            let _ = parse_decimal(&s);
        }
    }
}

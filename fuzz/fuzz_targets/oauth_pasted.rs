//! What a user pastes at the login prompt: any string is a code or a typed error; a code, when
//! returned, is usable (non-empty, no spaces or control characters) and never comes with a foreign
//! state; each pasted form of a (code, state) pair reads back exactly.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opencode_chatgpt_wasm::auth::oauth::{parse_pasted, percent_encode, Pasted};

#[derive(Arbitrary, Debug)]
enum Form {
    Url,
    Query,
    Fragment,
    CodeHashState,
    Bare,
}

#[derive(Arbitrary, Debug)]
enum Input {
    Raw {
        input: String,
        state: String,
    },
    Pair {
        form: Form,
        code: String,
        state: String,
        wrap: u8,
        junk: String,
    },
}

/// A code the user could carry over by hand: visible, no separators the paste reader splits on.
fn bare_ok(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~+".contains(&b))
        && !code.starts_with(['"', '\'', '<', '>', '`'])
}

fuzz_target!(|input: Input| {
    match input {
        Input::Raw { input, state } => match parse_pasted(&input, &state) {
            Ok(Pasted { code, state: got }) => {
                assert!(
                    !code.is_empty()
                        && !code.contains(|c: char| c.is_whitespace() || c.is_control())
                );
                assert!(got.is_none() || got.as_deref() == Some(state.as_str()));
            }
            Err(_) => {}
        },
        Input::Pair {
            form,
            code,
            state,
            wrap,
            junk,
        } => {
            let valid_code =
                !code.is_empty() && !code.contains(|c: char| c.is_whitespace() || c.is_control());
            let (c, s) = (percent_encode(&code), percent_encode(&state));
            let j = percent_encode(&junk);
            let text = match form {
                Form::Url => {
                    format!("http://localhost:1455/auth/callback?code={c}&scope={j}&state={s}")
                }
                Form::Query => format!("state={s}&code={c}&x={j}"),
                Form::Fragment => format!("http://localhost:1455/auth/callback#state={s}&code={c}"),
                Form::CodeHashState => format!("{code}#{state}"),
                Form::Bare => code.clone(),
            };
            let text = match wrap % 4 {
                0 => text,
                1 => format!("  {text}\n"),
                2 => format!("\"{text}\""),
                _ => format!("<{text}>"),
            };
            let got = parse_pasted(&text, &state);
            let want_state = if state.is_empty() {
                None
            } else {
                Some(state.clone())
            };
            match form {
                Form::Url | Form::Query | Form::Fragment if valid_code => {
                    assert_eq!(
                        got,
                        Ok(Pasted {
                            code,
                            state: want_state
                        }),
                        "{text}"
                    );
                }
                Form::Url | Form::Query | Form::Fragment => assert!(got.is_err(), "{text}"),
                Form::CodeHashState if bare_ok(&code) && bare_ok(&state) => {
                    assert_eq!(
                        got,
                        Ok(Pasted {
                            code,
                            state: want_state
                        }),
                        "{text}"
                    );
                }
                Form::Bare if bare_ok(&code) => {
                    assert_eq!(got, Ok(Pasted { code, state: None }), "{text}")
                }
                Form::CodeHashState | Form::Bare => {}
            }
        }
    }
});

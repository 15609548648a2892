//! The client identity this plugin speaks as towards the Codex backend: one Codex CLI version
//! ([`CLIENT_VERSION`], or the user's override) used for `GET /models?client_version=`, the
//! `version` header and the User-Agent's version token, so the three can never disagree.
//!
//! What it decides: the version (checked: `MAJOR.MINOR.PATCH` with an optional `-pre`/`+build`
//! tail), its whole form (`MAJOR.MINOR.PATCH`, what the Codex CLI puts in `client_version`), the
//! User-Agent text, and whether a version meets a catalog entry's `minimal_client_version`.
//! What it never does: read the environment, the OS or the clock; JS passes them in.

use std::cmp::Ordering;

use crate::error::CoreError;
use crate::json;

/// The Codex CLI version we speak as by default. It must be at least the highest
/// `minimal_client_version` in the bundled catalog (a test holds that): the backend leaves
/// models above the asked version out of `/models` and refuses them on `/responses`.
/// 0.160.1 is the newest release seen (2026-10-10); gpt-6.1-sol is listed only from 0.160.0.
pub const CLIENT_VERSION: &str = "0.160.1";

/// A parsed `MAJOR.MINOR.PATCH` (any `-pre` / `+build` tail kept only in the full text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    /// `0.160.1`, `1.2.3-alpha.4`, `1.2.3+build`; surrounding blanks allowed. `None` otherwise.
    pub fn parse(text: &str) -> Option<Version> {
        let t = text.trim();
        let core = t.split(['-', '+']).next().unwrap_or_default();
        let tail = t.get(core.len()..).unwrap_or_default();
        if tail.len() == 1
            || !tail
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
        {
            return None;
        }
        let mut parts = core.split('.');
        let mut next = || {
            parts
                .next()
                .filter(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u32>().ok())
        };
        let v = Version {
            major: next()?,
            minor: next()?,
            patch: next()?,
        };
        parts.next().is_none().then_some(v)
    }

    /// A catalog `minimal_client_version`: a version string or `[major, minor, patch]`.
    pub fn from_json(v: &serde_json::Value) -> Option<Version> {
        match v {
            serde_json::Value::String(s) => Version::parse(s),
            serde_json::Value::Array(a) if a.len() == 3 => {
                let n = |i: usize| {
                    a.get(i)
                        .and_then(serde_json::Value::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                };
                Some(Version {
                    major: n(0)?,
                    minor: n(1)?,
                    patch: n(2)?,
                })
            }
            _ => None,
        }
    }

    /// `MAJOR.MINOR.PATCH`.
    pub fn whole(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.patch)
    }

    pub fn at_least(&self, min: &Version) -> bool {
        self.cmp(min) != Ordering::Less
    }
}

/// The identity sent with every request (JS: [`Identity::to_json`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The full version (`version` header, User-Agent token).
    pub version: String,
    /// `MAJOR.MINOR.PATCH` (`/models?client_version=`).
    pub whole: String,
    /// `{originator}/{version} ({os} {os_version}; {arch}) {suffix}`: the Codex CLI's layout
    /// (`codex_cli_rs/0.160.1 (Mac OS 15.5.0; arm64) iTerm.app/3.5.10`), so a backend that reads
    /// the version from the first product token reads ours.
    pub user_agent: String,
}

impl Identity {
    /// `{version, whole, userAgent}`.
    pub fn to_json(&self) -> String {
        json::object(|o| {
            o.str("version", &self.version)
                .str("whole", &self.whole)
                .str("userAgent", &self.user_agent);
        })
    }
}

/// What JS knows about the machine and the user's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Machine<'a> {
    pub originator: &'a str,
    pub os: &'a str,
    pub os_version: &'a str,
    pub arch: &'a str,
    /// The trailing product token(s), e.g. `opencode-chatgpt-wasm/0.3.0`.
    pub suffix: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The override is not a version; carries (a bounded prefix of) what was given.
    BadVersion(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::BadVersion(v) => write!(
                f,
                "OPENCODE_CODEX_CLIENT_VERSION (option clientVersion) `{v}` is not a version: expected MAJOR.MINOR.PATCH such as {CLIENT_VERSION}; using the built-in {CLIENT_VERSION} until you fix or unset it"
            ),
        }
    }
}

impl CoreError for ClientError {
    fn code(&self) -> &'static str {
        match self {
            ClientError::BadVersion(_) => "client-version-invalid",
        }
    }
}

/// The identity for `override_version` (blank or absent: [`CLIENT_VERSION`]). A bad override is an
/// error naming it; the caller reports it and may fall back to `identity(None, ..)`.
pub fn identity(override_version: Option<&str>, m: &Machine<'_>) -> Result<Identity, ClientError> {
    let text = override_version
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(CLIENT_VERSION);
    let parsed = Version::parse(text).ok_or_else(|| {
        ClientError::BadVersion(header_safe(&text.chars().take(40).collect::<String>()))
    })?;
    let mut ua = format!(
        "{}/{} ({} {}; {})",
        m.originator.trim(),
        text,
        m.os.trim(),
        m.os_version.trim(),
        m.arch.trim()
    );
    if !m.suffix.trim().is_empty() {
        ua.push(' ');
        ua.push_str(m.suffix.trim());
    }
    Ok(Identity {
        version: text.to_owned(),
        whole: parsed.whole(),
        user_agent: header_safe(&ua),
    })
}

/// Replaces what a header value may not hold (controls, non-ASCII) with `_`, as the Codex CLI
/// sanitizes its User-Agent.
fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINUX: Machine<'static> = Machine {
        originator: "opencode",
        os: "linux",
        os_version: "6.1.0",
        arch: "x64",
        suffix: "opencode-chatgpt-wasm/0.3.0",
    };

    #[test]
    fn parses_versions_like_the_codex_cli() {
        let v = |a, b, c| {
            Some(Version {
                major: a,
                minor: b,
                patch: c,
            })
        };
        assert_eq!(Version::parse("0.160.1"), v(0, 160, 1));
        assert_eq!(Version::parse(" 1.2.3-alpha.4 "), v(1, 2, 3));
        assert_eq!(Version::parse("1.2.3+build.7"), v(1, 2, 3));
        for bad in [
            "",
            "1.2",
            "1.2.3.4",
            "v1.2.3",
            "1..3",
            "1.2.3-",
            "1.2.x",
            "1.2.3 beta",
            "99999999999.0.0",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Version::from_json(&serde_json::json!([0, 99, 0])),
            v(0, 99, 0)
        );
        assert_eq!(
            Version::from_json(&serde_json::json!("0.153.0")),
            v(0, 153, 0)
        );
        assert_eq!(Version::from_json(&serde_json::json!([0, -1, 0])), None);
        assert!(v(0, 160, 1).unwrap().at_least(&v(0, 153, 0).unwrap()));
        assert!(!v(0, 99, 0).unwrap().at_least(&v(0, 144, 0).unwrap()));
        assert!(v(1, 0, 0).unwrap().at_least(&v(0, 999, 9).unwrap()));
    }

    #[test]
    fn one_version_for_query_header_and_user_agent() {
        assert_eq!(
            identity(None, &LINUX),
            Ok(Identity {
                version: CLIENT_VERSION.into(),
                whole: CLIENT_VERSION.into(),
                user_agent: format!(
                    "opencode/{CLIENT_VERSION} (linux 6.1.0; x64) opencode-chatgpt-wasm/0.3.0"
                ),
            })
        );
        assert_eq!(
            identity(Some(" 0.170.0-alpha.2 "), &LINUX),
            Ok(Identity {
                version: "0.170.0-alpha.2".into(),
                whole: "0.170.0".into(),
                user_agent:
                    "opencode/0.170.0-alpha.2 (linux 6.1.0; x64) opencode-chatgpt-wasm/0.3.0".into(),
            })
        );
        assert_eq!(
            identity(Some(" 0.170.0-alpha.2 "), &LINUX).map(|i| i.to_json()),
            Ok(r#"{"version":"0.170.0-alpha.2","whole":"0.170.0","userAgent":"opencode/0.170.0-alpha.2 (linux 6.1.0; x64) opencode-chatgpt-wasm/0.3.0"}"#.into())
        );
        assert_eq!(
            identity(Some(""), &LINUX).map(|i| i.whole),
            Ok(CLIENT_VERSION.into())
        );
        let odd = Machine {
            os: "Mac\u{a0}OS\n",
            suffix: "",
            ..LINUX
        };
        assert_eq!(
            identity(None, &odd).map(|i| i.user_agent),
            Ok(format!("opencode/{CLIENT_VERSION} (Mac_OS 6.1.0; x64)"))
        );
    }

    #[test]
    fn a_bad_override_is_named_with_the_way_out() {
        let err = identity(Some("latest\r\n"), &LINUX).unwrap_err();
        assert_eq!(err, ClientError::BadVersion("latest".into()));
        assert_eq!(err.code(), "client-version-invalid");
        assert_eq!(
            err.to_string(),
            format!("OPENCODE_CODEX_CLIENT_VERSION (option clientVersion) `latest` is not a version: expected MAJOR.MINOR.PATCH such as {CLIENT_VERSION}; using the built-in {CLIENT_VERSION} until you fix or unset it")
        );
    }
}

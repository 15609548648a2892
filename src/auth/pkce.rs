//! PKCE (RFC 7636) verifier/challenge and the OAuth `state` value. No I/O beyond `random::fill`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A PKCE pair: the secret verifier (kept by us) and its S256 challenge (sent in the authorize URL).
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl std::fmt::Debug for Pkce {
    // The verifier is a secret: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"<redacted>")
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// RFC 7636 §4.2: `code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Builds a pair from 64 caller-supplied random bytes: verifier = base64url(bytes), 86 chars,
/// inside RFC 7636's 43..=128 range.
pub fn from_bytes(random: &[u8; 64]) -> Pkce {
    let verifier = URL_SAFE_NO_PAD.encode(random);
    let challenge = s256_challenge(&verifier);
    Pkce {
        verifier,
        challenge,
    }
}

/// A fresh pair from the platform's secure random source.
pub fn generate() -> Result<Pkce, getrandom::Error> {
    let mut bytes = [0u8; 64];
    crate::random::fill(&mut bytes)?;
    Ok(from_bytes(&bytes))
}

/// OAuth `state`: 32 random bytes, base64url without padding (43 chars).
pub fn state_from_bytes(random: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// A fresh `state` from the platform's secure random source.
pub fn generate_state() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    crate::random::fill(&mut bytes)?;
    Ok(state_from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_is_86_url_safe_chars_and_challenge_matches() {
        let p = from_bytes(&[0xfb; 64]);
        assert_eq!(p.verifier.len(), 86);
        assert!(p
            .verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(p.challenge, s256_challenge(&p.verifier));
        assert_eq!(p.challenge.len(), 43);
    }

    #[test]
    fn generated_values_differ() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a.verifier, b.verifier);
        assert_ne!(generate_state().unwrap(), generate_state().unwrap());
        assert_eq!(generate_state().unwrap().len(), 43);
    }

    #[test]
    fn debug_does_not_leak_the_verifier() {
        let p = from_bytes(&[7; 64]);
        assert!(!format!("{p:?}").contains(&p.verifier));
    }
}

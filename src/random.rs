//! The core's only source of randomness: one function over getrandom, so tests can inject bytes.
//!
//! On wasm32 getrandom's `js` feature uses `crypto.getRandomValues`; natively it uses the OS.

/// Fills `buf` with cryptographically secure random bytes.
///
/// Fails only if the platform has no secure source (no `crypto` in the JS host).
pub fn fill(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    getrandom::getrandom(buf)
}

//! Telling secrets apart without showing them: a fingerprint (the first 16 hex digits of the
//! secret's SHA-256) that instances can compare to find one signing with another secret, and
//! new strong secrets for `authgate secret`.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The first 16 hexadecimal digits of the SHA-256 of `secret`: equal on two instances exactly
/// when (but for a 2^-64 chance) they use the same secret, and useless for guessing it.
///
/// # Examples
/// ```
/// let fingerprint = authgate::secret_fingerprint("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k");
/// assert_eq!(fingerprint.len(), 16);
/// assert_ne!(fingerprint, authgate::secret_fingerprint("another secret"));
/// ```
pub fn secret_fingerprint(secret: impl AsRef<[u8]>) -> String {
    let digest = Sha256::digest(secret.as_ref());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A new secret: 32 random bytes from the operating system, base64url without padding (43
/// characters), which passes every strength rule.
///
/// # Examples
/// ```
/// let secret = authgate::generate_secret();
/// assert_eq!(secret.len(), 43);
/// authgate::Auth::builder()
///     .secret(secret)
///     .base_url("https://app.example.com")
///     .validate()
///     .expect("a generated secret is strong");
/// ```
pub fn generate_secret() -> String {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        // Random bytes all but never fail the estimate; a draw that does is discarded.
        if crate::secret::check(&secret).is_ok() {
            return secret;
        }
    }
}

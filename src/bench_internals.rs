//! The primitives the criterion benchmarks time (`benches/primitives.rs`), compiled only with
//! the `bench-internals` feature. Not part of the API: no stability promise.

use crate::crypto::{password, signing, token};
use crate::secret::SecretRing;

/// A fresh 32-character session token (what every sign-in generates).
pub fn new_token() -> String {
    token::new_id()
}

/// `value` signed as the session cookie carries it (`value.signature`).
pub fn sign(value: &str, secret: &str) -> String {
    signing::sign(value, secret.as_bytes())
}

/// Whether a signed cookie value verifies under `secret` (the check of every request).
pub fn verify_signed(signed: &str, secret: &str) -> bool {
    let ring = SecretRing::new_unchecked(vec![secret.to_owned()]);
    signing::verify(signed, &ring).is_some()
}

/// Whether a cookie-cache (`session_data`) value verifies under `secret`, parsed into its
/// session and user (the cookie cache's work per request).
pub fn verify_cookie_cache(value: &str, secret: &str) -> bool {
    let ring = SecretRing::new_unchecked(vec![secret.to_owned()]);
    crate::session::cookie_cache::decode(value, &ring).is_some()
}

/// Better-Auth's scrypt hash of `password` (on the calling thread).
pub fn hash_password(password: &str) -> String {
    password::hash_blocking(password)
}

/// Whether `password` matches `stored` (on the calling thread).
pub fn verify_password(password: &str, stored: &str) -> bool {
    password::verify_blocking(password, stored).unwrap_or(false)
}

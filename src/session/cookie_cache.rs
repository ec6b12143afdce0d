//! Better-Auth's cookie cache (`session_data`, the `compact` strategy): the session and user
//! signed into a cookie, so that a request carrying it is answered without the database.
//!
//! The value is `base64url(JSON.stringify({session: data, expiresAt, signature}))` where `data`
//! is `{session, user, updatedAt, version}` and `signature` is the unpadded base64url
//! HMAC-SHA256, under the secret, of `JSON.stringify({...data, expiresAt})`. Better-Auth
//! verifies by re-serialising the parsed `data` in the order received; since `data` is itself
//! `JSON.stringify` output, that is its raw text with `,"expiresAt":<n>` spliced in before the
//! last brace, which is what both sides here sign and verify. Numbers are written as
//! JavaScript writes them.
//!
//! Above 4,050 bytes the cookie is split into `session_data.0`, `.1`, ... (Better-Auth's chunk
//! size: what is left of 4,050 bytes after the `Set-Cookie` of the name `.99` with an empty
//! value).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::crypto::signing;
use crate::fields::{FieldSet, Fields};
use crate::model::{Session, SessionWithUser, User};
use crate::secret::SecretRing;

/// Better-Auth's per-cookie ceiling.
pub(crate) const MAX_COOKIE_SIZE: usize = 4050;
/// Better-Auth skips the cache past this many chunks.
pub(crate) const MAX_CHUNKS: usize = 100;
/// Better-Auth's longest `maxAge` for a cookie (400 days).
const MAX_AGE_LIMIT: Duration = Duration::from_secs(400 * 24 * 60 * 60);
/// The expiry of a `dont_remember` session's cache (Better-Auth's `maxAge || 60`).
pub(crate) const BROWSER_SESSION_MAX_AGE: Duration = Duration::from_secs(60);

/// Better-Auth's cookie cache (`session.cookieCache`, the `compact` strategy): the session and
/// user in a signed `session_data` cookie, verified without the database. Off unless given to
/// [`AuthBuilder::cookie_cache`](crate::AuthBuilder::cookie_cache).
///
/// **Staleness**: a cookie stays valid until its max-age ends. A revocation or change on the
/// same instance refuses cookies issued before it (the instance notes it for the max-age), but
/// another instance (or a Better-Auth server) accepts a revoked session's cookie until it
/// expires. State-changing requests (`POST`), `list-sessions` and
/// `get-session?disableCookieCache=true` always read the database.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use authgate::CookieCache;
///
/// let cache = CookieCache::compact();
/// assert_eq!(cache.max_age_value(), Duration::from_secs(300));
/// assert_eq!(CookieCache::compact().max_age(Duration::from_secs(60)).max_age_value(), Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct CookieCache {
    pub(crate) max_age: Duration,
    pub(crate) version: String,
}

impl CookieCache {
    /// The `compact` strategy with Better-Auth's defaults: 5 minutes, version `"1"`.
    pub fn compact() -> Self {
        Self {
            max_age: Duration::from_secs(300),
            version: "1".to_owned(),
        }
    }

    /// How long a cookie is trusted (Better-Auth's `cookieCache.maxAge`; whole seconds, at
    /// least 1): also how long another instance may accept a session revoked elsewhere.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The cache version (Better-Auth's `cookieCache.version`, default `"1"`): changing it
    /// refuses every cookie issued before.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// The max-age.
    pub fn max_age_value(&self) -> Duration {
        self.max_age
    }

    /// The rule the settings break, if any.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.max_age < Duration::from_secs(1) || self.max_age > MAX_AGE_LIMIT {
            return Err(format!(
                "max_age must be between 1 second and 400 days, got {:?}",
                self.max_age
            ));
        }
        if self.version.is_empty() {
            return Err("version must not be empty".to_owned());
        }
        Ok(())
    }
}

/// `serde_json`'s compact output with numbers as JavaScript's `JSON.stringify` writes them
/// (`1` not `1.0`, `1e+21` not `1e21`); strings are escaped alike by both.
struct JsFormatter;

impl serde_json::ser::Formatter for JsFormatter {
    fn write_f64<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        value: f64,
    ) -> std::io::Result<()> {
        w.write_all(js_number(value).as_bytes())
    }

    fn write_f32<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        value: f32,
    ) -> std::io::Result<()> {
        self.write_f64(w, f64::from(value))
    }
}

/// `String(n)` for a finite number (`JSON.stringify` writes `null` for the others).
fn js_number(value: f64) -> String {
    if !value.is_finite() {
        return "null".to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs();
    if (1e-6..1e21).contains(&magnitude) {
        // Rust's Display is the shortest round-trip decimal, never in exponent form, as JS
        // writes numbers in this range.
        return format!("{value}");
    }
    let exp = format!("{value:e}");
    match exp.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with('-') => {
            format!("{mantissa}e+{exponent}")
        }
        _ => exp,
    }
}

fn to_js_json<T: Serialize>(value: &T) -> String {
    let mut out = Vec::with_capacity(512);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, JsFormatter);
    value
        .serialize(&mut serializer)
        .expect("rows serialise to JSON");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[derive(Serialize)]
struct Payload<'a> {
    session: &'a Session,
    user: &'a User,
    #[serde(rename = "updatedAt")]
    updated_at: i64,
    version: &'a str,
}

/// `JSON.stringify({...data, expiresAt})` from `data`'s own `JSON.stringify` text.
fn signing_input(data: &str, expires_at: i64) -> Option<String> {
    let body = data.strip_suffix('}')?;
    if body.len() <= 1 {
        return None;
    }
    Some(format!("{body},\"expiresAt\":{expires_at}}}"))
}

/// The cookie value for `found`, issued at `issued_at_ms` (also its `updatedAt`) and trusted
/// for `max_age`, signed with the current secret.
pub(crate) fn encode(
    found: &SessionWithUser,
    version: &str,
    issued_at_ms: i64,
    max_age: Duration,
    secret: &[u8],
) -> String {
    let expires_at = issued_at_ms + i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX / 2);
    encode_at(found, version, issued_at_ms, expires_at, secret)
}

/// The cookie value with both instants given (ms since the epoch).
fn encode_at(
    found: &SessionWithUser,
    version: &str,
    updated_at: i64,
    expires_at: i64,
    secret: &[u8],
) -> String {
    let data = to_js_json(&Payload {
        session: &found.session,
        user: &found.user,
        updated_at,
        version,
    });
    let input = signing_input(&data, expires_at).expect("an object with keys");
    let signature = URL_SAFE_NO_PAD.encode(signing::hmac_sha256(secret, &input));
    let outer =
        format!("{{\"session\":{data},\"expiresAt\":{expires_at},\"signature\":\"{signature}\"}}");
    URL_SAFE_NO_PAD.encode(outer)
}

#[derive(Deserialize)]
struct Outer<'a> {
    #[serde(borrow)]
    session: &'a RawValue,
    #[serde(rename = "expiresAt")]
    expires_at: serde_json::Number,
    signature: &'a str,
}

#[derive(Deserialize)]
struct Data {
    session: Session,
    user: User,
    #[serde(rename = "updatedAt")]
    updated_at: serde_json::Number,
    version: Option<String>,
}

/// A verified cookie's contents.
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) found: SessionWithUser,
    /// When it was issued (`updatedAt`, ms since the epoch).
    pub(crate) issued_at_ms: i64,
    /// When it stops being trusted (ms since the epoch).
    pub(crate) expires_at_ms: i64,
    pub(crate) version: String,
}

/// Decodes and verifies a cookie value (any secret of the ring); `None` when it is not one of
/// ours or Better-Auth's, or its signature does not verify. Expiry is the caller's to check.
pub(crate) fn decode(value: &str, secrets: &SecretRing) -> Option<Cached> {
    let bytes = URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let outer: Outer<'_> = serde_json::from_str(text).ok()?;
    let expires_at = outer.expires_at.as_i64()?;
    let tag = URL_SAFE_NO_PAD.decode(outer.signature).ok()?;
    let input = signing_input(outer.session.get(), expires_at)?;
    if !signing::verify_tag(&input, &tag, secrets) {
        return None;
    }
    let data: Data = serde_json::from_str(outer.session.get()).ok()?;
    let issued_at_ms = data
        .updated_at
        .as_i64()
        .or_else(|| data.updated_at.as_f64().map(|f| f as i64))?;
    Some(Cached {
        found: SessionWithUser {
            session: data.session,
            user: data.user,
        },
        issued_at_ms,
        expires_at_ms: expires_at,
        version: data.version.unwrap_or_else(|| "1".to_owned()),
    })
}

/// Keeps only the declared fields that are returned, in declaration order (a cookie may carry
/// other keys).
pub(crate) fn declared_fields(fields: &Fields, declared: &FieldSet) -> Fields {
    let mut kept = Fields::new();
    for def in declared.iter() {
        if def.field.returned
            && let Some(value) = fields.value(&def.name)
        {
            kept.set(&def.name, value.clone());
        }
    }
    kept
}

/// The cookie value split as Better-Auth splits it: `[(suffix, part)]`, the suffix empty when
/// it fits in one cookie; `None` past 100 chunks. `overhead` is the length of the `Set-Cookie`
/// value of the name `.99` with an empty value.
pub(crate) fn chunks(value: &str, overhead: usize) -> Option<Vec<(String, &str)>> {
    let size = MAX_COOKIE_SIZE.saturating_sub(overhead);
    if size == 0 {
        return None;
    }
    let count = value.len().div_ceil(size);
    if count <= 1 {
        return Some(vec![(String::new(), value)]);
    }
    if count > MAX_CHUNKS {
        return None;
    }
    // The value is base64url (ASCII), so byte offsets are character offsets.
    Some(
        (0..count)
            .map(|i| {
                let end = ((i + 1) * size).min(value.len());
                (format!(".{i}"), &value[i * size..end])
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_like_javascript() {
        for (value, js) in [
            (1.0, "1"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (123456789012.0, "123456789012"),
            (f64::NAN, "null"),
            (-0.0, "0"),
        ] {
            assert_eq!(js_number(value), js, "{value}");
        }
    }

    /// Values Better-Auth 1.7.25 wrote (`interop/record-cookie-cache.mjs`): each verifies, and
    /// the same session, user and instants encode to the same bytes.
    #[test]
    fn better_auths_recorded_values_verify_and_reencode_byte_for_byte() {
        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/better-auth-cookie-cache.json"
        ))
        .unwrap();
        assert_eq!(fixture["betterAuth"], "1.7.25");
        let secret = fixture["secret"].as_str().unwrap();
        let ring = SecretRing::new_unchecked(vec![secret.to_owned()]);
        let other =
            SecretRing::new_unchecked(vec!["another-secret-0123456789abcdef0123456789".into()]);
        let vectors = fixture["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 4);
        for vector in vectors {
            let what = vector["what"].as_str().unwrap();
            let value: String = vector["cookies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["value"].as_str().unwrap())
                .collect();
            let cached = decode(&value, &ring).unwrap_or_else(|| panic!("{what} verifies"));
            assert!(decode(&value, &other).is_none(), "{what}: another secret");
            assert_eq!(cached.version, "1");
            assert_eq!(
                cached.expires_at_ms - cached.issued_at_ms,
                300_000,
                "{what}"
            );
            let again = encode_at(
                &cached.found,
                "1",
                cached.issued_at_ms,
                cached.expires_at_ms,
                secret.as_bytes(),
            );
            assert_eq!(again, value, "{what}: byte for byte");
        }
        // Tampering anywhere breaks the signature.
        let value = vectors[0]["cookies"][0]["value"].as_str().unwrap();
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(value).unwrap()).unwrap();
        let tampered = URL_SAFE_NO_PAD.encode(text.replace("\"name\":\"Ada\"", "\"name\":\"Eve\""));
        assert_ne!(tampered, value);
        assert!(decode(&tampered, &ring).is_none());
        let later = URL_SAFE_NO_PAD.encode(text.replace("\"expiresAt\":17", "\"expiresAt\":27"));
        assert!(
            decode(&later, &ring).is_none(),
            "the outer expiry is signed"
        );
    }

    /// The worked example of the wire notes (Better-Auth's default secret).
    #[test]
    fn the_reference_example_verifies() {
        let value = "eyJzZXNzaW9uIjp7InNlc3Npb24iOnsiZXhwaXJlc0F0IjoiMjAyMy0xMS0yMVQyMjoxMzoyMC4wMDBaIiwidG9rZW4iOiJrUG03VUF6QUZiU0hVMFE1d1lSdFlvR3kxWGZzTWlhVCIsImNyZWF0ZWRBdCI6IjIwMjMtMTEtMTRUMjI6MTM6MjAuMDAwWiIsInVwZGF0ZWRBdCI6IjIwMjMtMTEtMTRUMjI6MTM6MjAuMDAwWiIsImlwQWRkcmVzcyI6IiIsInVzZXJBZ2VudCI6ImN1cmwvOC4wIiwidXNlcklkIjoidTEiLCJpZCI6InMxIn0sInVzZXIiOnsibmFtZSI6IkFkYSIsImVtYWlsIjoiYWRhQGV4YW1wbGUuY29tIiwiZW1haWxWZXJpZmllZCI6ZmFsc2UsImltYWdlIjpudWxsLCJjcmVhdGVkQXQiOiIyMDIzLTExLTE0VDIyOjEzOjIwLjAwMFoiLCJ1cGRhdGVkQXQiOiIyMDIzLTExLTE0VDIyOjEzOjIwLjAwMFoiLCJpZCI6InUxIn0sInVwZGF0ZWRBdCI6MTcwMDAwMDAwMDAwMCwidmVyc2lvbiI6IjEifSwiZXhwaXJlc0F0IjoxNzAwMDAwMzAwMDAwLCJzaWduYXR1cmUiOiJZeFJJVERHSXVYLWxRQ3E2QmJRbUF2cUtGUXVGalhSVXdOcjJuSDFjdVg4In0";
        let secret = "better-auth-secret-12345678901234567890";
        let ring = SecretRing::new_unchecked(vec![secret.to_owned()]);
        let cached = decode(value, &ring).unwrap();
        assert_eq!(cached.found.user.email, "ada@example.com");
        assert_eq!(
            (cached.issued_at_ms, cached.expires_at_ms),
            (1_700_000_000_000, 1_700_000_300_000)
        );
        assert_eq!(
            encode_at(
                &cached.found,
                "1",
                cached.issued_at_ms,
                cached.expires_at_ms,
                secret.as_bytes()
            ),
            value
        );
    }

    #[test]
    fn chunks_like_better_auth() {
        let value = "a".repeat(10_000);
        let parts = chunks(&value, 50).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].0, ".0");
        assert_eq!(parts[0].1.len(), 4000);
        assert_eq!(parts.iter().map(|p| p.1).collect::<String>(), value);
        assert_eq!(chunks("short", 50).unwrap(), vec![(String::new(), "short")]);
        assert!(chunks(&"a".repeat(4000 * 101), 50).is_none());
    }
}

//! Entry points for the fuzz targets in `fuzz/`. Each takes arbitrary bytes, runs one parser or
//! check, and panics if a property fails. Compiled only for fuzzing (`cargo fuzz` builds with
//! `--cfg fuzzing`) and for this crate's own tests, which replay the committed corpora on
//! stable; not part of the API.

use http::{HeaderMap, HeaderValue, header};

use crate::cookies::{self, CookieNames, CookieSettings};
use crate::crypto::{signing, token};
use crate::routes::{self, Forms};
use crate::secret::SecretRing;
use crate::session::credentials::{self, UnsignedBearer};

const SECRET: &str = "fuzz-secret-0123456789abcdef0123456789abcdef";
const OLD_SECRET: &str = "fuzz-old-secret-0123456789abcdef0123456789";

fn ring() -> SecretRing {
    SecretRing::new_unchecked(vec![SECRET.to_owned(), OLD_SECRET.to_owned()])
}

fn names() -> CookieNames {
    CookieNames::new(&CookieSettings {
        prefix: "better-auth".into(),
        secure: false,
        host_prefix: false,
        domain: None,
    })
}

fn headers_with(name: header::HeaderName, data: &[u8]) -> Option<HeaderMap> {
    let value = HeaderValue::from_bytes(data).ok()?;
    let mut headers = HeaderMap::new();
    headers.insert(name, value);
    Some(headers)
}

/// F1: the `Cookie` header. Never panics; whatever it yields as a session token verified and
/// has the token's shape.
pub fn cookie_header(data: &[u8]) {
    let Some(headers) = headers_with(header::COOKIE, data) else {
        return;
    };
    let names = names();
    let _ = cookies::read(&headers, &names.session_token);
    let _ = credentials::dont_remember(&headers, &names, &ring());
    if let Some(found) =
        credentials::session_token(&headers, &names, &ring(), UnsignedBearer::Refused)
    {
        assert!(token::is_session_token(&found.token));
    }
}

/// F2: a signed value `value.signature`. Never panics; a value that verifies is one of the
/// ring's signatures, and any one-byte change of it no longer verifies.
pub fn signed_value(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let ring = ring();
    if let Some(value) = signing::verify(&text, &ring) {
        assert!(
            ring.iter()
                .any(|secret| signing::sign(value, secret) == text)
        );
    }
    // Round trip with either secret, and no verification after a mutation.
    let value: String = text.chars().filter(|c| *c != '.').take(64).collect();
    if value.is_empty() {
        return;
    }
    for secret in [SECRET, OLD_SECRET] {
        let signed = signing::sign(&value, secret.as_bytes());
        assert_eq!(signing::verify(&signed, &ring), Some(value.as_str()));
        let mut bytes = signed.into_bytes();
        let at = data.first().map_or(0, |b| usize::from(*b)) % bytes.len();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        if let Ok(mutated) = String::from_utf8(bytes) {
            let verified = signing::verify(&mutated, &ring);
            assert!(
                verified.is_none()
                    || ring
                        .iter()
                        .any(|s| signing::sign(verified.unwrap_or_default(), s) == mutated)
            );
        }
    }
}

/// F4: the `Authorization` header. Never panics; only a verified, token-shaped value comes out.
pub fn bearer_header(data: &[u8]) {
    let Some(headers) = headers_with(header::AUTHORIZATION, data) else {
        return;
    };
    for unsigned in [UnsignedBearer::Refused, UnsignedBearer::Accepted] {
        if let Some(found) = credentials::session_token(&headers, &names(), &ring(), unsigned) {
            assert!(token::is_session_token(&found.token));
        }
    }
}

/// F5: a request body as every endpoint reads it. Never panics; every refusal is a client
/// error with a message and a code.
pub fn json_body(data: &[u8]) {
    let (content_type, body) = match data.split_first() {
        Some((selector, rest)) => (
            [
                "application/json",
                "application/x-www-form-urlencoded",
                "text/plain",
                "application/json; charset=utf-8",
            ][usize::from(*selector) % 4],
            rest,
        ),
        None => ("application/json", data),
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    for forms in [Forms::Accepted, Forms::Refused] {
        match routes::parse_body(&headers, body, forms) {
            Ok(parsed) => {
                for outcome in routes::parse_every_input(&parsed) {
                    if let Err(err) = outcome {
                        assert!(err.status().is_client_error(), "{err:?}");
                        assert!(!err.message().is_empty() && !err.code().is_empty());
                    }
                }
            }
            Err(err) => assert!(err.status().is_client_error(), "{err:?}"),
        }
    }
}

/// F6: a redirect target. An accepted value is a safe relative path or on a trusted origin.
pub fn redirect_target(data: &[u8]) {
    let target = String::from_utf8_lossy(data);
    let trusted = [
        "http://localhost:3000".to_owned(),
        "https://app.example.com".to_owned(),
    ];
    if !crate::origin::is_trusted_redirect(&trusted, &target) {
        return;
    }
    if target.starts_with('/') {
        assert!(
            !target.starts_with("//") && !target.contains('\\'),
            "{target:?}"
        );
        assert!(!target.chars().any(char::is_control), "{target:?}");
        assert!(!target.contains('#'), "no fragment: {target:?}");
        let path = target
            .split('?')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(!path.contains("%2f") && !path.contains("%5c"), "{target:?}");
        assert!(
            !crate::origin::resolved_path(&path).starts_with("//"),
            "no network path after dot segments: {target:?}"
        );
    } else {
        let origin = url::Url::parse(&target)
            .expect("accepted absolute targets parse")
            .origin()
            .ascii_serialization();
        assert!(trusted.contains(&origin), "{target:?}");
    }
}

/// F11: a verification JWT. Never panics; a token that verifies is HS256, was signed by a
/// secret of the ring, has not expired, and any one-byte change of it no longer verifies.
pub fn verification_token(data: &[u8]) {
    use crate::crypto::jwt;
    let text = String::from_utf8_lossy(data);
    let ring = ring();
    // Fixed "now": 2026-11-23, when the recordings were made.
    let now = 1_795_472_459;
    if let Ok(claims) = jwt::verify(&text, &ring, now) {
        assert!(claims.exp.is_some_and(|exp| exp > now));
        let resigned = jwt::sign(&claims, ring.current());
        let old = jwt::sign(&claims, OLD_SECRET.as_bytes());
        // Re-encoding may differ from the input (key order); the signature must hold.
        assert!(
            jwt::verify(&resigned, &ring, now).is_ok() && jwt::verify(&old, &ring, now).is_ok()
        );
        let bytes = text.as_bytes();
        for i in 0..bytes.len() {
            let mut mutated = bytes.to_vec();
            mutated[i] ^= 0x01;
            if let Ok(mutated) = String::from_utf8(mutated)
                && mutated != text
            {
                assert!(
                    jwt::verify(&mutated, &ring, now).is_err()
                        || base64_equivalent(&text, &mutated),
                    "a changed token verified"
                );
            }
        }
    }
}

/// Two tokens that differ only in a base64url character's unused low bits decode alike.
fn base64_equivalent(a: &str, b: &str) -> bool {
    use base64::Engine as _;
    let decode = |s: &str| {
        s.split('.')
            .map(|part| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(part)
                    .ok()
            })
            .collect::<Vec<_>>()
    };
    decode(a) == decode(b)
}

/// Replays every fuzz corpus input and every crash file (`fuzz/corpus/<target>/`,
/// `fuzz/artifacts/<target>/`) through the entry points the fuzzers drive, so that what fuzzing
/// found stays fixed.
#[cfg(test)]
mod corpus {
    use std::path::Path;

    type Target = fn(&[u8]);

    const TARGETS: &[(&str, Target)] = &[
        ("cookie_header", super::cookie_header),
        ("signed_value", super::signed_value),
        ("bearer_header", super::bearer_header),
        ("json_body", super::json_body),
        ("redirect_target", super::redirect_target),
        ("verification_token", super::verification_token),
    ];

    fn replay(dir: &Path, target: Target) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        let mut replayed = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| target(&data));
                assert!(outcome.is_ok(), "{} fails", path.display());
                replayed += 1;
            }
        }
        replayed
    }

    #[test]
    fn every_corpus_input_and_crash_file_passes() {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        for (name, target) in TARGETS {
            let corpus = replay(&fuzz.join("corpus").join(name), *target);
            assert!(corpus > 0, "the {name} corpus is committed");
            replay(&fuzz.join("artifacts").join(name), *target);
        }
    }

    /// The checklist's redirect payloads (check 33) are refused by the validator itself.
    #[test]
    fn the_redirect_seed_payloads_hold_their_properties() {
        for payload in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "http://localhost:3000@evil.example",
            "/ok\r\nx",
            "/.//evil.example",
            "/x/../..//evil.example",
            "/%2e//evil.example",
        ] {
            super::redirect_target(payload.as_bytes());
        }
    }
}

#[cfg(test)]
mod verification_token_seeds {
    /// Seeds with a valid token signed by each secret of the fuzz ring, and refusals.
    #[test]
    fn the_seeds_hold_their_properties() {
        use crate::crypto::jwt::{self, Claims};
        let claims = Claims {
            email: "a@example.com".into(),
            update_to: None,
            request_type: None,
            user_id: Some("n0NulwnFCRxVSiSzSPNtn7adaDuIGmua".into()),
            iat: 1_795_472_458,
            exp: Some(1_795_476_058),
        };
        for secret in [super::SECRET, super::OLD_SECRET] {
            let token = jwt::sign(&claims, secret.as_bytes());
            assert!(jwt::verify(&token, &super::ring(), 1_795_472_459).is_ok());
            super::verification_token(token.as_bytes());
        }
        for refused in [
            "eyJhbGciOiJub25lIn0.eyJlbWFpbCI6ImFAYi5jIn0.",
            "a.b.c",
            "\u{0}",
            "...",
        ] {
            super::verification_token(refused.as_bytes());
        }
    }
}

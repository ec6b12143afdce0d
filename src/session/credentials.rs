//! Where a request's session token comes from: `Authorization: Bearer <token.signature>` or the
//! session cookie. Signatures are checked here, before anything touches the database; a value
//! that does not verify, or that is not shaped like a session token, is as good as absent.

use http::{HeaderMap, header};

use crate::cookies::{self, CookieNames};
use crate::crypto::{signing, token};
use crate::secret::SecretRing;

/// How the token reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenSource {
    Cookie,
    Bearer,
}

/// A session token whose signature verified.
#[derive(Clone)]
pub(crate) struct VerifiedToken {
    pub(crate) token: String,
    pub(crate) source: TokenSource,
}

impl std::fmt::Debug for VerifiedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// The verified session token of a request: a valid bearer token wins over the cookie, as with
/// Better-Auth's bearer plugin.
pub(crate) fn session_token(
    headers: &HeaderMap,
    names: &CookieNames,
    secrets: &SecretRing,
    unsigned_bearer: UnsignedBearer,
) -> Option<VerifiedToken> {
    bearer_token(headers, secrets, unsigned_bearer)
        .map(|token| VerifiedToken {
            token,
            source: TokenSource::Bearer,
        })
        .or_else(|| {
            cookie_token(headers, names, secrets).map(|token| VerifiedToken {
                token,
                source: TokenSource::Cookie,
            })
        })
}

fn verified_session_token(signed: &str, secrets: &SecretRing) -> Option<String> {
    signing::verify(signed, secrets)
        .filter(|token| token::is_session_token(token))
        .map(str::to_owned)
}

fn cookie_token(headers: &HeaderMap, names: &CookieNames, secrets: &SecretRing) -> Option<String> {
    verified_session_token(&cookies::read(headers, &names.session_token)?, secrets)
}

/// Whether the request's session cookie verifies with a configured secret; `None` without one.
pub(crate) fn cookie_signature_ok(
    headers: &HeaderMap,
    names: &CookieNames,
    secrets: &SecretRing,
) -> Option<bool> {
    let value = cookies::read(headers, &names.session_token)?;
    Some(verified_session_token(&value, secrets).is_some())
}

/// Whether a bare, unsigned session token is accepted as a bearer token (Better-Auth's
/// `bearer` plugin accepts it; authgate only when configured to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnsignedBearer {
    Refused,
    Accepted,
}

/// `Authorization: Bearer <token.signature>`, the signed value as-is or percent-encoded; the
/// scheme is matched case-insensitively.
fn bearer_token(
    headers: &HeaderMap,
    secrets: &SecretRing,
    unsigned: UnsignedBearer,
) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let scheme = value.get(..7)?;
    if !scheme.eq_ignore_ascii_case("bearer ") {
        return None;
    }
    let credential = value[7..].trim();
    if !credential.contains('.') {
        return (unsigned == UnsignedBearer::Accepted && token::is_session_token(credential))
            .then(|| credential.to_owned());
    }
    verified_session_token(&cookies::try_decode(credential), secrets)
}

/// Whether `Authorization: Bearer` carries a bare session token (no signature): what a client
/// sends when it took the `token` of a sign-in's JSON rather than `set-auth-token`'s value.
pub(crate) fn is_unsigned_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(..7)
                .filter(|s| s.eq_ignore_ascii_case("bearer "))
                .map(|_| &v[7..])
        })
        .is_some_and(|credential| token::is_session_token(credential.trim()))
}

/// Whether the request carries a valid `dont_remember` marker (signed `true`): such sessions
/// are never slid forward.
pub(crate) fn dont_remember(
    headers: &HeaderMap,
    names: &CookieNames,
    secrets: &SecretRing,
) -> bool {
    cookies::read(headers, &names.dont_remember)
        .is_some_and(|signed| signing::verify(&signed, secrets) == Some("true"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cookies::CookieSettings;

    const TOKEN: &str = "VocO25tpasHgAYbnltL5dHFfNiSzsK81";

    fn setup() -> (CookieNames, SecretRing) {
        (
            CookieNames::new(&CookieSettings {
                prefix: "better-auth".into(),
                secure: false,
                host_prefix: false,
                domain: None,
            }),
            SecretRing::new_unchecked(vec![
                "oracle-test-secret-0123456789abcdef0123456789abcdef".into(),
            ]),
        )
    }

    fn headers(name: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        h
    }

    #[test]
    fn recorded_better_auth_cookie_verifies() {
        let (names, secrets) = setup();
        let h = headers(
            "cookie",
            "better-auth.session_token=VocO25tpasHgAYbnltL5dHFfNiSzsK81.q1vqh2dFtA28vBzel%2FiTycJyLbzIUSV2%2FrqKuqHTKX0%3D",
        );
        let found = session_token(&h, &names, &secrets, UnsignedBearer::Refused).unwrap();
        assert_eq!(
            (found.token.as_str(), found.source),
            (TOKEN, TokenSource::Cookie)
        );
        // The same value not percent-encoded also verifies (transcript 13).
        let h = headers(
            "cookie",
            "better-auth.session_token=VocO25tpasHgAYbnltL5dHFfNiSzsK81.q1vqh2dFtA28vBzel/iTycJyLbzIUSV2/rqKuqHTKX0=",
        );
        assert!(session_token(&h, &names, &secrets, UnsignedBearer::Refused).is_some());
    }

    #[test]
    fn bearer_in_either_encoding_and_any_case() {
        let (names, secrets) = setup();
        let signed = signing::sign(TOKEN, secrets.current());
        for value in [
            format!("Bearer {signed}"),
            format!("bearer {}", cookies::encode_uri_component(&signed)),
            format!("BEARER   {signed}  "),
        ] {
            let found = session_token(
                &headers("authorization", &value),
                &names,
                &secrets,
                UnsignedBearer::Refused,
            )
            .unwrap();
            assert_eq!(found.source, TokenSource::Bearer);
        }
        for value in [
            format!("Basic {signed}"),
            format!("Bearer {TOKEN}"),
            "Bearer".into(),
            "Bearer garbage".into(),
        ] {
            assert!(
                session_token(
                    &headers("authorization", &value),
                    &names,
                    &secrets,
                    UnsignedBearer::Refused
                )
                .is_none(),
                "{value}"
            );
        }
    }

    #[test]
    fn unsigned_bearer_only_when_allowed() {
        let (names, secrets) = setup();
        let h = headers("authorization", &format!("Bearer {TOKEN}"));
        assert!(session_token(&h, &names, &secrets, UnsignedBearer::Refused).is_none());
        let found = session_token(&h, &names, &secrets, UnsignedBearer::Accepted).unwrap();
        assert_eq!(found.token, TOKEN);
        let h = headers("authorization", "Bearer not-a-token");
        assert!(session_token(&h, &names, &secrets, UnsignedBearer::Accepted).is_none());
    }

    #[test]
    fn signed_values_that_are_not_session_tokens_are_ignored() {
        let (names, secrets) = setup();
        // A JWT's `header.payload` signed with the same secret verifies as a signature but is
        // not shaped like a session token.
        let signed = signing::sign(
            "eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFAYi5jbyJ9",
            secrets.current(),
        );
        let h = headers(
            "cookie",
            &format!(
                "better-auth.session_token={}",
                cookies::encode_uri_component(&signed)
            ),
        );
        assert!(session_token(&h, &names, &secrets, UnsignedBearer::Refused).is_none());
    }

    #[test]
    fn dont_remember_must_be_signed_true() {
        let (names, secrets) = setup();
        let signed = cookies::encode_uri_component(&signing::sign("true", secrets.current()));
        assert!(dont_remember(
            &headers("cookie", &format!("better-auth.dont_remember={signed}")),
            &names,
            &secrets
        ));
        let other = cookies::encode_uri_component(&signing::sign("false", secrets.current()));
        assert!(!dont_remember(
            &headers("cookie", &format!("better-auth.dont_remember={other}")),
            &names,
            &secrets
        ));
        assert!(!dont_remember(
            &headers("cookie", "better-auth.dont_remember=true"),
            &names,
            &secrets
        ));
    }
}

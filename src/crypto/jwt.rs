//! Email-verification tokens as Better-Auth makes them (jose's `SignJWT`): compact JWS with the
//! header exactly `{"alg":"HS256"}`, the claims `{"email","updateTo"?,"requestType"?,"userId",
//! "iat","exp"}` in that order, base64url without padding, HMAC-SHA256 with the secret's
//! bytes. Verification accepts any secret of the ring, and (stricter than Better-Auth) refuses
//! a token without `exp`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::secret::SecretRing;

type HmacSha256 = Hmac<Sha256>;

/// base64url(`{"alg":"HS256"}`).
const HEADER: &str = "eyJhbGciOiJIUzI1NiJ9";

/// A verification token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) email: String,
    #[serde(rename = "updateTo", skip_serializing_if = "Option::is_none", default)]
    pub(crate) update_to: Option<String>,
    #[serde(
        rename = "requestType",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub(crate) request_type: Option<String>,
    #[serde(rename = "userId", skip_serializing_if = "Option::is_none", default)]
    pub(crate) user_id: Option<String>,
    pub(crate) iat: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) exp: Option<i64>,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwtError {
    /// Malformed, not HS256, signed with no secret of the ring, or without `exp`.
    Invalid,
    /// Well signed, but `exp` has passed.
    Expired,
}

fn mac(secret: &[u8], signing_input: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(signing_input.as_bytes());
    mac
}

/// The compact token for `claims`, signed with `secret`.
pub(crate) fn sign(claims: &Claims, secret: &[u8]) -> String {
    let payload = serde_json::to_vec(claims).expect("claims serialize");
    let signing_input = format!("{HEADER}.{}", URL_SAFE_NO_PAD.encode(payload));
    let signature = URL_SAFE_NO_PAD.encode(mac(secret, &signing_input).finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// The claims of `token` when a secret of `secrets` signed it and it has not expired at
/// `now` (Unix seconds).
pub(crate) fn verify(token: &str, secrets: &SecretRing, now: i64) -> Result<Claims, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Invalid);
    };
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(JwtError::Invalid)?;
    if header.get("alg").and_then(|v| v.as_str()) != Some("HS256") || header.get("crit").is_some() {
        return Err(JwtError::Invalid);
    }
    let mut expected = [0u8; 32];
    match URL_SAFE_NO_PAD.decode_slice(signature, &mut expected) {
        Ok(32) => {}
        _ => return Err(JwtError::Invalid),
    }
    let signing_input = &token[..token.len() - signature.len() - 1];
    if !secrets
        .iter()
        .any(|secret| mac(secret, signing_input).verify_slice(&expected).is_ok())
    {
        return Err(JwtError::Invalid);
    }
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(JwtError::Invalid)?;
    match claims.exp {
        None => Err(JwtError::Invalid),
        Some(exp) if exp <= now => Err(JwtError::Expired),
        Some(_) => Ok(claims),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORACLE: &str = "oracle-test-secret-0123456789abcdef0123456789abcdef";
    /// Vera's verification token, recorded from Better-Auth 1.7.25 (transcript 40).
    const VERA: &str = "eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6InZlcmFAZXhhbXBsZS5jb20iLCJ1c2VySWQiOiJuME51bHduRkNSeFZTaVN6U1BOdG43YWRhRHVJR211YSIsImlhdCI6MTc5NTQ3MjQ1OCwiZXhwIjoxNzk1NDc2MDU4fQ.zPG7FA5BD6aokQg5HGK4qAPt5JqXXc2HChBBpDeHdJA";

    fn ring(secrets: &[&str]) -> SecretRing {
        SecretRing::new_unchecked(secrets.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn reproduces_better_auth_tokens_byte_for_byte() {
        let claims = Claims {
            email: "vera@example.com".into(),
            update_to: None,
            request_type: None,
            user_id: Some("n0NulwnFCRxVSiSzSPNtn7adaDuIGmua".into()),
            iat: 1795472458,
            exp: Some(1795476058),
        };
        assert_eq!(sign(&claims, ORACLE.as_bytes()), VERA);
        assert_eq!(verify(VERA, &ring(&[ORACLE]), 1795472459), Ok(claims));
    }

    #[test]
    fn any_secret_of_the_ring_verifies() {
        assert!(verify(VERA, &ring(&["a-newer-secret", ORACLE]), 1795472459).is_ok());
        assert_eq!(
            verify(VERA, &ring(&["another-secret"]), 1795472459),
            Err(JwtError::Invalid)
        );
    }

    #[test]
    fn expiry_and_malformed_tokens() {
        let secrets = ring(&[ORACLE]);
        assert_eq!(verify(VERA, &secrets, 1795476058), Err(JwtError::Expired));
        let no_exp = Claims {
            email: "yuri@example.com".into(),
            update_to: None,
            request_type: None,
            user_id: None,
            iat: 1,
            exp: None,
        };
        assert_eq!(
            verify(&sign(&no_exp, ORACLE.as_bytes()), &secrets, 2),
            Err(JwtError::Invalid),
            "a token without exp never expires: refused"
        );
        let mut altered = VERA.to_owned();
        altered.pop();
        altered.push('B');
        for bad in ["", "a.b", "a.b.c.d", &altered, "eyJhbGciOiJub25lIn0.e30."] {
            assert_eq!(
                verify(bad, &secrets, 1795472459),
                Err(JwtError::Invalid),
                "{bad}"
            );
        }
    }
}

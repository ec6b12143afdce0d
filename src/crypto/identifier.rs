//! How a token's `verification.identifier` is stored: as given (`reset-password:<token>`,
//! Better-Auth's default) or as base64url-unpadded SHA-256 of that whole string (Better-Auth's
//! `verification.storeIdentifier: "hashed"`), so that a leaked table holds no live token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// How reset and delete-account tokens are kept in the `verification` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenStorage {
    /// `identifier` = base64url(SHA-256(`reset-password:<token>`)), as Better-Auth's
    /// `verification: { storeIdentifier: "hashed" }`. authgate's default.
    #[default]
    Hashed,
    /// `identifier` = `reset-password:<token>` in clear: Better-Auth's default, for a
    /// database shared with a Better-Auth server that keeps its default.
    Plain,
}

/// The identifier column's value for `identifier` (e.g. `reset-password:<token>`).
pub(crate) fn stored(storage: TokenStorage, identifier: &str) -> String {
    match storage {
        TokenStorage::Plain => identifier.to_owned(),
        TokenStorage::Hashed => URL_SAFE_NO_PAD.encode(Sha256::digest(identifier.as_bytes())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Better-Auth 1.7.25's hashed identifiers, recorded in transcript 47.
    #[test]
    fn matches_better_auth_hashed_identifiers() {
        assert_eq!(
            stored(
                TokenStorage::Hashed,
                "reset-password:LxMhW31tC018L65LQKVDWLjw"
            ),
            "WwkJmF7XPYpF1vq64tTiEe2N8kC2eUPxL3h4qGVS4og"
        );
        assert_eq!(
            stored(
                TokenStorage::Plain,
                "reset-password:LxMhW31tC018L65LQKVDWLjw"
            ),
            "reset-password:LxMhW31tC018L65LQKVDWLjw"
        );
    }
}

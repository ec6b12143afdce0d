//! The rows authgate reads and writes, serialised with Better-Auth's JSON keys and key order.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A user, as Better-Auth's API returns it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Display name (may be empty).
    pub name: String,
    /// Email address, lower-cased.
    pub email: String,
    /// Whether the address has been verified.
    pub email_verified: bool,
    /// Avatar URL.
    pub image: Option<String>,
    /// When the user was created.
    #[serde(with = "crate::timestamp::iso")]
    pub created_at: OffsetDateTime,
    /// When the user was last changed.
    #[serde(with = "crate::timestamp::iso")]
    pub updated_at: OffsetDateTime,
    /// 32-character id.
    pub id: String,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("email_verified", &self.email_verified)
            .finish_non_exhaustive()
    }
}

/// A session row. `token` is the bearer secret behind the cookie: it is serialised (Better-Auth
/// returns it from `get-session`) but never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// When the session stops being valid.
    #[serde(with = "crate::timestamp::iso")]
    pub expires_at: OffsetDateTime,
    /// The session token (32 characters), stored in plain text as Better-Auth does.
    pub token: String,
    /// When the session was created (sign-in).
    #[serde(with = "crate::timestamp::iso")]
    pub created_at: OffsetDateTime,
    /// When the session was last extended.
    #[serde(with = "crate::timestamp::iso")]
    pub updated_at: OffsetDateTime,
    /// Client address at sign-in (`""` when unknown).
    pub ip_address: Option<String>,
    /// `User-Agent` at sign-in (`""` when absent).
    pub user_agent: Option<String>,
    /// The user's id.
    pub user_id: String,
    /// 32-character id.
    pub id: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("ip_address", &self.ip_address)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// A session together with its user: the body of `get-session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionWithUser {
    /// The session.
    pub session: Session,
    /// Its user.
    pub user: User,
}

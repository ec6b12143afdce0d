//! The rows authgate reads and writes, serialised with Better-Auth's JSON keys and key order.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::fields::Fields;

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
    /// The additional fields (declared with [`AuthBuilder::user_field`](crate::AuthBuilder::user_field)),
    /// serialised in declaration order between `updatedAt` and `id`, as Better-Auth orders them.
    #[serde(flatten)]
    pub fields: Fields,
    /// 32-character id.
    pub id: String,
}

impl User {
    /// The additional field `name` as a `T` (`None` when absent, `null`, or not a `T`); see
    /// [`Fields::get`].
    ///
    /// # Examples
    /// ```
    /// # fn check(user: &authgate::User) -> bool {
    /// user.field::<String>("role").as_deref() == Some("admin")
    /// # }
    /// ```
    pub fn field<T: serde::de::DeserializeOwned>(&self, name: &str) -> Option<T> {
        self.fields.get(name)
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("email_verified", &self.email_verified)
            .field("fields", &self.fields)
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
    /// The additional fields (declared with
    /// [`AuthBuilder::session_field`](crate::AuthBuilder::session_field)), serialised between
    /// `userId` and `id`, as Better-Auth orders them.
    #[serde(flatten)]
    pub fields: Fields,
    /// 32-character id.
    pub id: String,
}

impl Session {
    /// The additional field `name` as a `T`; see [`Fields::get`].
    pub fn field<T: serde::de::DeserializeOwned>(&self, name: &str) -> Option<T> {
        self.fields.get(name)
    }
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
            .field("fields", &self.fields)
            .finish()
    }
}

impl Session {
    /// The session without its token, for showing to its owner (a "signed-in devices" page):
    /// Better-Auth's keys and order, `token` left out.
    ///
    /// # Examples
    /// ```
    /// # fn show(session: &authgate::Session) {
    /// let json = serde_json::to_value(session.view()).unwrap();
    /// assert!(json.get("token").is_none() && json.get("expiresAt").is_some());
    /// # }
    /// ```
    pub fn view(&self) -> SessionView<'_> {
        SessionView {
            expires_at: self.expires_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            ip_address: self.ip_address.as_deref(),
            user_agent: self.user_agent.as_deref(),
            user_id: &self.user_id,
            fields: &self.fields,
            id: &self.id,
        }
    }
}

/// A [`Session`] without its token, serialised with Better-Auth's keys in its order; see
/// [`Session::view`].
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView<'a> {
    #[serde(with = "crate::timestamp::iso")]
    expires_at: OffsetDateTime,
    #[serde(with = "crate::timestamp::iso")]
    created_at: OffsetDateTime,
    #[serde(with = "crate::timestamp::iso")]
    updated_at: OffsetDateTime,
    ip_address: Option<&'a str>,
    user_agent: Option<&'a str>,
    user_id: &'a str,
    #[serde(flatten)]
    fields: &'a Fields,
    id: &'a str,
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

impl SessionWithUser {
    /// `{"session": ..., "user": ...}` with the session's token left out; see
    /// [`Session::view`].
    pub fn view(&self) -> SessionWithUserView<'_> {
        SessionWithUserView {
            session: self.session.view(),
            user: &self.user,
        }
    }
}

/// A [`SessionWithUser`] without the session token; see [`SessionWithUser::view`].
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SessionWithUserView<'a> {
    session: SessionView<'a>,
    user: &'a User,
}

/// An account row: how a user signs in. authgate writes the email/password account
/// (`providerId` `credential`, `accountId` the user id) that Better-Auth writes.
///
/// `password` is the scrypt hash (`salt:key`); `Debug` never prints it, and the type is not
/// serialisable.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Account {
    /// 32-character id.
    pub id: String,
    /// The provider's id of the user (the user id for `credential`).
    pub account_id: String,
    /// `credential` for email and password.
    pub provider_id: String,
    /// The user's id.
    pub user_id: String,
    /// The password hash, for a credential account.
    pub password: Option<String>,
    /// When the account was created.
    pub created_at: OffsetDateTime,
    /// When the account was last changed.
    pub updated_at: OffsetDateTime,
}

impl Account {
    /// A new credential (email and password) account of `user_id` holding `hash`.
    pub(crate) fn credential(user_id: &str, hash: String, now: OffsetDateTime) -> Self {
        Self {
            id: crate::crypto::token::new_id(),
            account_id: user_id.to_owned(),
            provider_id: "credential".to_owned(),
            user_id: user_id.to_owned(),
            password: Some(hash),
            created_at: now,
            updated_at: now,
        }
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("provider_id", &self.provider_id)
            .field("user_id", &self.user_id)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// A change to a user about to be written: what an update hook sees and may change. `None`
/// leaves a column as it is; `fields` holds the additional fields it sets.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserUpdate {
    user_id: String,
    /// A new name.
    pub name: Option<String>,
    /// A new image (`Some(None)` removes it).
    pub image: Option<Option<String>>,
    /// A new (lower-cased) email.
    pub email: Option<String>,
    /// A new verification state.
    pub email_verified: Option<bool>,
    /// Additional fields to set.
    pub fields: Fields,
}

impl UserUpdate {
    pub(crate) fn of(user_id: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
            name: None,
            image: None,
            email: None,
            email_verified: None,
            fields: Fields::new(),
        }
    }

    /// The user being changed.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.image.is_none()
            && self.email.is_none()
            && self.email_verified.is_none()
            && self.fields.is_empty()
    }
}

/// A change to a session about to be written: its expiry (a sliding refresh) and additional
/// fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionUpdate {
    session_id: String,
    pub(crate) token: String,
    /// A new expiry.
    pub expires_at: Option<OffsetDateTime>,
    /// Additional fields to set.
    pub fields: Fields,
}

impl SessionUpdate {
    pub(crate) fn of(session: &Session) -> Self {
        Self {
            session_id: session.id.clone(),
            token: session.token.clone(),
            expires_at: None,
            fields: Fields::new(),
        }
    }

    /// The id of the session being changed.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }
}

/// A change to an account about to be written (a new password hash).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountUpdate {
    user_id: String,
    /// The new password hash.
    pub password: Option<String>,
}

impl AccountUpdate {
    pub(crate) fn password(user_id: &str, hash: String) -> Self {
        Self {
            user_id: user_id.to_owned(),
            password: Some(hash),
        }
    }

    /// The user whose credential account is being changed.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

impl fmt::Debug for AccountUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountUpdate")
            .field("user_id", &self.user_id)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

//! Sign-up: a user, its credential account and (with auto sign-in) a session, all or nothing.

use super::email_address;
use super::sessions::{RequestMeta, new_session};
use crate::core::Core;
use crate::crypto::token;
use crate::error::AuthError;
use crate::model::{Session, User};
use crate::timestamp;

/// A new user's details.
#[derive(Debug)]
pub(crate) struct SignUp {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) password: String,
    pub(crate) image: Option<String>,
    /// `false`: a one-day session that never slides (`rememberMe: false`).
    pub(crate) remember: bool,
}

/// The created user, and its session when auto sign-in is on.
#[derive(Debug)]
pub(crate) struct SignedUp {
    pub(crate) user: User,
    pub(crate) session: Option<Session>,
}

pub(crate) async fn sign_up(
    core: &Core,
    input: SignUp,
    meta: &RequestMeta,
) -> Result<SignedUp, AuthError> {
    let settings = &core.config.email_password;
    if !settings.sign_up_allowed {
        return Err(AuthError::sign_up_disabled());
    }
    if !email_address::is_email(&input.email) {
        return Err(AuthError::invalid_email());
    }
    settings.passwords.check_length(&input.password)?;
    settings.passwords.check_policy(&input.password).await?;
    let email = email_address::normalize(&input.email);

    if core.database.user_by_email(&email).await?.is_some() {
        return Err(AuthError::user_already_exists());
    }
    let hash = core.hasher.hash(input.password).await?;

    let now = timestamp::now();
    let user = User {
        name: input.name,
        email,
        email_verified: false,
        image: input.image,
        created_at: now,
        updated_at: now,
        id: token::new_id(),
    };
    let session = settings
        .auto_sign_in
        .then(|| new_session(core, &user.id, input.remember, meta));
    match core
        .database
        .create_user(&user, &hash, session.as_ref())
        .await
    {
        Ok(()) => Ok(SignedUp { user, session }),
        // Two sign-ups raced for the same email: the unique index let one through.
        Err(err) if err.is_unique_violation() => Err(AuthError::user_already_exists()),
        Err(err) => Err(err.into()),
    }
}

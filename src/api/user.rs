//! The user's own record: profile, address, deletion.

use super::email_address;
use crate::core::Core;
use crate::error::AuthError;
use crate::model::User;
use crate::timestamp;

/// Sets the name (when given) and the image (when given, possibly to none).
pub(crate) async fn update_user(
    core: &Core,
    user_id: &str,
    name: Option<&str>,
    image: Option<Option<&str>>,
) -> Result<(), AuthError> {
    Ok(core
        .database
        .update_user(user_id, name, image, timestamp::now())
        .await?)
}

/// What a change of address did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmailChange {
    Changed,
    /// The address is taken: nothing changed, and the caller answers as for a change, so that
    /// the endpoint does not reveal who is registered.
    Taken,
}

/// Without email verification, an unverified address changes at once (Better-Auth's
/// `updateEmailWithoutVerification`); a verified one cannot change.
pub(crate) async fn change_email(
    core: &Core,
    user: &User,
    new_email: &str,
) -> Result<EmailChange, AuthError> {
    if !core.config.user.change_email {
        return Err(AuthError::change_email_disabled());
    }
    let new_email = email_address::normalize(new_email);
    if new_email == user.email {
        return Err(AuthError::email_is_the_same());
    }
    // Decided before looking the address up: were it after, a taken address (200) and a free
    // one (400) would answer differently for a verified user.
    if user.email_verified {
        return Err(AuthError::verification_email_not_enabled());
    }
    if core.database.user_by_email(&new_email).await?.is_some() {
        return Ok(EmailChange::Taken);
    }
    match core
        .database
        .update_email(&user.id, &new_email, timestamp::now())
        .await
    {
        Ok(()) => Ok(EmailChange::Changed),
        // Taken in the meantime: the same answer as above.
        Err(err) if err.is_unique_violation() => Ok(EmailChange::Taken),
        Err(err) => Err(err.into()),
    }
}

/// Deletes the user with its sessions and accounts.
pub(crate) async fn delete_user(core: &Core, user_id: &str) -> Result<(), AuthError> {
    Ok(core.database.delete_user(user_id).await?)
}

//! Passwords of existing users: checking the current one and changing it.

use super::sessions::{RequestMeta, new_session};
use crate::core::Core;
use crate::error::AuthError;
use crate::model::Session;
use crate::timestamp;

/// Checks `password` against the user's credential account: 400 `PASSWORD_TOO_LONG` for a
/// password no account can have, 400 `CREDENTIAL_ACCOUNT_NOT_FOUND` without an account, 400
/// `INVALID_PASSWORD` when it does not match (Better-Auth's order).
pub(crate) async fn verify_password(
    core: &Core,
    user_id: &str,
    password: String,
) -> Result<(), AuthError> {
    core.config
        .email_password
        .passwords
        .check_not_too_long(&password)?;
    let stored = core
        .database
        .credential_password(user_id)
        .await?
        .flatten()
        .ok_or_else(AuthError::credential_account_not_found)?;
    match core.hasher.verify(password, Some(stored)).await? {
        Ok(true) => Ok(()),
        Ok(false) => Err(AuthError::invalid_password()),
        Err(_) => {
            tracing::error!(user.id = %user_id, "the stored password hash is malformed");
            Err(AuthError::invalid_password())
        }
    }
}

/// A password change.
#[derive(Debug)]
pub(crate) struct ChangePassword {
    pub(crate) current_password: String,
    pub(crate) new_password: String,
    /// Replace every session of the user, this one included, by one new session (signing
    /// every other device out): whether it is remembered, and the request it records.
    pub(crate) replace_sessions: Option<(bool, RequestMeta)>,
}

/// Changes the password after checking the current one, in Better-Auth's order (new length,
/// current password, policy). Returns the replacement session when one was asked for.
pub(crate) async fn change_password(
    core: &Core,
    user_id: &str,
    change: ChangePassword,
) -> Result<Option<Session>, AuthError> {
    let rules = &core.config.email_password.passwords;
    rules.check_length(&change.new_password)?;
    verify_password(core, user_id, change.current_password).await?;
    rules.check_policy(&change.new_password).await?;
    let hash = core.hasher.hash(change.new_password).await?;

    // A stolen token dies with the old password.
    let replacement = change
        .replace_sessions
        .map(|(remember, meta)| new_session(core, user_id, remember, &meta));
    core.database
        .change_password(user_id, &hash, timestamp::now(), replacement.as_ref())
        .await?;
    Ok(replacement)
}

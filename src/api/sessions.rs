//! A user's sessions: listing and revoking them.

use crate::core::Core;
use crate::error::AuthError;
use crate::model::Session;
use crate::timestamp;

/// The user's live sessions, oldest first.
pub(crate) async fn list_sessions(core: &Core, user_id: &str) -> Result<Vec<Session>, AuthError> {
    let now = timestamp::now();
    let mut sessions = core.database.list_sessions(user_id).await?;
    sessions.retain(|session| session.expires_at > now);
    Ok(sessions)
}

/// Ends the session with `token` (sign-out), whoever it belongs to.
pub(crate) async fn end_session(core: &Core, token: &str) -> Result<(), AuthError> {
    Ok(core.database.delete_session(token).await?)
}

/// Ends the session with `token` if it is one of `user_id`'s (never another user's).
pub(crate) async fn revoke_session(
    core: &Core,
    user_id: &str,
    token: &str,
) -> Result<(), AuthError> {
    Ok(core.database.delete_session_of_user(token, user_id).await?)
}

/// Ends every session of `user_id`.
pub(crate) async fn revoke_sessions(core: &Core, user_id: &str) -> Result<(), AuthError> {
    Ok(core.database.delete_user_sessions(user_id).await?)
}

/// Ends every session of `user_id` but the one with `keep_token`.
pub(crate) async fn revoke_other_sessions(
    core: &Core,
    user_id: &str,
    keep_token: &str,
) -> Result<(), AuthError> {
    Ok(core
        .database
        .delete_other_sessions(user_id, keep_token)
        .await?)
}

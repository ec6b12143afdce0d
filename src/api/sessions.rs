//! Sessions: creating them for a user, listing and revoking them.

use crate::core::Core;
use crate::crypto::token;
use crate::error::AuthError;
use crate::model::Session;
use crate::session::policy;
use crate::timestamp;

/// What a new session records about the request that created it.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestMeta {
    /// The client address, `""` when unknown (as Better-Auth stores it).
    pub(crate) ip_address: String,
    /// The `User-Agent` header, `""` when absent.
    pub(crate) user_agent: String,
}

/// A new session row for `user_id` (not yet stored): a fresh token, and the expiry the session
/// rules give it.
pub(crate) fn new_session(
    core: &Core,
    user_id: &str,
    remember: bool,
    meta: &RequestMeta,
) -> Session {
    let now = timestamp::now();
    Session {
        expires_at: policy::initial_expiry(&core.config.session, remember, now),
        token: token::new_id(),
        created_at: now,
        updated_at: now,
        ip_address: Some(meta.ip_address.clone()),
        user_agent: Some(meta.user_agent.clone()),
        user_id: user_id.to_owned(),
        id: token::new_id(),
    }
}

/// Creates and stores a new session for `user_id`.
pub(crate) async fn create_session(
    core: &Core,
    user_id: &str,
    remember: bool,
    meta: &RequestMeta,
) -> Result<Session, AuthError> {
    // A token collision would violate the unique index, never overwrite another session;
    // with 190 random bits it does not happen, but a fresh token is cheap.
    let mut attempts = 0;
    loop {
        let session = new_session(core, user_id, remember, meta);
        match core.database.insert_session(&session).await {
            Ok(()) => return Ok(session),
            Err(err) if err.is_unique_violation() && attempts < 2 => attempts += 1,
            Err(err) => return Err(err.into()),
        }
    }
}

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

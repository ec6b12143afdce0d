//! Sessions: creating them for a user, updating, listing and revoking them, each with its
//! database hooks.

use super::audit;
use crate::cache::Invalidate;
use crate::core::Core;
use crate::crypto::token;
use crate::error::AuthError;
use crate::fields::{Fields, input};
use crate::hooks::{HookContext, Operation};
use crate::model::{Session, SessionUpdate};
use crate::session::policy;
use crate::store::StoreError;
use crate::timestamp;

/// What a new session records about the request that created it.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestMeta {
    /// The client address, `""` when unknown (as Better-Auth stores it).
    pub(crate) ip_address: String,
    /// The `User-Agent` header, `""` when absent.
    pub(crate) user_agent: String,
}

/// The most characters of a `User-Agent` a session records; the rest is dropped (a request is
/// never refused for it). Real browsers send under 300; the bound keeps a client from storing
/// hundreds of kilobytes per session and inflating every `list-sessions` answer.
pub(crate) const MAX_USER_AGENT_CHARS: usize = 512;

/// `value` cut to at most `max` characters, at a character boundary.
pub(crate) fn truncate_chars(value: &str, max: usize) -> &str {
    value
        .char_indices()
        .nth(max)
        .map_or(value, |(end, _)| &value[..end])
}

/// A new session row for `user_id` (not yet stored, nor seen by the hooks): a fresh token, and
/// the expiry the session rules give it.
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
        user_agent: Some(truncate_chars(&meta.user_agent, MAX_USER_AGENT_CHARS).to_owned()),
        user_id: user_id.to_owned(),
        fields: Fields::new(),
        id: token::new_id(),
    }
}

/// The row to insert for a new session: after the `session_create_before` hooks, with every
/// additional field filled (defaults) and checked.
pub(crate) async fn prepare_new_session(
    core: &Core,
    session: Session,
    ctx: &HookContext,
) -> Result<Session, AuthError> {
    let mut session = core.hooks.session.create_before.run(session, ctx).await?;
    session.fields = input::complete_row(&core.config.session_fields, "session", &session.fields)?;
    Ok(session)
}

/// Creates and stores a new session for `user_id`, with its hooks.
pub(crate) async fn create_session(
    core: &Core,
    user_id: &str,
    remember: bool,
    meta: &RequestMeta,
    ctx: &HookContext,
) -> Result<Session, AuthError> {
    let mut session =
        prepare_new_session(core, new_session(core, user_id, remember, meta), ctx).await?;
    // A token collision would violate the unique index, never overwrite another session;
    // with 190 random bits it does not happen, but a fresh token is cheap.
    let mut attempts = 0;
    loop {
        match core.database.insert_session(&session).await {
            Ok(()) => break,
            Err(err) if err.is_unique_violation() && attempts < 2 => {
                attempts += 1;
                session.token = token::new_id();
                session.id = token::new_id();
            }
            Err(err) => return Err(err.into()),
        }
    }
    core.hooks.session.create_after.run(&session, ctx).await;
    Ok(session)
}

/// Writes `fields` to `session` after the `session_update_before` hooks; the session as
/// written. 401 when the session is gone.
pub(crate) async fn update_session(
    core: &Core,
    session: &Session,
    fields: Fields,
    ctx: &HookContext,
) -> Result<Session, AuthError> {
    let mut change = SessionUpdate::of(session);
    change.fields = fields;
    let change = before_update(core, change, ctx).await?;
    let written = write_update(core, session, change, ctx).await;
    core.invalidate(Invalidate::Token(&session.token)).await;
    written?.ok_or_else(AuthError::unauthorized)
}

/// What a sliding refresh came to.
#[derive(Debug)]
pub(crate) enum Refreshed {
    /// The session as written.
    Done(Session),
    /// The row went away in the meantime (revoked).
    Gone,
    /// A hook refused the refresh; its error is the answer.
    Vetoed(AuthError),
    /// The database failed the write.
    Failed(StoreError),
}

/// Slides `session`'s expiry to `expires_at` (Better-Auth's `updateSession` on refresh), with
/// the session update hooks.
pub(crate) async fn refresh_session(
    core: &Core,
    session: &Session,
    expires_at: time::OffsetDateTime,
    ctx: &HookContext,
) -> Refreshed {
    let mut change = SessionUpdate::of(session);
    change.expires_at = Some(expires_at);
    let change = match before_update(core, change, ctx).await {
        Ok(change) => change,
        Err(veto) => return Refreshed::Vetoed(veto),
    };
    match write_update(core, session, change, ctx).await {
        Ok(Some(session)) => Refreshed::Done(session),
        Ok(None) => Refreshed::Gone,
        Err(err) => Refreshed::Failed(err),
    }
}

async fn before_update(
    core: &Core,
    change: SessionUpdate,
    ctx: &HookContext,
) -> Result<SessionUpdate, AuthError> {
    let mut change = core.hooks.session.update_before.run(change, ctx).await?;
    change.fields = input::check_patch(&core.config.session_fields, "session", &change.fields)?;
    Ok(change)
}

/// Writes `change`, then runs the after hooks; `None` when the session is gone.
async fn write_update(
    core: &Core,
    session: &Session,
    change: SessionUpdate,
    ctx: &HookContext,
) -> Result<Option<Session>, StoreError> {
    let now = timestamp::now();
    if !core.database.update_session(&change, now).await? {
        return Ok(None);
    }
    let mut updated = session.clone();
    if let Some(expires_at) = change.expires_at {
        updated.expires_at = timestamp::truncate(expires_at);
    }
    for (name, value) in change.fields.iter() {
        updated.fields.set(name, value.clone());
    }
    updated.updated_at = now;
    core.hooks.session.update_after.run(&updated, ctx).await;
    Ok(Some(updated))
}

/// The user's live sessions, oldest first.
pub(crate) async fn list_sessions(core: &Core, user_id: &str) -> Result<Vec<Session>, AuthError> {
    let now = timestamp::now();
    let mut sessions = core.database.list_sessions(user_id).await?;
    sessions.retain(|session| session.expires_at > now);
    Ok(sessions)
}

/// Deletes `sessions` with `delete` between their hooks: every before hook first (any may
/// veto, before anything is deleted), then the deletion, then the after hooks.
async fn delete_with_hooks<F>(
    core: &Core,
    sessions: &[Session],
    ctx: &HookContext,
    delete: F,
) -> Result<(), AuthError>
where
    F: Future<Output = Result<(), StoreError>>,
{
    let hooks = &core.hooks.session;
    for session in sessions {
        hooks.delete_before.run(session, ctx).await?;
    }
    delete.await?;
    for session in sessions {
        hooks.delete_after.run(session, ctx).await;
    }
    Ok(())
}

/// Ends the session with `token` (sign-out), whoever it belongs to. The row is read first, for
/// the hooks and for the audit trail's user id.
pub(crate) async fn end_session(
    core: &Core,
    token: &str,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    let (user_id, result) = match core.database.session_by_token(token).await {
        Ok(Some(session)) => {
            let deleted = delete_with_hooks(
                core,
                std::slice::from_ref(&session),
                ctx,
                core.database.delete_session(token),
            )
            .await;
            (Some(session.user_id), deleted)
        }
        Ok(None) => (None, Ok(())),
        Err(err) => (None, Err(err.into())),
    };
    core.invalidate(Invalidate::Token(token)).await;
    if ctx.operation() == Operation::SignOut {
        audit::record("sign_out", user_id.as_deref(), &result, ctx);
    }
    result
}

/// Ends the session with `token` if it is one of `user_id`'s (never another user's); with
/// `user_id` `None` (server code), whoever's it is.
pub(crate) async fn revoke_session(
    core: &Core,
    user_id: Option<&str>,
    token: &str,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    let result = revoke_one(core, user_id, token, ctx).await;
    core.invalidate(Invalidate::Token(token)).await;
    audit::record("session_revoked", user_id, &result, ctx);
    result
}

async fn revoke_one(
    core: &Core,
    user_id: Option<&str>,
    token: &str,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    let delete = async {
        match user_id {
            Some(user_id) => core.database.delete_session_of_user(token, user_id).await,
            None => core.database.delete_session(token).await,
        }
    };
    if !core.hooks.session.watch_deletes() {
        return Ok(delete.await?);
    }
    let session = core
        .database
        .session_by_token(token)
        .await?
        .filter(|s| user_id.is_none_or(|user_id| s.user_id == user_id));
    match session {
        Some(session) => delete_with_hooks(core, &[session], ctx, delete).await,
        None => Ok(()),
    }
}

/// Ends every session of `user_id`.
pub(crate) async fn revoke_sessions(
    core: &Core,
    user_id: &str,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    let delete = core.database.delete_user_sessions(user_id);
    let result = if core.hooks.session.watch_deletes() {
        match core.database.list_sessions(user_id).await {
            Ok(sessions) => delete_with_hooks(core, &sessions, ctx, delete).await,
            Err(err) => Err(err.into()),
        }
    } else {
        delete.await.map_err(Into::into)
    };
    core.invalidate(Invalidate::User(user_id)).await;
    audit::record("sessions_revoked", Some(user_id), &result, ctx);
    result
}

/// Ends every session of `user_id` but the one with `keep_token`.
pub(crate) async fn revoke_other_sessions(
    core: &Core,
    user_id: &str,
    keep_token: &str,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    let delete = core.database.delete_other_sessions(user_id, keep_token);
    let result = if core.hooks.session.watch_deletes() {
        match core.database.list_sessions(user_id).await {
            Ok(mut sessions) => {
                sessions.retain(|s| s.token != keep_token);
                delete_with_hooks(core, &sessions, ctx, delete).await
            }
            Err(err) => Err(err.into()),
        }
    } else {
        delete.await.map_err(Into::into)
    };
    core.invalidate(Invalidate::User(user_id)).await;
    audit::record("other_sessions_revoked", Some(user_id), &result, ctx);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_cut_at_a_character_boundary() {
        assert_eq!(truncate_chars("curl/8.0", MAX_USER_AGENT_CHARS), "curl/8.0");
        let long = "é".repeat(600);
        let cut = truncate_chars(&long, MAX_USER_AGENT_CHARS);
        assert_eq!(cut.chars().count(), 512);
        assert_eq!(cut.len(), 1024, "two bytes per character, none split");
        assert_eq!(truncate_chars("ab", 0), "");
    }
}

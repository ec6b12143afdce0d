//! Passwords of existing users: checking the current one, changing it, and setting one without
//! it (server code).

use std::fmt;

use super::audit;
use super::sessions::{RequestMeta, list_sessions, new_session, prepare_new_session};
use crate::cache::Invalidate;
use crate::core::Core;
use crate::error::AuthError;
use crate::hooks::HookContext;
use crate::model::{Account, AccountUpdate, Session};
use crate::store::SessionsAfterPasswordChange;
use crate::timestamp;

/// Checks `password` against the user's credential account: 400 `PASSWORD_TOO_LONG` for a
/// password no account can have, 400 `CREDENTIAL_ACCOUNT_NOT_FOUND` without an account, 400
/// `INVALID_PASSWORD` when it does not match (Better-Auth's order).
///
/// A request made with a session (`ctx.is_http()`, change-password, verify-password,
/// delete-user) counts against the per-account limit of the session's user, the counter
/// sign-in uses: whoever holds a stolen cookie gets no more guesses at the password than
/// sign-in gives, and a success resets the count. Server calls are not counted.
pub(crate) async fn verify_password(
    core: &Core,
    user_id: &str,
    password: String,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    core.config
        .email_password
        .passwords
        .check_not_too_long(&password)?;
    let account = ctx
        .session()
        .filter(|_| ctx.is_http())
        .filter(|found| found.user.id == user_id)
        .map(|found| found.user.email.clone());
    if let Some(email) = &account {
        core.limiter.check_account(email).await?;
    }
    check_stored(core, user_id, password).await?;
    if let Some(email) = &account {
        core.limiter.forget_account(email).await;
    }
    Ok(())
}

async fn check_stored(core: &Core, user_id: &str, password: String) -> Result<(), AuthError> {
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

/// What a password change does to the user's sessions.
#[derive(Debug, Clone)]
pub(crate) enum SessionsOnChange {
    /// Leaves them.
    Keep,
    /// Ends every one (server code: nobody holds a replacement).
    Revoke,
    /// Ends every one, this one included, and starts one new session for the caller (signing
    /// every other device out): whether it is remembered, and the request it records.
    Replace { remember: bool, meta: RequestMeta },
}

/// A password change: the body of `POST /change-password`, and the input of
/// [`Api::change_password`](crate::api::Api::change_password).
///
/// # Examples
/// ```
/// use authgate::api::ChangePassword;
///
/// let change = ChangePassword::new("old password 1", "new password 2").revoke_sessions(true);
/// assert!(!format!("{change:?}").contains("password 2"));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ChangePassword {
    pub(crate) current_password: String,
    pub(crate) new_password: String,
    pub(crate) sessions: SessionsOnChange,
}

impl fmt::Debug for ChangePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangePassword")
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

impl ChangePassword {
    /// The current password and the new one.
    pub fn new(current_password: impl Into<String>, new_password: impl Into<String>) -> Self {
        Self {
            current_password: current_password.into(),
            new_password: new_password.into(),
            sessions: SessionsOnChange::Keep,
        }
    }

    /// Also ends every session of the user (a stolen token dies with the old password).
    pub fn revoke_sessions(mut self, revoke: bool) -> Self {
        self.sessions = if revoke {
            SessionsOnChange::Revoke
        } else {
            SessionsOnChange::Keep
        };
        self
    }
}

/// Changes the password after checking the current one, in Better-Auth's order (new length,
/// current password, policy). Returns the replacement session when one was asked for.
pub(crate) async fn change_password(
    core: &Core,
    user_id: &str,
    change: ChangePassword,
    ctx: &HookContext,
) -> Result<Option<Session>, AuthError> {
    let result = change_checked(core, user_id, change, ctx).await;
    core.invalidate(Invalidate::User(user_id)).await;
    audit::record("password_changed", Some(user_id), &result, ctx);
    result
}

async fn change_checked(
    core: &Core,
    user_id: &str,
    change: ChangePassword,
    ctx: &HookContext,
) -> Result<Option<Session>, AuthError> {
    let rules = &core.config.email_password.passwords;
    rules.check_length(&change.new_password)?;
    verify_password(core, user_id, change.current_password, ctx).await?;
    rules.check_policy(&change.new_password).await?;
    let hash = core.hasher.hash(change.new_password).await?;
    write_password(core, user_id, hash, &change.sessions, ctx).await
}

/// A new password: its hash written as [`write_hash`] writes it, and the user's outstanding
/// reset links voided.
async fn write_password(
    core: &Core,
    user_id: &str,
    hash: String,
    sessions: &SessionsOnChange,
    ctx: &HookContext,
) -> Result<Option<Session>, AuthError> {
    let replacement = write_hash(core, user_id, hash, sessions, ctx).await?;
    void_reset_links(core, user_id).await;
    Ok(replacement)
}

/// The hooks and the write of a new password hash, with what it does to the sessions: the
/// before hooks (session deletions, the account update, the new session) run before the one
/// transaction, the after hooks after it.
async fn write_hash(
    core: &Core,
    user_id: &str,
    hash: String,
    sessions: &SessionsOnChange,
    ctx: &HookContext,
) -> Result<Option<Session>, AuthError> {
    let hooks = &core.hooks;
    let ending = match sessions {
        SessionsOnChange::Keep => Vec::new(),
        _ if hooks.session.watch_deletes() => list_sessions(core, user_id).await?,
        _ => Vec::new(),
    };
    for session in &ending {
        hooks.session.delete_before.run(session, ctx).await?;
    }
    let change = hooks
        .account
        .update_before
        .run(AccountUpdate::password(user_id, hash.clone()), ctx)
        .await?;
    let hash = change.password.unwrap_or(hash);
    let replacement = match sessions {
        SessionsOnChange::Replace { remember, meta } => {
            let session = new_session(core, user_id, *remember, meta);
            Some(prepare_new_session(core, session, ctx).await?)
        }
        _ => None,
    };
    let mode = match (sessions, &replacement) {
        (_, Some(session)) => SessionsAfterPasswordChange::Replace(session),
        (SessionsOnChange::Keep, None) => SessionsAfterPasswordChange::Keep,
        (_, None) => SessionsAfterPasswordChange::Revoke,
    };
    core.database
        .change_password(user_id, &hash, timestamp::now(), mode)
        .await?;
    for session in &ending {
        hooks.session.delete_after.run(session, ctx).await;
    }
    if !hooks.account.update_after.is_empty()
        && let Some(account) = core.database.credential_account(user_id).await?
    {
        hooks.account.update_after.run(&account, ctx).await;
    }
    if let Some(session) = &replacement {
        hooks.session.create_after.run(session, ctx).await;
    }
    Ok(replacement)
}

/// Replaces the credential account's hash, keeping the sessions and the reset links (the
/// re-hash of an imported bcrypt or argon2 hash on sign-in: the password is the same).
pub(crate) async fn replace_hash(
    core: &Core,
    user_id: &str,
    hash: String,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    write_hash(core, user_id, hash, &SessionsOnChange::Keep, ctx)
        .await
        .map(drop)
}

/// Sets a password without the current one (server code; Better-Auth's `setPassword`): the
/// length and policy rules apply; a user without a credential account gets one.
pub(crate) async fn set_password(
    core: &Core,
    user_id: &str,
    new_password: String,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    let result = set_checked(core, user_id, new_password, ctx).await;
    core.invalidate(Invalidate::User(user_id)).await;
    audit::record("password_set", Some(user_id), &result, ctx);
    result
}

async fn set_checked(
    core: &Core,
    user_id: &str,
    new_password: String,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    let rules = &core.config.email_password.passwords;
    rules.check_length(&new_password)?;
    rules.check_policy(&new_password).await?;
    if core.database.user_by_id(user_id).await?.is_none() {
        return Err(AuthError::user_not_found());
    }
    let hash = core.hasher.hash(new_password).await?;
    if core.database.credential_password(user_id).await?.is_some() {
        write_password(core, user_id, hash, &SessionsOnChange::Keep, ctx).await?;
        return Ok(());
    }
    create_credential_account(core, user_id, hash, ctx).await?;
    void_reset_links(core, user_id).await;
    Ok(())
}

/// Gives a user without one a credential account holding `hash`, with its hooks.
async fn create_credential_account(
    core: &Core,
    user_id: &str,
    hash: String,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    let account = Account::credential(user_id, hash, timestamp::now());
    let account = core.hooks.account.create_before.run(account, ctx).await?;
    core.database.insert_account(&account).await?;
    core.hooks.account.create_after.run(&account, ctx).await;
    Ok(())
}

/// A reset's new password (already checked and hashed): written as a change is, with its
/// hooks, ending every session when `revoke`; a user without a credential account gets one.
pub(crate) async fn store_reset_password(
    core: &Core,
    user_id: &str,
    hash: String,
    revoke: bool,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    if core.database.credential_password(user_id).await?.is_some() {
        let sessions = if revoke {
            SessionsOnChange::Revoke
        } else {
            SessionsOnChange::Keep
        };
        write_password(core, user_id, hash, &sessions, ctx).await?;
        return Ok(());
    }
    create_credential_account(core, user_id, hash, ctx).await?;
    void_reset_links(core, user_id).await;
    if revoke {
        super::sessions::revoke_sessions(core, user_id, ctx).await?;
    }
    Ok(())
}

/// A new password voids every outstanding reset link of the user (checklist 15). Best effort:
/// the password has changed already, so a failure here is logged, never the request's answer
/// (the links still expire on their own).
async fn void_reset_links(core: &Core, user_id: &str) {
    if let Err(err) = core.database.delete_user_verifications(user_id).await {
        tracing::warn!(
            user.id = %user_id,
            error = %err,
            "the password changed, but the user's other reset links could not be deleted"
        );
    }
}

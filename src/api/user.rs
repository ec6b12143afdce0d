//! The user's own record: profile and additional fields, address, deletion, each with its
//! database hooks.

use serde_json::Value;

use super::audit;
use super::email_address;
use crate::cache::Invalidate;
use crate::core::Core;
use crate::error::AuthError;
use crate::fields::{Fields, input};
use crate::hooks::HookContext;
use crate::model::{User, UserUpdate};
use crate::timestamp;

/// A change to a user by server code: the input of
/// [`Api::update_user`](crate::api::Api::update_user). Unlike `POST /update-user`, it may set
/// any declared additional field (a `role`), the email and the verification state.
///
/// # Examples
/// ```
/// use authgate::api::UpdateUser;
///
/// let promote = UpdateUser::new().field("role", "admin");
/// assert!(!promote.is_empty());
/// assert!(UpdateUser::new().is_empty());
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct UpdateUser {
    pub(crate) name: Option<String>,
    pub(crate) image: Option<Option<String>>,
    pub(crate) email: Option<String>,
    pub(crate) email_verified: Option<bool>,
    pub(crate) fields: Fields,
}

impl UpdateUser {
    /// A change that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A new image, or none.
    pub fn image(mut self, image: Option<String>) -> Self {
        self.image = Some(image);
        self
    }

    /// A new email (checked and lower-cased; 422 `USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL` when
    /// taken).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Marks the email verified or not.
    pub fn email_verified(mut self, verified: bool) -> Self {
        self.email_verified = Some(verified);
        self
    }

    /// Sets an additional field (`null` empties an optional one).
    pub fn field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.fields.set(name, value);
        self
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.image.is_none()
            && self.email.is_none()
            && self.email_verified.is_none()
            && self.fields.is_empty()
    }

    pub(crate) fn into_change(self, user_id: &str) -> Result<UserUpdate, AuthError> {
        let mut change = UserUpdate::of(user_id);
        if let Some(email) = &self.email
            && !email_address::is_email(email)
        {
            return Err(AuthError::invalid_email());
        }
        change.name = self.name;
        change.image = self.image;
        change.email = self.email.as_deref().map(email_address::normalize);
        change.email_verified = self.email_verified;
        change.fields = self.fields;
        Ok(change)
    }
}

/// Writes `change` after the `user_update_before` hooks (which may alter it); the user as
/// written when the after hooks want it (one more read), else `None`. 404 `USER_NOT_FOUND`
/// when there is no such user; a taken email is a unique violation for the caller to answer.
pub(crate) async fn update_user(
    core: &Core,
    change: UserUpdate,
    ctx: &HookContext,
) -> Result<Option<User>, UpdateError> {
    let hooks = &core.hooks.user;
    let mut change = hooks.update_before.run(change, ctx).await?;
    change.fields = input::check_patch(&core.config.user_fields, "user", &change.fields)?;
    let written = core.database.update_user(&change, timestamp::now()).await;
    core.invalidate(Invalidate::User(change.user_id())).await;
    match written {
        Ok(true) => {}
        Ok(false) => return Err(AuthError::user_not_found().into()),
        Err(err) if err.is_unique_violation() => return Err(UpdateError::EmailTaken),
        Err(err) => return Err(AuthError::from(err).into()),
    }
    if hooks.update_after.is_empty() {
        return Ok(None);
    }
    let updated = core.database.user_by_id(change.user_id()).await?;
    if let Some(user) = &updated {
        hooks.update_after.run(user, ctx).await;
    }
    Ok(updated)
}

/// Why an update failed.
#[derive(Debug)]
pub(crate) enum UpdateError {
    /// The new email belongs to another user.
    EmailTaken,
    Other(AuthError),
}

impl From<AuthError> for UpdateError {
    fn from(err: AuthError) -> Self {
        UpdateError::Other(err)
    }
}

impl From<crate::store::StoreError> for UpdateError {
    fn from(err: crate::store::StoreError) -> Self {
        UpdateError::Other(err.into())
    }
}

impl UpdateError {
    /// The answer when a taken email is answered as such.
    pub(crate) fn into_error(self) -> AuthError {
        match self {
            UpdateError::EmailTaken => AuthError::user_already_exists(),
            UpdateError::Other(err) => err,
        }
    }
}

/// What a change of address did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmailChange {
    Changed,
    /// The address is taken: nothing changed, and the caller answers as for a change, so that
    /// the endpoint does not reveal who is registered.
    Taken,
    /// A link went out (to the new address, or to the old one for approval); nothing changed
    /// yet.
    Pending,
}

/// Without email verification, an unverified address changes at once (Better-Auth's
/// `updateEmailWithoutVerification`); a verified one cannot change.
///
/// With a mailer (Better-Auth with `sendVerificationEmail`): a taken address sends nothing;
/// an unverified user's address changes at once only with `update_email_without_verification`
/// (and the new address gets a verification mail); otherwise the change waits for a link:
/// sent to the old address for approval when `send_change_email_confirmation` is on and the
/// user is verified, else to the new address.
pub(crate) async fn change_email(
    core: &Core,
    user: &User,
    new_email: &str,
    callback_url: Option<&str>,
    ctx: &HookContext,
) -> Result<EmailChange, AuthError> {
    if !core.config.user.change_email {
        return Err(AuthError::change_email_disabled());
    }
    let new_email = email_address::normalize(new_email);
    if new_email == user.email {
        return Err(AuthError::email_is_the_same());
    }
    if core.outbox.is_some() {
        return change_email_by_mail(core, user, new_email, callback_url, ctx).await;
    }
    // Decided before looking the address up: were it after, a taken address (200) and a free
    // one (400) would answer differently for a verified user.
    if user.email_verified {
        return Err(AuthError::verification_email_not_enabled());
    }
    if core.database.user_by_email(&new_email).await?.is_some() {
        return Ok(EmailChange::Taken);
    }
    let mut change = UserUpdate::of(&user.id);
    change.email = Some(new_email);
    match update_user(core, change, ctx).await {
        Ok(_) => Ok(EmailChange::Changed),
        // Taken in the meantime: the same answer as above.
        Err(UpdateError::EmailTaken) => Ok(EmailChange::Taken),
        Err(UpdateError::Other(err)) => Err(err),
    }
}

/// Deletes the user with its sessions and accounts, in one transaction. With delete hooks, the
/// rows are read first and every before hook runs (sessions, accounts, then the user) before
/// anything is deleted; the after hooks run after the commit.
pub(crate) async fn delete_user(
    core: &Core,
    user_id: &str,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    let result = delete_with_hooks(core, user_id, ctx).await;
    core.invalidate(Invalidate::User(user_id)).await;
    audit::record("user_deleted", Some(user_id), &result, ctx);
    result
}

async fn delete_with_hooks(core: &Core, user_id: &str, ctx: &HookContext) -> Result<(), AuthError> {
    let hooks = &core.hooks;
    let sessions = if hooks.session.watch_deletes() {
        core.database.list_sessions(user_id).await?
    } else {
        Vec::new()
    };
    let accounts = if hooks.account.watch_deletes() {
        core.database.user_accounts(user_id).await?
    } else {
        Vec::new()
    };
    let user = if hooks.user.watch_deletes() {
        core.database.user_by_id(user_id).await?
    } else {
        None
    };
    for session in &sessions {
        hooks.session.delete_before.run(session, ctx).await?;
    }
    for account in &accounts {
        hooks.account.delete_before.run(account, ctx).await?;
    }
    if let Some(user) = &user {
        hooks.user.delete_before.run(user, ctx).await?;
    }
    core.database.delete_user(user_id).await?;
    for session in &sessions {
        hooks.session.delete_after.run(session, ctx).await;
    }
    for account in &accounts {
        hooks.account.delete_after.run(account, ctx).await;
    }
    if let Some(user) = &user {
        hooks.user.delete_after.run(user, ctx).await;
    }
    Ok(())
}

/// [`change_email`] with a mailer.
async fn change_email_by_mail(
    core: &Core,
    user: &User,
    new_email: String,
    callback_url: Option<&str>,
    ctx: &HookContext,
) -> Result<EmailChange, AuthError> {
    use super::account_mail;
    if core.database.user_by_email(&new_email).await?.is_some() {
        return Ok(EmailChange::Taken);
    }
    let settings = core.config.user;
    if !user.email_verified && settings.update_email_without_verification {
        let mut change = UserUpdate::of(&user.id);
        change.email = Some(new_email.clone());
        return match update_user(core, change, ctx).await {
            Ok(_) => {
                let mut changed = user.clone();
                changed.email = new_email;
                account_mail::send_verification(core, &changed, callback_url);
                Ok(EmailChange::Changed)
            }
            Err(UpdateError::EmailTaken) => Ok(EmailChange::Taken),
            Err(UpdateError::Other(err)) => Err(err),
        };
    }
    let (request_type, to, kind) = if user.email_verified && settings.send_change_email_confirmation
    {
        (
            "change-email-confirmation",
            user.email.as_str(),
            crate::mail::MailKind::ChangeEmailConfirmation,
        )
    } else {
        (
            "change-email-verification",
            new_email.as_str(),
            crate::mail::MailKind::VerifyEmail,
        )
    };
    account_mail::send_change_email(core, user, &new_email, request_type, to, kind, callback_url);
    Ok(EmailChange::Pending)
}

//! Password reset: the request (a 24-character token stored in `verification`, a mail with
//! the link), the link's redirect, and the reset itself, which consumes the token atomically.

use std::time::Instant;

use super::account_mail::{self, pad};
use super::audit;
use super::email_address;
use super::password::store_reset_password;
use crate::core::Core;
use crate::crypto::{identifier, token};
use crate::error::AuthError;
use crate::hooks::HookContext;
use crate::mail::MailKind;
use crate::timestamp;

/// Length of a reset token (Better-Auth's `generateId(24)`).
pub(crate) const RESET_TOKEN_LEN: usize = 24;

/// The answer to every accepted request.
pub(crate) const REQUEST_ANSWER: &str =
    "If this email exists in our system, check your email for the reset link";

fn stored_identifier(core: &Core, token: &str) -> String {
    identifier::stored(
        core.config.password_reset.storage,
        &format!("reset-password:{token}"),
    )
}

/// Starts a reset for `email`, as `POST /request-password-reset` does: for a known address a
/// token row and a mail (`reset-password/<token>?callbackURL=<redirectTo>`); for an unknown
/// one, a lookup of the same shape. Either way it takes at least
/// [`account_mail::MIN_DURATION`] and succeeds.
pub(crate) async fn request_password_reset(
    core: &Core,
    email: &str,
    redirect_to: Option<&str>,
) -> Result<(), AuthError> {
    if core.outbox.is_none() {
        return Err(AuthError::reset_password_disabled());
    }
    let started = Instant::now();
    let result = request(core, email, redirect_to).await;
    pad(started).await;
    result
}

async fn request(core: &Core, email: &str, redirect_to: Option<&str>) -> Result<(), AuthError> {
    account_mail::clean_up_now_and_then(core).await;
    let email = email_address::normalize(email);
    let found = core.database.user_by_email(&email).await?;
    let token = token::generate(RESET_TOKEN_LEN);
    let now = timestamp::now();
    let Some(found) = found else {
        // The same round trip as a known address's insert.
        core.database
            .find_verification(&stored_identifier(core, &token), now)
            .await?;
        return Ok(());
    };
    let user = found.user;
    let expires_at = timestamp::add(now, core.config.password_reset.expires_in);
    core.database
        .insert_verification(&stored_identifier(core, &token), &user.id, expires_at, now)
        .await?;
    let link = account_mail::link(
        core,
        &format!(
            "/reset-password/{token}?callbackURL={}",
            account_mail::encode_component(redirect_to.unwrap_or_default())
        ),
    );
    account_mail::send(
        core,
        MailKind::ResetPassword,
        &user,
        &user.email,
        link,
        None,
    );
    Ok(())
}

/// Where `GET /reset-password/<token>?callbackURL=…` redirects: the callback (resolved
/// against the base URL) with `token=`, or with `error=INVALID_TOKEN` when the token is
/// unknown or expired. The GET does not consume the token. An empty callback goes to
/// `<auth URL>/error?error=INVALID_TOKEN`, as in Better-Auth.
pub(crate) async fn reset_redirect(
    core: &Core,
    token: &str,
    callback_url: &str,
) -> Result<String, AuthError> {
    let auth_url = account_mail::link(core, "");
    if callback_url.is_empty() {
        return Ok(format!("{auth_url}/error?error=INVALID_TOKEN"));
    }
    let found = core
        .database
        .find_verification(&stored_identifier(core, token), timestamp::now())
        .await?;
    let base = url::Url::parse(&auth_url).map_err(|_| AuthError::internal())?;
    let mut target = base
        .join(callback_url)
        .map_err(|_| AuthError::invalid_callback_url())?;
    match found {
        Some(_) => target.query_pairs_mut().append_pair("token", token),
        None => target
            .query_pairs_mut()
            .append_pair("error", "INVALID_TOKEN"),
    };
    Ok(target.to_string())
}

/// Sets a new password with a reset token, as `POST /reset-password` does: the token must be
/// live, the password within the rules; the token row is consumed by one delete whose
/// affected-row count decides, so of two concurrent resets with one token exactly one
/// succeeds. Sessions end when `revoke_sessions_on_password_reset` is on.
pub(crate) async fn reset_password(
    core: &Core,
    token: Option<&str>,
    new_password: String,
    ctx: &HookContext,
) -> Result<(), AuthError> {
    let result = reset(core, token, new_password, ctx).await;
    let user_id = result.as_ref().ok().map(String::as_str);
    audit::record("password_reset", user_id, &result, ctx);
    result.map(drop)
}

async fn reset(
    core: &Core,
    token: Option<&str>,
    new_password: String,
    ctx: &HookContext,
) -> Result<String, AuthError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(AuthError::reset_token_invalid());
    };
    let rules = &core.config.email_password.passwords;
    rules.check_length(&new_password)?;
    let store = &core.database;
    let row = store
        .find_verification(&stored_identifier(core, token), timestamp::now())
        .await?
        .ok_or_else(AuthError::reset_token_invalid)?;
    // A user deleted since the mail: 400 `USER_NOT_FOUND`, the row left to expire, as in
    // Better-Auth (transcript 44).
    let user_id = row.value;
    if store.user_by_id(&user_id).await?.is_none() {
        return Err(AuthError::reset_user_not_found());
    }
    rules.check_policy(&new_password).await?;
    let hash = core.hasher.hash(new_password).await?;
    if !store.consume_verification(&row.id).await? {
        // Another request used the token meanwhile.
        return Err(AuthError::reset_token_invalid());
    }
    if store.user_by_id(&user_id).await?.is_none() {
        // Deleted while the password was hashed.
        return Err(AuthError::reset_user_not_found());
    }
    let revoke = core.config.password_reset.revoke_sessions;
    store_reset_password(core, &user_id, hash, revoke, ctx).await?;
    Ok(user_id)
}

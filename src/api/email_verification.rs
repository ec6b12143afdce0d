//! Email verification: sending the link (`send-verification-email`, and after sign-up and
//! sign-in), and following it (`verify-email`). The tokens are Better-Auth's stateless JWTs:
//! nothing is stored, and any unexpired token of the address works.

use std::time::Instant;

use super::account_mail::{self, pad};
use super::audit;
use super::email_address;
use super::user::{UpdateUser, update_user};
use crate::core::Core;
use crate::crypto::jwt::{self, JwtError};
use crate::error::AuthError;
use crate::hooks::HookContext;
use crate::model::{SessionWithUser, User};
use crate::timestamp;

/// Sends a verification mail, as `POST /send-verification-email` does. Without a session the
/// answer is the same, and takes at least [`account_mail::MIN_DURATION`], whether the address
/// is unknown, verified or waiting; with one, the address must be the session's own and
/// unverified.
pub(crate) async fn request_verification_email(
    core: &Core,
    email: &str,
    callback_url: Option<&str>,
    session: Option<&SessionWithUser>,
) -> Result<(), AuthError> {
    if core.outbox.is_none() {
        return Err(AuthError::verification_email_not_enabled());
    }
    let email = email_address::normalize(email);
    let Some(session) = session else {
        let started = Instant::now();
        let found = core.database.user_by_email(&email).await;
        match found {
            Ok(Some(found)) if !found.user.email_verified => {
                account_mail::send_verification(core, &found.user, callback_url);
            }
            // The same work as for a known address: a token is signed and dropped.
            Ok(_) => {
                drop(account_mail::verification_token(
                    core,
                    &ghost(&email),
                    None,
                    None,
                ));
            }
            Err(err) => {
                pad(started).await;
                return Err(err.into());
            }
        }
        pad(started).await;
        return Ok(());
    };
    if session.user.email_verified {
        return Err(AuthError::email_already_verified());
    }
    if session.user.email != email {
        return Err(AuthError::email_mismatch());
    }
    account_mail::send_verification(core, &session.user, callback_url);
    Ok(())
}

/// Why a verification link did not verify.
#[derive(Debug)]
pub(crate) enum VerifyFailure {
    InvalidToken,
    TokenExpired,
    UserNotFound,
    Other(AuthError),
}

impl VerifyFailure {
    /// The `?error=` code of a redirect.
    pub(crate) fn code(&self) -> &str {
        match self {
            VerifyFailure::InvalidToken => "INVALID_TOKEN",
            VerifyFailure::TokenExpired => "TOKEN_EXPIRED",
            VerifyFailure::UserNotFound => "USER_NOT_FOUND",
            VerifyFailure::Other(err) => err.code(),
        }
    }

    /// Whether a link with a callback answers this with a redirect (`?error=<code>`): every
    /// failure but a 503 (the database unavailable, the server busy), which stays a 503 with
    /// `Retry-After`, as during an outage everywhere else.
    pub(crate) fn redirects(&self) -> bool {
        !matches!(self, VerifyFailure::Other(err) if err.is_retry_later())
    }

    /// The JSON answer without a callback.
    pub(crate) fn into_error(self) -> AuthError {
        match self {
            VerifyFailure::InvalidToken => AuthError::verification_token_invalid(),
            VerifyFailure::TokenExpired => AuthError::verification_token_expired(),
            VerifyFailure::UserNotFound => AuthError::verification_user_not_found(),
            VerifyFailure::Other(err) => err,
        }
    }
}

impl From<AuthError> for VerifyFailure {
    fn from(err: AuthError) -> Self {
        VerifyFailure::Other(err)
    }
}

/// What following a link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The address is now verified.
    Verified,
    /// It was verified before: nothing changed.
    AlreadyVerified,
    /// A change of address was approved from the old address: the verification link went to
    /// the new one.
    ConfirmationSent,
    /// The user's address is now the new one.
    EmailChanged,
}

/// The user after following a link, and what it did.
#[derive(Debug, Clone)]
pub(crate) struct Verified {
    pub(crate) user: User,
    pub(crate) outcome: Outcome,
}

/// Checks a verification token (any secret of the ring; `exp` required) and marks its address
/// verified, or (a token with `updateTo`) takes the change of address a step further, through
/// the user-update hooks. `session_email` is the address of the request's session, if any: a
/// change-of-address link only works for its own user. `callback_url` goes into the mail a
/// change confirmation sends on.
pub(crate) async fn verify_email(
    core: &Core,
    token: &str,
    session_email: Option<&str>,
    callback_url: Option<&str>,
    ctx: &HookContext,
) -> Result<Verified, VerifyFailure> {
    let result = verify(core, token, session_email, callback_url, ctx).await;
    if let Ok(verified) = &result {
        let event = match verified.outcome {
            Outcome::Verified => Some("email_verified"),
            Outcome::EmailChanged => Some("email_changed"),
            _ => None,
        };
        if let Some(event) = event {
            audit::record::<()>(event, Some(&verified.user.id), &Ok(()), ctx);
        }
    }
    result
}

async fn verify(
    core: &Core,
    token: &str,
    session_email: Option<&str>,
    callback_url: Option<&str>,
    ctx: &HookContext,
) -> Result<Verified, VerifyFailure> {
    let now = timestamp::now().unix_timestamp();
    let claims = jwt::verify(token, &core.config.secrets, now).map_err(|err| match err {
        JwtError::Invalid => VerifyFailure::InvalidToken,
        JwtError::Expired => VerifyFailure::TokenExpired,
    })?;
    let email = email_address::normalize(&claims.email);
    let found = core
        .database
        .user_by_email(&email)
        .await
        .map_err(AuthError::from)?;
    let Some(found) = found else {
        // A change-of-address link whose old address is gone was used already.
        return Err(match claims.update_to {
            Some(_) => VerifyFailure::InvalidToken,
            None => VerifyFailure::UserNotFound,
        });
    };
    let mut user = found.user;
    if claims.user_id.as_deref().is_some_and(|id| id != user.id) {
        return Err(VerifyFailure::InvalidToken);
    }
    if let Some(update_to) = claims.update_to {
        let update_to = email_address::normalize(&update_to);
        if claims.request_type.as_deref() == Some("change-email-confirmation") {
            account_mail::send_change_email(
                core,
                &user,
                &update_to,
                "change-email-verification",
                &update_to,
                crate::mail::MailKind::VerifyEmail,
                callback_url,
            );
            return Ok(Verified {
                user,
                outcome: Outcome::ConfirmationSent,
            });
        }
        if session_email.is_some_and(|e| e != user.email) {
            return Err(VerifyFailure::Other(AuthError::invalid_user()));
        }
        let change = UpdateUser::new().email(update_to).into_change(&user.id)?;
        let updated = update_user(core, change, ctx)
            .await
            .map_err(|err| VerifyFailure::Other(err.into_error()))?;
        match updated {
            Some(updated) => user = updated,
            None => {
                user = core
                    .database
                    .user_by_id(&user.id)
                    .await
                    .map_err(AuthError::from)?
                    .ok_or(VerifyFailure::UserNotFound)?;
            }
        }
        return Ok(Verified {
            user,
            outcome: Outcome::EmailChanged,
        });
    }
    if user.email_verified {
        return Ok(Verified {
            user,
            outcome: Outcome::AlreadyVerified,
        });
    }
    let change = UpdateUser::new()
        .email_verified(true)
        .into_change(&user.id)?;
    let updated = update_user(core, change, ctx)
        .await
        .map_err(|err| VerifyFailure::Other(err.into_error()))?;
    match updated {
        Some(updated) => user = updated,
        None => user.email_verified = true,
    }
    Ok(Verified {
        user,
        outcome: Outcome::Verified,
    })
}

/// A user that does not exist, for equal work on unknown addresses.
pub(crate) fn ghost(email: &str) -> User {
    let now = timestamp::now();
    User {
        name: String::new(),
        email: email.to_owned(),
        email_verified: false,
        image: None,
        created_at: now,
        updated_at: now,
        fields: Default::default(),
        id: crate::crypto::token::new_id(),
    }
}

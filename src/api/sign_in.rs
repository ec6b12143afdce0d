//! Sign-in with an email and password.
//!
//! An unknown email and a wrong password get the same answer after the same work (one scrypt
//! computation either way), and count alike against the per-account limit.

use super::email_address;
use super::sessions::{RequestMeta, create_session};
use crate::core::Core;
use crate::error::AuthError;
use crate::model::{Session, User};

/// Credentials to check.
#[derive(Debug)]
pub(crate) struct SignIn {
    pub(crate) email: String,
    pub(crate) password: String,
    /// `false`: a one-day session that never slides (`rememberMe: false`).
    pub(crate) remember: bool,
}

/// The signed-in user and the new session.
#[derive(Debug)]
pub(crate) struct SignedIn {
    pub(crate) user: User,
    pub(crate) session: Session,
}

pub(crate) async fn sign_in(
    core: &Core,
    input: SignIn,
    meta: &RequestMeta,
) -> Result<SignedIn, AuthError> {
    if !email_address::is_email(&input.email) {
        return Err(AuthError::invalid_email());
    }
    core.config
        .email_password
        .passwords
        .check_not_too_long(&input.password)?;
    let email = email_address::normalize(&input.email);
    core.limiter.check_account(&email).await?;
    let found = core.database.user_by_email(&email).await?;
    let stored = found.as_ref().and_then(|found| found.password.clone());
    let verified = core.hasher.verify(input.password, stored).await?;
    let user = match (found, verified) {
        (Some(found), Ok(true)) => found.user,
        (Some(found), Err(_)) => {
            tracing::error!(user.id = %found.user.id, "the stored password hash is malformed; the user cannot sign in with a password");
            return Err(AuthError::invalid_email_or_password());
        }
        _ => return Err(AuthError::invalid_email_or_password()),
    };

    // Only consecutive failures count towards the per-account limit.
    core.limiter.forget_account(&email).await;
    let session = create_session(core, &user.id, input.remember, meta).await?;
    Ok(SignedIn { user, session })
}

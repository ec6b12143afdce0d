//! Sign-in with an email and password.
//!
//! An unknown email and a wrong password get the same answer after the same work (one scrypt
//! computation either way), and count alike against the per-account limit.

use std::fmt;

use super::audit;
use super::email_address;
use super::sessions::{RequestMeta, create_session};
use crate::alerts::SignInStep;
use crate::core::Core;
use crate::crypto::legacy::HashFormat;
use crate::error::AuthError;
use crate::hooks::HookContext;
use crate::model::{Session, User};

/// Credentials to check: the body of `POST /sign-in/email`, and the input of
/// [`Api::sign_in_email`](crate::api::Api::sign_in_email).
///
/// # Examples
/// ```
/// use authgate::api::SignIn;
///
/// let credentials = SignIn::new("ada@example.com", "correct horse battery")
///     .remember_me(false)
///     .user_agent("admin-cli/1.0");
/// assert!(!format!("{credentials:?}").contains("correct horse"));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct SignIn {
    pub(crate) email: String,
    pub(crate) password: String,
    /// `false`: a one-day session that never slides (`rememberMe: false`).
    pub(crate) remember: bool,
    /// Recorded in the new session (server calls only; requests record their own).
    pub(crate) meta: RequestMeta,
    /// Where a verification mail sent on sign-in leads (`callbackURL`).
    pub(crate) callback_url: Option<String>,
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignIn")
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .field("remember", &self.remember)
            .finish_non_exhaustive()
    }
}

impl SignIn {
    /// An email and a password.
    pub fn new(email: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            password: password.into(),
            remember: true,
            meta: RequestMeta::default(),
            callback_url: None,
        }
    }

    /// `false` gives the session one day that never slides (Better-Auth's `rememberMe:
    /// false`).
    pub fn remember_me(mut self, remember: bool) -> Self {
        self.remember = remember;
        self
    }

    /// The client address to record in the session (`""` otherwise, as Better-Auth records
    /// a server call without headers).
    pub fn ip_address(mut self, ip: impl Into<String>) -> Self {
        self.meta.ip_address = ip.into();
        self
    }

    /// The user agent to record in the session.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.meta.user_agent = user_agent.into();
        self
    }
}

/// A sign-in: the user and the new session.
#[derive(Clone)]
#[non_exhaustive]
pub struct SignedIn {
    /// The user.
    pub user: User,
    /// The new session.
    pub session: Session,
    /// The session token signed as the session cookie and a bearer header carry it
    /// (`token.signature`; the value of `set-auth-token`).
    pub signed_token: String,
    /// The `Set-Cookie` headers `POST /sign-in/email` would send with it, for a route of the
    /// application's own that signs in.
    pub headers: http::HeaderMap,
}

impl fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedIn")
            .field("user", &self.user)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// Checks the credentials and starts a session. Requests (`ctx.is_http()`) count against the
/// per-account limit; server calls do not.
pub(crate) async fn sign_in(
    core: &Core,
    input: SignIn,
    meta: &RequestMeta,
    ctx: &HookContext,
) -> Result<SignedIn, AuthError> {
    let result = check(core, input, meta, ctx).await;
    let user_id = result.as_ref().ok().map(|s| s.user.id.as_str());
    audit::record("sign_in", user_id, &result, ctx);
    result
}

/// Replaces an imported bcrypt or argon2 hash with Better-Auth's scrypt (an account update,
/// with its hooks). Best effort: the sign-in stands if it fails, and the next one tries again.
async fn rehash(core: &Core, user_id: &str, password: String, ctx: &HookContext) {
    let result = match core.hasher.hash(password).await {
        Ok(hash) => super::password::replace_hash(core, user_id, hash, ctx).await,
        Err(err) => Err(AuthError::from(err)),
    };
    match result {
        Ok(()) => {
            tracing::info!(user.id = %user_id, "re-hashed an imported password hash to scrypt")
        }
        Err(err) => {
            tracing::warn!(user.id = %user_id, code = err.code(), "could not re-hash an imported password hash; the next sign-in tries again")
        }
    }
}

/// The sessions-not-growing alert: counts the active sessions when its window starts and when
/// it ends (two queries per window).
async fn watch_sessions_growing(core: &Core) {
    match core.alerts.signed_in() {
        SignInStep::Nothing => {}
        SignInStep::CountBaseline => {
            if let Ok(active) = core.database.active_sessions().await {
                core.alerts.set_baseline(active);
            }
        }
        SignInStep::Compare { baseline, sign_ins } => {
            if let Ok(active) = core.database.active_sessions().await {
                core.alerts.compare(baseline, active, sign_ins);
            }
        }
    }
}

async fn check(
    core: &Core,
    input: SignIn,
    meta: &RequestMeta,
    ctx: &HookContext,
) -> Result<SignedIn, AuthError> {
    if !email_address::is_email(&input.email) {
        return Err(AuthError::invalid_email());
    }
    core.config
        .email_password
        .passwords
        .check_not_too_long(&input.password)?;
    let email = email_address::normalize(&input.email);
    let limited = ctx.is_http();
    if limited {
        core.limiter
            .check_account(&email)
            .await
            .inspect_err(|_| crate::telemetry::rate_limited("account"))?;
    }
    let found = core.database.user_by_email(&email).await?;
    let stored = found.as_ref().and_then(|found| found.password.clone());
    let legacy = stored
        .as_deref()
        .map(HashFormat::of)
        .filter(|format| format.is_legacy());
    // Kept only to re-hash an imported bcrypt or argon2 hash once it verified.
    let rehash_with = legacy.map(|_| input.password.clone());
    let verified = core.hasher.verify(input.password, stored).await?;
    let user = match (found, verified) {
        (Some(found), Ok(true)) => found.user,
        (Some(found), Err(_)) if legacy.is_some() && !cfg!(feature = "legacy-hashes") => {
            tracing::error!(user.id = %found.user.id, "the stored password hash is a bcrypt or argon2 hash: enable authgate's `legacy-hashes` feature to verify it");
            return Err(AuthError::invalid_email_or_password());
        }
        (Some(found), Err(_)) => {
            tracing::error!(user.id = %found.user.id, "the stored password hash is malformed; the user cannot sign in with a password");
            return Err(AuthError::invalid_email_or_password());
        }
        _ => return Err(AuthError::invalid_email_or_password()),
    };

    if let Some(password) = rehash_with {
        rehash(core, &user.id, password, ctx).await;
    }
    // Only consecutive failures count towards the per-account limit.
    if limited {
        core.limiter.forget_account(&email).await;
    }
    let verification = &core.config.email_verification;
    if verification.require && !user.email_verified {
        if verification.send_on_sign_in {
            super::account_mail::send_verification(core, &user, input.callback_url.as_deref());
        }
        return Err(AuthError::email_not_verified());
    }
    let session = create_session(core, &user.id, input.remember, meta, ctx).await?;
    watch_sessions_growing(core).await;
    let mut headers = http::HeaderMap::new();
    core.cookies
        .sign_in(&mut headers, &session.token, input.remember);
    Ok(SignedIn {
        signed_token: core.cookies.sign(&session.token),
        user,
        session,
        headers,
    })
}

//! Sign-up: a user, its credential account and (with auto sign-in) a session, all or nothing.

use std::fmt;

use serde_json::Value;

use super::audit;
use super::email_address;
use super::sessions::{RequestMeta, new_session, prepare_new_session};
use crate::core::Core;
use crate::crypto::token;
use crate::error::AuthError;
use crate::fields::{Fields, input};
use crate::hooks::HookContext;
use crate::model::{Account, Session, User};
use crate::timestamp;

/// A new user: the body of `POST /sign-up/email`, and the input of
/// [`Api::sign_up_email`](crate::api::Api::sign_up_email) and
/// [`Api::create_user`](crate::api::Api::create_user).
///
/// # Examples
/// ```
/// use authgate::api::SignUp;
///
/// let admin = SignUp::new("Ada", "ada@example.com", "correct horse battery")
///     .field("role", "admin");
/// assert!(!format!("{admin:?}").contains("correct horse"));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct SignUp {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) password: String,
    pub(crate) image: Option<String>,
    /// `false`: a one-day session that never slides (`rememberMe: false`).
    pub(crate) remember: bool,
    pub(crate) fields: Fields,
    /// Where the verification mail's link leads after verifying (`callbackURL`).
    pub(crate) callback_url: Option<String>,
}

impl fmt::Debug for SignUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignUp")
            .field("name", &self.name)
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .field("image", &self.image)
            .field("remember", &self.remember)
            .field("fields", &self.fields)
            .finish()
    }
}

impl SignUp {
    /// A user with a name (may be empty), an email and a password (checked as for sign-up:
    /// length, policy).
    pub fn new(
        name: impl Into<String>,
        email: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            email: email.into(),
            password: password.into(),
            image: None,
            remember: true,
            fields: Fields::new(),
            callback_url: None,
        }
    }

    /// An avatar URL.
    pub fn image(mut self, url: impl Into<String>) -> Self {
        self.image = Some(url.into());
        self
    }

    /// `false` gives the new session one day that never slides (Better-Auth's
    /// `rememberMe: false`).
    pub fn remember_me(mut self, remember: bool) -> Self {
        self.remember = remember;
        self
    }

    /// Sets an additional field. Server code may set any declared field, including those
    /// clients may not; undeclared names are refused with 400 `VALIDATION_ERROR`.
    pub fn field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.fields.set(name, value);
        self
    }
}

/// Whether a sign-up also signs the user in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionOnSignUp {
    /// As configured (`auto_sign_in`).
    AsConfigured,
    /// Never (a user created by server code).
    Never,
}

/// What a sign-up made: the user, and its session when it signed in.
#[derive(Clone)]
#[non_exhaustive]
pub struct SignedUp {
    /// The new user.
    pub user: User,
    /// Its session, when sign-up signed it in.
    pub session: Option<Session>,
    /// The session token signed as the session cookie and a bearer header carry it
    /// (`token.signature`; the value of `set-auth-token`).
    pub signed_token: Option<String>,
    /// The `Set-Cookie` headers `POST /sign-up/email` would send with it.
    pub headers: http::HeaderMap,
}

impl fmt::Debug for SignedUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedUp")
            .field("user", &self.user)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

pub(crate) async fn sign_up(
    core: &Core,
    input: SignUp,
    meta: &RequestMeta,
    session: SessionOnSignUp,
    ctx: &HookContext,
) -> Result<SignedUp, AuthError> {
    let result = create(core, input, meta, session, ctx).await;
    let user_id = result.as_ref().ok().map(|s| s.user.id.as_str());
    audit::record("sign_up", user_id, &result, ctx);
    result
}

async fn create(
    core: &Core,
    input: SignUp,
    meta: &RequestMeta,
    session: SessionOnSignUp,
    ctx: &HookContext,
) -> Result<SignedUp, AuthError> {
    let settings = &core.config.email_password;
    if !settings.sign_up_allowed && ctx.is_http() {
        return Err(AuthError::sign_up_disabled());
    }
    if !email_address::is_email(&input.email) {
        return Err(AuthError::invalid_email());
    }
    settings.passwords.check_length(&input.password)?;
    settings.passwords.check_policy(&input.password).await?;
    let email = email_address::normalize(&input.email);

    // With verification required, a taken address is answered like a new one (after the same
    // hashing work), so that sign-up does not tell who is registered.
    let conceal = core.config.email_verification.require && ctx.is_http();
    if core.database.user_by_email(&email).await?.is_some() {
        if conceal {
            let _ = core.hasher.hash(input.password).await?;
            return Ok(concealed(input.name, email, input.image, input.fields));
        }
        return Err(AuthError::user_already_exists());
    }
    let hash = core.hasher.hash(input.password).await?;

    let now = timestamp::now();
    let user = User {
        name: input.name,
        email,
        email_verified: false,
        image: input.image,
        created_at: now,
        updated_at: now,
        fields: input.fields,
        id: token::new_id(),
    };
    // Every before hook runs before the transaction opens: a veto at any step writes nothing.
    let hooks = &core.hooks;
    let mut user = hooks.user.create_before.run(user, ctx).await?;
    user.fields = input::complete_row(&core.config.user_fields, "user", &user.fields)?;
    let account = Account::credential(&user.id, hash, now);
    let account = hooks.account.create_before.run(account, ctx).await?;
    let session_choice = session;
    let session = match session {
        SessionOnSignUp::AsConfigured
            if settings.auto_sign_in && !core.config.email_verification.require =>
        {
            let session = new_session(core, &user.id, input.remember, meta);
            Some(prepare_new_session(core, session, ctx).await?)
        }
        _ => None,
    };
    match core
        .database
        .create_user(&user, &account, session.as_ref())
        .await
    {
        Ok(()) => {}
        // Two sign-ups raced for the same email: the unique index let one through.
        Err(err) if err.is_unique_violation() && conceal => {
            return Ok(concealed(user.name, user.email, user.image, user.fields));
        }
        Err(err) if err.is_unique_violation() => return Err(AuthError::user_already_exists()),
        Err(err) => return Err(err.into()),
    }
    hooks.user.create_after.run(&user, ctx).await;
    hooks.account.create_after.run(&account, ctx).await;
    if session_choice == SessionOnSignUp::AsConfigured
        && core.config.email_verification.sends_on_sign_up()
    {
        super::account_mail::send_verification(core, &user, input.callback_url.as_deref());
    }
    if let Some(session) = &session {
        hooks.session.create_after.run(session, ctx).await;
    }
    let mut headers = http::HeaderMap::new();
    if let Some(session) = &session {
        core.cookies
            .sign_in(&mut headers, &session.token, input.remember);
    }
    Ok(SignedUp {
        signed_token: session.as_ref().map(|s| core.cookies.sign(&s.token)),
        user,
        session,
        headers,
    })
}

/// The answer to a sign-up of a taken address when verification is required: a user that
/// looks new (a fresh id, unverified, no session) and is stored nowhere; no mail is sent.
fn concealed(name: String, email: String, image: Option<String>, fields: Fields) -> SignedUp {
    let now = timestamp::now();
    SignedUp {
        user: User {
            name,
            email,
            email_verified: false,
            image,
            created_at: now,
            updated_at: now,
            fields,
            id: token::new_id(),
        },
        session: None,
        signed_token: None,
        headers: http::HeaderMap::new(),
    }
}

//! [`Api`]: what the endpoints do, for the application's own code (a CLI, a seed script, an
//! admin route, a job), through the very functions the HTTP handlers call.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;

use super::email_address;
use super::password::{self, ChangePassword};
use super::sessions::{self, RequestMeta};
use super::sign_in::{self, SignIn, SignedIn};
use super::sign_up::{self, SessionOnSignUp, SignUp, SignedUp};
use super::user::{self, UpdateUser};
use crate::core::Core;
use crate::error::AuthError;
use crate::fields::Fields;
use crate::hooks::{HookContext, Operation};
use crate::model::{Session, SessionWithUser, User};
use crate::session::credentials::{self, UnsignedBearer};
use crate::session::policy;
use crate::timestamp;

/// The server-side API: typed async functions for what the endpoints do, from
/// [`Auth::api`](crate::Auth::api). Cheap to clone.
///
/// The caller is trusted code, so there are **no rate limits and no origin checks** (as with
/// Better-Auth's `auth.api`), and it names users by id. Everything else is the endpoints'
/// own rules, run by the same functions: validation, password rules and policy, the
/// [database hooks](crate::hooks) (with [`HookContext::is_http`] false). Unlike the endpoints,
/// server code may set additional fields clients may not (a `role`), and may create users
/// when public sign-up is off.
///
/// # Examples
/// A CLI that creates an administrator, leaving no session behind:
/// ```no_run
/// use authgate::api::SignUp;
///
/// # async fn run(auth: authgate::Auth) -> Result<(), authgate::AuthError> {
/// let api = auth.api();
/// let admin = api
///     .create_user(SignUp::new("Ada", "ada@example.com", "correct horse battery").field("role", "admin"))
///     .await?;
/// // Banning a user is one line:
/// api.revoke_sessions(&admin.id).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Api {
    core: Arc<Core>,
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

impl Api {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Signs a user up as `POST /sign-up/email` does: the user, its credential account, and a
    /// session when auto sign-in is on (see [`SignedUp::headers`] for its cookie).
    ///
    /// # Errors
    /// 400 `INVALID_EMAIL`, `PASSWORD_TOO_SHORT`/`_LONG`, `PASSWORD_COMPROMISED`,
    /// `VALIDATION_ERROR` or `MISSING_FIELD` for an additional field, 422
    /// `USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL`, a hook's veto.
    pub async fn sign_up_email(&self, input: SignUp) -> Result<SignedUp, AuthError> {
        let ctx = HookContext::api(Operation::SignUp);
        let meta = RequestMeta::default();
        sign_up::sign_up(
            &self.core,
            input,
            &meta,
            SessionOnSignUp::AsConfigured,
            &ctx,
        )
        .await
    }

    /// Creates a user with a password and **no session** (a CLI, a seed script, an
    /// invitation), even when public sign-up is off.
    ///
    /// # Errors
    /// As [`sign_up_email`](Self::sign_up_email).
    pub async fn create_user(&self, input: SignUp) -> Result<User, AuthError> {
        let ctx = HookContext::api(Operation::CreateUser);
        let meta = RequestMeta::default();
        let created =
            sign_up::sign_up(&self.core, input, &meta, SessionOnSignUp::Never, &ctx).await?;
        Ok(created.user)
    }

    /// Checks an email and password and starts a session, as `POST /sign-in/email` does,
    /// without counting against any rate limit.
    ///
    /// # Errors
    /// 401 `INVALID_EMAIL_OR_PASSWORD`, 400 `INVALID_EMAIL`, a hook's veto.
    pub async fn sign_in_email(&self, input: SignIn) -> Result<SignedIn, AuthError> {
        let ctx = HookContext::api(Operation::SignIn);
        let meta = input.meta.clone();
        sign_in::sign_in(&self.core, input, &meta, &ctx).await
    }

    /// The live session a request's headers carry (the signed session cookie or
    /// `Authorization: Bearer <token.signature>`), or `None`. It reads only: the expiry does
    /// not slide (the [`SessionLayer`](crate::SessionLayer) does that for the requests it
    /// serves).
    ///
    /// # Errors
    /// 503 `DATABASE_UNAVAILABLE` when the database cannot say.
    pub async fn get_session(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<SessionWithUser>, AuthError> {
        let config = &self.core.config;
        let unsigned = if config.bearer.allow_unsigned {
            UnsignedBearer::Accepted
        } else {
            UnsignedBearer::Refused
        };
        let credential = credentials::session_token(
            headers,
            self.core.cookies.names(),
            &config.secrets,
            unsigned,
        );
        match credential {
            Some(credential) => self.get_session_by_token(&credential.token).await,
            None => Ok(None),
        }
    }

    /// The live session with this (raw, unsigned) token, or `None`.
    ///
    /// # Errors
    /// 503 `DATABASE_UNAVAILABLE` when the database cannot say.
    pub async fn get_session_by_token(
        &self,
        token: &str,
    ) -> Result<Option<SessionWithUser>, AuthError> {
        let found = self.core.database.session_with_user(token).await?;
        let now = timestamp::now();
        Ok(found.filter(|found| !policy::is_over(&self.core.config.session, &found.session, now)))
    }

    /// The user with this id.
    ///
    /// # Errors
    /// 503 `DATABASE_UNAVAILABLE` when the database cannot say.
    pub async fn get_user(&self, user_id: &str) -> Result<Option<User>, AuthError> {
        Ok(self.core.database.user_by_id(user_id).await?)
    }

    /// The user with this email (compared lower-cased, as stored).
    ///
    /// # Errors
    /// 503 `DATABASE_UNAVAILABLE` when the database cannot say.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, AuthError> {
        let email = email_address::normalize(email);
        Ok(self
            .core
            .database
            .user_by_email(&email)
            .await?
            .map(|found| found.user))
    }

    /// The user's live sessions, oldest first.
    ///
    /// # Errors
    /// 503 `DATABASE_UNAVAILABLE` when the database cannot say.
    pub async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>, AuthError> {
        sessions::list_sessions(&self.core, user_id).await
    }

    /// Ends the session with this (raw) token, whoever's it is.
    ///
    /// # Errors
    /// A hook's veto; 503 when the database cannot be reached.
    pub async fn revoke_session(&self, token: &str) -> Result<(), AuthError> {
        let ctx = HookContext::api(Operation::RevokeSession);
        sessions::revoke_session(&self.core, None, token, &ctx).await
    }

    /// Ends every session of the user (signing it out everywhere, e.g. to ban it).
    ///
    /// # Errors
    /// A hook's veto; 503 when the database cannot be reached.
    pub async fn revoke_sessions(&self, user_id: &str) -> Result<(), AuthError> {
        let ctx = HookContext::api(Operation::RevokeSessions);
        sessions::revoke_sessions(&self.core, user_id, &ctx).await
    }

    /// Ends every session of the user but the one with `keep_token`.
    ///
    /// # Errors
    /// A hook's veto; 503 when the database cannot be reached.
    pub async fn revoke_other_sessions(
        &self,
        user_id: &str,
        keep_token: &str,
    ) -> Result<(), AuthError> {
        let ctx = HookContext::api(Operation::RevokeOtherSessions);
        sessions::revoke_other_sessions(&self.core, user_id, keep_token, &ctx).await
    }

    /// Checks the user's password (re-authentication before a sensitive action).
    ///
    /// # Errors
    /// 400 `INVALID_PASSWORD`, 400 `CREDENTIAL_ACCOUNT_NOT_FOUND`, 400 `PASSWORD_TOO_LONG`.
    pub async fn verify_password(&self, user_id: &str, password: &str) -> Result<(), AuthError> {
        let ctx = HookContext::api(Operation::VerifyPassword);
        password::verify_password(&self.core, user_id, password.to_owned(), &ctx).await
    }

    /// Changes the password after checking the current one, as `POST /change-password`
    /// does; [`ChangePassword::revoke_sessions`] also ends every session.
    ///
    /// # Errors
    /// 400 `INVALID_PASSWORD`, `PASSWORD_TOO_SHORT`/`_LONG`, `PASSWORD_COMPROMISED`,
    /// `CREDENTIAL_ACCOUNT_NOT_FOUND`, a hook's veto.
    pub async fn change_password(
        &self,
        user_id: &str,
        change: ChangePassword,
    ) -> Result<(), AuthError> {
        let ctx = HookContext::api(Operation::ChangePassword);
        password::change_password(&self.core, user_id, change, &ctx).await?;
        Ok(())
    }

    /// Sets the password without the current one (an administrator's reset, a user who
    /// signed up another way): the length and policy rules apply, and a user without a
    /// credential account gets one. Sessions are left alone; end them with
    /// [`revoke_sessions`](Self::revoke_sessions).
    ///
    /// # Errors
    /// 404 `USER_NOT_FOUND`, 400 `PASSWORD_TOO_SHORT`/`_LONG`, `PASSWORD_COMPROMISED`, a
    /// hook's veto.
    pub async fn set_password(&self, user_id: &str, new_password: &str) -> Result<(), AuthError> {
        let ctx = HookContext::api(Operation::SetPassword);
        password::set_password(&self.core, user_id, new_password.to_owned(), &ctx).await
    }

    /// Changes a user (any declared additional field included); returns the user as written.
    ///
    /// # Errors
    /// 404 `USER_NOT_FOUND`, 400 `INVALID_EMAIL`, 422 `USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL`,
    /// 400 `VALIDATION_ERROR`/`MISSING_FIELD` for a field, a hook's veto.
    pub async fn update_user(&self, user_id: &str, change: UpdateUser) -> Result<User, AuthError> {
        let ctx = HookContext::api(Operation::UpdateUser);
        let change = change.into_change(user_id)?;
        let written = user::update_user(&self.core, change, &ctx)
            .await
            .map_err(|err| err.into_error())?;
        match written {
            Some(user) => Ok(user),
            None => self
                .get_user(user_id)
                .await?
                .ok_or_else(AuthError::user_not_found),
        }
    }

    /// Sets additional fields of the session with this (raw) token; returns it as written.
    ///
    /// # Errors
    /// 404 `SESSION_NOT_FOUND`, 400 `VALIDATION_ERROR`/`MISSING_FIELD`, a hook's veto.
    pub async fn update_session(&self, token: &str, fields: Fields) -> Result<Session, AuthError> {
        let ctx = HookContext::api(Operation::UpdateSession);
        let session = self
            .core
            .database
            .session_by_token(token)
            .await?
            .ok_or_else(AuthError::session_not_found)?;
        sessions::update_session(&self.core, &session, fields, &ctx).await
    }

    /// Deletes the user with its sessions and accounts, in one transaction.
    ///
    /// # Errors
    /// A hook's veto; 503 when the database cannot be reached.
    pub async fn delete_user(&self, user_id: &str) -> Result<(), AuthError> {
        let ctx = HookContext::api(Operation::DeleteUser);
        user::delete_user(&self.core, user_id, &ctx).await
    }

    /// Mails `user_id` a verification link (the link leads to `callback_url`, default `/`).
    ///
    /// # Errors
    /// 400 `VERIFICATION_EMAIL_NOT_ENABLED` without a mailer, 400 `EMAIL_ALREADY_VERIFIED`,
    /// 404 `USER_NOT_FOUND`.
    pub async fn send_verification_email(
        &self,
        user_id: &str,
        callback_url: Option<&str>,
    ) -> Result<(), AuthError> {
        if self.core.outbox.is_none() {
            return Err(AuthError::verification_email_not_enabled());
        }
        let user = self
            .core
            .database
            .user_by_id(user_id)
            .await?
            .ok_or_else(AuthError::user_not_found)?;
        if user.email_verified {
            return Err(AuthError::email_already_verified());
        }
        super::account_mail::send_verification(&self.core, &user, callback_url);
        Ok(())
    }

    /// Verifies an address with the token of a verification link, as `GET /verify-email`
    /// does (without signing in); the user, verified.
    ///
    /// # Errors
    /// 401 `INVALID_TOKEN`, `TOKEN_EXPIRED` or `USER_NOT_FOUND`; a hook's veto.
    pub async fn verify_email(&self, token: &str) -> Result<User, AuthError> {
        let ctx = HookContext::api(Operation::VerifyEmail);
        super::email_verification::verify_email(&self.core, token, None, None, &ctx)
            .await
            .map(|verified| verified.user)
            .map_err(|failure| failure.into_error())
    }

    /// Starts a password reset for `email` as `POST /request-password-reset` does (the same
    /// answer whether or not the address is known, after at least 500 ms).
    ///
    /// # Errors
    /// 400 `RESET_PASSWORD_DISABLED` without a mailer; 503 when the database cannot be reached.
    pub async fn request_password_reset(
        &self,
        email: &str,
        redirect_to: Option<&str>,
    ) -> Result<(), AuthError> {
        super::password_reset::request_password_reset(&self.core, email, redirect_to).await
    }

    /// Sets a new password with a reset token, as `POST /reset-password` does.
    ///
    /// # Errors
    /// 400 `INVALID_TOKEN` for an unknown, used or expired token, `USER_NOT_FOUND` for a token
    /// of a user deleted since, `PASSWORD_TOO_SHORT`/`_LONG`, `PASSWORD_COMPROMISED`; a hook's
    /// veto.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Result<(), AuthError> {
        let ctx = HookContext::api(Operation::ResetPassword);
        super::password_reset::reset_password(
            &self.core,
            Some(token),
            new_password.to_owned(),
            &ctx,
        )
        .await
    }
}

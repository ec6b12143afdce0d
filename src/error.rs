//! [`AuthError`]: what a request gets, a status and Better-Auth's `{"message","code"}` body.
//! Every failure below the handlers (storage, hashing, rate limits) becomes one here, so the
//! HTTP meaning of each lives in this file.

use std::borrow::Cow;
use std::fmt;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::crypto::password::HashError;
use crate::rate_limit::limiter::Limited;
use crate::store::StoreError;

/// An API error: an HTTP status and a JSON body `{"message": ..., "code": ...}` with
/// Better-Auth's codes and messages.
///
/// Applications build their own with [`AuthError::new`], for instance to veto a sign-up from a
/// [hook](crate::hooks): the client receives exactly that status and body.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: Cow<'static, str>,
    retry_after: Option<u64>,
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AuthError({} {}: {})",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for AuthError {}

impl AuthError {
    /// An error with the application's own status, code and message, answered as
    /// `{"message": message, "code": code}` with `status`.
    ///
    /// # Examples
    /// ```
    /// use authgate::AuthError;
    /// use http::StatusCode;
    ///
    /// let err = AuthError::new(
    ///     StatusCode::BAD_REQUEST,
    ///     "SIGNUP_BLOCKED",
    ///     "Sign-ups are closed for this domain",
    /// );
    /// assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    /// assert_eq!(err.code(), "SIGNUP_BLOCKED");
    /// assert_eq!(err.message(), "Sign-ups are closed for this domain");
    /// ```
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code, e.g. `INVALID_EMAIL_OR_PASSWORD`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A 503: the database is unavailable or the server busy; the client should retry.
    pub(crate) fn is_retry_later(&self) -> bool {
        self.status == StatusCode::SERVICE_UNAVAILABLE
    }

    pub(crate) fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 400 `VALIDATION_ERROR` with the joined validator messages.
    pub(crate) fn validation(message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
    }
}

/// A storage failure: an unreachable database is 503 (retry later), anything else a logged
/// 500. Neither is ever reported as "not signed in".
impl From<StoreError> for AuthError {
    fn from(err: StoreError) -> Self {
        if err.is_unavailable() {
            // The store's circuit logs outages itself, one line and then summaries, not one
            // line per request.
            tracing::debug!(error = %err, "database unavailable");
            Self::database_unavailable()
        } else {
            tracing::error!(error = %err, "database error");
            Self::internal()
        }
    }
}

/// Saturated hashing is 503 `SERVER_BUSY`; a hashing task that died is a 500.
impl From<HashError> for AuthError {
    fn from(err: HashError) -> Self {
        match err {
            HashError::Busy => {
                tracing::warn!("password hashing is saturated; answering 503");
                AuthError::server_busy()
            }
            HashError::TaskFailed => {
                tracing::error!("the password hashing task failed");
                AuthError::internal()
            }
        }
    }
}

/// Over a rate limit is 429 with `Retry-After`; counters that cannot be read refuse the
/// request with 503 (fail closed).
impl From<Limited> for AuthError {
    fn from(limited: Limited) -> Self {
        match limited {
            Limited::Blocked(seconds) => AuthError::too_many_requests().with_retry_after(seconds),
            Limited::CountersUnavailable(err) if err.is_unavailable() => {
                // Logged by the store's circuit (rate-limited), as every outage is.
                tracing::debug!(error = %err, "rate-limit counters unavailable; refusing the request");
                AuthError::database_unavailable()
            }
            Limited::CountersUnavailable(err) => {
                tracing::error!(error = %err, "rate-limit counters unavailable; refusing the request");
                AuthError::database_unavailable()
            }
        }
    }
}

macro_rules! errors {
    ($($(#[$doc:meta])* $name:ident => $status:ident, $code:literal, $message:literal;)*) => {
        impl AuthError {
            $(
                $(#[$doc])*
                pub(crate) fn $name() -> Self {
                    Self::new(StatusCode::$status, $code, $message)
                }
            )*
        }
    };
}

errors! {
    unauthorized => UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized";
    /// A bearer client sent the raw session token: say what it must send instead.
    unsigned_bearer => UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized: the bearer token must be the signed session token, the value of the set-auth-token response header (token.signature), not the raw token of the JSON body";
    invalid_email_or_password => UNAUTHORIZED, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password";
    invalid_email => BAD_REQUEST, "INVALID_EMAIL", "Invalid email";
    invalid_password => BAD_REQUEST, "INVALID_PASSWORD", "Invalid password";
    password_too_short => BAD_REQUEST, "PASSWORD_TOO_SHORT", "Password too short";
    password_too_long => BAD_REQUEST, "PASSWORD_TOO_LONG", "Password too long";
    user_already_exists => UNPROCESSABLE_ENTITY, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.";
    sign_up_disabled => BAD_REQUEST, "EMAIL_PASSWORD_SIGN_UP_DISABLED", "Email and password sign up is not enabled";
    invalid_json => BAD_REQUEST, "BAD_REQUEST", "Invalid JSON in request body";
    duplicate_json_key => BAD_REQUEST, "BAD_REQUEST", "Invalid JSON in request body: an object names the same key twice";
    invalid_origin => FORBIDDEN, "INVALID_ORIGIN", "Invalid origin";
    missing_or_null_origin => FORBIDDEN, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin";
    invalid_callback_url => FORBIDDEN, "INVALID_CALLBACK_URL", "Invalid callbackURL";
    invalid_redirect_url => FORBIDDEN, "INVALID_REDIRECT_URL", "Invalid redirectURL";
    invalid_error_callback_url => FORBIDDEN, "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL";
    invalid_new_user_callback_url => FORBIDDEN, "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL";
    cross_site_navigation_login_blocked => FORBIDDEN, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "Cross-site navigation login blocked. This request appears to be a CSRF attack.";
    get_session_method_not_allowed => METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED", "POST method requires deferSessionRefresh to be enabled in session config";
    not_found => NOT_FOUND, "NOT_FOUND", "Not found";
    too_many_requests => TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS", "Too many requests. Please try again later.";
    session_not_fresh => FORBIDDEN, "SESSION_NOT_FRESH", "Session is not fresh";
    session_expired => BAD_REQUEST, "SESSION_EXPIRED", "Session expired. Re-authenticate to perform this action.";
    credential_account_not_found => BAD_REQUEST, "CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found";
    email_can_not_be_updated => BAD_REQUEST, "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated";
    no_fields_to_update => BAD_REQUEST, "NO_FIELDS_TO_UPDATE", "No fields to update";
    email_is_the_same => BAD_REQUEST, "EMAIL_IS_THE_SAME", "Email is the same";
    change_email_disabled => BAD_REQUEST, "CHANGE_EMAIL_DISABLED", "Change email is disabled";
    verification_email_not_enabled => BAD_REQUEST, "VERIFICATION_EMAIL_NOT_ENABLED", "Verification email isn't enabled";
    invalid_token => NOT_FOUND, "INVALID_TOKEN", "Invalid token";
    method_not_allowed => METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "Method not allowed";
    payload_too_large => PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "Request body is too large";
    invalid_body_encoding => BAD_REQUEST, "BAD_REQUEST", "Request body is not valid UTF-8";
    unreadable_body => BAD_REQUEST, "BAD_REQUEST", "The request body could not be read";
    internal => INTERNAL_SERVER_ERROR, "INTERNAL_SERVER_ERROR", "Internal Server Error";
    server_busy => SERVICE_UNAVAILABLE, "SERVER_BUSY", "Too many sign-ins are being processed; retry shortly";
    database_unavailable => SERVICE_UNAVAILABLE, "DATABASE_UNAVAILABLE", "The session store is unavailable; retry shortly";
    user_not_found => NOT_FOUND, "USER_NOT_FOUND", "User not found";
    session_not_found => NOT_FOUND, "SESSION_NOT_FOUND", "Session not found";
    missing_session_layer => INTERNAL_SERVER_ERROR, "SESSION_LAYER_MISSING", "authgate: the session extractor ran without SessionLayer; add `.layer(SessionLayer::new(auth))` to the router that serves this route";
}

// Account mails: email verification and password reset.
errors! {
    email_not_verified => FORBIDDEN, "EMAIL_NOT_VERIFIED", "Email not verified";
    email_mismatch => BAD_REQUEST, "EMAIL_MISMATCH", "Email mismatch";
    email_already_verified => BAD_REQUEST, "EMAIL_ALREADY_VERIFIED", "Email is already verified";
    reset_password_disabled => BAD_REQUEST, "RESET_PASSWORD_DISABLED", "Reset password isn't enabled";
    /// `POST /reset-password` with a token that is unknown, used or expired.
    reset_token_invalid => BAD_REQUEST, "INVALID_TOKEN", "Invalid token";
    /// `POST /reset-password` with a live token of a user deleted since (the token is kept).
    reset_user_not_found => BAD_REQUEST, "USER_NOT_FOUND", "User not found";
    /// `GET /verify-email` without a callback: a token that is not ours or is malformed.
    verification_token_invalid => UNAUTHORIZED, "INVALID_TOKEN", "Invalid token";
    verification_token_expired => UNAUTHORIZED, "TOKEN_EXPIRED", "Token expired";
    verification_user_not_found => UNAUTHORIZED, "USER_NOT_FOUND", "User not found";
    /// A change-of-address link followed from another user's session.
    invalid_user => UNAUTHORIZED, "INVALID_USER", "Invalid user";
    /// `GET /delete-user/callback` without a session.
    failed_to_get_user_info => NOT_FOUND, "FAILED_TO_GET_USER_INFO", "Failed to get user info";
}

impl AuthError {
    /// 400 `PASSWORD_COMPROMISED` with the password policy's reason.
    pub(crate) fn password_compromised(reason: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "PASSWORD_COMPROMISED", reason)
    }

    /// 400 `FIELD_NOT_ALLOWED`: a client set an additional field it may not set.
    pub(crate) fn field_not_allowed(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "FIELD_NOT_ALLOWED",
            format!("{field} is not allowed to be set"),
        )
    }

    /// 400 `MISSING_FIELD`: a required additional field has no value.
    pub(crate) fn missing_field(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MISSING_FIELD",
            format!("{field} is required"),
        )
    }

    /// 415 for a body of a content type the endpoint does not read.
    pub(crate) fn unsupported_media_type(content_type: &str, allowed: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            format!("Content-Type \"{content_type}\" is not allowed. Allowed types: {allowed}"),
        )
    }
}

#[derive(serde::Serialize)]
struct Body<'a> {
    message: &'a str,
    code: &'a str,
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&Body {
            message: &self.message,
            code: &self.code,
        })
        .expect("a message and a code always serialise");
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            headers.insert("x-retry-after", HeaderValue::from(seconds));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE && self.retry_after.is_none() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

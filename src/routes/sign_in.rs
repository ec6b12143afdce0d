//! `POST /sign-in/email`: checks an email and password and starts a new session.
//!
//! An unknown email and a wrong password get the same answer after the same work (one scrypt
//! computation either way).

use axum::extract::State;
use axum::response::Response;
use http::{HeaderValue, header};
use serde::Serialize;
use serde_json::Value;

use super::fields::is_email;
use super::password_rules::check_password_not_too_long;
use super::{AuthRequest, Fields, Forms, Shape, json, prepare, retire_presented_session};
use crate::auth::Auth;
use crate::error::AuthError;
use crate::model::User;
use crate::{origin, rate_limit};

#[derive(Serialize)]
struct SignInResponse<'a> {
    redirect: bool,
    token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    user: &'a User,
}

/// The sign-in body (the email's format is checked afterwards, as Better-Auth does).
pub(crate) struct SignInInput {
    email: String,
    password: String,
    callback_url: Option<String>,
    remember: bool,
}

impl SignInInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Object);
        let email = fields.string("email");
        let password = fields.string("password");
        let callback_url = fields
            .optional_string("callbackURL")
            .filter(|url| !url.is_empty());
        let remember = fields.optional_bool("rememberMe").unwrap_or(true);
        fields.finish()?;
        Ok(Self {
            email,
            password,
            callback_url,
            remember,
        })
    }
}

pub(super) async fn sign_in_email(
    State(auth): State<Auth>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&auth, &request, Forms::Accepted)?;
    let SignInInput {
        email,
        password,
        callback_url,
        remember,
    } = SignInInput::parse(&body)?;
    origin::check_login_csrf(&auth, &request.headers)?;

    if !is_email(&email) {
        return Err(AuthError::invalid_email());
    }
    check_password_not_too_long(&auth, &password)?;
    let email = email.to_ascii_lowercase();
    rate_limit::enforce_per_account(&auth, &email).await?;
    let found = auth
        .database()
        .user_by_email(&email)
        .await
        .map_err(AuthError::from_store)?;
    let stored = found.as_ref().and_then(|found| found.password.clone());
    let verified = auth.hasher().verify(password, stored).await?;
    let user = match (found, verified) {
        (Some(found), Ok(true)) => found.user,
        (Some(found), Err(_)) => {
            tracing::error!(user.id = %found.user.id, "the stored password hash is malformed; the user cannot sign in with a password");
            return Err(AuthError::invalid_email_or_password());
        }
        _ => return Err(AuthError::invalid_email_or_password()),
    };

    // Only consecutive failures count towards the per-account limit.
    rate_limit::forget_account(&auth, &email).await;
    let session = auth
        .create_session(&user.id, remember, &request.meta(&auth))
        .await?;
    retire_presented_session(&auth, &request).await;
    let mut response = json(&SignInResponse {
        redirect: callback_url.is_some(),
        token: &session.token,
        url: callback_url.as_deref(),
        user: &user,
    });
    let headers = response.headers_mut();
    if let Some(location) = callback_url
        .as_deref()
        .and_then(|url| HeaderValue::try_from(url).ok())
    {
        // Better-Auth answers 200 with a Location header, leaving the redirect to the client.
        headers.insert(header::LOCATION, location);
    }
    auth.append_session_cookies(headers, &session.token, remember);
    Ok(response)
}

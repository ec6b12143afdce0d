//! `POST /sign-up/email`: creates a user with a credential account and, unless auto sign-in is
//! off, signs them in.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::fields::MAX_NAME_LENGTH;
use super::password_rules::{check_password_length, check_password_policy};
use super::{AuthRequest, Fields, Forms, Shape, json, prepare, retire_presented_session};
use crate::auth::Auth;
use crate::error::AuthError;
use crate::model::User;
use crate::{origin, timestamp};

#[derive(Serialize)]
struct SignUpResponse<'a> {
    token: Option<&'a str>,
    user: &'a User,
}

/// The sign-up body, validated as Better-Auth's schema validates it.
pub(crate) struct SignUpInput {
    name: String,
    email: String,
    password: String,
    image: Option<String>,
    remember: bool,
}

impl SignUpInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::ObjectAndRecord);
        let name = fields.bounded_string("name", MAX_NAME_LENGTH);
        let email = fields.email("email");
        let password = fields.non_empty_string("password");
        let image = fields.optional_string("image");
        let _callback_url = fields.optional_string("callbackURL");
        let remember = fields.optional_bool("rememberMe").unwrap_or(true);
        fields.finish()?;
        Ok(Self {
            name,
            email,
            password,
            image,
            remember,
        })
    }
}

pub(super) async fn sign_up_email(
    State(auth): State<Auth>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&auth, &request, Forms::Accepted)?;
    let SignUpInput {
        name,
        email,
        password,
        image,
        remember,
    } = SignUpInput::parse(&body)?;
    origin::check_login_csrf(&auth, &request.headers)?;

    if auth.config().disable_sign_up {
        return Err(AuthError::sign_up_disabled());
    }
    check_password_length(&auth, &password)?;
    check_password_policy(&auth, &password).await?;
    let email = email.to_ascii_lowercase();

    let database = auth.database();
    if database
        .user_by_email(&email)
        .await
        .map_err(AuthError::from_store)?
        .is_some()
    {
        return Err(AuthError::user_already_exists());
    }
    let hash = auth.hasher().hash(password).await?;

    let now = timestamp::now();
    let user = User {
        name,
        email,
        email_verified: false,
        image,
        created_at: now,
        updated_at: now,
        id: crate::crypto::token::new_id(),
    };
    let session = auth
        .config()
        .auto_sign_in
        .then(|| auth.new_session(&user.id, remember, &request.meta(&auth)));
    match database.create_user(&user, &hash, session.as_ref()).await {
        Ok(()) => {}
        // Two sign-ups raced for the same email: the unique index let one through.
        Err(err) if err.is_unique_violation() => return Err(AuthError::user_already_exists()),
        Err(err) => return Err(AuthError::from_store(err)),
    }

    if session.is_some() {
        retire_presented_session(&auth, &request).await;
    }
    let token = session.as_ref().map(|s| s.token.as_str());
    let mut response = json(&SignUpResponse { token, user: &user });
    if let Some(token) = token {
        auth.append_session_cookies(response.headers_mut(), token, remember);
    }
    Ok(response)
}

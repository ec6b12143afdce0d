//! `POST /change-password`: replaces the password after checking the current one, optionally
//! signing every other device out.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::password_rules::{
    check_password_length, check_password_not_too_long, check_password_policy,
};
use super::{AuthRequest, Fields, Forms, Shape, json, prepare, require_session};
use crate::auth::Auth;
use crate::error::AuthError;
use crate::model::User;
use crate::timestamp;

#[derive(Serialize)]
struct ChangePasswordResponse<'a> {
    token: Option<&'a str>,
    user: &'a User,
}

/// Checks `password` against the user's credential account: 400 `PASSWORD_TOO_LONG` for a
/// password no account can have, 400 `CREDENTIAL_ACCOUNT_NOT_FOUND` without an account, 400
/// `INVALID_PASSWORD` when it does not match (Better-Auth's order).
pub(crate) async fn verify_current_password(
    auth: &Auth,
    user_id: &str,
    password: String,
) -> Result<(), AuthError> {
    check_password_not_too_long(auth, &password)?;
    let stored = auth
        .database()
        .credential_password(user_id)
        .await
        .map_err(AuthError::from_store)?
        .flatten()
        .ok_or_else(AuthError::credential_account_not_found)?;
    let verified = auth.hasher().verify(password, Some(stored)).await?;
    match verified {
        Ok(true) => Ok(()),
        Ok(false) => Err(AuthError::invalid_password()),
        Err(_) => {
            tracing::error!(user.id = %user_id, "the stored password hash is malformed");
            Err(AuthError::invalid_password())
        }
    }
}

/// The change-password body.
pub(crate) struct ChangePasswordInput {
    new_password: String,
    current_password: String,
    revoke_other_sessions: bool,
}

impl ChangePasswordInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Object);
        let new_password = fields.string("newPassword");
        let current_password = fields.string("currentPassword");
        let revoke_other_sessions = fields.optional_bool("revokeOtherSessions").unwrap_or(false);
        fields.finish()?;
        Ok(Self {
            new_password,
            current_password,
            revoke_other_sessions,
        })
    }
}

pub(super) async fn change_password(
    State(auth): State<Auth>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&auth, &request, Forms::Refused)?;
    let ChangePasswordInput {
        new_password,
        current_password,
        revoke_other_sessions,
    } = ChangePasswordInput::parse(&body)?;
    let current = require_session(&request).await?;
    let user = &current.user;

    check_password_length(&auth, &new_password)?;
    verify_current_password(&auth, &user.id, current_password).await?;
    check_password_policy(&auth, &new_password).await?;
    let hash = auth.hasher().hash(new_password).await?;

    // Signing the other devices out means replacing every session, this one included, by a
    // new one: a stolen token dies with the old password.
    let remember = !request.lookup.dont_remember();
    let replacement =
        revoke_other_sessions.then(|| auth.new_session(&user.id, remember, &request.meta(&auth)));
    auth.database()
        .change_password(&user.id, &hash, timestamp::now(), replacement.as_ref())
        .await
        .map_err(AuthError::from_store)?;

    let token = replacement.as_ref().map(|session| session.token.as_str());
    let mut response = json(&ChangePasswordResponse { token, user });
    if let Some(token) = token {
        auth.append_session_cookies(response.headers_mut(), token, remember);
    }
    Ok(response)
}

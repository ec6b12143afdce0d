//! `POST /change-password`: replaces the password after checking the current one, optionally
//! signing every other device out; `POST /verify-password`: checks it.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::fields::{Fields, Shape};
use super::request::{AuthRequest, Forms, prepare, require_session};
use super::response::{json, status_true};
use crate::api::password::{self as api, ChangePassword, SessionsOnChange};
use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::hooks::Operation;
use crate::model::User;

#[derive(Serialize)]
struct ChangePasswordResponse<'a> {
    token: Option<&'a str>,
    user: &'a User,
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
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Refused)?;
    let input = ChangePasswordInput::parse(&body)?;
    let current = require_session(&request).await?;

    // Signing the other devices out replaces this session too; a browser session stays one.
    let remember = !request.lookup.dont_remember();
    let mut change = ChangePassword::new(input.current_password, input.new_password);
    if input.revoke_other_sessions {
        change.sessions = SessionsOnChange::Replace {
            remember,
            meta: request.meta(&core),
        };
    }
    let ctx = request.hook_context(
        Operation::ChangePassword,
        endpoints::CHANGE_PASSWORD,
        Some(current.clone()),
    );
    let replacement = api::change_password(&core, &current.user.id, change, &ctx).await?;

    let token = replacement.as_ref().map(|session| session.token.as_str());
    let mut response = json(&ChangePasswordResponse {
        token,
        user: &current.user,
    });
    if let Some(token) = token {
        core.cookies
            .sign_in(response.headers_mut(), token, remember);
    }
    Ok(response)
}

/// The verify-password body.
pub(crate) struct VerifyPasswordInput {
    password: String,
}

impl VerifyPasswordInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Object);
        let password = fields.string("password");
        fields.finish()?;
        Ok(Self { password })
    }
}

/// `POST /verify-password {password}`: `{"status": true}` when it is the signed-in user's
/// password, 400 `INVALID_PASSWORD` otherwise (re-authentication before a sensitive action).
/// Counts on the account's per-account limit, as sign-in does.
pub(super) async fn verify_password(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Refused)?;
    let VerifyPasswordInput { password } = VerifyPasswordInput::parse(&body)?;
    let current = require_session(&request).await?;
    let ctx = request.hook_context(
        Operation::VerifyPassword,
        endpoints::VERIFY_PASSWORD,
        Some(current.clone()),
    );
    api::verify_password(&core, &current.user.id, password, &ctx).await?;
    Ok(status_true())
}

//! `POST /change-password`: replaces the password after checking the current one, optionally
//! signing every other device out.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::fields::{Fields, Shape};
use super::request::{AuthRequest, Forms, prepare, require_session};
use super::response::json;
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

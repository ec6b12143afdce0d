//! `POST /request-password-reset`, `GET /reset-password/{token}` and `POST /reset-password`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use super::email_verification::redirect;
use super::fields::{Fields, Shape};
use super::request::{AuthRequest, Forms, check_query_redirect, prepare};
use super::response::{json, status_true};
use crate::api::password_reset::{
    REQUEST_ANSWER, request_password_reset as request_reset, reset_password as reset,
    reset_redirect,
};
use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::hooks::Operation;

/// The answer of `POST /request-password-reset`, in Better-Auth's key order.
#[derive(serde::Serialize)]
struct RequestAnswer {
    status: bool,
    message: &'static str,
}

/// The body of `POST /request-password-reset`.
pub(crate) struct RequestResetInput {
    email: String,
    redirect_to: Option<String>,
}

impl RequestResetInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Object);
        let email = fields.email("email");
        let redirect_to = fields.optional_string("redirectTo");
        fields.finish()?;
        Ok(Self { email, redirect_to })
    }
}

/// The body of `POST /reset-password`.
pub(crate) struct ResetPasswordInput {
    new_password: String,
    token: Option<String>,
}

impl ResetPasswordInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Object);
        let new_password = fields.string("newPassword");
        let token = fields.optional_string("token");
        fields.finish()?;
        Ok(Self {
            new_password,
            token,
        })
    }
}

pub(super) async fn request_password_reset(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Refused)?;
    let input = RequestResetInput::parse(&body)?;
    request_reset(&core, &input.email, input.redirect_to.as_deref()).await?;
    Ok(json(&RequestAnswer {
        status: true,
        message: REQUEST_ANSWER,
    }))
}

pub(super) async fn reset_password_callback(
    State(core): State<Arc<Core>>,
    Path(token): Path<String>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    check_query_redirect(&core, &request)?;
    let Some(callback_url) = request.query("callbackURL") else {
        return Err(AuthError::validation(
            "[query.callbackURL] Invalid input: expected string, received undefined".to_owned(),
        ));
    };
    let location = reset_redirect(&core, &token, &callback_url).await?;
    let mut response = redirect(&location)?;
    // The page the token lands on must not leak it to third parties through `Referer`.
    response.headers_mut().insert(
        http::header::REFERRER_POLICY,
        http::HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

pub(super) async fn reset_password(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Refused)?;
    let input = ResetPasswordInput::parse(&body)?;
    let token = input.token.or_else(|| request.query("token"));
    let ctx = request.hook_context(Operation::ResetPassword, endpoints::RESET_PASSWORD, None);
    reset(&core, token.as_deref(), input.new_password, &ctx).await?;
    Ok(status_true())
}

//! `POST /send-verification-email` and `GET /verify-email`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::Value;

use super::fields::{Fields, Shape};
use super::request::{AuthRequest, Forms, check_query_redirect, optional_session, prepare};
use super::response::{json, status_true};
use crate::api::email_verification::{Outcome, request_verification_email, verify_email as verify};
use crate::api::sessions::create_session;
use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::hooks::Operation;

/// The body of `POST /send-verification-email`.
pub(crate) struct SendVerificationInput {
    email: String,
    callback_url: Option<String>,
}

impl SendVerificationInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Object);
        let email = fields.email("email");
        let callback_url = fields.optional_string("callbackURL");
        fields.finish()?;
        Ok(Self {
            email,
            callback_url,
        })
    }
}

pub(super) async fn send_verification_email(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Refused)?;
    let input = SendVerificationInput::parse(&body)?;
    let session = optional_session(&request).await?;
    request_verification_email(
        &core,
        &input.email,
        input.callback_url.as_deref(),
        session.as_deref(),
    )
    .await?;
    Ok(status_true())
}

/// A `302 Found` to `location` (Better-Auth's redirects carry a JSON content type and no body).
pub(super) fn redirect(location: &str) -> Result<Response, AuthError> {
    let value = HeaderValue::try_from(location).map_err(|_| AuthError::invalid_callback_url())?;
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::LOCATION, value);
    Ok(response)
}

/// `target` with `error=<code>` added to its query, as Better-Auth's `redirectOnError` does.
fn with_error(target: &str, code: &str) -> String {
    let separator = if target.contains('?') { '&' } else { '?' };
    format!("{target}{separator}error={code}")
}

pub(super) async fn verify_email(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    check_query_redirect(&core, &request)?;
    let Some(token) = request.query("token") else {
        return Err(AuthError::validation(
            "[query.token] Invalid input: expected string, received undefined".to_owned(),
        ));
    };
    let callback_url = request.query("callbackURL").filter(|c| !c.is_empty());
    let ctx = request.hook_context(Operation::VerifyEmail, endpoints::VERIFY_EMAIL, None);
    let current = optional_session(&request).await.ok().flatten();
    let session_email = current.as_ref().map(|c| c.user.email.as_str());
    let verified = match verify(&core, &token, session_email, callback_url.as_deref(), &ctx).await {
        Ok(verified) => verified,
        Err(failure) => {
            return match &callback_url {
                Some(target) if failure.redirects() => {
                    redirect(&with_error(target, failure.code()))
                }
                _ => Err(failure.into_error()),
            };
        }
    };
    let mut response = match (&callback_url, verified.outcome) {
        (Some(target), _) => redirect(target)?,
        (None, Outcome::ConfirmationSent) => status_true(),
        (None, Outcome::EmailChanged) => json(&ChangedAnswer {
            status: true,
            user: &verified.user,
        }),
        (None, _) => json(&serde_json::json!({ "status": true, "user": null })),
    };
    match verified.outcome {
        // A change of address keeps the session: its cookie is sent again, as Better-Auth does.
        Outcome::EmailChanged => {
            if let Some(current) = &current {
                core.cookies
                    .sign_in(response.headers_mut(), &current.session.token, true);
            }
        }
        Outcome::Verified
            if core
                .config
                .email_verification
                .auto_sign_in_after_verification =>
        {
            match &current {
                // The user's own session: its cookie is sent again, as Better-Auth does.
                Some(current) if current.user.id == verified.user.id => {
                    core.cookies
                        .sign_in(response.headers_mut(), &current.session.token, true);
                }
                _ => {
                    let session =
                        create_session(&core, &verified.user.id, true, &request.meta(&core), &ctx)
                            .await?;
                    core.cookies
                        .sign_in(response.headers_mut(), &session.token, true);
                }
            }
        }
        _ => {}
    }
    Ok(response)
}

/// `{"status": true, "user": User}`, the answer to a followed change-of-address link.
#[derive(serde::Serialize)]
struct ChangedAnswer<'a> {
    status: bool,
    user: &'a crate::model::User,
}

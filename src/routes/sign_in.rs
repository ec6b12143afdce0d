//! `POST /sign-in/email`: checks an email and password and starts a new session.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use http::{HeaderValue, header};
use serde::Serialize;
use serde_json::Value;

use super::fields::{Fields, Shape};
use super::request::{AuthRequest, Forms, prepare};
use super::response::json;
use crate::api::sessions;
use crate::api::sign_in::{SignIn, sign_in};
use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::hooks::Operation;
use crate::model::User;
use crate::origin;
use crate::session::credentials::TokenSource;

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
    credentials: SignIn,
    callback_url: Option<String>,
}

impl SignInInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Object);
        let email = fields.string("email");
        let password = fields.string("password");
        // Kept when empty: Better-Auth answers `"url": ""` then (and no redirect).
        let callback_url = fields.optional_string("callbackURL");
        let remember = fields.optional_bool("rememberMe").unwrap_or(true);
        fields.finish()?;
        let mut credentials = SignIn::new(email, password).remember_me(remember);
        credentials.callback_url = callback_url.clone();
        Ok(Self {
            credentials,
            callback_url,
        })
    }
}

pub(super) async fn sign_in_email(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Accepted)?;
    let SignInInput {
        credentials,
        callback_url,
    } = SignInInput::parse(&body)?;
    origin::check_login_csrf(&core.config.trusted_origins, &request.headers)?;
    let remember = credentials.remember;
    let ctx = request.hook_context(Operation::SignIn, endpoints::SIGN_IN_EMAIL, None);
    let signed_in = sign_in(&core, credentials, &request.meta(&core), &ctx).await?;

    retire_presented_session(&core, &request, &ctx).await;
    let mut response = json(&SignInResponse {
        redirect: callback_url.as_deref().is_some_and(|url| !url.is_empty()),
        token: &signed_in.session.token,
        url: callback_url.as_deref(),
        user: &signed_in.user,
    });
    let headers = response.headers_mut();
    if let Some(location) = callback_url
        .as_deref()
        .filter(|url| !url.is_empty())
        .and_then(|url| HeaderValue::try_from(url).ok())
    {
        // Better-Auth answers 200 with a Location header, leaving the redirect to the client.
        headers.insert(header::LOCATION, location);
    }
    core.cookies
        .sign_in(headers, &signed_in.session.token, remember);
    Ok(response)
}

/// After a sign-in or sign-up has stored its new session: deletes the session whose cookie the
/// browser presented, since the response overwrites that cookie and the old row would linger as
/// a live credential nobody holds (and a planted session never outlives the sign-in).
pub(super) async fn retire_presented_session(
    core: &Core,
    request: &AuthRequest,
    ctx: &crate::hooks::HookContext,
) {
    let Some(credential) = request
        .lookup
        .credential()
        .filter(|c| c.source == TokenSource::Cookie)
    else {
        return;
    };
    if let Err(err) = sessions::end_session(core, &credential.token, ctx).await {
        tracing::warn!(error = %err, "could not delete the session a new sign-in replaced");
    }
}

//! `POST /sign-up/email`: creates a user with a credential account and, unless auto sign-in is
//! off, signs them in.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::fields::MAX_NAME_LENGTH;
use super::fields::{Fields, Shape};
use super::request::{AuthRequest, Forms, prepare};
use super::response::json;
use super::sign_in::retire_presented_session;
use crate::api::sign_up::{SessionOnSignUp, SignUp, sign_up};
use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::fields::input::{self, Action};
use crate::hooks::Operation;
use crate::model::User;
use crate::origin;

#[derive(Serialize)]
struct SignUpResponse<'a> {
    token: Option<&'a str>,
    user: &'a User,
}

/// The sign-up body, validated as Better-Auth's schema validates it.
pub(crate) struct SignUpInput(SignUp);

impl SignUpInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::ObjectAndRecord);
        let name = fields.bounded_string("name", MAX_NAME_LENGTH);
        let email = fields.email("email");
        let password = fields.non_empty_string("password");
        let image = fields.optional_string("image");
        let callback_url = fields.optional_string("callbackURL");
        let remember = fields.optional_bool("rememberMe").unwrap_or(true);
        fields.finish()?;
        Ok(Self(SignUp {
            name,
            email,
            password,
            image,
            remember,
            fields: Default::default(),
            callback_url,
        }))
    }
}

pub(super) async fn sign_up_email(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Accepted)?;
    let SignUpInput(mut input) = SignUpInput::parse(&body)?;
    origin::check_login_csrf(&core.config.trusted_origins, &request.headers)?;
    // The additional fields clients may set; the rest take their defaults.
    let object = body.as_ref().and_then(Value::as_object);
    input.fields = input::from_client(&core.config.user_fields, object, Action::Create)?;
    let remember = input.remember;
    let ctx = request.hook_context(Operation::SignUp, endpoints::SIGN_UP_EMAIL, None);
    let meta = request.meta(&core);
    let signed_up = sign_up(&core, input, &meta, SessionOnSignUp::AsConfigured, &ctx).await?;

    if signed_up.session.is_some() {
        retire_presented_session(&core, &request, &ctx).await;
    }
    let token = signed_up.session.as_ref().map(|s| s.token.as_str());
    let mut response = json(&SignUpResponse {
        token,
        user: &signed_up.user,
    });
    if let Some(token) = token {
        core.cookies
            .sign_in(response.headers_mut(), token, remember);
    }
    Ok(response)
}

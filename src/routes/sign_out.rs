//! `POST /sign-out`: deletes the current session and expires the auth cookies.
//!
//! When the database cannot be reached the answer is 503 and the cookies stay, so the client
//! can retry: a sign-out that only cleared the cookie would leave a live session behind.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use super::fields::{Fields, Shape};
use super::request::{AuthRequest, Forms, prepare};
use super::response::json;
use crate::api::sessions;
use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::hooks::Operation;

/// The optional sign-out body (`callbackURL`, `disableRedirect`), checked and otherwise unused:
/// authgate has no provider to sign out of.
pub(crate) struct SignOutInput;

impl SignOutInput {
    pub(crate) fn parse(body: &Option<serde_json::Value>) -> Result<Self, AuthError> {
        if body.is_some() {
            let mut fields = Fields::new(body, Shape::Object);
            let _ = fields.optional_string("callbackURL");
            let _ = fields.optional_bool("disableRedirect");
            fields.finish()?;
        }
        Ok(Self)
    }
}

pub(super) async fn sign_out(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    SignOutInput::parse(&prepare(&core, &request, Forms::Refused)?)?;
    if let Some(credential) = request.lookup.credential() {
        let ctx = request.hook_context(Operation::SignOut, endpoints::SIGN_OUT, None);
        sessions::end_session(&core, &credential.token, &ctx).await?;
    }
    let mut response = json(&serde_json::json!({ "success": true }));
    core.cookies.clear(response.headers_mut());
    Ok(response)
}

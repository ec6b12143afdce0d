//! The signed-in user's own record: `POST /update-user`, `POST /change-email`,
//! `POST /delete-user`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::fields::MAX_NAME_LENGTH;
use super::fields::{Fields, Shape};
use super::request::{AuthRequest, Forms, prepare, require_session};
use super::response::{json, status_true};
use crate::api::account_deletion::{consume_deletion_token, send_deletion_link};
use crate::api::password::verify_password;
use crate::api::user::{self as api, EmailChange};
use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::fields::input::{self, Action};
use crate::hooks::Operation;
use crate::model::UserUpdate;
use crate::session::policy;
use crate::timestamp;

/// `{"success": true, "message": "User deleted"}`, in Better-Auth's key order.
#[derive(serde::Serialize)]
struct Deleted {
    success: bool,
    message: &'static str,
}

/// Re-sends the session cookie after a change to the user, as Better-Auth does (a browser
/// session stays a browser session).
fn resend_session_cookie(core: &Core, request: &AuthRequest, token: &str, response: &mut Response) {
    core.cookies.sign_in(
        response.headers_mut(),
        token,
        !request.lookup.dont_remember(),
    );
}

/// The update-user body: a name, an image (or `null`); the additional fields clients may set
/// are read beside it.
pub(crate) struct UpdateUserInput {
    name: Option<String>,
    image: Option<Option<String>>,
}

impl UpdateUserInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Record);
        fields.finish_shape()?;
        if fields.is_truthy("email") {
            return Err(AuthError::email_can_not_be_updated());
        }
        let name = fields.optional_bounded_string("name", MAX_NAME_LENGTH);
        let image = fields.optional_nullable_string("image");
        fields.finish()?;
        Ok(Self { name, image })
    }
}

/// The change-email body.
pub(crate) struct ChangeEmailInput {
    new_email: String,
    callback_url: Option<String>,
}

impl ChangeEmailInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Object);
        let new_email = fields.email("newEmail");
        let callback_url = fields.optional_string("callbackURL");
        fields.finish()?;
        Ok(Self {
            new_email,
            callback_url,
        })
    }
}

/// The delete-user body.
pub(crate) struct DeleteUserInput {
    password: Option<String>,
    token: Option<String>,
    callback_url: Option<String>,
}

impl DeleteUserInput {
    pub(crate) fn parse(body: &Option<Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Object);
        let callback_url = fields.optional_string("callbackURL");
        let password = fields.optional_string("password");
        let token = fields.optional_string("token");
        fields.finish()?;
        Ok(Self {
            password,
            token,
            callback_url,
        })
    }
}

/// `POST /update-user`: the name and the image. The email has its own endpoint; every other
/// field (`id`, `emailVerified`, dates, unknown keys) is ignored, as in Better-Auth.
pub(super) async fn update_user(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Refused)?;
    Fields::new(&body, Shape::Record).finish_shape()?;
    let current = require_session(&request).await?;
    let UpdateUserInput { name, image } = UpdateUserInput::parse(&body)?;
    let object = body.as_ref().and_then(Value::as_object);
    let fields = input::from_client(&core.config.user_fields, object, Action::Update)?;
    if name.is_none() && image.is_none() && fields.is_empty() {
        return Err(AuthError::no_fields_to_update());
    }
    let mut change = UserUpdate::of(&current.user.id);
    change.name = name;
    change.image = image;
    change.fields = fields;
    let ctx = request.hook_context(
        Operation::UpdateUser,
        endpoints::UPDATE_USER,
        Some(current.clone()),
    );
    api::update_user(&core, change, &ctx)
        .await
        .map_err(|err| err.into_error())?;
    let mut response = status_true();
    resend_session_cookie(&core, &request, &current.session.token, &mut response);
    Ok(response)
}

/// `POST /change-email {newEmail}`: see [`api::change_email`]. A taken address answers as a
/// success and changes nothing, so that the endpoint does not reveal who is registered.
pub(super) async fn change_email(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Refused)?;
    let ChangeEmailInput {
        new_email,
        callback_url,
    } = ChangeEmailInput::parse(&body)?;
    let current = require_session(&request).await?;
    let mut response = status_true();
    let ctx = request.hook_context(
        Operation::ChangeEmail,
        endpoints::CHANGE_EMAIL,
        Some(current.clone()),
    );
    let change = api::change_email(
        &core,
        &current.user,
        &new_email,
        callback_url.as_deref(),
        &ctx,
    )
    .await?;
    if change == EmailChange::Changed {
        resend_session_cookie(&core, &request, &current.session.token, &mut response);
    }
    Ok(response)
}

/// `POST /delete-user`: deletes the user, its sessions and accounts, with the password or from
/// a fresh session. Off unless enabled.
pub(super) async fn delete_user(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    if !core.config.user.delete_user {
        return Err(AuthError::not_found());
    }
    let body = prepare(&core, &request, Forms::Refused)?;
    let DeleteUserInput {
        password,
        token,
        callback_url,
    } = DeleteUserInput::parse(&body)?;
    let current = require_session(&request).await?;

    // Better-Auth's order: a given password is checked first, then a deletion token, then
    // the session's freshness when there was no password. Empty strings count as absent
    // (JavaScript truthiness).
    let password = password.filter(|p| !p.is_empty());
    let needs_fresh_session = password.is_none();
    let ctx = request.hook_context(
        Operation::DeleteUser,
        endpoints::DELETE_USER,
        Some(current.clone()),
    );
    if let Some(password) = password {
        verify_password(&core, &current.user.id, password, &ctx).await?;
    }
    let ctx = request.hook_context(
        Operation::DeleteUser,
        endpoints::DELETE_USER,
        Some(current.clone()),
    );
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        // The token of an e-mailed deletion link, sent instead of following it.
        consume_deletion_token(&core, &token, &current.user.id).await?;
        return deleted(&core, &current.user.id, None, &ctx).await;
    }
    if needs_fresh_session
        && !policy::is_fresh(&core.config.session, &current.session, timestamp::now())
    {
        return Err(AuthError::session_expired());
    }
    if core.config.user.send_delete_account_verification {
        send_deletion_link(&core, &current.user, callback_url.as_deref()).await?;
        return Ok(json(&Deleted {
            success: true,
            message: "Verification email sent",
        }));
    }
    deleted(&core, &current.user.id, None, &ctx).await
}

/// Deletes the user and answers: `{"success": true, "message": "User deleted"}` (or a redirect
/// to `callback_url`), with every auth cookie cleared.
async fn deleted(
    core: &Core,
    user_id: &str,
    callback_url: Option<&str>,
    ctx: &crate::hooks::HookContext,
) -> Result<Response, AuthError> {
    api::delete_user(core, user_id, ctx).await?;
    let mut response = match callback_url {
        Some(target) => super::email_verification::redirect(target)?,
        None => json(&Deleted {
            success: true,
            message: "User deleted",
        }),
    };
    core.cookies.clear(response.headers_mut());
    Ok(response)
}

/// `GET /delete-user/callback?token&callbackURL`: the e-mailed deletion link, followed from
/// the user's own session. Off unless enabled.
pub(super) async fn delete_user_callback(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    if !core.config.user.delete_user {
        return Err(AuthError::not_found());
    }
    super::request::check_query_redirect(&core, &request)?;
    let Some(token) = request.query("token") else {
        return Err(AuthError::validation(
            "[query.token] Invalid input: expected string, received undefined".to_owned(),
        ));
    };
    let callback_url = request.query("callbackURL").filter(|c| !c.is_empty());
    let current = super::request::optional_session(&request)
        .await?
        .ok_or_else(AuthError::failed_to_get_user_info)?;
    consume_deletion_token(&core, &token, &current.user.id).await?;
    let ctx = request.hook_context(
        Operation::DeleteUser,
        endpoints::DELETE_USER_CALLBACK,
        Some(current.clone()),
    );
    deleted(&core, &current.user.id, callback_url.as_deref(), &ctx).await
}

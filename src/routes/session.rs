//! The session endpoints: `GET /get-session` (the current session and user, or `null`),
//! `GET /list-sessions`, the revocations and `POST /update-session`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, header};

use super::fields::{Fields, Shape};
use super::request::{AuthRequest, Forms, prepare, require_session};
use super::response::{json, status_true};
use crate::api::sessions;
use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::fields::input::{self, Action};
use crate::hooks::Operation;
use crate::session::lookup::{Outcome, Refresh};
use crate::session::policy;
use crate::{cookies, timestamp};

/// Better-Auth marks every get-session answer uncacheable, for HTTP/1.0 caches too.
fn no_store(headers: &mut HeaderMap) {
    cookies::no_store(headers);
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// zod's `coerce.boolean()`: any non-empty value is true, even `"false"`.
fn query_flag(request: &AuthRequest, name: &str) -> bool {
    request.query(name).is_some_and(|v| !v.is_empty())
}

pub(super) async fn get_session(request: AuthRequest) -> Response {
    let refresh = if query_flag(&request, "disableRefresh") {
        Refresh::Skip
    } else {
        Refresh::Allowed
    };
    if query_flag(&request, "disableCookieCache") {
        request.lookup.bypass_cookie_cache();
    }
    let mut response = match request.lookup.resolve(refresh).await {
        Outcome::Active(found) => json(&*found),
        Outcome::Anonymous => json(&serde_json::Value::Null),
        Outcome::Failed(err) => err.into_response(),
    };
    no_store(response.headers_mut());
    response
}

pub(super) async fn get_session_post() -> Response {
    let mut response = AuthError::get_session_method_not_allowed().into_response();
    no_store(response.headers_mut());
    response
}

/// `GET /list-sessions`: the user's live sessions. Needs a fresh session (Better-Auth 1.6.15+):
/// the list holds every session's token.
pub(super) async fn list_sessions(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    // The list holds every session's token: never from a cookie that may be stale.
    request.lookup.bypass_cookie_cache();
    let current = require_session(&request).await?;
    if !policy::is_fresh(&core.config.session, &current.session, timestamp::now()) {
        return Err(AuthError::session_not_fresh());
    }
    Ok(json(
        &sessions::list_sessions(&core, &current.user.id).await?,
    ))
}

/// The revoke-session body.
pub(crate) struct RevokeSessionInput {
    token: String,
}

impl RevokeSessionInput {
    pub(crate) fn parse(body: &Option<serde_json::Value>) -> Result<Self, AuthError> {
        let mut fields = Fields::new(body, Shape::Object);
        let token = fields.string("token");
        fields.finish()?;
        Ok(Self { token })
    }
}

/// Accepts a body only if it is absent or an object (the revocations and sign-out).
pub(crate) fn parse_optional_object(body: &Option<serde_json::Value>) -> Result<(), AuthError> {
    if body.is_some() {
        Fields::new(body, Shape::Object).finish()?;
    }
    Ok(())
}

/// `POST /revoke-session {token}`: deletes one of the user's sessions by its raw token. Always
/// `{"status": true}`, whether or not such a session existed (and never another user's).
pub(super) async fn revoke_session(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Refused)?;
    let RevokeSessionInput { token } = RevokeSessionInput::parse(&body)?;
    let current = require_session(&request).await?;
    let ctx = request.hook_context(
        Operation::RevokeSession,
        endpoints::REVOKE_SESSION,
        Some(current.clone()),
    );
    sessions::revoke_session(&core, Some(&current.user.id), &token, &ctx).await?;
    let mut response = status_true();
    if token == current.session.token {
        // Revoking the session in use signs this client out, as in Better-Auth.
        core.cookies.clear(response.headers_mut());
    }
    Ok(response)
}

/// Reads an optional empty-object body (`{}` or nothing).
fn optional_object_body(core: &Core, request: &AuthRequest) -> Result<(), AuthError> {
    parse_optional_object(&prepare(core, request, Forms::Refused)?)
}

/// `POST /revoke-sessions`: deletes every session of the user, the current one included, and
/// expires this client's cookies.
pub(super) async fn revoke_sessions(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    optional_object_body(&core, &request)?;
    let current = require_session(&request).await?;
    let ctx = request.hook_context(
        Operation::RevokeSessions,
        endpoints::REVOKE_SESSIONS,
        Some(current.clone()),
    );
    sessions::revoke_sessions(&core, &current.user.id, &ctx).await?;
    let mut response = status_true();
    core.cookies.clear(response.headers_mut());
    Ok(response)
}

/// `POST /revoke-other-sessions`: deletes every session of the user but the current one.
pub(super) async fn revoke_other_sessions(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    optional_object_body(&core, &request)?;
    let current = require_session(&request).await?;
    let ctx = request.hook_context(
        Operation::RevokeOtherSessions,
        endpoints::REVOKE_OTHER_SESSIONS,
        Some(current.clone()),
    );
    sessions::revoke_other_sessions(&core, &current.user.id, &current.session.token, &ctx).await?;
    Ok(status_true())
}

/// `{"session": ...}`, the session's keys in Better-Auth's order.
#[derive(serde::Serialize)]
struct UpdatedSession<'a> {
    session: &'a crate::model::Session,
}

/// `POST /update-session {field: value, ...}`: sets the additional session fields clients may
/// set (unknown keys are ignored, as Better-Auth does), with the session update hooks, and
/// answers `{"session": Session}` as written, re-sending the session cookie as Better-Auth does.
pub(super) async fn update_session(
    State(core): State<Arc<Core>>,
    request: AuthRequest,
) -> Result<Response, AuthError> {
    let body = prepare(&core, &request, Forms::Refused)?;
    Fields::new(&body, Shape::Record).finish_shape()?;
    let current = require_session(&request).await?;
    let object = body.as_ref().and_then(serde_json::Value::as_object);
    let fields = input::from_client(&core.config.session_fields, object, Action::Update)?;
    if fields.is_empty() {
        return Err(AuthError::no_fields_to_update());
    }
    let ctx = request.hook_context(
        Operation::UpdateSession,
        endpoints::UPDATE_SESSION,
        Some(current.clone()),
    );
    let written = sessions::update_session(&core, &current.session, fields, &ctx).await?;
    let mut response = json(&UpdatedSession { session: &written });
    core.cookies.sign_in(
        response.headers_mut(),
        &written.token,
        !request.lookup.dont_remember(),
    );
    Ok(response)
}

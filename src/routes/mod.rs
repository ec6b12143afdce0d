//! The auth endpoints over HTTP, one file per endpoint group, and the router that nests them.
//! Each handler reads the request (body, origin, redirect targets), calls the operation in
//! `api/`, and writes the answer and the cookies.

mod fields;
mod password;
mod rate_limit;
mod request;
mod session;
mod sign_in;
mod sign_out;
mod sign_up;
mod user;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::Value;

use crate::api::sessions;
use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::model::SessionWithUser;
use crate::session::credentials::TokenSource;
use crate::session::layer::SessionLayer;
use crate::session::lookup::{Outcome, Refresh};
use crate::{cookies, origin};
pub(crate) use fields::{Fields, Shape};
#[cfg(any(fuzzing, test))]
pub(crate) use request::parse_body;
pub(crate) use request::{AuthRequest, Forms};

/// Every endpoint's body validation on one parsed body (for the fuzz targets).
#[cfg(any(fuzzing, test))]
pub(crate) fn parse_every_input(body: &Option<Value>) -> Vec<Result<(), AuthError>> {
    vec![
        sign_up::SignUpInput::parse(body).map(drop),
        sign_in::SignInInput::parse(body).map(drop),
        password::ChangePasswordInput::parse(body).map(drop),
        user::UpdateUserInput::parse(body).map(drop),
        user::ChangeEmailInput::parse(body).map(drop),
        user::DeleteUserInput::parse(body).map(drop),
        session::RevokeSessionInput::parse(body).map(drop),
        session::parse_optional_object(body),
        sign_out::SignOutInput::parse(body).map(drop),
    ]
}

type State = Arc<Core>;

/// Every endpoint of the table in `endpoints.rs` and its handlers.
fn handlers() -> [(&'static str, MethodRouter<State>); 13] {
    [
        (endpoints::SIGN_UP_EMAIL, post(sign_up::sign_up_email)),
        (endpoints::SIGN_IN_EMAIL, post(sign_in::sign_in_email)),
        (
            endpoints::GET_SESSION,
            get(session::get_session).post(session::get_session_post),
        ),
        (endpoints::SIGN_OUT, post(sign_out::sign_out)),
        (endpoints::LIST_SESSIONS, get(session::list_sessions)),
        (endpoints::REVOKE_SESSION, post(session::revoke_session)),
        (endpoints::REVOKE_SESSIONS, post(session::revoke_sessions)),
        (
            endpoints::REVOKE_OTHER_SESSIONS,
            post(session::revoke_other_sessions),
        ),
        (endpoints::UPDATE_USER, post(user::update_user)),
        (endpoints::CHANGE_EMAIL, post(user::change_email)),
        (endpoints::DELETE_USER, post(user::delete_user)),
        (endpoints::CHANGE_PASSWORD, post(password::change_password)),
        (endpoints::OK, get(ok)),
    ]
}

pub(crate) fn router<S>(core: Arc<Core>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    handlers()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| {
            // Each endpoint counts its own requests before anything else reads them.
            let limited = route.layer(middleware::from_fn_with_state(
                (core.clone(), path),
                rate_limit::enforce,
            ));
            router.route(path, limited)
        })
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(SessionLayer::from_core(core.clone()))
        .with_state(core)
}

/// A 200 JSON response that no cache may store (it may carry a session token).
pub(crate) fn json<T: Serialize>(value: &T) -> Response {
    let body = serde_json::to_vec(value).expect("response bodies always serialise");
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    cookies::no_store(headers);
    response
}

/// What every state-changing endpoint does first, in Better-Auth's order: read the body (415,
/// 400), check the origin of cookie-carrying requests (403), and check that any redirect
/// target in the body or query is trusted (403). Body validation comes after.
pub(crate) fn prepare(
    core: &Core,
    request: &AuthRequest,
    forms: Forms,
) -> Result<Option<Value>, AuthError> {
    let body = request.body(forms)?;
    let trusted = &core.config.trusted_origins;
    origin::check_request_origin(trusted, &request.headers)?;
    check_redirect_targets(trusted, request, body.as_ref())?;
    Ok(body)
}

/// The request's session, or 401 (503 when the database cannot say).
pub(crate) async fn require_session(
    request: &AuthRequest,
) -> Result<Arc<SessionWithUser>, AuthError> {
    match request.lookup.resolve(Refresh::Allowed).await {
        Outcome::Active(found) => Ok(found),
        Outcome::Anonymous => Err(AuthError::unauthorized()),
        Outcome::Failed(err) => Err(err),
    }
}

/// After a sign-in or sign-up has stored its new session: deletes the session whose cookie the
/// browser presented, since the response overwrites that cookie and the old row would linger as
/// a live credential nobody holds (and a planted session never outlives the sign-in).
pub(crate) async fn retire_presented_session(core: &Core, request: &AuthRequest) {
    let Some(credential) = request
        .lookup
        .credential()
        .filter(|c| c.source == TokenSource::Cookie)
    else {
        return;
    };
    if let Err(err) = sessions::end_session(core, &credential.token).await {
        tracing::warn!(error = %err, "could not delete the session a new sign-in replaced");
    }
}

/// `{"status": true}`, the answer of most state-changing endpoints.
pub(crate) fn status_true() -> Response {
    json(&serde_json::json!({ "status": true }))
}

/// JavaScript truthiness, which decides whether Better-Auth looks at a redirect field at all.
pub(crate) fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `callbackURL` (body, else query) and its siblings must point at a trusted origin or be a
/// safe relative path. Empty and other falsy values are left to body validation.
fn check_redirect_targets(
    trusted: &[String],
    request: &AuthRequest,
    body: Option<&Value>,
) -> Result<(), AuthError> {
    let field = |name: &str| {
        body.and_then(|b| b.get(name))
            .filter(|v| is_truthy(v))
            .cloned()
    };
    let targets = [
        (
            "callbackURL",
            field("callbackURL").or_else(|| {
                request
                    .query("callbackURL")
                    .filter(|q| !q.is_empty())
                    .map(Value::String)
            }),
            AuthError::invalid_callback_url as fn() -> AuthError,
        ),
        (
            "redirectTo",
            field("redirectTo"),
            AuthError::invalid_redirect_url,
        ),
        (
            "errorCallbackURL",
            field("errorCallbackURL"),
            AuthError::invalid_error_callback_url,
        ),
        (
            "newUserCallbackURL",
            field("newUserCallbackURL"),
            AuthError::invalid_new_user_callback_url,
        ),
    ];
    for (name, value, refusal) in targets {
        match value {
            None => {}
            Some(Value::String(target)) if origin::is_trusted_redirect(trusted, &target) => {}
            Some(Value::String(_)) => return Err(refusal()),
            Some(_) => {
                return Err(AuthError::validation(format!(
                    "Invalid {name}: expected a string"
                )));
            }
        }
    }
    Ok(())
}

async fn ok() -> Response {
    json(&serde_json::json!({ "ok": true }))
}

async fn not_found() -> AuthError {
    AuthError::not_found()
}

async fn method_not_allowed() -> AuthError {
    AuthError::method_not_allowed()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_router_serves_exactly_the_endpoint_table() {
        let served: Vec<&str> = super::handlers().iter().map(|(path, _)| *path).collect();
        assert_eq!(served, crate::endpoints::ALL);
    }
}

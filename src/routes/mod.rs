//! The auth endpoints over HTTP, one file per endpoint group, and the router that nests them.
//! Each handler reads the request (`request.rs`: body, origin, redirect targets, the session),
//! calls the operation in `api/`, and writes the answer (`response.rs`) and the cookies.

mod email_verification;
mod error_page;
mod fields;
mod health;
mod password;
mod password_reset;
mod rate_limit;
mod request;
mod response;
mod session;
mod sign_in;
mod sign_out;
mod sign_up;
mod user;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};

use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::session::layer::SessionLayer;
#[cfg(any(fuzzing, test))]
pub(crate) use request::{Forms, parse_body};
use response::json;

/// Every endpoint's body validation on one parsed body (for the fuzz targets).
#[cfg(any(fuzzing, test))]
pub(crate) fn parse_every_input(body: &Option<serde_json::Value>) -> Vec<Result<(), AuthError>> {
    vec![
        sign_up::SignUpInput::parse(body).map(drop),
        sign_in::SignInInput::parse(body).map(drop),
        password::ChangePasswordInput::parse(body).map(drop),
        password::VerifyPasswordInput::parse(body).map(drop),
        user::UpdateUserInput::parse(body).map(drop),
        user::ChangeEmailInput::parse(body).map(drop),
        user::DeleteUserInput::parse(body).map(drop),
        session::RevokeSessionInput::parse(body).map(drop),
        session::parse_optional_object(body),
        sign_out::SignOutInput::parse(body).map(drop),
        email_verification::SendVerificationInput::parse(body).map(drop),
        password_reset::RequestResetInput::parse(body).map(drop),
        password_reset::ResetPasswordInput::parse(body).map(drop),
    ]
}

type State = Arc<Core>;

/// Every endpoint of the table in `endpoints.rs` and its handlers.
fn handlers() -> [(&'static str, MethodRouter<State>); 22] {
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
        (endpoints::VERIFY_PASSWORD, post(password::verify_password)),
        (endpoints::UPDATE_SESSION, post(session::update_session)),
        (endpoints::ERROR, get(error_page::error_page)),
        (
            endpoints::SEND_VERIFICATION_EMAIL,
            post(email_verification::send_verification_email),
        ),
        (
            endpoints::VERIFY_EMAIL,
            get(email_verification::verify_email),
        ),
        (
            endpoints::REQUEST_PASSWORD_RESET,
            post(password_reset::request_password_reset),
        ),
        (
            endpoints::RESET_PASSWORD_CALLBACK,
            get(password_reset::reset_password_callback),
        ),
        (
            endpoints::RESET_PASSWORD,
            post(password_reset::reset_password),
        ),
        (
            endpoints::DELETE_USER_CALLBACK,
            get(user::delete_user_callback),
        ),
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

/// `GET` answering the health check (see `health.rs`), for an application to mount.
pub(crate) fn health_route<S>(core: Arc<Core>) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    get(move || async move { health::health(&core).await })
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

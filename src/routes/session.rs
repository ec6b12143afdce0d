//! `GET /get-session`: the current session and user, or `null`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, header};

use super::{AuthRequest, json};
use crate::auth::Auth;
use crate::error::AuthError;
use crate::lookup::{Outcome, Refresh};

/// Better-Auth marks every get-session answer uncacheable.
fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// zod's `coerce.boolean()`: any non-empty value is true, even `"false"`.
fn query_flag(request: &AuthRequest, name: &str) -> bool {
    request.query(name).is_some_and(|v| !v.is_empty())
}

pub(super) async fn get_session(State(_auth): State<Auth>, request: AuthRequest) -> Response {
    let refresh = if query_flag(&request, "disableRefresh") { Refresh::Skip } else { Refresh::Allowed };
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

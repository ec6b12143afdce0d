//! Writing an auth answer: JSON that no cache may store.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::cookies;

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

/// `{"status": true}`, the answer of most state-changing endpoints.
pub(crate) fn status_true() -> Response {
    json(&serde_json::json!({ "status": true }))
}

//! The health endpoint an application mounts where it likes (`auth.health_route()`): the
//! [`HealthReport`](crate::HealthReport) as JSON, 200 when the database proved it persists,
//! 503 with `Retry-After` and the failing part named otherwise.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::cookies;
use crate::core::Core;
use crate::store::HealthReport;

/// Seconds a load balancer or client should wait before asking again after a 503.
pub(crate) const RETRY_AFTER_SECONDS: u32 = 5;

pub(crate) async fn health(core: &Core) -> Response {
    respond(&crate::store::health_check(&core.database).await)
}

/// The report as the endpoint answers it.
pub(crate) fn respond(report: &HealthReport) -> Response {
    let body = serde_json::to_vec(report).expect("the health report always serialises");
    let status = if report.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    cookies::no_store(headers);
    if !report.is_ok() {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    }
    response
}

//! The body deadline: a request body must arrive completely within a time from the moment
//! its head was read. A body still trickling in then ends in an error for whoever reads it,
//! and the request is answered 408 `REQUEST_TIMEOUT` with `Connection: close`, whatever the
//! handler made of the error.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::error::AuthError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The error a late body ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
struct BodyTimedOut(Duration);

pin_project! {
    /// A request body that fails once `deadline` has passed before its end.
    pub(super) struct DeadlineBody<B> {
        #[pin]
        inner: B,
        #[pin]
        deadline: tokio::time::Sleep,
        limit: Duration,
        timed_out: Arc<AtomicBool>,
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if this.deadline.poll(cx).is_ready() {
            this.timed_out.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(BodyTimedOut(*this.limit).into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The app for one connection: the client's address as axum's `ConnectInfo`, the body
/// deadline on every request, and 408 for a request whose body missed it.
#[derive(Clone)]
pub(super) struct BoundedApp {
    pub(super) app: Router,
    pub(super) remote: SocketAddr,
    pub(super) body_read_timeout: Duration,
}

impl<B> tower_service::Service<Request<B>> for BoundedApp
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let timed_out = Arc::new(AtomicBool::new(false));
        let limit = self.body_read_timeout;
        let mut request = request.map(|inner| {
            axum::body::Body::new(DeadlineBody {
                inner,
                deadline: tokio::time::sleep(limit),
                limit,
                timed_out: timed_out.clone(),
            })
        });
        request.extensions_mut().insert(ConnectInfo(self.remote));
        let mut app = self.app.clone();
        Box::pin(async move {
            let response = tower_service::Service::call(&mut app, request).await?;
            if timed_out.load(Ordering::Acquire) {
                return Ok(request_timeout(limit));
            }
            Ok(response)
        })
    }
}

/// 408 with authgate's JSON error, closing the connection (the rest of the body is never
/// read).
fn request_timeout(limit: Duration) -> Response {
    let mut response = AuthError::new(
        StatusCode::REQUEST_TIMEOUT,
        "REQUEST_TIMEOUT",
        format!(
            "The request body did not arrive within {} s",
            limit.as_secs_f64()
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

//! [`SessionLayer`], [`SessionService`] and [`ResponseFuture`]: read and verify the session
//! credentials of each request and make the session available to the extractors (see
//! `extract.rs`). The database is touched only when an extractor asks, and at most once per
//! request.
//!
//! `SessionLayer::new(auth)` is defined beside `Auth` (in `auth.rs`), so that this module
//! depends on the shared context only, not on the facade.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::lookup::SessionLookup;
use crate::core::Core;

/// A tower [`Layer`] that resolves Better-Auth sessions (signed cookie or
/// `Authorization: Bearer`) for [`CurrentUser`](crate::CurrentUser),
/// [`CurrentSession`](crate::CurrentSession) and `Option<CurrentUser>`.
///
/// A request whose credentials fail the signature check never reaches the database. Responses
/// get a refreshed session cookie when the session slid forward, or cleared cookies when the
/// session turned out to be gone.
///
/// # Examples
/// ```no_run
/// use axum::{Json, Router, routing::get};
/// use authgate::{Auth, CurrentUser, SessionLayer};
///
/// # async fn run(auth: Auth) {
/// let app: Router = Router::new()
///     .route("/me", get(|user: CurrentUser| async move { Json(user) }))
///     .nest("/api/auth", auth.router())
///     .layer(SessionLayer::new(auth.clone()));
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SessionLayer {
    core: Arc<Core>,
}

impl SessionLayer {
    pub(crate) fn from_core(core: Arc<Core>) -> Self {
        Self { core }
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            core: self.core.clone(),
        }
    }
}

/// The [`Service`] built by [`SessionLayer`].
#[derive(Clone, Debug)]
pub struct SessionService<S> {
    inner: S,
    core: Arc<Core>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // An outer SessionLayer already placed a lookup (the router nests its own layer);
        // that one owns the response cookies.
        let lookup = if request.extensions().get::<Arc<SessionLookup>>().is_some() {
            None
        } else {
            let lookup = Arc::new(SessionLookup::new(
                self.core.clone(),
                request.method(),
                request.headers(),
            ));
            request.extensions_mut().insert(lookup.clone());
            Some(lookup)
        };
        ResponseFuture {
            inner: self.inner.call(request),
            lookup,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`SessionService`]: adds the cookie updates the session lookup
    /// called for.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        lookup: Option<Arc<SessionLookup>>,
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = match this.inner.poll(cx) {
            Poll::Ready(result) => result?,
            Poll::Pending => return Poll::Pending,
        };
        if let Some(lookup) = this.lookup.take() {
            lookup.write_cookies(response.headers_mut());
        }
        Poll::Ready(Ok(response))
    }
}

//! Helpers for an application's own tests: [`TestClient`] drives a [`Router`] without a socket,
//! the way a browser on the app's origin would: it keeps a cookie jar that follows
//! `Set-Cookie`, sends a trusted `Origin` on state-changing requests, and gives each request
//! the peer address that `into_make_service_with_connect_info` would (so rate limits see a
//! client address).
//!
//! # Examples
//! ```
//! use authgate::{Auth, CurrentUser, SessionLayer};
//! use axum::{Json, Router, routing::get};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = Auth::builder()
//!     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
//!     .base_url("http://localhost:3000")
//!     .connect("sqlite::memory:")
//!     .await?;
//! auth.migrate().await?;
//! let app = Router::new()
//!     .route("/me", get(|user: CurrentUser| async move { Json(user) }))
//!     .nest("/api/auth", auth.router())
//!     .layer(SessionLayer::new(auth.clone()));
//!
//! let mut client = auth.test_client(app);
//! let signed_up = client
//!     .post_json(
//!         "/api/auth/sign-up/email",
//!         &json!({ "name": "Ada", "email": "ada@example.com", "password": "correct horse" }),
//!     )
//!     .await;
//! assert_eq!(signed_up.status, 200);
//! let me = client.get("/me").await; // with the session cookie
//! assert_eq!(me.json()["email"], "ada@example.com");
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use bytes::Bytes;
use cookie::Cookie;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower_service::Service;

/// A client for a [`Router`] in tests; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct TestClient {
    router: Router,
    origin: String,
    peer: SocketAddr,
    cookies: BTreeMap<String, String>,
}

/// A response, read whole.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TestResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl TestResponse {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl TestClient {
    /// A client for `router` whose state-changing requests come from `origin` (one the
    /// configuration trusts, e.g. `auth.config().base_origin()`); see also
    /// [`Auth::test_client`](crate::Auth::test_client).
    pub fn new(router: Router, origin: impl Into<String>) -> Self {
        Self {
            router,
            origin: origin.into(),
            peer: SocketAddr::from(([127, 0, 0, 1], 40_000)),
            cookies: BTreeMap::new(),
        }
    }

    /// The peer address requests come from (default `127.0.0.1:40000`); give clients
    /// different ones to test per-address rate limits.
    pub fn peer(mut self, peer: SocketAddr) -> Self {
        self.peer = peer;
        self
    }

    /// A cookie in the jar (its value as sent).
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// Empties the jar (signs the client out locally).
    pub fn clear_cookies(&mut self) {
        self.cookies.clear();
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> TestResponse {
        let request = Request::get(path).body(Body::empty());
        self.send(request.expect("a valid path")).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&mut self, path: &str, body: &serde_json::Value) -> TestResponse {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::to_vec(body).expect("JSON serialises"),
            ));
        self.send(request.expect("a valid path")).await
    }

    /// Sends `request` with the jar's cookies, the peer address, and (for a method other than
    /// `GET`/`HEAD`, when the request has none) the trusted `Origin`; stores the cookies the
    /// response sets.
    pub async fn send(&mut self, mut request: Request<Body>) -> TestResponse {
        let headers = request.headers_mut();
        if !self.cookies.is_empty() && !headers.contains_key(header::COOKIE) {
            let jar = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            if let Ok(value) = HeaderValue::try_from(jar) {
                headers.insert(header::COOKIE, value);
            }
        }
        let safe = matches!(*request.method(), Method::GET | Method::HEAD);
        if !safe
            && !request.headers().contains_key(header::ORIGIN)
            && let Ok(origin) = HeaderValue::try_from(self.origin.as_str())
        {
            request.headers_mut().insert(header::ORIGIN, origin);
        }
        request.extensions_mut().insert(ConnectInfo(self.peer));

        let ready =
            std::future::poll_fn(|cx| Service::<Request<Body>>::poll_ready(&mut self.router, cx))
                .await;
        if let Err(never) = ready {
            match never {}
        }
        let response = match self.router.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        for value in parts.headers.get_all(header::SET_COOKIE) {
            let Some(cookie) = value.to_str().ok().and_then(|v| Cookie::parse(v).ok()) else {
                continue;
            };
            let expired = cookie.max_age().is_some_and(|age| age.is_zero());
            if expired || cookie.value().is_empty() {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

//! Extractors: [`CurrentUser`], `Option<CurrentUser>` and [`CurrentSession`], resolved by
//! [`SessionLayer`](crate::SessionLayer), and their rejection [`AuthRejection`].

use std::ops::Deref;
use std::sync::Arc;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use serde::Serialize;

use super::lookup::{Outcome, Refresh, SessionLookup};
use crate::error::AuthError;
use crate::model::{SessionWithUser, User};

/// The signed-in user. Rejects with 401 `{"code":"UNAUTHORIZED"}` when there is none.
///
/// Serialises as the user object (Better-Auth's shape), so `Json(user)` answers a `/me` route.
///
/// # Examples
/// ```
/// use authgate::CurrentUser;
///
/// async fn greet(user: CurrentUser) -> String {
///     format!("hello {}", user.name)
/// }
///
/// async fn maybe(user: Option<CurrentUser>) -> &'static str {
///     if user.is_some() { "signed in" } else { "anonymous" }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CurrentUser(pub User);

impl Deref for CurrentUser {
    type Target = User;

    fn deref(&self) -> &User {
        &self.0
    }
}

impl CurrentUser {
    /// The user.
    pub fn into_inner(self) -> User {
        self.0
    }
}

/// The current session and its user: `current.session` and `current.user`. Rejects like
/// [`CurrentUser`].
///
/// The session row holds the bearer secret (`session.token`); `Debug` redacts it, and
/// serialising a `CurrentSession` (or its [`view`](SessionWithUser::view)) leaves it out:
/// `{"session": {...without token...}, "user": {...}}`.
///
/// # Examples
/// ```
/// use authgate::CurrentSession;
/// use axum::Json;
///
/// async fn sessions_page(current: CurrentSession) -> String {
///     format!("{} signed in at {}", current.user.email, current.session.created_at)
/// }
///
/// async fn me(current: CurrentSession) -> Json<CurrentSession> {
///     Json(current) // no token in the body
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentSession(Arc<SessionWithUser>);

impl Serialize for CurrentSession {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.view().serialize(serializer)
    }
}

impl Deref for CurrentSession {
    type Target = SessionWithUser;

    fn deref(&self) -> &SessionWithUser {
        &self.0
    }
}

impl CurrentSession {
    /// The session and its user.
    pub fn into_inner(self) -> SessionWithUser {
        Arc::unwrap_or_clone(self.0)
    }
}

/// Why an auth extractor rejected a request. Responds with a status and Better-Auth's
/// `{"message","code"}` JSON.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No valid session: 401 `UNAUTHORIZED`.
    Unauthenticated,
    /// The session store could not be reached: 503 (the client should retry, not sign in
    /// again).
    Unavailable(AuthError),
    /// The extractor ran on a route without [`SessionLayer`](crate::SessionLayer): 500 whose
    /// message says to add it.
    MissingLayer,
    /// No valid session, with a 401 that says more: a bare session token sent as a bearer
    /// token, which must be the signed `set-auth-token` value.
    Denied(AuthError),
}

impl AuthRejection {
    /// The API error this rejection answers with.
    pub fn into_error(self) -> AuthError {
        match self {
            AuthRejection::Unauthenticated => AuthError::unauthorized(),
            AuthRejection::Unavailable(err) => err,
            AuthRejection::MissingLayer => AuthError::missing_session_layer(),
            AuthRejection::Denied(err) => err,
        }
    }
}

impl std::fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.clone().into_error(), f)
    }
}

impl std::error::Error for AuthRejection {}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        if matches!(self, AuthRejection::MissingLayer) {
            tracing::error!(
                "an authgate extractor ran without SessionLayer; add `.layer(SessionLayer::new(auth))`"
            );
        }
        self.into_error().into_response()
    }
}

pub(crate) fn lookup(parts: &Parts) -> Result<&Arc<SessionLookup>, AuthRejection> {
    parts
        .extensions
        .get::<Arc<SessionLookup>>()
        .ok_or(AuthRejection::MissingLayer)
}

/// The session of the request, `None` when anonymous.
async fn resolve(parts: &Parts) -> Result<Option<Arc<SessionWithUser>>, AuthRejection> {
    match lookup(parts)?.resolve(Refresh::Allowed).await {
        Outcome::Active(found) => Ok(Some(found)),
        Outcome::Anonymous => Ok(None),
        Outcome::Failed(err) => Err(AuthRejection::Unavailable(err)),
    }
}

/// The rejection of an anonymous request (the 401 explains a refused unsigned bearer token).
fn unauthenticated(parts: &Parts) -> AuthRejection {
    match lookup(parts) {
        Ok(lookup) if lookup.refused_unsigned_bearer() => {
            AuthRejection::Denied(lookup.anonymous_error())
        }
        Ok(_) => AuthRejection::Unauthenticated,
        Err(missing) => missing,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let found = resolve(parts)
            .await?
            .ok_or_else(|| unauthenticated(parts))?;
        Ok(CurrentUser(found.user.clone()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(resolve(parts)
            .await?
            .map(|found| CurrentUser(found.user.clone())))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentSession {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let found = resolve(parts)
            .await?
            .ok_or_else(|| unauthenticated(parts))?;
        Ok(CurrentSession(found))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CurrentSession {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(resolve(parts).await?.map(CurrentSession))
    }
}

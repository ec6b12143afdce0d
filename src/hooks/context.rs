//! [`HookContext`] and [`Operation`]: where a hook runs.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;

use crate::model::SessionWithUser;

/// What triggered a hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /sign-up/email` or [`Api::sign_up_email`](crate::api::Api::sign_up_email).
    SignUp,
    /// [`Api::create_user`](crate::api::Api::create_user): a user without a session.
    CreateUser,
    /// `POST /sign-in/email` or [`Api::sign_in_email`](crate::api::Api::sign_in_email).
    SignIn,
    /// `POST /sign-out`.
    SignOut,
    /// A session's expiry sliding forward during a request.
    RefreshSession,
    /// An expired session's row deleted when it was presented.
    ExpireSession,
    /// Additional session fields set (`update-session`).
    UpdateSession,
    /// `POST /update-user` or [`Api::update_user`](crate::api::Api::update_user).
    UpdateUser,
    /// `POST /change-email`.
    ChangeEmail,
    /// `POST /change-password` or [`Api::change_password`](crate::api::Api::change_password).
    ChangePassword,
    /// [`Api::set_password`](crate::api::Api::set_password).
    SetPassword,
    /// `POST /revoke-session` or [`Api::revoke_session`](crate::api::Api::revoke_session).
    RevokeSession,
    /// `POST /revoke-sessions` or [`Api::revoke_sessions`](crate::api::Api::revoke_sessions).
    RevokeSessions,
    /// `POST /revoke-other-sessions` or
    /// [`Api::revoke_other_sessions`](crate::api::Api::revoke_other_sessions).
    RevokeOtherSessions,
    /// `POST /delete-user` or [`Api::delete_user`](crate::api::Api::delete_user).
    DeleteUser,
    /// `POST /verify-password` or [`Api::verify_password`](crate::api::Api::verify_password)
    /// (no hook runs for it: it writes nothing; the context carries its session).
    VerifyPassword,
    /// `GET /verify-email` or [`Api::verify_email`](crate::api::Api::verify_email).
    VerifyEmail,
    /// `POST /reset-password` or [`Api::reset_password`](crate::api::Api::reset_password).
    ResetPassword,
}

#[derive(Debug)]
struct Context {
    operation: Operation,
    http: bool,
    path: Option<&'static str>,
    headers: Option<HeaderMap>,
    session: Option<Arc<SessionWithUser>>,
}

/// Where a hook runs: the operation, and for a request the endpoint, the request's headers and
/// the caller's session. Cheap to clone.
#[derive(Clone)]
pub struct HookContext(Arc<Context>);

impl fmt::Debug for HookContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Headers carry cookies and bearer tokens: never printed.
        f.debug_struct("HookContext")
            .field("operation", &self.0.operation)
            .field("path", &self.0.path)
            .finish_non_exhaustive()
    }
}

impl HookContext {
    /// A request to `path` (relative to where the router is nested) with `headers`.
    pub(crate) fn http(
        operation: Operation,
        path: &'static str,
        headers: &HeaderMap,
        session: Option<Arc<SessionWithUser>>,
    ) -> Self {
        Self(Arc::new(Context {
            operation,
            http: true,
            path: Some(path),
            headers: Some(headers.clone()),
            session,
        }))
    }

    /// A request to any route, for what the session lookup does on the way (a refresh, the
    /// deletion of an expired session).
    pub(crate) fn request(operation: Operation, headers: &HeaderMap) -> Self {
        Self(Arc::new(Context {
            operation,
            http: true,
            path: None,
            headers: Some(headers.clone()),
            session: None,
        }))
    }

    /// A call from the application's own code ([`Api`](crate::api::Api)).
    pub(crate) fn api(operation: Operation) -> Self {
        Self(Arc::new(Context {
            operation,
            http: false,
            path: None,
            headers: None,
            session: None,
        }))
    }

    /// The operation.
    pub fn operation(&self) -> Operation {
        self.0.operation
    }

    /// The auth endpoint's path for a request to it (e.g. `/sign-up/email`, relative to where
    /// the router is nested); `None` for an [`Api`](crate::api::Api) call, and for what the
    /// session lookup does during a request to another route (a refresh).
    pub fn path(&self) -> Option<&str> {
        self.0.path
    }

    /// Whether an HTTP request triggered the hook (rather than server code through
    /// [`Api`](crate::api::Api)).
    pub fn is_http(&self) -> bool {
        self.0.http
    }

    /// The request's headers (HTTP only).
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.0.headers.as_ref()
    }

    /// The caller's session and user, when the request was signed in.
    pub fn session(&self) -> Option<&SessionWithUser> {
        self.0.session.as_deref()
    }
}

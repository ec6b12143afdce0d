//! Database hooks (Better-Auth's `databaseHooks`): async callbacks before and after a user,
//! session or account row is created, updated or deleted. They run for requests to
//! [`Auth::router`](crate::Auth::router) and for [`Api`](crate::api::Api) calls alike.
//!
//! - A **before** hook of a create or update receives the row (or the change) about to be
//!   written and returns it, changed or not; returning `Err` vetoes the operation: nothing is
//!   written and the caller gets that [`AuthError`] (over HTTP, its status and
//!   `{"message","code"}` body).
//! - A **before** hook of a delete receives the row and may veto likewise.
//! - An **after** hook receives the row as written, once the change is committed. Its error is
//!   logged and does not change the answer: the change has happened.
//!
//! Several hooks on one point run in registration order, each seeing the previous one's
//! result. The writes of one operation are one transaction where Better-Auth uses one
//! (sign-up, change-password) and also for delete-user; every before hook of an operation runs
//! before that transaction opens, so a veto at any step writes nothing and no lock is held
//! while application code runs, and the after hooks run after its commit.
//!
//! # Examples
//! ```
//! use authgate::hooks::DatabaseHooks;
//! use authgate::AuthError;
//! use http::StatusCode;
//!
//! let hooks = DatabaseHooks::new()
//!     .user_create_before(|mut user, _ctx| async move {
//!         if user.email.ends_with("@blocked.example") {
//!             return Err(AuthError::new(
//!                 StatusCode::BAD_REQUEST,
//!                 "SIGNUP_BLOCKED",
//!                 "Sign-ups are closed for this domain",
//!             ));
//!         }
//!         user.fields.set("role", "member");
//!         Ok(user)
//!     })
//!     .user_create_after(|user, ctx| async move {
//!         tracing::info!(user.id = %user.id, via_http = ctx.is_http(), "welcome");
//!         Ok(())
//!     });
//! assert_eq!(hooks.len(), 2);
//! let builder = authgate::Auth::builder().database_hooks(hooks);
//! # let _ = builder;
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::HeaderMap;

use crate::error::AuthError;
use crate::model::{
    Account, AccountUpdate, Session, SessionUpdate, SessionWithUser, User, UserUpdate,
};

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

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
type Transform<T> = Arc<dyn Fn(T, HookContext) -> BoxFuture<Result<T, AuthError>> + Send + Sync>;
type Observe<T> = Arc<dyn Fn(T, HookContext) -> BoxFuture<Result<(), AuthError>> + Send + Sync>;

/// Runs one hook's future on its own task, so that a hook that panics answers 500 (logged)
/// instead of taking the request down.
async fn guarded<T: Send + 'static>(
    point: &'static str,
    future: BoxFuture<Result<T, AuthError>>,
) -> Result<T, AuthError> {
    match tokio::spawn(future).await {
        Ok(result) => result,
        Err(err) => {
            tracing::error!(
                hook = point,
                panicked = err.is_panic(),
                "a database hook failed to finish"
            );
            Err(AuthError::internal())
        }
    }
}

/// The before hooks of a create or an update: each gets the value and returns it.
pub(crate) struct Before<T> {
    point: &'static str,
    hooks: Vec<Transform<T>>,
}

/// The before hooks of a delete: each may veto.
pub(crate) struct Guard<T> {
    point: &'static str,
    hooks: Vec<Observe<T>>,
}

/// The after hooks of a point: each sees the row; errors are logged.
pub(crate) struct After<T> {
    point: &'static str,
    hooks: Vec<Observe<T>>,
}

impl<T> Clone for Before<T> {
    fn clone(&self) -> Self {
        Self {
            point: self.point,
            hooks: self.hooks.clone(),
        }
    }
}

impl<T> Clone for Guard<T> {
    fn clone(&self) -> Self {
        Self {
            point: self.point,
            hooks: self.hooks.clone(),
        }
    }
}

impl<T> Clone for After<T> {
    fn clone(&self) -> Self {
        Self {
            point: self.point,
            hooks: self.hooks.clone(),
        }
    }
}

impl<T: Send + 'static> Before<T> {
    fn new(point: &'static str) -> Self {
        Self {
            point,
            hooks: Vec::new(),
        }
    }

    /// Runs every hook in order on `value`; the first `Err` stops the operation.
    pub(crate) async fn run(&self, mut value: T, ctx: &HookContext) -> Result<T, AuthError> {
        for hook in &self.hooks {
            value = guarded(self.point, hook(value, ctx.clone())).await?;
        }
        Ok(value)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }
}

impl<T: Clone + Send + 'static> Guard<T> {
    fn new(point: &'static str) -> Self {
        Self {
            point,
            hooks: Vec::new(),
        }
    }

    /// Runs every hook in order on `row`; the first `Err` stops the operation.
    pub(crate) async fn run(&self, row: &T, ctx: &HookContext) -> Result<(), AuthError> {
        for hook in &self.hooks {
            guarded(self.point, hook(row.clone(), ctx.clone())).await?;
        }
        Ok(())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }
}

impl<T: Clone + Send + 'static> After<T> {
    fn new(point: &'static str) -> Self {
        Self {
            point,
            hooks: Vec::new(),
        }
    }

    /// Runs every hook in order on `row`; an error is logged and does not stop the others.
    pub(crate) async fn run(&self, row: &T, ctx: &HookContext) {
        for hook in &self.hooks {
            if let Err(err) = guarded(self.point, hook(row.clone(), ctx.clone())).await {
                tracing::error!(
                    hook = self.point,
                    status = err.status().as_u16(),
                    code = err.code(),
                    "a database hook failed after its change was committed; the answer is unchanged"
                );
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }
}

/// The six hook points of one table.
pub(crate) struct TableHooks<Row, Change> {
    pub(crate) create_before: Before<Row>,
    pub(crate) create_after: After<Row>,
    pub(crate) update_before: Before<Change>,
    pub(crate) update_after: After<Row>,
    pub(crate) delete_before: Guard<Row>,
    pub(crate) delete_after: After<Row>,
}

impl<Row: Clone + Send + 'static, Change: Send + 'static> TableHooks<Row, Change> {
    /// The hook points of `table`, named `<table>.<create|update|delete>.<before|after>`.
    fn new(points: &'static [&'static str; 6]) -> Self {
        Self {
            create_before: Before::new(points[0]),
            create_after: After::new(points[1]),
            update_before: Before::new(points[2]),
            update_after: After::new(points[3]),
            delete_before: Guard::new(points[4]),
            delete_after: After::new(points[5]),
        }
    }

    /// Whether any hook watches deletions (the rows must then be read first).
    pub(crate) fn watch_deletes(&self) -> bool {
        !self.delete_before.is_empty() || !self.delete_after.is_empty()
    }

    fn len(&self) -> usize {
        self.create_before.hooks.len()
            + self.create_after.hooks.len()
            + self.update_before.hooks.len()
            + self.update_after.hooks.len()
            + self.delete_before.hooks.len()
            + self.delete_after.hooks.len()
    }

    fn extend(&mut self, other: &Self) {
        fn copy<T: Clone>(to: &mut Vec<T>, from: &[T]) {
            to.extend(from.iter().cloned());
        }
        copy(&mut self.create_before.hooks, &other.create_before.hooks);
        copy(&mut self.create_after.hooks, &other.create_after.hooks);
        copy(&mut self.update_before.hooks, &other.update_before.hooks);
        copy(&mut self.update_after.hooks, &other.update_after.hooks);
        copy(&mut self.delete_before.hooks, &other.delete_before.hooks);
        copy(&mut self.delete_after.hooks, &other.delete_after.hooks);
    }
}

impl<Row, Change> Clone for TableHooks<Row, Change> {
    fn clone(&self) -> Self {
        Self {
            create_before: self.create_before.clone(),
            create_after: self.create_after.clone(),
            update_before: self.update_before.clone(),
            update_after: self.update_after.clone(),
            delete_before: self.delete_before.clone(),
            delete_after: self.delete_after.clone(),
        }
    }
}

/// The database hooks, registered with
/// [`AuthBuilder::database_hooks`](crate::AuthBuilder::database_hooks); see the
/// [module documentation](self).
///
/// Each method registers one async closure taking the data and a [`HookContext`] by value.
#[derive(Clone)]
#[must_use = "DatabaseHooks do nothing until given to AuthBuilder::database_hooks"]
pub struct DatabaseHooks {
    pub(crate) user: TableHooks<User, UserUpdate>,
    pub(crate) session: TableHooks<Session, SessionUpdate>,
    pub(crate) account: TableHooks<Account, AccountUpdate>,
}

impl Default for DatabaseHooks {
    fn default() -> Self {
        macro_rules! points {
            ($table:literal) => {
                &[
                    concat!($table, ".create.before"),
                    concat!($table, ".create.after"),
                    concat!($table, ".update.before"),
                    concat!($table, ".update.after"),
                    concat!($table, ".delete.before"),
                    concat!($table, ".delete.after"),
                ]
            };
        }
        Self {
            user: TableHooks::new(points!("user")),
            session: TableHooks::new(points!("session")),
            account: TableHooks::new(points!("account")),
        }
    }
}

impl fmt::Debug for DatabaseHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseHooks")
            .field("registered", &self.len())
            .finish()
    }
}

fn transform<T, F, Fut>(hook: F) -> Transform<T>
where
    F: Fn(T, HookContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AuthError>> + Send + 'static,
{
    Arc::new(move |value, ctx| Box::pin(hook(value, ctx)))
}

fn observe<T, F, Fut>(hook: F) -> Observe<T>
where
    F: Fn(T, HookContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
{
    Arc::new(move |value, ctx| Box::pin(hook(value, ctx)))
}

macro_rules! hook_points {
    ($($table:ident: $row:ty, $change:ty {
        $create_before:ident, $create_after:ident, $update_before:ident, $update_after:ident,
        $delete_before:ident, $delete_after:ident
    })*) => {
        impl DatabaseHooks {
            $(
                #[doc = concat!("Before a `", stringify!($table), "` row is inserted: returns the row to insert (changed or not), or vetoes with an error.")]
                pub fn $create_before<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($row, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<$row, AuthError>> + Send + 'static,
                {
                    self.$table.create_before.hooks.push(transform(hook));
                    self
                }

                #[doc = concat!("After a `", stringify!($table), "` row was inserted and committed.")]
                pub fn $create_after<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($row, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
                {
                    self.$table.create_after.hooks.push(observe(hook));
                    self
                }

                #[doc = concat!("Before a `", stringify!($table), "` row is updated: returns the change to write (changed or not), or vetoes with an error.")]
                pub fn $update_before<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($change, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<$change, AuthError>> + Send + 'static,
                {
                    self.$table.update_before.hooks.push(transform(hook));
                    self
                }

                #[doc = concat!("After a `", stringify!($table), "` row was updated: the row as written.")]
                pub fn $update_after<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($row, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
                {
                    self.$table.update_after.hooks.push(observe(hook));
                    self
                }

                #[doc = concat!("Before a `", stringify!($table), "` row is deleted: vetoes with an error.")]
                pub fn $delete_before<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($row, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
                {
                    self.$table.delete_before.hooks.push(observe(hook));
                    self
                }

                #[doc = concat!("After a `", stringify!($table), "` row was deleted: the row as it was.")]
                pub fn $delete_after<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($row, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
                {
                    self.$table.delete_after.hooks.push(observe(hook));
                    self
                }
            )*
        }
    };
}

hook_points! {
    user: User, UserUpdate {
        user_create_before, user_create_after, user_update_before, user_update_after,
        user_delete_before, user_delete_after
    }
    session: Session, SessionUpdate {
        session_create_before, session_create_after, session_update_before,
        session_update_after, session_delete_before, session_delete_after
    }
    account: Account, AccountUpdate {
        account_create_before, account_create_after, account_update_before,
        account_update_after, account_delete_before, account_delete_after
    }
}

impl DatabaseHooks {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many hooks are registered.
    pub fn len(&self) -> usize {
        self.user.len() + self.session.len() + self.account.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `other`'s hooks after these (the builder accumulates registrations).
    pub(crate) fn extend(&mut self, other: &DatabaseHooks) {
        self.user.extend(&other.user);
        self.session.extend(&other.session);
        self.account.extend(&other.account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn user(email: &str) -> User {
        let now = crate::timestamp::now();
        User {
            name: "n".into(),
            email: email.into(),
            email_verified: false,
            image: None,
            created_at: now,
            updated_at: now,
            fields: crate::fields::Fields::new(),
            id: "u".into(),
        }
    }

    #[tokio::test]
    async fn before_hooks_chain_and_veto() {
        let hooks = DatabaseHooks::new()
            .user_create_before(|mut user, _| async move {
                user.name.push('1');
                Ok(user)
            })
            .user_create_before(|mut user, _| async move {
                if user.email.ends_with("@blocked.example") {
                    return Err(AuthError::new(StatusCode::FORBIDDEN, "NO", "no"));
                }
                user.name.push('2');
                Ok(user)
            });
        let ctx = HookContext::api(Operation::CreateUser);
        let out = hooks
            .user
            .create_before
            .run(user("a@b.co"), &ctx)
            .await
            .unwrap();
        assert_eq!(out.name, "n12");
        let err = hooks
            .user
            .create_before
            .run(user("a@blocked.example"), &ctx)
            .await
            .unwrap_err();
        assert_eq!((err.status(), err.code()), (StatusCode::FORBIDDEN, "NO"));
        assert!(!ctx.is_http() && ctx.path().is_none());
    }
}

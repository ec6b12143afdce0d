//! Database hooks (Better-Auth's `databaseHooks`): async callbacks before and after a user,
//! session or account row is created, updated or deleted. They run for requests to
//! [`Auth::router`](crate::Auth::router) and for [`Api`](crate::api::Api) calls alike.
//!
//! - A **before** hook of a create or update receives the row (or the change) about to be
//!   written and returns it, changed or not; returning `Err` vetoes the operation: nothing is
//!   written and the caller gets that [`AuthError`](crate::AuthError) (over HTTP, its status and
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

mod context;
mod points;
mod registry;

pub use context::{HookContext, Operation};
pub use registry::DatabaseHooks;

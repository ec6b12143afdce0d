//! What the endpoints do, without HTTP: each operation takes the context and plain inputs and
//! returns rows or an [`AuthError`](crate::AuthError). The handlers in `routes/` read
//! requests, call these, and write responses and cookies; rate limits and origin checks are
//! theirs, not these.
//!
//! [`Api`] (from [`Auth::api`](crate::Auth::api)) opens the same operations to the
//! application's own code, with the input and output types below.

pub(crate) mod account_deletion;
mod account_mail;
mod audit;
pub(crate) mod email_address;
pub(crate) mod email_verification;
mod handle;
pub(crate) mod import;
pub(crate) mod password;
pub(crate) mod password_reset;
pub(crate) mod password_rules;
pub(crate) mod sessions;
pub(crate) mod sign_in;
pub(crate) mod sign_up;
pub(crate) mod user;

pub use handle::Api;
pub use import::{ImportError, ImportReport, ImportUsers};
pub use password::ChangePassword;
pub use sign_in::{SignIn, SignedIn};
pub use sign_up::{SignUp, SignedUp};
pub use user::UpdateUser;

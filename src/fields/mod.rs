//! Additional fields on `user` and `session` (Better-Auth's `user.additionalFields` and
//! `session.additionalFields`): columns the application declares with
//! [`AuthBuilder::user_field`](crate::AuthBuilder::user_field) and
//! [`AuthBuilder::session_field`](crate::AuthBuilder::session_field), created by
//! [`Auth::migrate`](crate::Auth::migrate) as Better-Auth creates them, read in the one session
//! query and reachable from [`CurrentUser`](crate::CurrentUser):
//!
//! ```
//! use authgate::CurrentUser;
//! use http::StatusCode;
//!
//! async fn admin_only(user: CurrentUser) -> Result<&'static str, StatusCode> {
//!     // No query: the role came with the session.
//!     match user.field::<String>("role").as_deref() {
//!         Some("admin") => Ok("welcome"),
//!         _ => Err(StatusCode::FORBIDDEN),
//!     }
//! }
//! ```

mod definition;
pub(crate) mod input;
mod values;

pub use definition::{Field, FieldType};
pub(crate) use definition::{FieldDef, FieldDefault, FieldSet, Table, is_identifier};
pub use values::Fields;

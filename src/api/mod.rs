//! What the endpoints do, without HTTP: each operation takes the context and plain inputs and
//! returns rows or an [`AuthError`]. The handlers in `routes/` read requests, call these, and
//! write responses and cookies; rate limits and origin checks are theirs, not these.

pub(crate) mod email_address;
pub(crate) mod password;
pub(crate) mod password_rules;
pub(crate) mod sessions;
pub(crate) mod sign_in;
pub(crate) mod sign_up;
pub(crate) mod user;

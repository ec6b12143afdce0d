//! Configuration: [`AuthBuilder`] collects options, [`AuthBuilder::validate`] checks them all
//! and yields an [`AuthConfig`], or a [`ConfigError`] that says what to fix. Nothing is
//! defaulted silently where security depends on it: the secret and the base URL must be given
//! (in code or in the environment, as Better-Auth reads them).
//!
//! The options come in Better-Auth's groups, one file each: the secret, base URL and trusted
//! origins here; [`session`](self::session), [`email_password`](self::email_password),
//! [`user`](self::user), [`advanced`](self::advanced) (cookies, bearer tokens, proxies,
//! request bodies), [`rate_limit`](self::rate_limit), and [`fields`](self::fields) (additional
//! fields and database hooks). Each group's settings are checked by
//! its own `check`, and the checked values are what the rest of the crate reads.
//!
//! `AuthBuilder::connect` and `AuthBuilder::build`, which yield an [`crate::Auth`], are
//! defined beside `Auth` (in `auth.rs`), so that configuration does not depend on the facade.

mod advanced;
mod base;
mod builder;
mod cache;
mod database;
mod email_password;
mod email_verification;
mod environment;
mod error;
mod fields;
mod mail;
mod operations;
mod password_reset;
mod rate_limit;
mod session;
mod user;

pub use builder::{AuthBuilder, AuthConfig};
pub use error::ConfigError;

#[cfg(test)]
mod tests;

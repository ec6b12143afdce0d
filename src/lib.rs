#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod client_ip;
mod config;
mod cookies;
mod credentials;
mod crypto;
mod error;
mod extract;
#[doc(hidden)]
pub mod fuzz;
mod layer;
mod lookup;
mod model;
mod origin;
mod rate_limit;
mod routes;
mod secret;
mod store;
mod timestamp;

pub use auth::Auth;
pub use client_ip::InvalidProxy;
pub use config::{AuthBuilder, AuthConfig, ConfigError};
pub use error::{AuthError, Error};
pub use extract::{AuthRejection, CurrentSession, CurrentUser};
pub use layer::{ResponseFuture, SessionLayer, SessionService};
pub use model::{Session, SessionWithUser, User};
pub use rate_limit::{RateLimit, RateLimitStorage, Rule};
pub use secret::{MIN_SECRET_BITS, MIN_SECRET_BYTES, SecretSource, WeakSecret};
pub use store::{Database, Dialect, MigrationReport, StoreError};

#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The facade, and the context every layer below it shares (see ARCHITECTURE.md).
mod auth;
mod core;

// HTTP: the endpoints, and the session middleware with its extractors.
mod routes;
mod session;

// What the endpoints do, without HTTP; public as the server-side API.
pub mod api;

// Configuration, and the leaves: each owns its settings and errors.
mod alerts;
mod cache;
mod client_ip;
mod config;
mod cookies;
mod crypto;
mod endpoints;
mod error;
pub mod fields;
pub mod hooks;
pub mod mail;
mod model;
mod origin;
mod rate_limit;
mod secret;
mod secret_fingerprint;
mod server;
pub mod sqlx;
mod store;
mod telemetry;
pub mod testing;
mod timestamp;

/// Reference pages.
pub mod docs {
    #[doc = include_str!("../docs/endpoints.md")]
    pub mod endpoints {}

    #[doc = include_str!("../docs/operations.md")]
    pub mod operations {}
}

#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzz;

#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench_internals;

pub use auth::{Auth, Error};
pub use cache::{SessionCache, SessionCacheStats};
pub use client_ip::InvalidProxy;
pub use config::{AuthBuilder, AuthConfig, ConfigError};
pub use crypto::identifier::TokenStorage;
pub use error::AuthError;
pub use model::{
    Account, AccountUpdate, Session, SessionUpdate, SessionWithUser, User, UserUpdate,
};
pub use rate_limit::{RateLimit, RateLimitStorage, Rule};
pub use secret::{MIN_SECRET_BITS, MIN_SECRET_BYTES, SecretError, SecretSource, WeakSecret};
pub use secret_fingerprint::{generate_secret, secret_fingerprint};
pub use server::{Serve, ServerTimeouts, serve};
pub use session::cookie_cache::CookieCache;
pub use session::extract::{AuthRejection, CurrentSession, CurrentUser};
pub use session::layer::{ResponseFuture, SessionLayer, SessionService};
pub use store::{
    CleanupReport, DatabaseHealth, HealthProblem, HealthReport, SchemaReport, SessionsHealth,
};
pub use store::{Database, Dialect, DriverError, MigrationReport, StoreError};

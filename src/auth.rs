//! [`Auth`]: the handle an application keeps. It is built from the checked configuration and a
//! database, and hands out the router and the session layer. This is the top of the crate:
//! nothing below imports it, which is why the constructors that yield an `Auth` or take one
//! (`AuthBuilder::connect`, `AuthBuilder::build`, `AuthConfig::connect`,
//! `AuthConfig::with_database`, `SessionLayer::new`) are defined here.

use std::fmt;
use std::sync::Arc;

use axum::Router;

use crate::api::Api;
use crate::config::{AuthBuilder, AuthConfig, ConfigError};
use crate::core::Core;
use crate::rate_limit::RateLimitStorage;
use crate::session::layer::SessionLayer;
use crate::store::{Database, MigrationReport, StoreError};

/// Why [`AuthBuilder::connect`] or [`Auth::migrate`] failed. Its `Debug` is its message, so a
/// `main` returning `Result<(), Box<dyn Error>>` prints what to fix.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid; nothing was connected.
    #[error("invalid authgate configuration: {0}")]
    Config(#[from] ConfigError),
    /// The database could not be reached or refused a statement.
    #[error("authgate database error: {0}")]
    Database(#[from] StoreError),
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Authentication for an axum app: configuration, database and password hashing.
///
/// Cheap to clone (an `Arc`). Build it with [`Auth::builder`], create the tables with
/// [`Auth::migrate`], serve the endpoints with [`Auth::router`] and resolve sessions with
/// [`SessionLayer`].
#[derive(Clone)]
pub struct Auth {
    core: Arc<Core>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("config", &self.core.config)
            .field("database", &self.core.database)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Starts a configuration. See [`AuthBuilder`] for every option.
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run() -> Result<(), authgate::Error> {
    /// let auth = authgate::Auth::builder()
    ///     .base_url("http://localhost:3000") // or BETTER_AUTH_URL
    ///     .connect("sqlite://app.db?mode=rwc") // the secret comes from BETTER_AUTH_SECRET
    ///     .await?;
    /// auth.migrate().await?;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> AuthBuilder {
        AuthBuilder::default()
    }

    fn new(config: AuthConfig, database: Database) -> Self {
        Self {
            core: Arc::new(Core::new(config, database)),
        }
    }

    /// The auth endpoints (`/sign-up/email`, `/sign-in/email`, `/get-session`, `/sign-out`,
    /// `/ok`, ...), to nest at any path: `.nest("/api/auth", auth.router())`.
    ///
    /// The router resolves sessions itself, so it works with or without an outer
    /// [`SessionLayer`]; with one, a request's session is looked up once.
    pub fn router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        crate::routes::router(self.core.clone())
    }

    /// The server-side API: what the endpoints do, for the application's own code, without
    /// rate limits or origin checks. See [`Api`].
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run(auth: authgate::Auth) -> Result<(), authgate::AuthError> {
    /// let user = auth
    ///     .api()
    ///     .create_user(authgate::api::SignUp::new("Ada", "ada@example.com", "correct horse battery"))
    ///     .await?;
    /// assert!(auth.api().list_sessions(&user.id).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn api(&self) -> Api {
        Api::new(self.core.clone())
    }

    /// A [`TestClient`](crate::testing::TestClient) for `router` (the application's router
    /// with this `Auth`'s routes and layer), sending this configuration's base origin on
    /// state-changing requests.
    pub fn test_client(&self, router: Router) -> crate::testing::TestClient {
        crate::testing::TestClient::new(router, self.core.config.base_origin.clone())
    }

    /// A [`SessionLayer`] for this `Auth` (the same as `SessionLayer::new(auth.clone())`).
    pub fn session_layer(&self) -> SessionLayer {
        SessionLayer::from_core(self.core.clone())
    }

    /// Creates Better-Auth's `user`, `session`, `account` and `verification` tables and their
    /// indexes where missing, with the DDL Better-Auth 1.7 generates for the dialect. An
    /// existing Better-Auth database is used as it is; running it again does nothing.
    ///
    /// # Errors
    /// [`Error::Database`] when a statement fails or an existing table lacks a column authgate
    /// needs.
    pub async fn migrate(&self) -> Result<MigrationReport, Error> {
        let with_rate_limit_table =
            self.core.config.rate_limit.storage_kind() == RateLimitStorage::Database;
        Ok(crate::store::schema_migrate(&self.core.database, with_rate_limit_table).await?)
    }

    /// Checks that the database is reachable, has the schema, and accepts writes (a read of
    /// `session` and a rolled-back insert into `verification`). Serve it from a health
    /// endpoint.
    ///
    /// # Errors
    /// The storage error, e.g. a refused connection or a missing table.
    pub async fn health(&self) -> Result<(), StoreError> {
        self.core.database.probe().await
    }

    /// The database pool.
    pub fn database(&self) -> &Database {
        self.core.database.database()
    }

    /// The checked configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.core.config
    }

    /// How many scrypt computations (real and dummy) this instance has run: a metric for the
    /// most expensive thing it does.
    pub fn password_hashes_computed(&self) -> u64 {
        self.core.hasher.computed()
    }

    /// How many scrypt computations are running at this moment (at most
    /// [`max_concurrent_hashes`](AuthBuilder::max_concurrent_hashes)).
    pub fn password_hashes_running(&self) -> usize {
        self.core.hasher.running()
    }

    /// The most scrypt computations this instance has run at once since it started.
    pub fn password_hashes_peak(&self) -> usize {
        self.core.hasher.peak_running()
    }

    /// Signs a session token as the session cookie and the bearer header carry it
    /// (`token.signature`, not percent-encoded), with the current secret.
    pub fn sign_session_token(&self, token: &str) -> String {
        self.core.cookies.sign(token)
    }

    /// The in-process session cache's counters (hits, misses, entries), or `None` when the
    /// cache is off.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let auth = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .session_cache(authgate::SessionCache::memory())
    ///     .connect("sqlite::memory:")
    ///     .await
    ///     .unwrap();
    /// assert_eq!(auth.session_cache_stats().unwrap().hits, 0);
    /// # }
    /// ```
    pub fn session_cache_stats(&self) -> Option<crate::cache::SessionCacheStats> {
        self.core.session_cache.as_ref().map(|cache| cache.stats())
    }
}

/// Invalidation over PostgreSQL needs a PostgreSQL database.
fn check_cache_database(config: &AuthConfig, database: &Database) -> Result<(), ConfigError> {
    match config.session_cache() {
        Some(cache)
            if cache.invalidates_over_postgres()
                && database.dialect() != crate::store::Dialect::Postgres =>
        {
            Err(ConfigError::invalid(
                "session_cache",
                format!(
                    "invalidate_over_postgres needs a PostgreSQL database, got {}",
                    database.dialect()
                ),
            ))
        }
        _ => Ok(()),
    }
}

impl SessionLayer {
    /// A layer resolving sessions with `auth`.
    pub fn new(auth: Auth) -> Self {
        auth.session_layer()
    }
}

impl AuthBuilder {
    /// Validates the configuration, then connects to the database at `url`
    /// (`sqlite://app.db?mode=rwc`, `postgres://...`, or `mysql://...` with the `mysql`
    /// feature).
    ///
    /// # Errors
    /// [`Error::Config`] before any connection is attempted, or [`Error::Database`] when the
    /// database cannot be reached.
    pub async fn connect(self, url: &str) -> Result<Auth, Error> {
        self.validate()?.connect(url).await
    }

    /// Validates the configuration and uses an existing pool.
    ///
    /// # Errors
    /// A [`ConfigError`] as from [`validate`](Self::validate).
    pub fn build(self, database: impl Into<Database>) -> Result<Auth, ConfigError> {
        let config = self.validate()?;
        let database = database.into();
        check_cache_database(&config, &database)?;
        Ok(config.with_database(database))
    }
}

impl AuthConfig {
    /// Connects to the database at `url`.
    ///
    /// # Errors
    /// [`Error::Database`] when the database cannot be reached.
    pub async fn connect(self, url: &str) -> Result<Auth, Error> {
        let database = Database::connect(url).await?;
        check_cache_database(&self, &database)?;
        Ok(Auth::new(self, database))
    }

    /// Uses an existing pool.
    pub fn with_database(self, database: impl Into<Database>) -> Auth {
        Auth::new(self, database.into())
    }
}

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
        let core = Arc::new(Core::new(config, database));
        if let Some(interval) = core.config.operations.cleanup_interval {
            spawn_cleanup(Arc::downgrade(&core), interval);
        }
        Self { core }
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
        Ok(crate::store::schema_migrate(&self.core.database, with_rate_limit_table, false).await?)
    }

    /// What [`migrate`](Self::migrate) would do, changing nothing: the report with every
    /// statement it would run in [`MigrationReport::statements`] (`authgate migrate --dry-run`
    /// prints them).
    ///
    /// # Errors
    /// As [`migrate`](Self::migrate), but for the statements, which do not run.
    pub async fn migrate_dry_run(&self) -> Result<MigrationReport, Error> {
        let with_rate_limit_table =
            self.core.config.rate_limit.storage_kind() == RateLimitStorage::Database;
        Ok(crate::store::schema_migrate(&self.core.database, with_rate_limit_table, true).await?)
    }

    /// Proves that the database persists: writes a short-lived `verification` row (identifier
    /// `authgate-health:<random>`, expiring a minute ahead so that the cleanup removes a
    /// leftover), reads it back, deletes it, and counts the active sessions. A failure names
    /// the part to fix ([`HealthProblem`](crate::HealthProblem): unreachable, read-only,
    /// schema with the missing table or column, credentials) and is logged as a warning with
    /// the driver's error; the report itself carries neither credentials nor driver messages.
    ///
    /// Serve it with [`health_route`](Self::health_route).
    ///
    /// # Examples
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let auth = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .connect("sqlite::memory:")
    ///     .await
    ///     .unwrap();
    /// assert_eq!(auth.health().await.problem(), Some(authgate::HealthProblem::Schema));
    /// auth.migrate().await.unwrap();
    /// let report = auth.health().await;
    /// assert!(report.is_ok());
    /// assert_eq!(report.active_sessions(), Some(0));
    /// # });
    /// ```
    pub async fn health(&self) -> crate::store::HealthReport {
        crate::store::health_check(&self.core.database).await
    }

    /// A `GET` route answering [`health`](Self::health) as JSON: 200 with
    /// `{"status":"ok","database":{"status":"ok","latencyMs":..},"sessions":{"active":..}}`, or
    /// 503 with `Retry-After` and the failing part in `database.status`. Mount it where the
    /// load balancer looks: `.route("/health", auth.health_route())`.
    pub fn health_route<S>(&self) -> axum::routing::MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        crate::routes::health_route(self.core.clone())
    }

    /// Compares the database's tables, columns and indexes with Better-Auth 1.7.25's, changing
    /// nothing (what `authgate check` reports).
    ///
    /// # Errors
    /// The storage error when the catalogue cannot be read.
    pub async fn schema_report(&self) -> Result<crate::store::SchemaReport, StoreError> {
        self.core.database.inspect_schema().await
    }

    /// Deletes the sessions and verification rows that have expired, at most 1000 rows per
    /// statement (one pass of the cleanup task; `authgate cleanup` runs it). Safe to run from
    /// several instances at once.
    ///
    /// # Errors
    /// The storage error of the first statement that failed.
    pub async fn cleanup_expired(&self) -> Result<crate::store::CleanupReport, StoreError> {
        self.core.database.cleanup_expired(|_| {}).await
    }

    /// [`cleanup_expired`](Self::cleanup_expired), calling `progress` with the running totals
    /// after each batch.
    ///
    /// # Errors
    /// The storage error of the first statement that failed.
    pub async fn cleanup_expired_with_progress(
        &self,
        progress: impl FnMut(&crate::store::CleanupReport),
    ) -> Result<crate::store::CleanupReport, StoreError> {
        self.core.database.cleanup_expired(progress).await
    }

    /// Imports users from another system's table (see [`ImportUsers`](crate::api::ImportUsers)):
    /// Better-Auth `user` rows and credential `account` rows with the hashes as they are
    /// (bcrypt and argon2 need the `legacy-hashes` feature to sign in, and are re-hashed to
    /// scrypt on the first successful sign-in). Refuses duplicate e-mails (ignoring case) and
    /// conflicts with existing users before writing anything; skips users already imported.
    ///
    /// # Errors
    /// [`ImportError::Refused`](crate::api::ImportError::Refused) with the report when the data
    /// has problems (nothing written), or the database's failure.
    pub async fn import_users(
        &self,
        spec: &crate::api::ImportUsers,
        progress: impl FnMut(u64, u64),
    ) -> Result<crate::api::ImportReport, crate::api::ImportError> {
        crate::api::import::import_users(&self.core, spec, progress).await
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

    /// What the account-mail outbox has done: mails queued, sent, failed, dropped because
    /// the queue was full, and skipped because an address had its hourly share (all zero
    /// without a mailer).
    pub fn mail_statistics(&self) -> crate::mail::MailStatistics {
        self.core
            .outbox
            .as_ref()
            .map(|outbox| outbox.statistics())
            .unwrap_or_default()
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

/// The background cleanup: one pass every `interval`, until the last `Auth` of this
/// configuration is dropped. A failed pass is logged and retried at the next tick.
fn spawn_cleanup(core: std::sync::Weak<Core>, interval: std::time::Duration) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(
            "cleanup_interval is set but the Auth was built outside a tokio runtime: no background cleanup runs"
        );
        return;
    };
    runtime.spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(core) = core.upgrade() else { return };
            match core.database.cleanup_expired(|_| {}).await {
                Ok(report) => {
                    tracing::debug!(sessions = report.sessions, verifications = report.verifications, "cleanup pass");
                    let _ = core.database.active_sessions().await;
                }
                Err(err) => tracing::warn!(error = %err, "the cleanup pass failed; it runs again at the next interval"),
            }
        }
    });
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
        let database = Database::connect_with(url, &self.database).await?;
        check_cache_database(&self, &database)?;
        Ok(Auth::new(self, database))
    }

    /// Uses an existing pool.
    pub fn with_database(self, database: impl Into<Database>) -> Auth {
        Auth::new(self, database.into())
    }
}

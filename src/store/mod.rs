//! Storage through sqlx on SQLite, PostgreSQL and MySQL/MariaDB, in Better-Auth's tables.
//!
//! Each statement is written once, in the form PostgreSQL and SQLite share (`"quoted"`
//! identifiers, `$n` parameters), and rendered for MySQL (`` `quoted` ``, `?`); see
//! [`statements`]. What truly differs per dialect (types in the DDL, how dates are stored,
//! connection settings, how a migration takes its lock) lives in `sqlite.rs`, `postgres.rs`
//! and `mysql.rs`.

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!("authgate needs at least one of the features `sqlite`, `postgres`, `mysql`");

/// Runs `$body` once per dialect with `$pool` bound to that dialect's pool and `$sql` to its
/// rendered [`statements::Statements`]; the body is type-checked for each driver.
macro_rules! dispatch {
    ($db:expr, |$pool:ident, $sql:ident| $body:expr) => {
        match $db {
            #[cfg(feature = "sqlite")]
            $crate::store::Database::Sqlite($pool) => {
                #[allow(unused_variables)]
                let $sql: &'static $crate::store::statements::Statements =
                    &$crate::store::statements::SQLITE;
                $body
            }
            #[cfg(feature = "postgres")]
            $crate::store::Database::Postgres($pool) => {
                #[allow(unused_variables)]
                let $sql: &'static $crate::store::statements::Statements =
                    &$crate::store::statements::POSTGRES;
                $body
            }
            #[cfg(feature = "mysql")]
            $crate::store::Database::MySql($pool) => {
                #[allow(unused_variables)]
                let $sql: &'static $crate::store::statements::Statements =
                    &$crate::store::statements::MYSQL;
                $body
            }
        }
    };
}

/// Like `dispatch!`, on a [`Store`], through its circuit: refused at once (503) while the
/// database is known unreachable; a failure that means "unavailable" is reported to the
/// circuit and named with its cause and the database's address. The value of `$body`, or an
/// early `Err` return from the enclosing function.
macro_rules! guarded {
    ($store:expr, |$pool:ident, $sql:ident| $body:expr) => {{
        let store: &$crate::store::Store = $store;
        store
            .guard(async {
                Ok::<_, $crate::store::StoreError>(dispatch!(store.database(), |$pool, $sql| {
                    $body
                }))
            })
            .await?
    }};
}

mod address;
mod circuit;
mod cleanup;
mod datetime;
mod dynamic_sql;
mod handle;
mod health;
mod import;
mod inspect;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
mod rate_limits;
mod rows;
mod schema;
mod sessions;
#[cfg(feature = "sqlite")]
mod sqlite;
mod sqlx;
mod statements;
mod users;
mod verifications;

use std::fmt;

pub(crate) use circuit::OutageSettings;
pub use cleanup::CleanupReport;
pub(crate) use datetime::DbTime;
pub(crate) use dynamic_sql::LegacyColumns;
pub(crate) use handle::Store;
pub(crate) use health::check as health_check;
pub use health::{DatabaseHealth, HealthProblem, HealthReport, SessionsHealth};
pub(crate) use import::LegacyRow;
pub use inspect::SchemaReport;
pub use schema::MigrationReport;
pub(crate) use schema::migrate as schema_migrate;
pub(crate) use users::SessionsAfterPasswordChange;

/// Where a pool stands when a request needs a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PoolState {
    /// A connection is idle.
    Idle,
    /// None is idle, and a new one may be opened.
    Room,
    /// Every connection is open and in use.
    Full,
}

/// A connection pool to one of the supported databases.
///
/// Build one from a URL with [`Database::connect`], or wrap an existing **sqlx 0.9** pool with
/// `Database::from(pool)` (see [`crate::sqlx`] for the types).
#[derive(Clone)]
#[non_exhaustive]
pub enum Database {
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    /// MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlPool),
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Database({})", self.dialect())
    }
}

/// Which SQL dialect a [`Database`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
        })
    }
}

/// A sqlx **0.9** pool ([`crate::sqlx::sqlite::SqlitePool`]); a sqlx 0.8 pool is another type.
#[cfg(feature = "sqlite")]
impl From<sqlx::SqlitePool> for Database {
    fn from(pool: sqlx::SqlitePool) -> Self {
        Database::Sqlite(pool)
    }
}

/// A sqlx **0.9** pool ([`crate::sqlx::postgres::PgPool`]); a sqlx 0.8 pool is another type.
#[cfg(feature = "postgres")]
impl From<sqlx::PgPool> for Database {
    fn from(pool: sqlx::PgPool) -> Self {
        Database::Postgres(pool)
    }
}

/// A sqlx **0.9** pool ([`crate::sqlx::mysql::MySqlPool`]); a sqlx 0.8 pool is another type.
#[cfg(feature = "mysql")]
impl From<sqlx::MySqlPool> for Database {
    fn from(pool: sqlx::MySqlPool) -> Self {
        Database::MySql(pool)
    }
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database cannot be reached right now (connection refused or lost, pool exhausted,
    /// server shutting down, file locked): retry later. The driver's error is the `source()`.
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] DriverError),
    /// The database refused a statement. The driver's error is the `source()`.
    #[error("the database refused a statement: {0}")]
    Query(#[source] DriverError),
    /// The URL names a database this build does not support.
    #[error("{0}")]
    UnsupportedUrl(String),
    /// The URL or the connection options are invalid.
    #[error("invalid database URL or options: {0}")]
    InvalidOptions(#[source] DriverError),
    /// Existing tables lack columns authgate reads or writes.
    #[error(
        "the existing `{table}` table lacks the columns {columns:?}; it was not created by Better-Auth 1.x or authgate"
    )]
    SchemaMismatch {
        /// The table.
        table: &'static str,
        /// The missing columns.
        columns: Vec<&'static str>,
    },
    /// Adding a required additional field without a default to a table that has rows would
    /// leave them without a value; nothing was changed (Better-Auth's `UnsafeMigrationError`,
    /// one message per column).
    #[error("{}", .0.join("\n"))]
    UnsafeMigration(Vec<String>),
    /// Another instance held the migration lock for a minute; nothing was changed.
    #[error(
        "another process kept the migration lock for 60 seconds; nothing was migrated, try again"
    )]
    MigrationLockTimeout,
}

/// An error of the database driver, kept opaque so that authgate's API does not change with
/// the driver's: its message (with the database's address where it is known, never the
/// credentials), and the driver's error as `source()`.
#[derive(Debug)]
pub struct DriverError {
    cause: Cause,
    /// Where the database is (`127.0.0.1:5432`), as `address::of` describes it.
    at: Option<std::sync::Arc<str>>,
}

#[derive(Debug)]
enum Cause {
    Driver(sqlx::Error),
    /// The circuit is open: the last connection attempt failed for this reason, and no request
    /// tries again until the background probe reaches the database.
    CircuitOpen(std::sync::Arc<str>),
}

impl DriverError {
    fn new(err: sqlx::Error) -> Self {
        Self {
            cause: Cause::Driver(err),
            at: None,
        }
    }

    /// The error with the database's address, for its message.
    pub(crate) fn at(mut self, address: std::sync::Arc<str>) -> Self {
        self.at = Some(address);
        self
    }

    fn driver(&self) -> Option<&sqlx::Error> {
        match &self.cause {
            Cause::Driver(err) => Some(err),
            Cause::CircuitOpen(_) => None,
        }
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.cause, &self.at) {
            (Cause::Driver(err), None) => fmt::Display::fmt(err, f),
            (Cause::Driver(err), Some(at)) => write!(f, "{} at {at}", address::describe(err)),
            (Cause::CircuitOpen(cause), at) => {
                f.write_str(cause)?;
                if let Some(at) = at {
                    write!(f, " at {at}")?;
                }
                f.write_str(" (not retried until the background probe reaches the database)")
            }
        }
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.driver().map(|err| err as _)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            StoreError::Unavailable(DriverError::new(err))
        } else if matches!(err, sqlx::Error::Configuration(_)) {
            StoreError::InvalidOptions(DriverError::new(err))
        } else {
            StoreError::Query(DriverError::new(err))
        }
    }
}

impl StoreError {
    /// Whether the failure means the database cannot be reached right now, as opposed to a
    /// statement the database refused.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// The driver's error behind this one, if any (none for a refusal by the open circuit).
    pub(crate) fn driver_error(&self) -> Option<&sqlx::Error> {
        match self {
            StoreError::Unavailable(err)
            | StoreError::Query(err)
            | StoreError::InvalidOptions(err) => err.driver(),
            _ => None,
        }
    }

    /// Whether the failure is a unique-constraint violation.
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Query(err) if matches!(err.driver(), Some(sqlx::Error::Database(db)) if db.is_unique_violation()))
    }

    /// The error with the database's address in its message (driver errors only).
    pub(crate) fn at(self, address: std::sync::Arc<str>) -> Self {
        match self {
            StoreError::Unavailable(err) => StoreError::Unavailable(err.at(address)),
            StoreError::Query(err) => StoreError::Query(err.at(address)),
            StoreError::InvalidOptions(err) => StoreError::InvalidOptions(err.at(address)),
            other => other,
        }
    }

    /// 503 at once: the circuit is open after `cause`.
    pub(crate) fn circuit_open(cause: std::sync::Arc<str>, address: std::sync::Arc<str>) -> Self {
        StoreError::Unavailable(DriverError {
            cause: Cause::CircuitOpen(cause),
            at: Some(address),
        })
    }

    /// Why, in a few words and without the address: `connection refused`.
    pub(crate) fn cause(&self) -> String {
        match self {
            StoreError::Unavailable(err)
            | StoreError::Query(err)
            | StoreError::InvalidOptions(err) => match &err.cause {
                Cause::Driver(driver) => address::describe(driver),
                Cause::CircuitOpen(cause) => cause.to_string(),
            },
            other => other.to_string(),
        }
    }

    /// Whether this is the circuit's own fast refusal (counted and logged by the circuit).
    pub(crate) fn is_circuit_open(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(DriverError {
                cause: Cause::CircuitOpen(_),
                ..
            })
        )
    }
}

/// Driver errors that mean "not reachable now" rather than "bad statement".
fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => is_unavailable_code(db.as_ref()),
        _ => false,
    }
}

/// Driver error codes that mean "not available now" rather than "bad statement".
fn is_unavailable_code(db: &(dyn sqlx::error::DatabaseError + 'static)) -> bool {
    #[cfg(feature = "postgres")]
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        // Class 08 (connection exception), 53 (insufficient resources), 57P (shutdown,
        // cannot connect now).
        let code = pg.code();
        return code.starts_with("08") || code.starts_with("53") || code.starts_with("57P");
    }
    #[cfg(feature = "mysql")]
    if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        // Too many connections, shutdown in progress, server gone away or lost, lock wait
        // timeout.
        return matches!(my.number(), 1040 | 1053 | 1205 | 2002 | 2003 | 2006 | 2013);
    }
    #[cfg(feature = "sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // Primary result codes BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN (the low byte of
        // an extended code).
        let code = db.code().and_then(|c| c.parse::<u32>().ok()).unwrap_or(0);
        return matches!(code & 0xff, 5 | 6 | 8 | 10 | 13 | 14);
    }
    false
}

impl Database {
    /// Connects to `url`: `sqlite://path?mode=rwc` (or `sqlite::memory:`), `postgres://...`
    /// or `postgresql://...`, and `mysql://...` / `mariadb://...` with the `mysql` feature.
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`] for a scheme this build cannot serve, or the driver's
    /// error when the database cannot be reached.
    ///
    /// Requests wait at most 500 ms for a pooled connection (the default of
    /// [`database_acquire_timeout`](crate::AuthBuilder::database_acquire_timeout)); a
    /// database that cannot be reached fails at once with the cause and the address, e.g.
    /// `connection refused at 127.0.0.1:5432`, never with the URL's credentials.
    ///
    /// An in-memory SQLite database (`sqlite::memory:`) lives on one pooled connection that is
    /// never closed: requests take turns on it, and it lasts as long as the pool.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &OutageSettings::default()).await
    }

    /// [`connect`](Self::connect) with the configured outage settings.
    pub(crate) async fn connect_with(
        url: &str,
        settings: &OutageSettings,
    ) -> Result<Self, StoreError> {
        let database = Self::open_pool(url, settings).await?;
        // One connection now, outside the pool, so that a database that cannot be reached
        // fails start-up with the driver's own reason (sqlx's pool retries a refused
        // connection until its timeout and then reports only "pool timed out").
        let address = address::of(&database);
        database
            .connect_directly(settings.connect_timeout())
            .await
            .map_err(|err| err.at(address))?;
        Ok(database)
    }

    async fn open_pool(url: &str, settings: &OutageSettings) -> Result<Self, StoreError> {
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let feature = match scheme.as_str() {
            "sqlite" => "sqlite",
            "postgres" | "postgresql" => "postgres",
            "mysql" | "mariadb" => "mysql",
            _ => {
                return Err(StoreError::UnsupportedUrl(format!(
                    "unsupported database URL scheme {scheme:?}; use sqlite:, postgres: or mysql:"
                )));
            }
        };
        match feature {
            #[cfg(feature = "sqlite")]
            "sqlite" => sqlite::connect(url, settings.connect_timeout()).await,
            #[cfg(feature = "postgres")]
            "postgres" => postgres::connect(url, settings.connect_timeout()),
            #[cfg(feature = "mysql")]
            "mysql" => mysql::connect(url, settings.connect_timeout()),
            missing => Err(StoreError::UnsupportedUrl(format!(
                "this build of authgate lacks the `{missing}` feature needed for {scheme}: URLs; \
                 enable it in Cargo.toml (authgate = {{ features = [\"{missing}\"] }})"
            ))),
        }
    }

    /// The dialect of this pool.
    pub fn dialect(&self) -> Dialect {
        match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => Dialect::Postgres,
            #[cfg(feature = "mysql")]
            Database::MySql(_) => Dialect::MySql,
        }
    }

    /// Closes the pool: waits for checked-out connections to come back, then closes them.
    pub async fn close(&self) {
        dispatch!(self, |pool, _sql| pool.close().await)
    }

    /// Where the pool stands: a connection idle, room to open one, or every one in use.
    pub(crate) fn pool_state(&self) -> PoolState {
        dispatch!(self, |pool, _sql| {
            if pool.num_idle() > 0 {
                PoolState::Idle
            } else if pool.size() < pool.options().get_max_connections() {
                PoolState::Room
            } else {
                PoolState::Full
            }
        })
    }

    /// Whether this is an SQLite pool of one connection, as an in-memory database has (see
    /// `sqlite::connect`): waiting for that connection is queueing, never an outage, and
    /// closing it may drop the database. A PostgreSQL or MySQL pool of one is not.
    pub(crate) fn is_single_sqlite_connection(&self) -> bool {
        match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(pool) => pool.options().get_max_connections() == 1,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Every connection is open and in use: waits at most `timeout` for one to come back
    /// (nothing is lost by giving up; no task is left waiting behind).
    pub(crate) async fn wait_for_returned(
        &self,
        timeout: std::time::Duration,
    ) -> Result<(), StoreError> {
        dispatch!(self, |pool, _sql| {
            match tokio::time::timeout(timeout, pool.acquire()).await {
                // Back to the pool, for the statement that follows.
                Ok(Ok(_connection)) => Ok(()),
                Ok(Err(err)) => Err(StoreError::from(err)),
                Err(_) => Err(StoreError::from(sqlx::Error::PoolTimedOut)),
            }
        })
    }

    /// Acquires a pooled connection on a task of its own and gives it back to the pool: a
    /// connection being opened goes on being opened when the caller stops waiting, so a slow
    /// handshake warms the pool instead of being cancelled again and again (the pool's own
    /// acquire timeout is the longer connection timeout for that reason).
    pub(crate) fn spawn_acquire(&self) -> tokio::task::JoinHandle<Result<(), StoreError>> {
        dispatch!(self, |pool, _sql| {
            let acquire = pool.acquire();
            tokio::spawn(async move { acquire.await.map(drop).map_err(StoreError::from) })
        })
    }

    /// Opens one connection outside the pool and closes it again: whether the database can be
    /// reached now, with the driver's reason when not. A database that does not answer within
    /// `timeout` is unavailable too.
    pub(crate) async fn connect_directly(
        &self,
        timeout: std::time::Duration,
    ) -> Result<(), StoreError> {
        use sqlx::{ConnectOptions, Connection};
        dispatch!(self, |pool, _sql| {
            let options = pool.connect_options();
            match tokio::time::timeout(timeout, options.connect()).await {
                Ok(Ok(connection)) => {
                    // The goodbye need not hold up the caller.
                    tokio::spawn(connection.close());
                    Ok(())
                }
                Ok(Err(err)) => Err(StoreError::from(err)),
                Err(_) => Err(StoreError::from(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} ms", timeout.as_millis()),
                )))),
            }
        })
    }
}

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

mod datetime;
mod dynamic_sql;
mod handle;
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

pub(crate) use datetime::DbTime;
pub(crate) use handle::Store;
pub use schema::MigrationReport;
pub(crate) use schema::migrate as schema_migrate;
pub(crate) use users::SessionsAfterPasswordChange;

/// How long a request waits for a pooled connection before answering 503: an unreachable
/// database should fail requests quickly, not hold them for sqlx's default 30 seconds.
pub(crate) const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

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
/// the driver's: its message, and the driver's error as `source()`.
#[derive(Debug)]
pub struct DriverError(sqlx::Error);

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            StoreError::Unavailable(DriverError(err))
        } else if matches!(err, sqlx::Error::Configuration(_)) {
            StoreError::InvalidOptions(DriverError(err))
        } else {
            StoreError::Query(DriverError(err))
        }
    }
}

impl StoreError {
    /// Whether the failure means the database cannot be reached right now, as opposed to a
    /// statement the database refused.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// Whether the failure is a unique-constraint violation.
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Query(DriverError(sqlx::Error::Database(db))) if db.is_unique_violation())
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
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
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
            "sqlite" => sqlite::connect(url).await,
            #[cfg(feature = "postgres")]
            "postgres" => postgres::connect(url).await,
            #[cfg(feature = "mysql")]
            "mysql" => mysql::connect(url).await,
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
}

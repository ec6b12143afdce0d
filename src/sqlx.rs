//! The parts of **sqlx 0.9** needed to build a pool authgate accepts
//! ([`Database::from`](crate::Database)), re-exported so that an application need not depend
//! on sqlx itself, or can check that it depends on the same version.
//!
//! authgate is built on sqlx 0.9's core and driver crates (`sqlx-core`, `sqlx-sqlite`,
//! `sqlx-postgres`, `sqlx-mysql`, the ones the `sqlx` facade re-exports). A pool made with
//! sqlx **0.8** is a different type: `From<Pool<Sqlite>> is not implemented for Database`
//! means the application's sqlx is not 0.9. Use these re-exports, or `sqlx = "0.9"`.
//!
//! # Examples
//! ```no_run
//! use authgate::sqlx::sqlite::SqlitePoolOptions;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = SqlitePoolOptions::new()
//!     .max_connections(8)
//!     .connect("sqlite://app.db?mode=rwc")
//!     .await?;
//! let auth = authgate::Auth::builder()
//!     .base_url("http://localhost:3000")
//!     .build(pool)?; // the same pool the rest of the app uses
//! # let _ = auth;
//! # Ok(()) }
//! ```

pub use sqlx_core::pool::{Pool, PoolOptions};

/// SQLite: `SqlitePool`, `SqlitePoolOptions`, `SqliteConnectOptions`, ... (`sqlx-sqlite` 0.9).
#[cfg(feature = "sqlite")]
pub use sqlx_sqlite as sqlite;

/// PostgreSQL: `PgPool`, `PgPoolOptions`, `PgConnectOptions`, ... (`sqlx-postgres` 0.9).
#[cfg(feature = "postgres")]
pub use sqlx_postgres as postgres;

/// MySQL/MariaDB: `MySqlPool`, `MySqlPoolOptions`, `MySqlConnectOptions`, ... (`sqlx-mysql`
/// 0.9).
#[cfg(feature = "mysql")]
pub use sqlx_mysql as mysql;

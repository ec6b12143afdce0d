//! [`DbTime`]: a date column value, stored per dialect as Better-Auth stores it.
//!
//! - PostgreSQL: `timestamptz`;
//! - MySQL/MariaDB: `timestamp(3)` in UTC (sqlx sets the session time zone to `+00:00`);
//! - SQLite: TEXT in JavaScript's `toISOString()` form, `2026-11-23T20:53:09.894Z`. Reading
//!   also accepts other ISO forms and epoch milliseconds, which other writers leave behind.
//!
//! The per-dialect `Type`/`Encode`/`Decode` impls live in `sqlite.rs`, `postgres.rs` and
//! `mysql.rs`.

use time::OffsetDateTime;

/// An instant in a date column (millisecond precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DbTime(pub(crate) OffsetDateTime);

impl From<OffsetDateTime> for DbTime {
    fn from(t: OffsetDateTime) -> Self {
        DbTime(t)
    }
}

//! SQLite: connection set-up, Better-Auth's SQLite DDL, and dates as ISO-8601 text.

use super::sqlx;
use std::str::FromStr;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{
    Sqlite, SqliteArgumentsBuffer, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions,
    SqliteTypeInfo, SqliteValueRef,
};
use sqlx::{Decode, Encode, Type, TypeInfo, ValueRef};

use super::schema::{DialectSchema, TableDdl};
use super::{Database, DbTime, StoreError};
use crate::timestamp;

/// How long a request may queue for an in-memory database's one connection: queueing behind
/// other requests, which no outage can cause, so bounded only against a hang.
pub(super) const SINGLE_CONNECTION_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

pub(super) async fn connect(
    url: &str,
    connect_timeout: std::time::Duration,
) -> Result<Database, StoreError> {
    let mut options = SqliteConnectOptions::from_str(url)?.foreign_keys(true);
    if !url.contains("mode=") {
        // Better-Auth (better-sqlite3) creates the file; so does a bare `sqlite://app.db` here.
        options = options.create_if_missing(true);
    }
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let mut pool = SqlitePoolOptions::new().acquire_timeout(connect_timeout);
    if in_memory {
        // One connection holds the whole database: sqlx opens `:memory:` as a shared-cache
        // database, whose table locks refuse a second connection at once (SQLITE_LOCKED, no
        // busy wait) and which vanishes with its last connection. So the pool keeps exactly
        // one, for ever, and requests queue for it.
        pool = pool
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(connect_timeout.max(SINGLE_CONNECTION_WAIT));
    } else {
        // Readers do not block the writer (nor it them); better-sqlite3 reads WAL files too.
        options = options.journal_mode(SqliteJournalMode::Wal);
    }
    let pool = pool.connect_with(options).await?;
    Ok(Database::Sqlite(pool))
}

/// `better-auth-dialects/sqlite-ddl.sql`, statement by statement.
pub(super) const SCHEMA: DialectSchema = DialectSchema {
    tables: [
        TableDdl {
            name: "user",
            sql: r#"create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null)"#,
        },
        TableDdl {
            name: "session",
            sql: r#"create table "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, "createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade)"#,
        },
        TableDdl {
            name: "account",
            sql: r#"create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text, "createdAt" date not null, "updatedAt" date not null)"#,
        },
        TableDdl {
            name: "verification",
            sql: r#"create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" date not null, "createdAt" date not null, "updatedAt" date not null)"#,
        },
    ],
    rate_limit: TableDdl {
        name: "rateLimit",
        sql: r#"create table "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" integer not null)"#,
    },
    // An immediate transaction takes the write lock up front, so two processes migrating at
    // once run one after the other.
    lock: &["begin immediate"],
    lock_acquired: None,
    unlock: &["commit"],
    list_tables: r#"select "name" from "sqlite_master" where "type" = 'table'"#,
    list_indexes: r#"select "name" from "sqlite_master" where "type" = 'index'"#,
    list_columns: r#"select "name" from pragma_table_info($1)"#,
    case_sensitive_columns: false,
};

impl Type<Sqlite> for DbTime {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
            || <i64 as Type<Sqlite>>::compatible(ty)
            || <f64 as Type<Sqlite>>::compatible(ty)
            || <time::OffsetDateTime as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for DbTime {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <String as Encode<Sqlite>>::encode(timestamp::format_iso(self.0), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbTime {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let parsed = match value.type_info().name() {
            "INTEGER" => timestamp::from_millis(<i64 as Decode<Sqlite>>::decode(value)?),
            "REAL" => timestamp::from_millis(<f64 as Decode<Sqlite>>::decode(value)? as i64),
            _ => timestamp::parse_lenient(<&str as Decode<Sqlite>>::decode(value)?),
        };
        parsed.map(DbTime).ok_or_else(|| "not a date".into())
    }
}

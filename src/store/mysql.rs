//! MySQL/MariaDB: connection set-up, Better-Auth's MySQL DDL, and `timestamp(3)` dates in UTC.

use super::sqlx;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySql, MySqlConnectOptions, MySqlPoolOptions, MySqlTypeInfo, MySqlValueRef};
use sqlx::{Decode, Encode, Type};
use time::OffsetDateTime;

use super::schema::{DialectSchema, TableDdl};
use super::{Database, DbTime, StoreError};

/// The pool, connecting lazily: `Database::connect_with` makes the first connection itself, to
/// report why it fails.
pub(super) fn connect(url: &str, connect_timeout: Duration) -> Result<Database, StoreError> {
    // sqlx sets the session `time_zone` to `+00:00`, so `timestamp(3)` values and
    // `CURRENT_TIMESTAMP(3)` defaults are UTC, as mysql2 with `timezone: "Z"` writes them.
    let url = url
        .strip_prefix("mariadb:")
        .map_or_else(|| url.to_owned(), |rest| format!("mysql:{rest}"));
    let options = MySqlConnectOptions::from_str(&url)?;
    let pool = MySqlPoolOptions::new()
        .acquire_timeout(connect_timeout)
        .connect_lazy_with(options);
    Ok(Database::MySql(pool))
}

/// `better-auth-dialects/mysql-ddl.sql`, statement by statement.
pub(super) const SCHEMA: DialectSchema = DialectSchema {
    tables: [
        TableDdl {
            name: "user",
            sql: "create table `user` (`id` varchar(36) not null primary key, `name` varchar(255) not null, `email` varchar(255) not null unique, `emailVerified` boolean not null, `image` text, `createdAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `updatedAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null)",
        },
        TableDdl {
            name: "session",
            sql: "create table `session` (`id` varchar(36) not null primary key, `expiresAt` timestamp(3) not null, `token` varchar(255) not null unique, `createdAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `updatedAt` timestamp(3) not null, `ipAddress` text, `userAgent` text, `userId` varchar(36) not null references `user` (`id`) on delete cascade)",
        },
        TableDdl {
            name: "account",
            sql: "create table `account` (`id` varchar(36) not null primary key, `accountId` text not null, `providerId` text not null, `userId` varchar(36) not null references `user` (`id`) on delete cascade, `accessToken` text, `refreshToken` text, `idToken` text, `accessTokenExpiresAt` timestamp(3), `refreshTokenExpiresAt` timestamp(3), `scope` text, `password` text, `createdAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `updatedAt` timestamp(3) not null)",
        },
        TableDdl {
            name: "verification",
            sql: "create table `verification` (`id` varchar(36) not null primary key, `identifier` varchar(255) not null, `value` text not null, `expiresAt` timestamp(3) not null, `createdAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `updatedAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null)",
        },
    ],
    rate_limit: TableDdl {
        name: "rateLimit",
        sql: "create table `rateLimit` (`id` varchar(36) not null primary key, `key` varchar(255) not null unique, `count` integer not null, `lastRequest` bigint not null)",
    },
    // DDL commits implicitly in MySQL, so a named lock (released by the unlock statement, or
    // when the connection closes) serialises instances migrating at once.
    lock: &[],
    lock_acquired: Some("select get_lock('authgate.migrate', 60)"),
    unlock: &["select release_lock('authgate.migrate')"],
    list_tables: "select cast(table_name as char) from information_schema.tables where table_schema = database()",
    list_indexes: "select distinct cast(index_name as char) from information_schema.statistics where table_schema = database()",
    list_columns: "select cast(column_name as char) from information_schema.columns where table_schema = database() and table_name = ?",
    case_sensitive_columns: false,
};

impl Type<MySql> for DbTime {
    fn type_info() -> MySqlTypeInfo {
        <OffsetDateTime as Type<MySql>>::type_info()
    }

    fn compatible(ty: &MySqlTypeInfo) -> bool {
        <OffsetDateTime as Type<MySql>>::compatible(ty)
    }
}

impl Encode<'_, MySql> for DbTime {
    fn encode_by_ref(&self, buf: &mut Vec<u8>) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<MySql>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, MySql> for DbTime {
    fn decode(value: MySqlValueRef<'r>) -> Result<Self, BoxDynError> {
        <OffsetDateTime as Decode<MySql>>::decode(value)
            .map(|t| DbTime(crate::timestamp::truncate(t)))
    }
}

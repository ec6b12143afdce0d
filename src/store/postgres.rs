//! PostgreSQL: connection set-up, Better-Auth's PostgreSQL DDL, and `timestamptz` dates.

use super::sqlx;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{
    PgArgumentBuffer, PgConnectOptions, PgPoolOptions, PgTypeInfo, PgValueRef, Postgres,
};
use sqlx::{Decode, Encode, Type};
use time::OffsetDateTime;

use super::schema::{DialectSchema, TableDdl};
use super::{Database, DbTime, StoreError};

/// The pool, connecting lazily: `Database::connect_with` makes the first connection itself, to
/// report why it fails.
pub(super) fn connect(url: &str, connect_timeout: Duration) -> Result<Database, StoreError> {
    let options = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .acquire_timeout(connect_timeout)
        .connect_lazy_with(options);
    Ok(Database::Postgres(pool))
}

/// `better-auth-transcripts/postgres-ddl.sql`, statement by statement.
pub(super) const SCHEMA: DialectSchema = DialectSchema {
    tables: [
        TableDdl {
            name: "user",
            sql: r#"create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null)"#,
        },
        TableDdl {
            name: "session",
            sql: r#"create table "session" ("id" text not null primary key, "expiresAt" timestamptz not null, "token" text not null unique, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade)"#,
        },
        TableDdl {
            name: "account",
            sql: r#"create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" timestamptz, "refreshTokenExpiresAt" timestamptz, "scope" text, "password" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null)"#,
        },
        TableDdl {
            name: "verification",
            sql: r#"create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" timestamptz not null, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null)"#,
        },
    ],
    rate_limit: TableDdl {
        name: "rateLimit",
        sql: r#"create table "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" bigint not null)"#,
    },
    // DDL is transactional here; the advisory lock serialises instances migrating at once and
    // is released by the commit.
    lock: &["begin", "select pg_advisory_xact_lock(7243519004)"],
    lock_acquired: None,
    unlock: &["commit"],
    list_tables: "select tablename::text from pg_tables where schemaname = current_schema()",
    list_indexes: "select indexname::text from pg_indexes where schemaname = current_schema()",
    list_columns: "select column_name::text from information_schema.columns where table_schema = current_schema() and table_name = $1",
    case_sensitive_columns: true,
};

impl Type<Postgres> for DbTime {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for DbTime {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for DbTime {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        <OffsetDateTime as Decode<Postgres>>::decode(value)
            .map(|t| DbTime(crate::timestamp::truncate(t)))
    }
}

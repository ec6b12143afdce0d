//! `Auth::migrate`: creates Better-Auth's tables and indexes where they are missing, with the
//! exact DDL Better-Auth 1.7.25 generates for each dialect, and checks that tables that already
//! exist have the columns authgate uses. Idempotent, and safe to run from several instances at
//! once (each dialect serialises it with a lock).

use super::sqlx;
use sqlx_core::sql_str::SqlStr;
use std::collections::HashSet;

use super::dynamic_sql::{add_column, create_table, needs_backfill};
use super::handle::Store;
use super::statements::Statements;
use super::{Database, StoreError};
use crate::fields::{FieldDef, FieldSet, FieldType};

/// One `create` statement and the name of what it creates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableDdl {
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
}

/// What a dialect needs to migrate.
#[derive(Debug)]
pub(crate) struct DialectSchema {
    /// `user`, `session`, `account`, `verification`, in Better-Auth's order.
    pub(crate) tables: [TableDdl; 4],
    /// Better-Auth's `rateLimit` table, created only for database-backed rate limits.
    pub(crate) rate_limit: TableDdl,
    /// Run before looking at the schema; serialises concurrent migrations.
    pub(crate) lock: &'static [&'static str],
    /// A query answering 1 once the lock is held and 0 or NULL when it timed out (MySQL's
    /// `GET_LOCK`); dialects whose lock statements block or fail need none.
    pub(crate) lock_acquired: Option<&'static str>,
    pub(crate) unlock: &'static [&'static str],
    pub(crate) list_tables: &'static str,
    pub(crate) list_indexes: &'static str,
    /// Takes the table name as its one parameter.
    pub(crate) list_columns: &'static str,
    pub(crate) case_sensitive_columns: bool,
}

/// Better-Auth's indexes by name, the same in every dialect but for the quoting (so their DDL
/// is rendered like any other statement).
/// Picks one statement of a dialect's rendered set.
pub(super) type Pick = fn(&Statements) -> &str;

pub(super) const INDEXES: [(&str, Pick); 3] = [
    ("session_userId_idx", |s| &s.create_session_user_index),
    ("account_userId_idx", |s| &s.create_account_user_index),
    ("verification_identifier_idx", |s| {
        &s.create_verification_identifier_index
    }),
];

/// The columns authgate reads or writes, per table.
pub(super) const REQUIRED_COLUMNS: [(&str, &[&str]); 4] = [
    (
        "user",
        &[
            "id",
            "name",
            "email",
            "emailVerified",
            "image",
            "createdAt",
            "updatedAt",
        ],
    ),
    (
        "session",
        &[
            "id",
            "expiresAt",
            "token",
            "createdAt",
            "updatedAt",
            "ipAddress",
            "userAgent",
            "userId",
        ],
    ),
    (
        "account",
        &[
            "id",
            "accountId",
            "providerId",
            "userId",
            "password",
            "createdAt",
            "updatedAt",
        ],
    ),
    (
        "verification",
        &[
            "id",
            "identifier",
            "value",
            "expiresAt",
            "createdAt",
            "updatedAt",
        ],
    ),
];

/// What [`crate::Auth::migrate`] created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationReport {
    /// Tables created, in creation order.
    pub created_tables: Vec<&'static str>,
    /// Indexes created, in creation order.
    pub created_indexes: Vec<&'static str>,
    /// Additional-field columns added to existing tables, as `table.column`, in order.
    pub added_columns: Vec<String>,
    /// Every statement run (or, for a dry run, that would run), in order.
    pub statements: Vec<String>,
}

impl MigrationReport {
    /// Whether the schema was already complete.
    pub fn is_empty(&self) -> bool {
        self.created_tables.is_empty()
            && self.created_indexes.is_empty()
            && self.added_columns.is_empty()
    }
}

/// Better-Auth's refusal to add a required column without a default to a table with rows
/// (`UnsafeMigrationError`), word for word.
fn unsafe_addition(table: &str, def: &FieldDef) -> String {
    let text = if def.field.field_type() == FieldType::String {
        " For a text column, every existing row ends up with the same empty string."
    } else {
        ""
    };
    format!(
        "Cannot add required column \"{}\" to populated table \"{table}\": the schema declares no \
         default value, so existing rows have no value to backfill. MySQL accepts this statement \
         instead of rejecting it and fills every existing row with an implicit default for the \
         column type, reporting a successful migration over corrupted data.{text} Add the column \
         as nullable, backfill a correct value for every row, then make it NOT NULL.",
        def.name
    )
}

pub(crate) fn dialect_schema(db: &Database) -> &'static DialectSchema {
    match db {
        #[cfg(feature = "sqlite")]
        Database::Sqlite(_) => &super::sqlite::SCHEMA,
        #[cfg(feature = "postgres")]
        Database::Postgres(_) => &super::postgres::SCHEMA,
        #[cfg(feature = "mysql")]
        Database::MySql(_) => &super::mysql::SCHEMA,
    }
}

fn has_column(existing: &[String], column: &str, case_sensitive: bool) -> bool {
    existing.iter().any(|e| {
        if case_sensitive {
            e == column
        } else {
            e.eq_ignore_ascii_case(column)
        }
    })
}

fn missing_columns(
    table: &'static str,
    required: &[&'static str],
    existing: &[String],
    case_sensitive: bool,
) -> Result<(), StoreError> {
    let has = |column: &str| has_column(existing, column, case_sensitive);
    let columns: Vec<&'static str> = required.iter().copied().filter(|c| !has(c)).collect();
    if columns.is_empty() {
        Ok(())
    } else {
        Err(StoreError::SchemaMismatch { table, columns })
    }
}

/// In Better-Auth's order: columns added to existing tables first, then the missing tables,
/// then the indexes; nothing runs when an addition would be refused.
pub(crate) async fn migrate(
    store: &Store,
    with_rate_limit_table: bool,
    dry_run: bool,
) -> Result<MigrationReport, StoreError> {
    let db = store.database();
    let dialect = db.dialect();
    let schema = dialect_schema(db);
    let no_fields = FieldSet::default();
    let fields_of = |table: &str| match table {
        "user" => &store.user_fields,
        "session" => &store.session_fields,
        _ => &no_fields,
    };
    dispatch!(db, |pool, sql| {
        let mut conn = pool.acquire().await?;
        // An in-memory database lives on its one connection (closing it would drop the
        // database): a failed migration rolls back instead.
        let in_memory = db.is_single_sqlite_connection();
        if !in_memory {
            // Whatever happens below, this connection is closed rather than returned to the
            // pool, so a failed migration cannot leave a lock or an open transaction behind.
            conn.close_on_drop();
        }
        let migrated: Result<MigrationReport, StoreError> = async {
            // A dry run reads the catalogue only: no lock, no statement that writes.
            let lock: &[&str] = if dry_run { &[] } else { schema.lock };
            for statement in lock {
                sqlx::query(*statement).execute(&mut *conn).await?;
            }
            if let Some(acquired) = schema.lock_acquired.filter(|_| !dry_run) {
                let got: Option<i64> = sqlx::query_scalar(acquired).fetch_one(&mut *conn).await?;
                if got != Some(1) {
                    return Err(StoreError::MigrationLockTimeout);
                }
            }
            let tables: HashSet<String> = sqlx::query_scalar(schema.list_tables)
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .collect();
            let indexes: HashSet<String> = sqlx::query_scalar(schema.list_indexes)
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .collect();

            let mut report = MigrationReport::default();
            let mut additions: Vec<(&'static str, &FieldDef)> = Vec::new();
            let mut creations = Vec::new();
            for (table, (name, required)) in schema.tables.iter().zip(REQUIRED_COLUMNS) {
                debug_assert_eq!(table.name, name);
                let fields = fields_of(table.name);
                if tables.contains(table.name) {
                    let columns: Vec<String> = sqlx::query_scalar(schema.list_columns)
                        .bind(table.name)
                        .fetch_all(&mut *conn)
                        .await?;
                    missing_columns(
                        table.name,
                        required,
                        &columns,
                        schema.case_sensitive_columns,
                    )?;
                    additions.extend(
                        fields
                            .iter()
                            .filter(|def| {
                                !has_column(&columns, &def.name, schema.case_sensitive_columns)
                            })
                            .map(|def| (table.name, def)),
                    );
                } else {
                    creations.push((table.name, create_table(dialect, table.sql, fields)));
                }
            }

            // Refused before anything changes, as Better-Auth refuses (MySQL would fill the rows
            // with an implicit default and report success).
            let mut refusals = Vec::new();
            for (table, def) in &additions {
                if !needs_backfill(dialect, def) {
                    continue;
                }
                let has_rows = match *table {
                    "user" => sql.user_has_rows.as_str(),
                    _ => sql.session_has_rows.as_str(),
                };
                let populated = sqlx::query(has_rows)
                    .fetch_optional(&mut *conn)
                    .await?
                    .is_some();
                if populated {
                    refusals.push(unsafe_addition(table, def));
                }
            }
            if !refusals.is_empty() {
                return Err(StoreError::UnsafeMigration(refusals));
            }

            let mut planned: Vec<SqlStr> = Vec::new();
            for (table, def) in additions {
                planned.push(add_column(dialect, table, def));
                report.added_columns.push(format!("{table}.{}", def.name));
            }
            for (name, ddl) in creations {
                planned.push(ddl);
                report.created_tables.push(name);
            }
            if with_rate_limit_table && !tables.contains(schema.rate_limit.name) {
                planned.push(SqlStr::from_static(schema.rate_limit.sql));
                report.created_tables.push(schema.rate_limit.name);
            }
            for (name, statement) in INDEXES {
                if !indexes.contains(name) {
                    planned.push(SqlStr::from_static(statement(sql)));
                    report.created_indexes.push(name);
                }
            }
            if !dry_run {
                for statement in &planned {
                    sqlx::query(statement.clone()).execute(&mut *conn).await?;
                }
                for statement in schema.unlock {
                    sqlx::query(*statement).execute(&mut *conn).await?;
                }
            }
            report.statements = planned.iter().map(|s| s.as_str().to_owned()).collect();
            Ok(report)
        }
        .await;
        if migrated.is_err() && in_memory && !dry_run {
            let _ = sqlx::query("rollback").execute(&mut *conn).await;
        }
        migrated
    })
}

/// Every DDL statement of a dialect, in Better-Auth's order (tables, then indexes).
#[cfg(test)]
pub(crate) fn all_ddl(schema: &DialectSchema, sql: &'static Statements) -> Vec<&'static str> {
    schema
        .tables
        .iter()
        .map(|d| d.sql)
        .chain(INDEXES.iter().map(|(_, statement)| statement(sql)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_column_detection() {
        let existing = vec!["id".to_owned(), "EMAIL".to_owned()];
        assert!(missing_columns("user", &["id", "email"], &existing, false).is_ok());
        let err = missing_columns("user", &["id", "email"], &existing, true).unwrap_err();
        assert!(
            matches!(err, StoreError::SchemaMismatch { table: "user", ref columns } if columns == &["email"])
        );
    }

    /// The DDL is byte for byte what Better-Auth 1.7.25 generated (recorded in
    /// `tests/fixtures/ddl/`), joined as Kysely's `compileMigrations` joins it.
    #[test]
    fn ddl_matches_the_better_auth_recordings() {
        use super::super::statements;
        let recorded: &[(&DialectSchema, &'static Statements, &str)] = &[
            #[cfg(feature = "sqlite")]
            (
                &super::super::sqlite::SCHEMA,
                &statements::SQLITE,
                include_str!("../../tests/fixtures/ddl/sqlite-ddl.sql"),
            ),
            #[cfg(feature = "postgres")]
            (
                &super::super::postgres::SCHEMA,
                &statements::POSTGRES,
                include_str!("../../tests/fixtures/ddl/postgres-ddl.sql"),
            ),
            #[cfg(feature = "mysql")]
            (
                &super::super::mysql::SCHEMA,
                &statements::MYSQL,
                include_str!("../../tests/fixtures/ddl/mysql-ddl.sql"),
            ),
        ];
        for (schema, sql, recorded) in recorded {
            let ours = all_ddl(schema, sql)
                .iter()
                .map(|s| format!("{s};"))
                .collect::<Vec<_>>()
                .join("\n\n");
            assert_eq!(ours.trim_end(), recorded.trim_end());
        }
    }

    /// `create table` with the spec's fields, as Better-Auth 1.7.25 compiled it on a fresh
    /// database (`recordings/ddl/*-af-fresh.txt`): the columns appended, no static defaults.
    #[test]
    fn fresh_tables_with_fields_match_better_auth() {
        use super::super::Dialect;
        use crate::fields::{Field, Table};
        let user = FieldSet::check(
            Table::User,
            &[
                ("role".into(), Field::string().default("user")),
                ("age".into(), Field::number().optional()),
                ("newsletter".into(), Field::boolean().default(false)),
                ("birthday".into(), Field::date().optional()),
            ],
        )
        .unwrap();
        let session = FieldSet::check(
            Table::Session,
            &[("device".into(), Field::string().optional())],
        )
        .unwrap();
        let recorded: &[(Dialect, &DialectSchema, &str, &str)] = &[
            #[cfg(feature = "sqlite")]
            (
                Dialect::Sqlite,
                &super::super::sqlite::SCHEMA,
                r#"create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null, "role" text not null, "age" integer, "newsletter" integer not null, "birthday" date)"#,
                r#"create table "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, "createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade, "device" text)"#,
            ),
            #[cfg(feature = "postgres")]
            (
                Dialect::Postgres,
                &super::super::postgres::SCHEMA,
                r#"create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null, "role" text not null, "age" integer, "newsletter" boolean not null, "birthday" timestamptz)"#,
                r#"create table "session" ("id" text not null primary key, "expiresAt" timestamptz not null, "token" text not null unique, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade, "device" text)"#,
            ),
            #[cfg(feature = "mysql")]
            (
                Dialect::MySql,
                &super::super::mysql::SCHEMA,
                "create table `user` (`id` varchar(36) not null primary key, `name` varchar(255) not null, `email` varchar(255) not null unique, `emailVerified` boolean not null, `image` text, `createdAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `updatedAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `role` text not null, `age` integer, `newsletter` boolean not null, `birthday` timestamp(3))",
                "create table `session` (`id` varchar(36) not null primary key, `expiresAt` timestamp(3) not null, `token` varchar(255) not null unique, `createdAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `updatedAt` timestamp(3) not null, `ipAddress` text, `userAgent` text, `userId` varchar(36) not null references `user` (`id`) on delete cascade, `device` text)",
            ),
        ];
        for (dialect, schema, user_ddl, session_ddl) in recorded {
            assert_eq!(
                create_table(*dialect, schema.tables[0].sql, &user).as_str(),
                *user_ddl
            );
            assert_eq!(
                create_table(*dialect, schema.tables[1].sql, &session).as_str(),
                *session_ddl
            );
        }
    }

    #[test]
    fn the_refusal_is_better_auths_message() {
        use crate::fields::{Field, Table};
        let set = FieldSet::check(
            Table::User,
            &[(
                "flagFn".into(),
                Field::boolean().default_with(|| true.into()),
            )],
        )
        .unwrap();
        assert_eq!(
            unsafe_addition("user", set.iter().next().unwrap()),
            "Cannot add required column \"flagFn\" to populated table \"user\": the schema declares no default value, so existing rows have no value to backfill. MySQL accepts this statement instead of rejecting it and fills every existing row with an implicit default for the column type, reporting a successful migration over corrupted data. Add the column as nullable, backfill a correct value for every row, then make it NOT NULL."
        );
    }
}

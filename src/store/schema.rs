//! `Auth::migrate`: creates Better-Auth's tables and indexes where they are missing, with the
//! exact DDL Better-Auth 1.7.25 generates for each dialect, and checks that tables that already
//! exist have the columns authgate uses. Idempotent, and safe to run from several instances at
//! once (each dialect serialises it with a lock).

use super::sqlx;
use std::collections::HashSet;

use super::statements::Statements;
use super::{Database, StoreError};

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
type Pick = fn(&Statements) -> &str;

const INDEXES: [(&str, Pick); 3] = [
    ("session_userId_idx", |s| &s.create_session_user_index),
    ("account_userId_idx", |s| &s.create_account_user_index),
    ("verification_identifier_idx", |s| {
        &s.create_verification_identifier_index
    }),
];

/// The columns authgate reads or writes, per table.
const REQUIRED_COLUMNS: [(&str, &[&str]); 4] = [
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
}

impl MigrationReport {
    /// Whether the schema was already complete.
    pub fn is_empty(&self) -> bool {
        self.created_tables.is_empty() && self.created_indexes.is_empty()
    }
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

fn missing_columns(
    table: &'static str,
    required: &[&'static str],
    existing: &[String],
    case_sensitive: bool,
) -> Result<(), StoreError> {
    let has = |column: &str| {
        existing.iter().any(|e| {
            if case_sensitive {
                e == column
            } else {
                e.eq_ignore_ascii_case(column)
            }
        })
    };
    let columns: Vec<&'static str> = required.iter().copied().filter(|c| !has(c)).collect();
    if columns.is_empty() {
        Ok(())
    } else {
        Err(StoreError::SchemaMismatch { table, columns })
    }
}

pub(crate) async fn migrate(
    db: &Database,
    with_rate_limit_table: bool,
) -> Result<MigrationReport, StoreError> {
    let schema = dialect_schema(db);
    dispatch!(db, |pool, sql| {
        let mut conn = pool.acquire().await?;
        // Whatever happens below, this connection is closed rather than returned to the pool,
        // so a failed migration cannot leave a lock or an open transaction behind.
        conn.close_on_drop();
        for statement in schema.lock {
            sqlx::query(*statement).execute(&mut *conn).await?;
        }
        if let Some(acquired) = schema.lock_acquired {
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
        for (table, (name, required)) in schema.tables.iter().zip(REQUIRED_COLUMNS) {
            debug_assert_eq!(table.name, name);
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
            } else {
                sqlx::query(table.sql).execute(&mut *conn).await?;
                report.created_tables.push(table.name);
            }
        }
        if with_rate_limit_table && !tables.contains(schema.rate_limit.name) {
            sqlx::query(schema.rate_limit.sql)
                .execute(&mut *conn)
                .await?;
            report.created_tables.push(schema.rate_limit.name);
        }
        for (name, statement) in INDEXES {
            if !indexes.contains(name) {
                sqlx::query(statement(sql)).execute(&mut *conn).await?;
                report.created_indexes.push(name);
            }
        }
        for statement in schema.unlock {
            sqlx::query(*statement).execute(&mut *conn).await?;
        }
        Ok(report)
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
}

//! What the database's schema lacks compared with Better-Auth 1.7.25's: missing tables,
//! columns and indexes, read without changing anything (for the health check's report and
//! `authgate check`).

use super::sqlx;
use std::collections::HashSet;
use std::fmt;

use super::schema::{INDEXES, REQUIRED_COLUMNS, dialect_schema};
use super::{Database, StoreError};

/// The differences between a database's schema and the one authgate needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchemaReport {
    /// Better-Auth tables that do not exist.
    pub missing_tables: Vec<&'static str>,
    /// Columns authgate reads or writes that existing tables lack, as `(table, column)`.
    pub missing_columns: Vec<(&'static str, &'static str)>,
    /// Better-Auth's indexes that do not exist (`migrate` creates them; queries work without,
    /// only slower).
    pub missing_indexes: Vec<&'static str>,
}

impl SchemaReport {
    /// Whether every table and column is there (missing indexes do not count).
    pub fn is_usable(&self) -> bool {
        self.missing_tables.is_empty() && self.missing_columns.is_empty()
    }

    /// Whether nothing at all is missing.
    pub fn is_complete(&self) -> bool {
        self.is_usable() && self.missing_indexes.is_empty()
    }
}

impl fmt::Display for SchemaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for table in &self.missing_tables {
            parts.push(format!("table `{table}` is missing"));
        }
        for (table, column) in &self.missing_columns {
            parts.push(format!("column `{table}.{column}` is missing"));
        }
        for index in &self.missing_indexes {
            parts.push(format!("index `{index}` is missing"));
        }
        if parts.is_empty() {
            f.write_str("the schema is complete")
        } else {
            f.write_str(&parts.join("; "))
        }
    }
}

/// Reads the catalogue of `db` and compares it with Better-Auth's `user`, `session`, `account`
/// and `verification` tables and their indexes.
pub(crate) async fn inspect(db: &Database) -> Result<SchemaReport, StoreError> {
    let schema = dialect_schema(db);
    dispatch!(db, |pool, _sql| {
        let tables: HashSet<String> = sqlx::query_scalar(schema.list_tables)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
        let indexes: HashSet<String> = sqlx::query_scalar(schema.list_indexes)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
        let mut report = SchemaReport::default();
        for (table, required) in REQUIRED_COLUMNS {
            if !tables.contains(table) {
                report.missing_tables.push(table);
                continue;
            }
            let columns: Vec<String> = sqlx::query_scalar(schema.list_columns)
                .bind(table)
                .fetch_all(pool)
                .await?;
            for column in required.iter().copied() {
                let present = columns.iter().any(|c| {
                    if schema.case_sensitive_columns {
                        c == column
                    } else {
                        c.eq_ignore_ascii_case(column)
                    }
                });
                if !present {
                    report.missing_columns.push((table, column));
                }
            }
        }
        for (index, _) in INDEXES {
            if !indexes.contains(index) {
                report.missing_indexes.push(index);
            }
        }
        Ok(report)
    })
}

impl Database {
    /// Compares this database's schema with Better-Auth 1.7.25's, changing nothing.
    ///
    /// # Errors
    /// The storage error when the catalogue cannot be read.
    pub async fn schema_report(&self) -> Result<SchemaReport, StoreError> {
        inspect(self).await
    }
}

impl super::Store {
    /// [`inspect`], through the circuit.
    pub(crate) async fn inspect_schema(&self) -> Result<SchemaReport, StoreError> {
        self.guard(inspect(self.database())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_what_is_missing() {
        let report = SchemaReport {
            missing_tables: vec!["session"],
            missing_columns: vec![("user", "emailVerified")],
            missing_indexes: vec!["session_userId_idx"],
        };
        assert!(!report.is_usable());
        assert_eq!(
            report.to_string(),
            "table `session` is missing; column `user.emailVerified` is missing; index `session_userId_idx` is missing"
        );
        assert!(SchemaReport::default().is_complete());
    }
}

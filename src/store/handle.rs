//! [`Store`]: the database pool of one `Auth` with the row statements its configuration's
//! additional fields call for (built once, in `dynamic_sql.rs`). It dereferences to the
//! [`Database`], whose methods need no configuration.

use std::ops::Deref;
use std::sync::Arc;

use super::Database;
use super::dynamic_sql::RowStatements;
use crate::fields::FieldSet;

/// The pool and the configured row statements.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    database: Database,
    pub(super) rows: Arc<RowStatements>,
    pub(super) user_fields: FieldSet,
    pub(super) session_fields: FieldSet,
}

impl Store {
    pub(crate) fn new(database: Database, user_fields: FieldSet, session_fields: FieldSet) -> Self {
        let rows = RowStatements::new(database.dialect(), &user_fields, &session_fields);
        Self {
            database,
            rows: Arc::new(rows),
            user_fields,
            session_fields,
        }
    }

    /// The pool.
    pub(crate) fn database(&self) -> &Database {
        &self.database
    }
}

impl Deref for Store {
    type Target = Database;

    fn deref(&self) -> &Database {
        &self.database
    }
}

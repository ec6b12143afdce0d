//! [`Store`]: the database pool of one `Auth` with the row statements its configuration's
//! additional fields call for (built once, in `dynamic_sql.rs`), and the circuit every
//! statement goes through (`circuit.rs`). Its methods live in the files for their tables.

use std::future::Future;
use std::sync::Arc;

use super::circuit::{Circuit, OutageSettings};
use super::dynamic_sql::RowStatements;
use super::{Database, PoolState, StoreError, address};
use crate::fields::FieldSet;

/// The pool, the configured row statements and the circuit.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    database: Database,
    circuit: Circuit,
    pub(super) rows: Arc<RowStatements>,
    pub(super) user_fields: FieldSet,
    pub(super) session_fields: FieldSet,
}

impl Store {
    pub(crate) fn new(
        database: Database,
        outage: OutageSettings,
        user_fields: FieldSet,
        session_fields: FieldSet,
    ) -> Self {
        let rows = RowStatements::new(database.dialect(), &user_fields, &session_fields);
        // An in-memory SQLite database lives on one connection: a request waiting for it
        // waits behind other requests, not for an unreachable database.
        #[cfg(feature = "sqlite")]
        let outage = if database.is_single_sqlite_connection() {
            OutageSettings {
                acquire_timeout: outage
                    .acquire_timeout
                    .max(super::sqlite::SINGLE_CONNECTION_WAIT),
                ..outage
            }
        } else {
            outage
        };
        let circuit = Circuit::new(address::of(&database), outage);
        Self {
            database,
            circuit,
            rows: Arc::new(rows),
            user_fields,
            session_fields,
        }
    }

    /// The pool.
    pub(crate) fn database(&self) -> &Database {
        &self.database
    }

    /// Runs one store operation through the circuit (see `guarded!`).
    pub(super) async fn guard<T>(
        &self,
        operation: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.circuit.admit()?;
        let ready = match self.database.pool_state() {
            PoolState::Idle => Ok(()),
            PoolState::Room => self.circuit.wait_for_new(&self.database).await,
            PoolState::Full => {
                self.database
                    .wait_for_returned(self.circuit.acquire_timeout())
                    .await
            }
        };
        if let Err(err) = ready {
            return Err(self.circuit.failed(err, &self.database).await);
        }
        match operation.await {
            Ok(value) => Ok(value),
            Err(err) if err.is_unavailable() => Err(self.circuit.failed(err, &self.database).await),
            Err(err) => Err(err),
        }
    }
}

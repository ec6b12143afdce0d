//! Deleting expired sessions and verification rows in batches of at most 1000 per statement,
//! so that no statement holds locks for long. Each batch is an idempotent delete of rows that
//! are expired anyway, so several instances may run it at once.

use super::sqlx;

use super::{Database, DbTime, StoreError};
use crate::timestamp;

/// What one cleanup pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CleanupReport {
    /// Expired sessions deleted.
    pub sessions: u64,
    /// Expired verification rows deleted (including health-check leftovers).
    pub verifications: u64,
}

/// Deletes every session and verification row that expired before now, batch by batch;
/// `progress` hears the running totals after each batch.
pub(crate) async fn cleanup_expired(
    db: &Database,
    mut progress: impl FnMut(&CleanupReport),
) -> Result<CleanupReport, StoreError> {
    let now = DbTime(timestamp::now());
    let mut report = CleanupReport::default();
    dispatch!(db, |pool, sql| {
        for (statement, sessions) in [
            (sql.cleanup_sessions.as_str(), true),
            (sql.cleanup_verifications.as_str(), false),
        ] {
            loop {
                let deleted = sqlx::query(statement)
                    .bind(now)
                    .execute(pool)
                    .await?
                    .rows_affected();
                if sessions {
                    report.sessions += deleted;
                    crate::telemetry::cleaned_up("session", deleted);
                } else {
                    report.verifications += deleted;
                    crate::telemetry::cleaned_up("verification", deleted);
                }
                progress(&report);
                // Until a batch finds nothing: with several instances at once, a batch can
                // come back short because another instance took some of its rows.
                if deleted == 0 {
                    break;
                }
            }
        }
    });
    Ok(report)
}

impl super::Store {
    /// [`cleanup_expired`], through the circuit.
    pub(crate) async fn cleanup_expired(
        &self,
        progress: impl FnMut(&CleanupReport),
    ) -> Result<CleanupReport, StoreError> {
        self.guard(cleanup_expired(self.database(), progress)).await
    }
}

//! Token rows in Better-Auth's `verification` table (`identifier`, `value`, `expiresAt`):
//! written once, read, and consumed by a delete whose affected-row count decides who got the
//! row, so that two requests with one token cannot both use it. Every statement goes through
//! the store's circuit (`guarded!`), so that during an outage the account-mail flows are
//! refused at once like every other request.

use time::OffsetDateTime;

use super::handle::Store;
use super::sqlx;
use super::{DbTime, StoreError};
use crate::crypto::token;

/// A live token row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VerificationRow {
    pub(crate) id: String,
    pub(crate) value: String,
    pub(crate) expires_at: OffsetDateTime,
}

impl Store {
    /// Stores `identifier` → `value` until `expires_at`.
    pub(crate) async fn insert_verification(
        &self,
        identifier: &str,
        value: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let id = token::new_id();
        guarded!(self, |pool, sql| {
            sqlx::query(sql.insert_verification.as_str())
                .bind(&id)
                .bind(identifier)
                .bind(value)
                .bind(DbTime(expires_at))
                .bind(DbTime(now))
                .bind(DbTime(now))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The newest unexpired row of `identifier` at `now`.
    pub(crate) async fn find_verification(
        &self,
        identifier: &str,
        now: OffsetDateTime,
    ) -> Result<Option<VerificationRow>, StoreError> {
        let rows: Vec<(String, String, DbTime)> = guarded!(self, |pool, sql| {
            sqlx::query_as(sql.verification_by_identifier.as_str())
                .bind(identifier)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, value, expires)| VerificationRow {
                id,
                value,
                expires_at: expires.0,
            })
            .find(|row| row.expires_at > now))
    }

    /// Deletes the row `id`; `true` when this call deleted it (and so owns the token).
    pub(crate) async fn consume_verification(&self, id: &str) -> Result<bool, StoreError> {
        let affected = guarded!(self, |pool, sql| {
            sqlx::query(sql.delete_verification.as_str())
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Deletes every token row whose value is `user_id` (its reset and delete-account links).
    pub(crate) async fn delete_user_verifications(&self, user_id: &str) -> Result<(), StoreError> {
        guarded!(self, |pool, sql| {
            sqlx::query(sql.delete_user_verifications.as_str())
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes every row expired before `now`; how many.
    pub(crate) async fn delete_expired_verifications(
        &self,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let affected = guarded!(self, |pool, sql| {
            sqlx::query(sql.delete_expired_verifications.as_str())
                .bind(DbTime(now))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected)
    }
}

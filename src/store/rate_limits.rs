//! Rate-limit counters in Better-Auth's `rateLimit` table (`key` unique, `count`,
//! `lastRequest` in epoch milliseconds), one atomic upsert per request. The rule itself is the
//! limiter's; this file only runs the statements.

use super::handle::Store;
use super::sqlx;
use super::{Database, StoreError};

impl Store {
    /// Counts one request against `key` under a rule of `max` requests per `window_ms`, and
    /// returns the counter afterwards: `(count, lastRequest)`. A count above `max` means the
    /// request was blocked.
    pub(crate) async fn rate_limit_hit(
        &self,
        key: &str,
        now_ms: i64,
        window_ms: i64,
        max: u32,
    ) -> Result<(i64, i64), StoreError> {
        let id = crate::crypto::token::new_id();
        // `count` is an integer column: bind the cap as one.
        let max = i32::try_from(max).unwrap_or(i32::MAX);
        let counter = self.guard(async {
            Ok::<(i32, i64), StoreError>(match self.database() {
                #[cfg(feature = "sqlite")]
                Database::Sqlite(pool) => {
                    sqlx::query_as(super::statements::SQLITE.rate_limit_upsert.as_str())
                        .bind(&id)
                        .bind(key)
                        .bind(now_ms)
                        .bind(window_ms)
                        .bind(max)
                        .fetch_one(pool)
                        .await?
                }
                #[cfg(feature = "postgres")]
                Database::Postgres(pool) => {
                    sqlx::query_as(super::statements::POSTGRES.rate_limit_upsert.as_str())
                        .bind(&id)
                        .bind(key)
                        .bind(now_ms)
                        .bind(window_ms)
                        .bind(max)
                        .fetch_one(pool)
                        .await?
                }
                #[cfg(feature = "mysql")]
                Database::MySql(pool) => {
                    let sql = &super::statements::MYSQL;
                    let mut tx = pool.begin().await?;
                    sqlx::query(sql.rate_limit_upsert.as_str())
                        .bind(&id)
                        .bind(key)
                        .bind(now_ms)
                        .bind(now_ms)
                        .bind(window_ms)
                        .bind(now_ms)
                        .bind(window_ms)
                        .bind(max)
                        .bind(max)
                        .bind(max)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                    // The upsert holds the row's lock until the commit: this reads our own write.
                    let counter = sqlx::query_as(sql.rate_limit_read.as_str())
                        .bind(key)
                        .fetch_one(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    counter
                }
            })
        });
        let (count, last) = counter.await?;
        Ok((i64::from(count), last))
    }

    /// Drops the counter of `key`.
    pub(crate) async fn rate_limit_forget(&self, key: &str) -> Result<(), StoreError> {
        guarded!(self, |pool, sql| {
            sqlx::query(sql.rate_limit_forget.as_str())
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Drops counters whose last request is older than `cutoff_ms`.
    pub(crate) async fn rate_limit_prune(&self, cutoff_ms: i64) -> Result<(), StoreError> {
        guarded!(self, |pool, sql| {
            sqlx::query(sql.rate_limit_prune.as_str())
                .bind(cutoff_ms)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

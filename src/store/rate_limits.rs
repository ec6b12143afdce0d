//! Rate-limit counters in Better-Auth's `rateLimit` table (`key` unique, `count`,
//! `lastRequest` in epoch milliseconds), updated with one atomic upsert per check.
//!
//! The upsert applies Better-Auth's rule in SQL: a new window when the last allowed request is
//! a window old (or the clock went back more than a window before it), else one more request, capped at `max + 1`, which marks "blocked" (a blocked
//! request leaves `lastRequest` alone). The statement differs per dialect because MySQL has no
//! `RETURNING` and evaluates `ON DUPLICATE KEY UPDATE` assignments left to right.

use super::{Database, StoreError};
use crate::rate_limit::{Decision, Rule, retry_after};

const UPSERT_RETURNING: &str = r#"insert into "rateLimit" ("id", "key", "count", "lastRequest") values ($1, $2, 1, $3) on conflict ("key") do update set "count" = case when $3 - "rateLimit"."lastRequest" >= $4 or "rateLimit"."lastRequest" - $3 > $4 then 1 when "rateLimit"."count" >= $5 then $5 + 1 else "rateLimit"."count" + 1 end, "lastRequest" = case when $3 - "rateLimit"."lastRequest" < $4 and "rateLimit"."lastRequest" - $3 <= $4 and "rateLimit"."count" >= $5 then "rateLimit"."lastRequest" else $3 end returning "count", "lastRequest""#;

#[cfg(feature = "mysql")]
const MYSQL_UPSERT: &str = "insert into `rateLimit` (`id`, `key`, `count`, `lastRequest`) values (?, ?, 1, ?) on duplicate key update `count` = if(? - `lastRequest` >= ? or `lastRequest` - ? > ?, 1, if(`count` >= ?, ? + 1, `count` + 1)), `lastRequest` = if(`count` > ?, `lastRequest`, ?)";
#[cfg(feature = "mysql")]
const MYSQL_READ: &str = "select `count`, `lastRequest` from `rateLimit` where `key` = ?";

const PRUNE: &str = r#"delete from "rateLimit" where "lastRequest" < $1"#;
const FORGET: &str = r#"delete from "rateLimit" where "key" = $1"#;
#[cfg(feature = "mysql")]
const MYSQL_FORGET: &str = "delete from `rateLimit` where `key` = ?";
#[cfg(feature = "mysql")]
const MYSQL_PRUNE: &str = "delete from `rateLimit` where `lastRequest` < ?";

impl Database {
    /// Counts one request against `key` and says whether it may proceed.
    ///
    /// Now and then this also drops counters idle for longer than `retain` (the longest window
    /// of any rule, and at least an hour), so the table does not grow with every address ever
    /// seen.
    pub(crate) async fn rate_limit_check(
        &self,
        key: &str,
        now_ms: i64,
        rule: Rule,
        retain: std::time::Duration,
    ) -> Result<Decision, StoreError> {
        let window_ms = i64::try_from(rule.window().as_millis()).unwrap_or(i64::MAX);
        if rule.max() == 0 {
            return Ok(Decision::Blocked(retry_after(now_ms, now_ms, window_ms)));
        }
        let id = crate::crypto::token::new_id();
        let max = i64::from(rule.max());
        let (count, last): (i64, i64) = match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(pool) => {
                sqlx::query_as(UPSERT_RETURNING)
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
                // `count` is an integer column; bind the cap as one.
                let max = i32::try_from(max).unwrap_or(i32::MAX);
                let (count, last): (i32, i64) = sqlx::query_as(UPSERT_RETURNING)
                    .bind(&id)
                    .bind(key)
                    .bind(now_ms)
                    .bind(window_ms)
                    .bind(max)
                    .fetch_one(pool)
                    .await?;
                (i64::from(count), last)
            }
            #[cfg(feature = "mysql")]
            Database::MySql(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query(MYSQL_UPSERT)
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
                let (count, last): (i32, i64) = sqlx::query_as(MYSQL_READ)
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                (i64::from(count), last)
            }
        };
        let retain_ms = i64::try_from(retain.as_millis()).unwrap_or(i64::MAX);
        self.prune_rate_limits_sometimes(now_ms.saturating_sub(retain_ms.max(3_600_000)))
            .await;
        Ok(if count <= max {
            Decision::Allowed
        } else {
            Decision::Blocked(retry_after(last, now_ms, window_ms))
        })
    }

    /// Drops the counter of `key`.
    pub(crate) async fn rate_limit_forget(&self, key: &str) -> Result<(), StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(pool) => {
                sqlx::query(FORGET).bind(key).execute(pool).await?;
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => {
                sqlx::query(FORGET).bind(key).execute(pool).await?;
            }
            #[cfg(feature = "mysql")]
            Database::MySql(pool) => {
                sqlx::query(MYSQL_FORGET).bind(key).execute(pool).await?;
            }
        }
        Ok(())
    }

    /// About once per thousand checks, drops counters whose last request is older than
    /// `cutoff`. Failures here are not the request's concern.
    async fn prune_rate_limits_sometimes(&self, cutoff: i64) {
        let mut dice = [0u8; 2];
        if getrandom::fill(&mut dice).is_err() || u16::from_le_bytes(dice) % 1000 != 0 {
            return;
        }
        let result = match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(pool) => sqlx::query(PRUNE)
                .bind(cutoff)
                .execute(pool)
                .await
                .map(|_| ()),
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => sqlx::query(PRUNE)
                .bind(cutoff)
                .execute(pool)
                .await
                .map(|_| ()),
            #[cfg(feature = "mysql")]
            Database::MySql(pool) => sqlx::query(MYSQL_PRUNE)
                .bind(cutoff)
                .execute(pool)
                .await
                .map(|_| ()),
        };
        if let Err(err) = result {
            tracing::debug!(error = %err, "could not prune rate-limit counters");
        }
    }
}

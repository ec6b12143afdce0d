//! Session rows: the lookup behind every authenticated request, creation, sliding refresh,
//! listing and revocation.

use super::sqlx;
use time::OffsetDateTime;

use super::{Database, DbTime, StoreError, rows};
use crate::model::{Session, SessionWithUser};

/// The insert of a new session row, bound and ready to execute on a pool or a transaction.
macro_rules! insert_session {
    ($sql:expr, $session:expr) => {
        sqlx::query($sql.insert_session.as_str())
            .bind(&$session.id)
            .bind(DbTime($session.expires_at))
            .bind(&$session.token)
            .bind(DbTime($session.created_at))
            .bind(DbTime($session.updated_at))
            .bind(&$session.ip_address)
            .bind(&$session.user_agent)
            .bind(&$session.user_id)
    };
}
pub(super) use insert_session;

impl Database {
    /// The session with this token and its user, in one query, expired or not: the caller
    /// judges `expiresAt` on the decoded instant, so that every form a date can be stored in on
    /// SQLite (ISO-8601 text of any precision, epoch milliseconds) is judged right.
    pub(crate) async fn session_with_user(
        &self,
        token: &str,
    ) -> Result<Option<SessionWithUser>, StoreError> {
        let found = dispatch!(self, |pool, sql| {
            let row = sqlx::query(sql.session_with_user.as_str())
                .bind(token)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                Ok::<_, sqlx::Error>(SessionWithUser {
                    session: rows::session(&row)?,
                    user: rows::user(&row)?,
                })
            })
            .transpose()?
        });
        // MySQL's default collations compare case-insensitively; a token is case-sensitive.
        Ok(found.filter(|found| found.session.token == token))
    }

    pub(crate) async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        dispatch!(self, |pool, sql| {
            insert_session!(sql, session).execute(pool).await?;
        });
        Ok(())
    }

    /// Moves a session's expiry to `expires_at`; `false` if the session no longer exists.
    pub(crate) async fn refresh_session(
        &self,
        token: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let affected = dispatch!(self, |pool, sql| {
            sqlx::query(sql.refresh_session.as_str())
                .bind(DbTime(expires_at))
                .bind(DbTime(now))
                .bind(token)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected > 0)
    }

    pub(crate) async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        dispatch!(self, |pool, sql| {
            sqlx::query(sql.delete_session.as_str())
                .bind(token)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes the session with `token` only if it belongs to `user_id`.
    pub(crate) async fn delete_session_of_user(
        &self,
        token: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self, |pool, sql| {
            sqlx::query(sql.delete_session_of_user.as_str())
                .bind(token)
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub(crate) async fn delete_user_sessions(&self, user_id: &str) -> Result<(), StoreError> {
        dispatch!(self, |pool, sql| {
            sqlx::query(sql.delete_user_sessions.as_str())
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes every session of `user_id` except the one with `keep_token`.
    pub(crate) async fn delete_other_sessions(
        &self,
        user_id: &str,
        keep_token: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self, |pool, sql| {
            sqlx::query(sql.delete_other_sessions.as_str())
                .bind(user_id)
                .bind(keep_token)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Every session of `user_id`, expired ones included, oldest first.
    pub(crate) async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        let sessions = dispatch!(self, |pool, sql| {
            sqlx::query(sql.list_sessions.as_str())
                .bind(user_id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(rows::session)
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(sessions)
    }
}

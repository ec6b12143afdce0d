//! Session rows: the lookup behind every authenticated request, creation, updates (the sliding
//! refresh, additional fields), listing and revocation.

use super::sqlx;
use time::OffsetDateTime;

use super::dynamic_sql::offsets;
use super::handle::Store;
use super::rows::{bind_field_changes, bind_fields};
use super::{DbTime, StoreError, rows};
use crate::model::{Session, SessionUpdate, SessionWithUser};

/// The insert of a new session row, bound and ready to execute on a pool or a transaction.
macro_rules! insert_session {
    ($store:expr, $session:expr) => {
        bind_fields!(
            sqlx::query($store.rows.insert_session.clone())
                .bind(&$session.id)
                .bind(DbTime($session.expires_at))
                .bind(&$session.token)
                .bind(DbTime($session.created_at))
                .bind(DbTime($session.updated_at))
                .bind(&$session.ip_address)
                .bind(&$session.user_agent)
                .bind(&$session.user_id),
            $store.session_fields,
            $session.fields
        )
    };
}
pub(super) use insert_session;

/// A session row with its additional fields, from a row of `session_by_token` or
/// `list_sessions`.
macro_rules! session_row {
    ($store:expr, $row:expr) => {{
        let mut session = rows::session($row)?;
        session.fields = rows::fields($row, offsets::SESSION, &$store.session_fields)?;
        Ok::<_, sqlx::Error>(session)
    }};
}

impl Store {
    /// The session with this token and its user, in one query, expired or not: the caller
    /// judges `expiresAt` on the decoded instant, so that every form a date can be stored in on
    /// SQLite (ISO-8601 text of any precision, epoch milliseconds) is judged right.
    pub(crate) async fn session_with_user(
        &self,
        token: &str,
    ) -> Result<Option<SessionWithUser>, StoreError> {
        let user_fields = self.user_fields.len();
        let found = guarded!(self, |pool, _sql| {
            let row = sqlx::query(self.rows.session_with_user.clone())
                .bind(token)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                let mut session = rows::session(&row)?;
                let mut user = rows::user(&row)?;
                user.fields = rows::fields(&row, offsets::SESSION_WITH_USER, &self.user_fields)?;
                session.fields = rows::fields(
                    &row,
                    offsets::SESSION_WITH_USER + user_fields,
                    &self.session_fields,
                )?;
                Ok::<_, sqlx::Error>(SessionWithUser { session, user })
            })
            .transpose()?
        });
        // MySQL's default collations compare case-insensitively; a token is case-sensitive.
        Ok(found.filter(|found| found.session.token == token))
    }

    /// The session with this token, without its user.
    pub(crate) async fn session_by_token(
        &self,
        token: &str,
    ) -> Result<Option<Session>, StoreError> {
        let found = guarded!(self, |pool, _sql| {
            sqlx::query(self.rows.session_by_token.clone())
                .bind(token)
                .fetch_optional(pool)
                .await?
                .map(|row| session_row!(self, &row))
                .transpose()?
        });
        Ok(found.filter(|session| session.token == token))
    }

    pub(crate) async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        guarded!(self, |pool, _sql| {
            insert_session!(self, session).execute(pool).await?;
        });
        Ok(())
    }

    /// Writes `change` (a new expiry, additional fields) to the session with its token; `false`
    /// if the session no longer exists.
    pub(crate) async fn update_session(
        &self,
        change: &SessionUpdate,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let affected = guarded!(self, |pool, _sql| {
            let query = sqlx::query(self.rows.update_session.clone())
                .bind(change.expires_at.is_some())
                .bind(change.expires_at.map(DbTime));
            bind_field_changes!(query, self.session_fields, change.fields)
                .bind(DbTime(now))
                .bind(&change.token)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected > 0)
    }

    /// Every session of `user_id`, expired ones included, oldest first.
    pub(crate) async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        let sessions = guarded!(self, |pool, _sql| {
            sqlx::query(self.rows.list_sessions.clone())
                .bind(user_id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| session_row!(self, row))
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(sessions)
    }
}

impl Store {
    pub(crate) async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        guarded!(self, |pool, sql| {
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
        guarded!(self, |pool, sql| {
            sqlx::query(sql.delete_session_of_user.as_str())
                .bind(token)
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub(crate) async fn delete_user_sessions(&self, user_id: &str) -> Result<(), StoreError> {
        guarded!(self, |pool, sql| {
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
        guarded!(self, |pool, sql| {
            sqlx::query(sql.delete_other_sessions.as_str())
                .bind(user_id)
                .bind(keep_token)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

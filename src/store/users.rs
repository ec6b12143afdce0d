//! User and credential-account rows.

use super::sessions::insert_session;
use super::sqlx;
use super::{Database, DbTime, StoreError, rows};
use time::OffsetDateTime;

use crate::model::{Session, User};
use crate::timestamp;

/// A user and the password hash of its credential account, if it has one.
#[derive(Debug)]
pub(crate) struct UserWithPassword {
    pub(crate) user: User,
    pub(crate) password: Option<String>,
}

impl Database {
    /// The user with this (already lower-cased) email.
    pub(crate) async fn user_by_email(
        &self,
        email: &str,
    ) -> Result<Option<UserWithPassword>, StoreError> {
        let found = dispatch!(self, |pool, sql| {
            let row = sqlx::query(sql.user_by_email.as_str())
                .bind(email)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                Ok::<_, sqlx::Error>(UserWithPassword {
                    user: rows::user(&row)?,
                    password: sqlx::Row::try_get(&row, "password")?,
                })
            })
            .transpose()?
        });
        Ok(found)
    }

    /// Creates a user, its credential account and (to sign it in) a session, all or nothing.
    /// A unique violation means the email is taken.
    pub(crate) async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        session: Option<&Session>,
    ) -> Result<(), StoreError> {
        let account_id = crate::crypto::token::new_id();
        dispatch!(self, |pool, sql| {
            let mut tx = pool.begin().await?;
            sqlx::query(sql.insert_user.as_str())
                .bind(&user.id)
                .bind(&user.name)
                .bind(&user.email)
                .bind(user.email_verified)
                .bind(&user.image)
                .bind(DbTime(user.created_at))
                .bind(DbTime(user.updated_at))
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql.insert_credential_account.as_str())
                .bind(&account_id)
                .bind(&user.id)
                .bind(&user.id)
                .bind(password_hash)
                .bind(DbTime(user.created_at))
                .bind(DbTime(user.created_at))
                .execute(&mut *tx)
                .await?;
            if let Some(session) = session {
                insert_session!(sql, session).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets the name (when given) and the image (when given, possibly to null).
    pub(crate) async fn update_user(
        &self,
        user_id: &str,
        name: Option<&str>,
        image: Option<Option<&str>>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        dispatch!(self, |pool, sql| {
            sqlx::query(sql.update_user.as_str())
                .bind(name)
                .bind(image.is_some())
                .bind(image.flatten())
                .bind(DbTime(now))
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Changes the (lower-cased) email; a unique violation means it is taken.
    pub(crate) async fn update_email(
        &self,
        user_id: &str,
        email: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        dispatch!(self, |pool, sql| {
            sqlx::query(sql.update_email.as_str())
                .bind(email)
                .bind(DbTime(now))
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The password hash of the user's credential account: `None` without such an account,
    /// `Some(None)` when it has no password.
    pub(crate) async fn credential_password(
        &self,
        user_id: &str,
    ) -> Result<Option<Option<String>>, StoreError> {
        let found = dispatch!(self, |pool, sql| {
            sqlx::query_scalar::<_, Option<String>>(sql.credential_password.as_str())
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(found)
    }

    pub(crate) async fn update_password(
        &self,
        user_id: &str,
        hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        dispatch!(self, |pool, sql| {
            sqlx::query(sql.update_password.as_str())
                .bind(hash)
                .bind(DbTime(now))
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Changes the password and, when `replacement` is given, replaces every session of the
    /// user by that one, all or nothing.
    pub(crate) async fn change_password(
        &self,
        user_id: &str,
        hash: &str,
        now: OffsetDateTime,
        replacement: Option<&Session>,
    ) -> Result<(), StoreError> {
        let Some(session) = replacement else {
            return self.update_password(user_id, hash, now).await;
        };
        dispatch!(self, |pool, sql| {
            let mut tx = pool.begin().await?;
            sqlx::query(sql.update_password.as_str())
                .bind(hash)
                .bind(DbTime(now))
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql.delete_user_sessions.as_str())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            insert_session!(sql, session).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Deletes a user with its sessions and accounts (explicitly: MySQL 8 ignores the inline
    /// foreign keys that would cascade elsewhere).
    pub(crate) async fn delete_user(&self, user_id: &str) -> Result<(), StoreError> {
        dispatch!(self, |pool, sql| {
            let mut tx = pool.begin().await?;
            sqlx::query(sql.delete_user_sessions.as_str())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql.delete_user_accounts.as_str())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql.delete_user.as_str())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Proves the database is reachable, the schema is in place and writes are accepted: one
    /// read of `session`, and one insert into `verification` that is rolled back.
    pub(crate) async fn probe(&self) -> Result<(), StoreError> {
        let probe_id = crate::crypto::token::new_id();
        let now = DbTime(timestamp::now());
        dispatch!(self, |pool, sql| {
            let _: i64 = sqlx::query_scalar(sql.probe_session_table.as_str())
                .bind(&probe_id)
                .fetch_one(pool)
                .await?;
            let mut tx = pool.begin().await?;
            sqlx::query(sql.probe_write.as_str())
                .bind(&probe_id)
                .bind("authgate:health-probe")
                .bind("")
                .bind(now)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.rollback().await?;
        });
        Ok(())
    }
}

//! User and account rows.

use super::dynamic_sql::offsets;
use super::handle::Store;
use super::rows::{bind_field_changes, bind_fields};
use super::sessions::insert_session;
use super::sqlx;
use super::{DbTime, StoreError, rows};
use time::OffsetDateTime;

use crate::model::{Account, Session, User, UserUpdate};

/// A user and the password hash of its credential account, if it has one.
#[derive(Debug)]
pub(crate) struct UserWithPassword {
    pub(crate) user: User,
    pub(crate) password: Option<String>,
}

/// What a password change does to the user's sessions.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SessionsAfterPasswordChange<'a> {
    /// Leaves them.
    Keep,
    /// Deletes every one.
    Revoke,
    /// Deletes every one and stores this one instead.
    Replace(&'a Session),
}

/// The insert of an account row, bound and ready to execute.
macro_rules! insert_account {
    ($sql:expr, $account:expr) => {
        sqlx::query($sql.insert_account.as_str())
            .bind(&$account.id)
            .bind(&$account.account_id)
            .bind(&$account.provider_id)
            .bind(&$account.user_id)
            .bind(&$account.password)
            .bind(DbTime($account.created_at))
            .bind(DbTime($account.updated_at))
    };
}

impl Store {
    /// The user with this (already lower-cased) email.
    pub(crate) async fn user_by_email(
        &self,
        email: &str,
    ) -> Result<Option<UserWithPassword>, StoreError> {
        let found = guarded!(self, |pool, _sql| {
            let row = sqlx::query(self.rows.user_by_email.clone())
                .bind(email)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                let mut user = rows::user(&row)?;
                user.fields = rows::fields(&row, offsets::USER_WITH_PASSWORD, &self.user_fields)?;
                Ok::<_, sqlx::Error>(UserWithPassword {
                    user,
                    password: sqlx::Row::try_get(&row, "password")?,
                })
            })
            .transpose()?
        });
        Ok(found)
    }

    /// The user with this id.
    pub(crate) async fn user_by_id(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        let found = guarded!(self, |pool, _sql| {
            let row = sqlx::query(self.rows.user_by_id.clone())
                .bind(user_id)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                let mut user = rows::user(&row)?;
                user.fields = rows::fields(&row, offsets::USER, &self.user_fields)?;
                Ok::<_, sqlx::Error>(user)
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
        account: &Account,
        session: Option<&Session>,
    ) -> Result<(), StoreError> {
        guarded!(self, |pool, sql| {
            let mut tx = pool.begin().await?;
            let insert = sqlx::query(self.rows.insert_user.clone())
                .bind(&user.id)
                .bind(&user.name)
                .bind(&user.email)
                .bind(user.email_verified)
                .bind(&user.image)
                .bind(DbTime(user.created_at))
                .bind(DbTime(user.updated_at));
            bind_fields!(insert, self.user_fields, user.fields)
                .execute(&mut *tx)
                .await?;
            insert_account!(sql, account).execute(&mut *tx).await?;
            if let Some(session) = session {
                insert_session!(self, session).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Writes `change` to its user; `false` when no such user exists. A unique violation means
    /// a new email is taken.
    pub(crate) async fn update_user(
        &self,
        change: &UserUpdate,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let affected = guarded!(self, |pool, _sql| {
            let query = sqlx::query(self.rows.update_user.clone())
                .bind(change.name.is_some())
                .bind(change.name.as_deref())
                .bind(change.image.is_some())
                .bind(change.image.clone().flatten())
                .bind(change.email.is_some())
                .bind(change.email.as_deref())
                .bind(change.email_verified.is_some())
                .bind(change.email_verified);
            bind_field_changes!(query, self.user_fields, change.fields)
                .bind(DbTime(now))
                .bind(change.user_id())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected > 0)
    }

    /// Changes the password and does `sessions` to the user's sessions, all or nothing.
    pub(crate) async fn change_password(
        &self,
        user_id: &str,
        hash: &str,
        now: OffsetDateTime,
        sessions: SessionsAfterPasswordChange<'_>,
    ) -> Result<(), StoreError> {
        if let SessionsAfterPasswordChange::Keep = sessions {
            return self.update_password(user_id, hash, now).await;
        }
        guarded!(self, |pool, sql| {
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
            if let SessionsAfterPasswordChange::Replace(session) = sessions {
                insert_session!(self, session).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

impl Store {
    /// The password hash of the user's credential account: `None` without such an account,
    /// `Some(None)` when it has no password.
    pub(crate) async fn credential_password(
        &self,
        user_id: &str,
    ) -> Result<Option<Option<String>>, StoreError> {
        let found = guarded!(self, |pool, sql| {
            sqlx::query_scalar::<_, Option<String>>(sql.credential_password.as_str())
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(found)
    }

    /// The user's credential account.
    pub(crate) async fn credential_account(
        &self,
        user_id: &str,
    ) -> Result<Option<Account>, StoreError> {
        let found = guarded!(self, |pool, sql| {
            sqlx::query(sql.credential_account.as_str())
                .bind(user_id)
                .fetch_optional(pool)
                .await?
                .map(|row| rows::account(&row))
                .transpose()?
        });
        Ok(found)
    }

    /// Every account of the user.
    pub(crate) async fn user_accounts(&self, user_id: &str) -> Result<Vec<Account>, StoreError> {
        let found = guarded!(self, |pool, sql| {
            sqlx::query(sql.user_accounts.as_str())
                .bind(user_id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(rows::account)
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(found)
    }

    pub(crate) async fn insert_account(&self, account: &Account) -> Result<(), StoreError> {
        guarded!(self, |pool, sql| {
            insert_account!(sql, account).execute(pool).await?;
        });
        Ok(())
    }

    pub(crate) async fn update_password(
        &self,
        user_id: &str,
        hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        guarded!(self, |pool, sql| {
            sqlx::query(sql.update_password.as_str())
                .bind(hash)
                .bind(DbTime(now))
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes a user with its sessions and accounts (explicitly: MySQL 8 ignores the inline
    /// foreign keys that would cascade elsewhere).
    pub(crate) async fn delete_user(&self, user_id: &str) -> Result<(), StoreError> {
        guarded!(self, |pool, sql| {
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
}

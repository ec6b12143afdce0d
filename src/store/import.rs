//! The legacy import's database work: reading another system's user table (column names
//! given, each cast to text) and writing one user with its credential account, all or
//! nothing.

use super::dynamic_sql::{LegacyColumns, legacy_select};
use super::handle::Store;
use super::rows::bind_fields;
use super::sqlx;
use super::{DbTime, StoreError};
use crate::model::{Account, User};

/// One row of a legacy user table, as text.
#[derive(Debug, Clone)]
pub(crate) struct LegacyRow {
    pub(crate) id: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) created_at: Option<String>,
}

/// The five columns, as the driver decodes them.
type TextRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Store {
    /// Every row of `table`, ordered by id; `Ok(None)` when a name is not a plain identifier.
    pub(crate) async fn legacy_rows(
        &self,
        table: &str,
        columns: LegacyColumns<'_>,
    ) -> Result<Option<Vec<LegacyRow>>, StoreError> {
        let Some(select) = legacy_select(self.database().dialect(), table, columns) else {
            return Ok(None);
        };
        let rows = dispatch!(self.database(), |pool, _sql| {
            let rows: Vec<TextRow> = sqlx::query_as(select).fetch_all(pool).await?;
            rows
        });
        Ok(Some(
            rows.into_iter()
                .map(|(id, email, name, password, created_at)| LegacyRow {
                    id,
                    email,
                    name,
                    password,
                    created_at,
                })
                .collect(),
        ))
    }

    /// Writes an imported user and, when it has a password hash, its credential account, in
    /// one transaction.
    pub(crate) async fn import_user(
        &self,
        user: &User,
        account: Option<&Account>,
    ) -> Result<(), StoreError> {
        dispatch!(self.database(), |pool, sql| {
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
            if let Some(account) = account {
                sqlx::query(sql.insert_account.as_str())
                    .bind(&account.id)
                    .bind(&account.account_id)
                    .bind(&account.provider_id)
                    .bind(&account.user_id)
                    .bind(&account.password)
                    .bind(DbTime(account.created_at))
                    .bind(DbTime(account.updated_at))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

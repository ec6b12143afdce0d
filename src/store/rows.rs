//! Decoding rows into [`Session`] and [`User`], once for every driver.

use super::sqlx;
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::DbTime;
use crate::model::{Session, User};

/// A session from the columns `id`, `expiresAt`, `token`, `createdAt`, `updatedAt`,
/// `ipAddress`, `userAgent`, `userId`.
pub(super) fn session<'r, R: Row>(row: &'r R) -> Result<Session, sqlx::Error>
where
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    DbTime: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Session {
        expires_at: row.try_get::<DbTime, _>("expiresAt")?.0,
        token: row.try_get("token")?,
        created_at: row.try_get::<DbTime, _>("createdAt")?.0,
        updated_at: row.try_get::<DbTime, _>("updatedAt")?.0,
        ip_address: row.try_get("ipAddress")?,
        user_agent: row.try_get("userAgent")?,
        user_id: row.try_get("userId")?,
        id: row.try_get("id")?,
    })
}

/// A user from the columns `userId`, `userName`, `userEmail`, `userEmailVerified`,
/// `userImage`, `userCreatedAt`, `userUpdatedAt` (the statements alias them so that a user can
/// share a row with a session).
pub(super) fn user<'r, R: Row>(row: &'r R) -> Result<User, sqlx::Error>
where
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    DbTime: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(User {
        name: row.try_get("userName")?,
        email: row.try_get("userEmail")?,
        email_verified: row.try_get("userEmailVerified")?,
        image: row.try_get("userImage")?,
        created_at: row.try_get::<DbTime, _>("userCreatedAt")?.0,
        updated_at: row.try_get::<DbTime, _>("userUpdatedAt")?.0,
        id: row.try_get("userId")?,
    })
}

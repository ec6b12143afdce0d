//! Decoding rows into [`Session`], [`User`] and [`Account`], and binding and decoding the
//! additional fields, once for every driver.

use super::sqlx;
use serde_json::Value;
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::DbTime;
use crate::fields::{FieldDef, FieldSet, FieldType, Fields};
use crate::model::{Account, Session, User};
use crate::timestamp;

/// A session from the columns `id`, `expiresAt`, `token`, `createdAt`, `updatedAt`,
/// `ipAddress`, `userAgent`, `userId` (its additional fields are added by the caller).
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
        fields: Fields::new(),
        id: row.try_get("id")?,
    })
}

/// A user from the columns `userId`, `userName`, `userEmail`, `userEmailVerified`,
/// `userImage`, `userCreatedAt`, `userUpdatedAt` (the statements alias them so that a user can
/// share a row with a session; its additional fields are added by the caller).
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
        fields: Fields::new(),
        id: row.try_get("userId")?,
    })
}

/// An account from its columns.
pub(super) fn account<'r, R: Row>(row: &'r R) -> Result<Account, sqlx::Error>
where
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    DbTime: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Account {
        id: row.try_get("id")?,
        account_id: row.try_get("accountId")?,
        provider_id: row.try_get("providerId")?,
        user_id: row.try_get("userId")?,
        password: row.try_get("password")?,
        created_at: row.try_get::<DbTime, _>("createdAt")?.0,
        updated_at: row.try_get::<DbTime, _>("updatedAt")?.0,
    })
}

/// The additional fields of `defs` from the columns starting at `first`, in order. Values are
/// read as Better-Auth would answer them, including what other writers left (a SQLite column
/// holds any type: a number stored as text comes back as that text).
pub(super) fn fields<'r, R: Row>(
    row: &'r R,
    first: usize,
    defs: &FieldSet,
) -> Result<Fields, sqlx::Error>
where
    usize: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    Option<i32>: Decode<'r, R::Database> + Type<R::Database>,
    Option<f64>: Decode<'r, R::Database> + Type<R::Database>,
    Option<bool>: Decode<'r, R::Database> + Type<R::Database>,
    Option<DbTime>: Decode<'r, R::Database> + Type<R::Database>,
{
    let mut fields = Fields::new();
    for (offset, def) in defs.iter().enumerate() {
        let value = field(row, first + offset, def.field.field_type())?;
        fields.push(def.name.clone(), value, def.field.returned);
    }
    Ok(fields)
}

fn field<'r, R: Row>(row: &'r R, index: usize, kind: FieldType) -> Result<Value, sqlx::Error>
where
    usize: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    Option<i32>: Decode<'r, R::Database> + Type<R::Database>,
    Option<f64>: Decode<'r, R::Database> + Type<R::Database>,
    Option<bool>: Decode<'r, R::Database> + Type<R::Database>,
    Option<DbTime>: Decode<'r, R::Database> + Type<R::Database>,
{
    let text = || {
        row.try_get::<Option<String>, _>(index)
            .map(|v| v.map_or(Value::Null, Value::String))
    };
    let int = || {
        row.try_get::<Option<i64>, _>(index)
            .or_else(|_| {
                row.try_get::<Option<i32>, _>(index)
                    .map(|v| v.map(i64::from))
            })
            .map(|v| v.map_or(Value::Null, Value::from))
    };
    let float = || {
        row.try_get::<Option<f64>, _>(index).map(|v| {
            v.and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number)
        })
    };
    let boolean = || {
        row.try_get::<Option<bool>, _>(index)
            .map(|v| v.map_or(Value::Null, Value::Bool))
    };
    let date = || {
        row.try_get::<Option<DbTime>, _>(index)
            .map(|v| v.map_or(Value::Null, |t| Value::String(timestamp::format_iso(t.0))))
    };
    match kind {
        FieldType::String => text().or_else(|_| int()).or_else(|_| float()),
        FieldType::Number => int().or_else(|_| float()).or_else(|_| text()),
        FieldType::Boolean => boolean()
            .or_else(|_| int().map(|v| v.as_i64().map_or(Value::Null, |n| Value::Bool(n == 1))))
            .or_else(|_| text()),
        FieldType::Date => date().or_else(|_| text()).or_else(|_| int()),
    }
}

/// One field's value as a column takes it.
pub(super) enum FieldBind {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Date(Option<DbTime>),
}

impl FieldBind {
    /// `value` (checked against the field's type before it reached the store) as a bound
    /// parameter of the field's column type; absent is `NULL`.
    pub(super) fn of(def: &FieldDef, value: Option<&Value>) -> Self {
        let value = value.filter(|v| !v.is_null());
        match def.field.field_type() {
            FieldType::String => FieldBind::Text(value.and_then(Value::as_str).map(str::to_owned)),
            FieldType::Number => FieldBind::Int(value.and_then(Value::as_i64)),
            FieldType::Boolean => FieldBind::Bool(value.and_then(Value::as_bool)),
            FieldType::Date => FieldBind::Date(
                value
                    .and_then(Value::as_str)
                    .and_then(timestamp::parse_lenient)
                    .map(DbTime),
            ),
        }
    }
}

/// Binds one parameter per declared field, in declaration order, from `$fields`.
macro_rules! bind_fields {
    ($query:expr, $defs:expr, $fields:expr) => {{
        let mut query = $query;
        for def in $defs.iter() {
            query = match $crate::store::rows::FieldBind::of(def, $fields.value(&def.name)) {
                $crate::store::rows::FieldBind::Text(v) => query.bind(v),
                $crate::store::rows::FieldBind::Int(v) => query.bind(v),
                $crate::store::rows::FieldBind::Bool(v) => query.bind(v),
                $crate::store::rows::FieldBind::Date(v) => query.bind(v),
            };
        }
        query
    }};
}
pub(super) use bind_fields;

/// Binds a flag and a value per declared field: whether `$fields` sets it, and to what.
macro_rules! bind_field_changes {
    ($query:expr, $defs:expr, $fields:expr) => {{
        let mut query = $query;
        for def in $defs.iter() {
            let value = $fields.value(&def.name);
            query = query.bind(value.is_some());
            query = match $crate::store::rows::FieldBind::of(def, value) {
                $crate::store::rows::FieldBind::Text(v) => query.bind(v),
                $crate::store::rows::FieldBind::Int(v) => query.bind(v),
                $crate::store::rows::FieldBind::Bool(v) => query.bind(v),
                $crate::store::rows::FieldBind::Date(v) => query.bind(v),
            };
        }
        query
    }};
}
pub(super) use bind_field_changes;

//! The parts of sqlx 0.9 the stores use, named as the `sqlx` facade names them, but taken from
//! sqlx's core and driver crates: the facade always switches on its `migrate` feature, which
//! would bring a second RustCrypto tree (sha2 0.10) into every build of authgate.

pub(crate) use sqlx_core::column::ColumnIndex;
pub(crate) use sqlx_core::connection::{ConnectOptions, Connection};
pub(crate) use sqlx_core::decode::Decode;
pub(crate) use sqlx_core::encode::Encode;
pub(crate) use sqlx_core::error::Error;
pub(crate) use sqlx_core::query::query;
pub(crate) use sqlx_core::query_as::query_as;
pub(crate) use sqlx_core::query_scalar::query_scalar;
pub(crate) use sqlx_core::row::Row;
#[cfg(feature = "sqlite")]
pub(crate) use sqlx_core::type_info::TypeInfo;
pub(crate) use sqlx_core::types::Type;
#[cfg(feature = "sqlite")]
pub(crate) use sqlx_core::value::ValueRef;
pub(crate) use sqlx_core::{encode, error};
#[cfg(feature = "mysql")]
pub(crate) use sqlx_mysql::{self as mysql, MySqlPool};
#[cfg(feature = "postgres")]
pub(crate) use sqlx_postgres::{self as postgres, PgPool};
#[cfg(feature = "sqlite")]
pub(crate) use sqlx_sqlite::{self as sqlite, SqlitePool};

//! The one place SQL text is assembled at run time (`SECURITY.md` check 37; the source check
//! allows `AssertSqlSafe` here and nowhere else).
//!
//! The statements that read or write whole `user` and `session` rows list the additional
//! fields' columns, so they depend on the configuration. They are built once, when an `Auth`
//! is built, from the core statements below and the declared field names, each of which
//! passed [`is_identifier`] at configuration (and again here, where it is quoted). Values are
//! always bound parameters; the only literals are static defaults in the DDL, which the
//! configuration check restricts to characters that cannot leave a SQL string.

use sqlx_core::sql_str::{AssertSqlSafe, SqlSafeStr as _, SqlStr};

use super::Dialect;
use super::statements::render;
use crate::fields::{FieldDef, FieldDefault, FieldSet, FieldType, is_identifier};

/// The one conversion of assembled text into an executable statement.
fn sql(text: String) -> SqlStr {
    AssertSqlSafe(text).into_sql_str()
}

/// `"name"` in the portable form (`render` turns it into `` `name` `` for MySQL).
fn quoted(name: &str) -> String {
    assert!(
        is_identifier(name),
        "field names are checked at configuration"
    );
    format!("\"{name}\"")
}

/// `name` quoted for `dialect` (for DDL, which is not rendered).
fn quoted_for(dialect: Dialect, name: &str) -> String {
    assert!(
        is_identifier(name),
        "field names are checked at configuration"
    );
    match dialect {
        Dialect::MySql => format!("`{name}`"),
        Dialect::Postgres | Dialect::Sqlite => format!("\"{name}\""),
    }
}

/// `, p."a", p."b"` for the fields (a column list continued).
fn columns(prefix: &str, fields: &FieldSet) -> String {
    fields
        .iter()
        .map(|def| format!(", {prefix}{}", quoted(&def.name)))
        .collect()
}

/// `, $n, $n+1, ...`, one parameter per field starting at `first`.
fn parameters(first: usize, fields: &FieldSet) -> String {
    (first..first + fields.len())
        .map(|n| format!(", ${n}"))
        .collect()
}

/// `, "a" = case when $n then $n+1 else "a" end, ...`: each field set only when its flag is.
fn assignments(first: usize, fields: &FieldSet) -> String {
    fields
        .iter()
        .enumerate()
        .map(|(i, def)| {
            let column = quoted(&def.name);
            let n = first + 2 * i;
            format!(
                ", {column} = case when ${n} then ${} else {column} end",
                n + 1
            )
        })
        .collect()
}

const USER_COLUMNS: &str = r#"u."id" as "userId", u."name" as "userName", u."email" as "userEmail", u."emailVerified" as "userEmailVerified", u."image" as "userImage", u."createdAt" as "userCreatedAt", u."updatedAt" as "userUpdatedAt""#;
const SESSION_COLUMNS: &str =
    r#""id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId""#;

/// Where the additional fields start in the rows of each statement (they follow the core
/// columns and are read by position).
pub(crate) mod offsets {
    /// `session_with_user`: 8 session columns, then 6 user columns (the id is `userId`), then
    /// the user's fields, then the session's.
    pub(crate) const SESSION_WITH_USER: usize = 14;
    /// `session_by_token`, `list_sessions`: the 8 session columns.
    pub(crate) const SESSION: usize = 8;
    /// `user_by_email`: 7 user columns and the password.
    pub(crate) const USER_WITH_PASSWORD: usize = 8;
    /// `user_by_id`: 7 user columns.
    pub(crate) const USER: usize = 7;
}

/// The row statements of one configuration, rendered for its dialect.
#[derive(Debug)]
pub(crate) struct RowStatements {
    /// The session with this token and its user: the one query behind every authenticated
    /// request (expired rows too; the caller judges `expiresAt`).
    pub(crate) session_with_user: SqlStr,
    pub(crate) session_by_token: SqlStr,
    pub(crate) list_sessions: SqlStr,
    pub(crate) insert_session: SqlStr,
    /// `$1`/`$2`: whether and what to set `expiresAt` to; then a flag and a value per field;
    /// then `updatedAt` and the token.
    pub(crate) update_session: SqlStr,
    /// A user by (lower-cased) email, with the password of its credential account if any.
    pub(crate) user_by_email: SqlStr,
    pub(crate) user_by_id: SqlStr,
    pub(crate) insert_user: SqlStr,
    /// A flag and a value for `name`, `image`, `email`, `emailVerified` and each field, then
    /// `updatedAt` and the id.
    pub(crate) update_user: SqlStr,
}

impl RowStatements {
    pub(crate) fn new(dialect: Dialect, user: &FieldSet, session: &FieldSet) -> Self {
        let built = |text: String| sql(render(dialect, &text));
        let user_fields = columns("u.", user);
        let session_columns = format!("{SESSION_COLUMNS}{}", columns("", session));
        Self {
            session_with_user: built(format!(
                r#"select s."id", s."expiresAt", s."token", s."createdAt", s."updatedAt", s."ipAddress", s."userAgent", s."userId", u."name" as "userName", u."email" as "userEmail", u."emailVerified" as "userEmailVerified", u."image" as "userImage", u."createdAt" as "userCreatedAt", u."updatedAt" as "userUpdatedAt"{user_fields}{} from "session" s inner join "user" u on u."id" = s."userId" where s."token" = $1"#,
                columns("s.", session)
            )),
            session_by_token: built(format!(
                r#"select {session_columns} from "session" where "token" = $1"#
            )),
            list_sessions: built(format!(
                r#"select {session_columns} from "session" where "userId" = $1 order by "createdAt""#
            )),
            insert_session: built(format!(
                r#"insert into "session" ({session_columns}) values ($1, $2, $3, $4, $5, $6, $7, $8{})"#,
                parameters(9, session)
            )),
            update_session: built(format!(
                r#"update "session" set "expiresAt" = case when $1 then $2 else "expiresAt" end{}, "updatedAt" = ${} where "token" = ${}"#,
                assignments(3, session),
                3 + 2 * session.len(),
                4 + 2 * session.len()
            )),
            user_by_email: built(format!(
                r#"select {USER_COLUMNS}, a."password"{user_fields} from "user" u left join "account" a on a."userId" = u."id" and a."providerId" = 'credential' and a."accountId" = u."id" where u."email" = $1"#
            )),
            user_by_id: built(format!(
                r#"select {USER_COLUMNS}{user_fields} from "user" u where u."id" = $1"#
            )),
            insert_user: built(format!(
                r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"{}) values ($1, $2, $3, $4, $5, $6, $7{})"#,
                columns("", user),
                parameters(8, user)
            )),
            update_user: built(format!(
                r#"update "user" set "name" = case when $1 then $2 else "name" end, "image" = case when $3 then $4 else "image" end, "email" = case when $5 then $6 else "email" end, "emailVerified" = case when $7 then $8 else "emailVerified" end{}, "updatedAt" = ${} where "id" = ${}"#,
                assignments(9, user),
                9 + 2 * user.len(),
                10 + 2 * user.len()
            )),
        }
    }
}

/// Better-Auth's column type of a field (`getType`).
fn column_type(dialect: Dialect, kind: FieldType) -> &'static str {
    match (kind, dialect) {
        (FieldType::String, _) => "text",
        (FieldType::Number, _) => "integer",
        (FieldType::Boolean, Dialect::Sqlite) => "integer",
        (FieldType::Boolean, _) => "boolean",
        (FieldType::Date, Dialect::Sqlite) => "date",
        (FieldType::Date, Dialect::Postgres) => "timestamptz",
        (FieldType::Date, Dialect::MySql) => "timestamp(3)",
    }
}

/// Whether the DDL adds a database default: always for a computed date on PostgreSQL and MySQL
/// (`CURRENT_TIMESTAMP`), and for a static string, number or boolean when adding the column
/// to an existing table (Better-Auth writes none in `create table`).
fn default_clause(dialect: Dialect, def: &FieldDef, adding: bool) -> Option<String> {
    match (&def.field.default, def.field.kind) {
        (Some(FieldDefault::Dynamic(_)), FieldType::Date) => match dialect {
            Dialect::Postgres => Some("default CURRENT_TIMESTAMP".to_owned()),
            Dialect::MySql => Some("default CURRENT_TIMESTAMP(3)".to_owned()),
            Dialect::Sqlite => None,
        },
        (Some(FieldDefault::Static(value)), kind) if adding => match (kind, value) {
            (FieldType::String, serde_json::Value::String(text)) => {
                // The configuration check refused quotes, backslashes and control characters.
                assert!(
                    text.chars()
                        .all(|c| !c.is_control() && !"'\"`\\$?".contains(c))
                );
                Some(format!("default '{text}'"))
            }
            (FieldType::Number, serde_json::Value::Number(n)) => {
                n.as_i64().map(|n| format!("default {n}"))
            }
            (FieldType::Boolean, serde_json::Value::Bool(b)) => Some(match dialect {
                Dialect::Sqlite => format!("default {}", u8::from(*b)),
                _ => format!("default {b}"),
            }),
            _ => None,
        },
        _ => None,
    }
}

/// A field's column definition: `<type> [default X] [not null]`, in Kysely's order.
fn column_definition(dialect: Dialect, def: &FieldDef, adding: bool) -> String {
    let mut definition = format!(
        "{} {}",
        quoted_for(dialect, &def.name),
        column_type(dialect, def.field.kind)
    );
    if let Some(default) = default_clause(dialect, def, adding) {
        definition.push(' ');
        definition.push_str(&default);
    }
    if !def.field.optional {
        definition.push_str(" not null");
    }
    definition
}

/// Whether adding the column to a table with rows would leave them without a value: required,
/// and no database default to backfill from.
pub(crate) fn needs_backfill(dialect: Dialect, def: &FieldDef) -> bool {
    !def.field.optional && default_clause(dialect, def, true).is_none()
}

/// `create table` for `user` or `session` with the fields: the core DDL with their columns
/// appended, as Better-Auth appends `additionalFields`.
pub(crate) fn create_table(dialect: Dialect, core_ddl: &'static str, fields: &FieldSet) -> SqlStr {
    if fields.is_empty() {
        return SqlStr::from_static(core_ddl);
    }
    let body = core_ddl
        .strip_suffix(')')
        .expect("a create table statement ends with its column list");
    let extra: String = fields
        .iter()
        .map(|def| format!(", {}", column_definition(dialect, def, false)))
        .collect();
    sql(format!("{body}{extra})"))
}

/// `alter table <table> add column ...` for one field.
pub(crate) fn add_column(dialect: Dialect, table: &'static str, def: &FieldDef) -> SqlStr {
    sql(format!(
        "alter table {} add column {}",
        quoted_for(dialect, table),
        column_definition(dialect, def, true)
    ))
}

/// The columns of a legacy user table to read (`None`: not there, read as NULL).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LegacyColumns<'a> {
    pub(crate) id: &'a str,
    pub(crate) email: &'a str,
    pub(crate) name: Option<&'a str>,
    pub(crate) password: Option<&'a str>,
    pub(crate) created_at: Option<&'a str>,
}

/// `select` of a legacy table's id, email, name, password hash and creation time, each cast to
/// text, in a stable order; `None` when a name is not a plain identifier (letters, digits,
/// `_`, not starting with a digit), which is all this accepts.
pub(crate) fn legacy_select(
    dialect: Dialect,
    table: &str,
    columns: LegacyColumns<'_>,
) -> Option<SqlStr> {
    let names = [
        Some(columns.id),
        Some(columns.email),
        columns.name,
        columns.password,
        columns.created_at,
    ];
    if !is_identifier(table) || names.iter().flatten().any(|n| !is_identifier(n)) {
        return None;
    }
    let text = match dialect {
        Dialect::MySql => "char",
        Dialect::Postgres | Dialect::Sqlite => "text",
    };
    let list: Vec<String> = names
        .iter()
        .map(|name| match name {
            Some(name) => format!("cast({} as {text})", quoted_for(dialect, name)),
            None => format!("cast(null as {text})"),
        })
        .collect();
    Some(sql(format!(
        "select {} from {} order by {}",
        list.join(", "),
        quoted_for(dialect, table),
        quoted_for(dialect, columns.id)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{Field, Table};

    fn af_user() -> FieldSet {
        FieldSet::check(
            Table::User,
            &[
                ("role".into(), Field::string().default("user")),
                ("age".into(), Field::number().optional()),
                ("newsletter".into(), Field::boolean().default(false)),
                ("birthday".into(), Field::date().optional()),
            ],
        )
        .unwrap()
    }

    fn af_session() -> FieldSet {
        FieldSet::check(
            Table::Session,
            &[("device".into(), Field::string().optional())],
        )
        .unwrap()
    }

    #[test]
    fn statements_list_the_fields_in_order() {
        let sql = RowStatements::new(Dialect::Postgres, &af_user(), &af_session());
        assert_eq!(
            sql.insert_user.as_str(),
            r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "role", "age", "newsletter", "birthday") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"#
        );
        assert!(sql.session_with_user.as_str().contains(
            r#"u."updatedAt" as "userUpdatedAt", u."role", u."age", u."newsletter", u."birthday", s."device" from"#
        ));
        assert!(sql.update_session.as_str().ends_with(
            r#""device" = case when $3 then $4 else "device" end, "updatedAt" = $5 where "token" = $6"#
        ));
        let mysql = RowStatements::new(Dialect::MySql, &af_user(), &af_session());
        assert!(mysql.update_user.as_str().ends_with(
            "`birthday` = case when ? then ? else `birthday` end, `updatedAt` = ? where `id` = ?"
        ));
        // Without fields, the statements are the core ones.
        let bare = RowStatements::new(Dialect::Sqlite, &FieldSet::default(), &FieldSet::default());
        assert_eq!(
            bare.insert_session.as_str(),
            r#"insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId") values ($1, $2, $3, $4, $5, $6, $7, $8)"#
        );
    }

    /// Better-Auth 1.7.25's `compileMigrations()` for the spec's configuration, adding the
    /// columns to existing tables (`recordings/ddl/*-af-existing-*.txt`).
    #[test]
    fn add_column_ddl_matches_better_auth() {
        let expected = [
            (
                Dialect::Sqlite,
                [
                    r#"alter table "user" add column "role" text default 'user' not null"#,
                    r#"alter table "user" add column "age" integer"#,
                    r#"alter table "user" add column "newsletter" integer default 0 not null"#,
                    r#"alter table "user" add column "birthday" date"#,
                    r#"alter table "session" add column "device" text"#,
                ],
            ),
            (
                Dialect::Postgres,
                [
                    r#"alter table "user" add column "role" text default 'user' not null"#,
                    r#"alter table "user" add column "age" integer"#,
                    r#"alter table "user" add column "newsletter" boolean default false not null"#,
                    r#"alter table "user" add column "birthday" timestamptz"#,
                    r#"alter table "session" add column "device" text"#,
                ],
            ),
            (
                Dialect::MySql,
                [
                    "alter table `user` add column `role` text default 'user' not null",
                    "alter table `user` add column `age` integer",
                    "alter table `user` add column `newsletter` boolean default false not null",
                    "alter table `user` add column `birthday` timestamp(3)",
                    "alter table `session` add column `device` text",
                ],
            ),
        ];
        for (dialect, statements) in expected {
            let ours: Vec<String> = af_user()
                .iter()
                .map(|def| add_column(dialect, "user", def).as_str().to_owned())
                .chain(
                    af_session()
                        .iter()
                        .map(|def| add_column(dialect, "session", def).as_str().to_owned()),
                )
                .collect();
            assert_eq!(ours, statements, "{dialect}");
        }
        let seen_at = FieldSet::check(
            Table::User,
            &[(
                "seenAt".into(),
                Field::date().default_with(|| "2026-01-01".into()),
            )],
        )
        .unwrap();
        let def = seen_at.iter().next().unwrap();
        assert_eq!(
            add_column(Dialect::Postgres, "user", def).as_str(),
            r#"alter table "user" add column "seenAt" timestamptz default CURRENT_TIMESTAMP not null"#
        );
        assert!(needs_backfill(Dialect::Sqlite, def));
        assert!(!needs_backfill(Dialect::MySql, def));
    }
}

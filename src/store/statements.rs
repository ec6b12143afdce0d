//! Every statement authgate sends, written once in the form PostgreSQL and SQLite share
//! (`"quoted"` identifiers, `$n` parameters) and rendered for MySQL (`` `quoted` ``, `?`). A
//! statement MySQL cannot express that way (no `RETURNING`, no `ON CONFLICT`) carries its own
//! MySQL text beside the portable one.
//!
//! Table and column names are Better-Auth's. Values are always bound, never spliced.

use std::sync::LazyLock;

use super::Dialect;

macro_rules! statements {
    ($($(#[$doc:meta])* $name:ident = $sql:literal $(, mysql = $mysql:literal)?;)*) => {
        /// The statements rendered for one dialect.
        pub(crate) struct Statements {
            $($(#[$doc])* pub(crate) $name: String,)*
        }

        impl Statements {
            fn render(dialect: Dialect) -> Self {
                Self { $($name: statements!(@pick dialect, $sql $(, $mysql)?),)* }
            }
        }

        #[cfg(test)]
        const PORTABLE: &[(&str, &str)] = &[$((stringify!($name), $sql),)*];
    };
    (@pick $dialect:ident, $sql:literal) => {
        render($dialect, $sql)
    };
    (@pick $dialect:ident, $sql:literal, $mysql:literal) => {
        if $dialect == Dialect::MySql {
            $mysql.to_owned()
        } else {
            render($dialect, $sql)
        }
    };
}

statements! {
    // The statements that read or write whole `user` and `session` rows list the configured
    // additional fields, so they are built per configuration in `dynamic_sql.rs`.
    delete_session = r#"delete from "session" where "token" = $1"#;
    delete_session_of_user = r#"delete from "session" where "token" = $1 and "userId" = $2"#;
    delete_user_sessions = r#"delete from "session" where "userId" = $1"#;
    delete_other_sessions = r#"delete from "session" where "userId" = $1 and "token" <> $2"#;

    /// An account row; the email/password one Better-Auth creates beside each user has
    /// `providerId` `credential` and `accountId` the user id.
    insert_account = r#"insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") values ($1, $2, $3, $4, $5, $6, $7)"#;

    credential_password = r#"select "password" from "account" where "userId" = $1 and "providerId" = 'credential'"#;
    update_password = r#"update "account" set "password" = $1, "updatedAt" = $2 where "userId" = $3 and "providerId" = 'credential'"#;
    delete_user_accounts = r#"delete from "account" where "userId" = $1"#;
    delete_user = r#"delete from "user" where "id" = $1"#;
    /// The credential account of a user (for the account hooks).
    credential_account = r#"select "id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt" from "account" where "userId" = $1 and "providerId" = 'credential'"#;
    /// Every account of a user (for the account hooks of delete-user).
    user_accounts = r#"select "id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt" from "account" where "userId" = $1"#;
    /// Whether `user` / `session` hold rows (`migrate` refuses to add a required column
    /// without a default to a populated table).
    user_has_rows = r#"select 1 from "user" limit 1"#;
    session_has_rows = r#"select 1 from "session" limit 1"#;

    /// The health check's short-lived `verification` row: written, read back by id, deleted.
    health_insert = r#"insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") values ($1, $2, $3, $4, $5, $6)"#;
    health_read = r#"select "identifier" from "verification" where "id" = $1"#;
    health_delete = r#"delete from "verification" where "id" = $1"#;
    /// Sessions that have not expired at $1.
    count_active_sessions = r#"select count(*) from "session" where "expiresAt" > $1"#;
    /// One batch of the cleanup: expired sessions / verification rows (before $1), at most
    /// 1000 per statement so that no delete holds locks for long. MySQL cannot select from the
    /// table it deletes from, but has `delete ... limit`.
    cleanup_sessions = r#"delete from "session" where "id" in (select "id" from "session" where "expiresAt" < $1 limit 1000)"#,
        mysql = "delete from `session` where `expiresAt` < ? limit 1000";
    cleanup_verifications = r#"delete from "verification" where "id" in (select "id" from "verification" where "expiresAt" < $1 limit 1000)"#,
        mysql = "delete from `verification` where `expiresAt` < ? limit 1000";

    /// Counts one request in Better-Auth's `rateLimit` table, applying its rule in SQL: a new
    /// window when the last allowed request ($3 = now) is a window ($4) old, or the clock went
    /// back more than a window before it; else one more request, capped at `max + 1` ($5 =
    /// max), which marks "blocked" (a blocked request leaves `lastRequest` alone). MySQL has no
    /// `RETURNING` and evaluates `ON DUPLICATE KEY UPDATE` assignments left to right, so its
    /// form binds now, window and max where each appears, and reads the row back afterwards
    /// (`rate_limit_read`, in the same transaction).
    rate_limit_upsert = r#"insert into "rateLimit" ("id", "key", "count", "lastRequest") values ($1, $2, 1, $3) on conflict ("key") do update set "count" = case when $3 - "rateLimit"."lastRequest" >= $4 or "rateLimit"."lastRequest" - $3 > $4 then 1 when "rateLimit"."count" >= $5 then $5 + 1 else "rateLimit"."count" + 1 end, "lastRequest" = case when $3 - "rateLimit"."lastRequest" < $4 and "rateLimit"."lastRequest" - $3 <= $4 and "rateLimit"."count" >= $5 then "rateLimit"."lastRequest" else $3 end returning "count", "lastRequest""#,
        mysql = "insert into `rateLimit` (`id`, `key`, `count`, `lastRequest`) values (?, ?, 1, ?) on duplicate key update `count` = if(? - `lastRequest` >= ? or `lastRequest` - ? > ?, 1, if(`count` >= ?, ? + 1, `count` + 1)), `lastRequest` = if(`count` > ?, `lastRequest`, ?)";
    /// Better-Auth's three indexes (`migrate`).
    create_session_user_index = r#"create index "session_userId_idx" on "session" ("userId")"#;
    create_account_user_index = r#"create index "account_userId_idx" on "account" ("userId")"#;
    create_verification_identifier_index = r#"create index "verification_identifier_idx" on "verification" ("identifier")"#;

    /// The counter after MySQL's upsert (the other dialects read it from `RETURNING`).
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    rate_limit_read = r#"select "count", "lastRequest" from "rateLimit" where "key" = $1"#;
    rate_limit_forget = r#"delete from "rateLimit" where "key" = $1"#;
    /// Drops counters idle since before $1.
    rate_limit_prune = r#"delete from "rateLimit" where "lastRequest" < $1"#;

    /// A token row (`verification`: reset and delete-account tokens).
    insert_verification = r#"insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") values ($1, $2, $3, $4, $5, $6)"#;
    /// The rows of an identifier (the newest first).
    verification_by_identifier = r#"select "id", "value", "expiresAt" from "verification" where "identifier" = $1 order by "createdAt" desc"#;
    /// Consumes one row: the affected-row count says whether this caller got it.
    delete_verification = r#"delete from "verification" where "id" = $1"#;
    /// Every token row of a user (reset and delete-account links), voided by a new password.
    delete_user_verifications = r#"delete from "verification" where "value" = $1"#;
    /// Expired rows (the opportunistic clean-up).
    delete_expired_verifications = r#"delete from "verification" where "expiresAt" < $1"#;
}

#[cfg(feature = "postgres")]
pub(crate) static POSTGRES: LazyLock<Statements> =
    LazyLock::new(|| Statements::render(Dialect::Postgres));
#[cfg(feature = "sqlite")]
pub(crate) static SQLITE: LazyLock<Statements> =
    LazyLock::new(|| Statements::render(Dialect::Sqlite));
#[cfg(feature = "mysql")]
pub(crate) static MYSQL: LazyLock<Statements> =
    LazyLock::new(|| Statements::render(Dialect::MySql));

pub(super) fn render(dialect: Dialect, sql: &str) -> String {
    match dialect {
        // sqlx binds SQLite's `$n` by number, like PostgreSQL.
        Dialect::Postgres | Dialect::Sqlite => sql.to_owned(),
        Dialect::MySql => render_mysql(sql),
    }
}

/// Backquotes for identifiers and `?` for parameters. MySQL binds `?` by position, so the
/// portable form must number its parameters in order of appearance, each used once.
fn render_mysql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut next_parameter = 1;
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push('`'),
            '$' => {
                let mut n = 0;
                while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
                    n = n * 10 + digit;
                    chars.next();
                }
                assert_eq!(
                    n, next_parameter,
                    "parameters must appear in order, once each: {sql}"
                );
                next_parameter += 1;
                out.push('?');
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_renders_for_every_dialect() {
        for dialect in [Dialect::Postgres, Dialect::Sqlite, Dialect::MySql] {
            let _ = Statements::render(dialect);
        }
        for (name, sql) in PORTABLE {
            assert!(
                !sql.contains('`') && !sql.contains('?'),
                "{name} is not in portable form"
            );
        }
    }

    #[test]
    fn mysql_rendering() {
        assert_eq!(
            render_mysql(r#"delete from "session" where "token" = $1 and "userId" = $2"#),
            "delete from `session` where `token` = ? and `userId` = ?"
        );
    }

    #[test]
    #[should_panic(expected = "in order")]
    fn mysql_rendering_refuses_reordered_parameters() {
        render_mysql("select $2, $1");
    }
}

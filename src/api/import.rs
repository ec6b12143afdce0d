//! Importing users from another system's table into Better-Auth's `user` and credential
//! `account` rows (`accountId` = the user id, `providerId` = `credential`, the hash as it is:
//! bcrypt, argon2 or Better-Auth's scrypt; the first successful sign-in re-hashes the first two
//! to scrypt).
//!
//! Everything is checked before anything is written: duplicate e-mails (case-insensitively),
//! e-mails or ids already taken by other users, invalid e-mails and unreadable hashes refuse the
//! whole import with a report. Users already imported (same id and e-mail) are skipped, so a
//! second run changes nothing and an interrupted one resumes. Database hooks do not run for
//! imported rows.

use std::collections::HashMap;
use std::fmt;

use super::email_address;
use crate::core::Core;
use crate::crypto::legacy::HashFormat;
use crate::error::AuthError;
use crate::fields::{Fields, input};
use crate::model::{Account, User};
use crate::store::{LegacyColumns, LegacyRow};
use crate::timestamp;

/// Where the users to import are: a table of the same database and its column names.
///
/// # Examples
/// ```
/// let import = authgate::api::ImportUsers::new("users")
///     .email_column("mail")
///     .password_column("password_hash")
///     .created_at_column("created");
/// assert!(format!("{import:?}").contains("password_hash"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImportUsers {
    table: String,
    id: String,
    email: String,
    name: Option<String>,
    password: Option<String>,
    created_at: Option<String>,
    dry_run: bool,
}

impl ImportUsers {
    /// The table `table`, with the columns `id`, `email`, `name` and `password` (the hash); no
    /// creation time (the import's time is used).
    pub fn new(table: impl Into<String>) -> Self {
        Self {
            table: table.into(),
            id: "id".into(),
            email: "email".into(),
            name: Some("name".into()),
            password: Some("password".into()),
            created_at: None,
            dry_run: false,
        }
    }

    /// The column holding the user id (kept as the Better-Auth user id).
    pub fn id_column(mut self, column: impl Into<String>) -> Self {
        self.id = column.into();
        self
    }

    /// The column holding the e-mail address.
    pub fn email_column(mut self, column: impl Into<String>) -> Self {
        self.email = column.into();
        self
    }

    /// The column holding the display name (`""` for users without one).
    pub fn name_column(mut self, column: impl Into<String>) -> Self {
        self.name = Some(column.into());
        self
    }

    /// No name column: every name is `""`.
    pub fn no_name_column(mut self) -> Self {
        self.name = None;
        self
    }

    /// The column holding the password hash (bcrypt, argon2 or Better-Auth scrypt; users
    /// without one are imported without a credential account).
    pub fn password_column(mut self, column: impl Into<String>) -> Self {
        self.password = Some(column.into());
        self
    }

    /// The column holding the creation time (ISO 8601 or epoch milliseconds as text).
    pub fn created_at_column(mut self, column: impl Into<String>) -> Self {
        self.created_at = Some(column.into());
        self
    }

    /// Checks and counts everything, writes nothing.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }
}

/// What an import found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportReport {
    /// Rows read from the table.
    pub read: u64,
    /// Users written (or, for a dry run, that would be).
    pub imported: u64,
    /// Users already there with the same id and e-mail: skipped.
    pub already_present: u64,
    /// Imported users without a password hash (no credential account; they set one through a
    /// password reset).
    pub without_password: u64,
    /// Why the import was refused, one line per problem (empty when it was not).
    pub refused: Vec<String>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} read, {} imported, {} already present, {} without a password",
            self.read, self.imported, self.already_present, self.without_password
        )?;
        for line in &self.refused {
            write!(f, "\n  refused: {line}")?;
        }
        Ok(())
    }
}

/// Why an import did not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Problems in the data; nothing was written. The report lists them.
    #[error("the import was refused and nothing was written:\n{0}")]
    Refused(ImportReport),
    /// A table or column name is not a plain identifier (letters, digits, `_`).
    #[error("{0:?} is not a plain table or column name (letters, digits and `_` only)")]
    InvalidName(String),
    /// The database failed.
    #[error("{0}")]
    Failed(#[from] AuthError),
}

/// A row that passed the checks.
struct Checked {
    row: LegacyRow,
    id: String,
    email: String,
}

/// Imports the users of `spec`; `progress` hears `(done, total)` after each user written.
pub(crate) async fn import_users(
    core: &Core,
    spec: &ImportUsers,
    mut progress: impl FnMut(u64, u64),
) -> Result<ImportReport, ImportError> {
    let columns = LegacyColumns {
        id: &spec.id,
        email: &spec.email,
        name: spec.name.as_deref(),
        password: spec.password.as_deref(),
        created_at: spec.created_at.as_deref(),
    };
    let rows = core
        .database
        .legacy_rows(&spec.table, columns)
        .await
        .map_err(AuthError::from)?
        .ok_or_else(|| ImportError::InvalidName(first_bad_name(spec)))?;

    let mut report = ImportReport {
        read: rows.len() as u64,
        ..ImportReport::default()
    };
    let mut by_email: HashMap<String, Vec<String>> = HashMap::new();
    let mut checked = Vec::new();
    for row in rows {
        let id = row.id.clone().unwrap_or_default().trim().to_owned();
        let raw_email = row.email.clone().unwrap_or_default();
        let email = email_address::normalize(raw_email.trim());
        if id.is_empty() {
            report
                .refused
                .push(format!("a row with e-mail {raw_email:?} has no id"));
            continue;
        }
        if !email_address::is_email(&email) {
            report
                .refused
                .push(format!("user {id}: {raw_email:?} is not an e-mail address"));
            continue;
        }
        if let Some(hash) = row.password.as_deref().filter(|h| !h.is_empty())
            && !is_readable_hash(hash)
        {
            report.refused.push(format!(
                "user {id}: the password hash is neither bcrypt, argon2 nor Better-Auth scrypt"
            ));
        }
        by_email
            .entry(email.to_lowercase())
            .or_default()
            .push(id.clone());
        checked.push(Checked { row, id, email });
    }
    let mut duplicates: Vec<_> = by_email.iter().filter(|(_, ids)| ids.len() > 1).collect();
    duplicates.sort();
    for (email, ids) in duplicates {
        report.refused.push(format!(
            "{email} appears {} times (ids {}); e-mails are unique ignoring case",
            ids.len(),
            ids.join(", ")
        ));
    }

    let mut to_write = Vec::new();
    for user in checked {
        let by_email = core
            .database
            .user_by_email(&user.email)
            .await
            .map_err(AuthError::from)?;
        let by_id = core
            .database
            .user_by_id(&user.id)
            .await
            .map_err(AuthError::from)?;
        match (by_email, by_id) {
            (Some(existing), _) if existing.user.id == user.id => report.already_present += 1,
            (Some(existing), _) => report.refused.push(format!(
                "user {}: {} already belongs to user {}",
                user.id, user.email, existing.user.id
            )),
            (None, Some(existing)) => report.refused.push(format!(
                "user {}: the id already belongs to {}",
                user.id, existing.email
            )),
            (None, None) => to_write.push(user),
        }
    }
    if !report.refused.is_empty() {
        return Err(ImportError::Refused(report));
    }

    let total = to_write.len() as u64;
    for (done, user) in to_write.into_iter().enumerate() {
        let hash = user.row.password.clone().filter(|h| !h.is_empty());
        if hash.is_none() {
            report.without_password += 1;
        }
        if !spec.dry_run {
            write_user(core, user, hash).await?;
        }
        report.imported += 1;
        progress(done as u64 + 1, total);
    }
    Ok(report)
}

fn first_bad_name(spec: &ImportUsers) -> String {
    let names = [
        Some(&spec.table),
        Some(&spec.id),
        Some(&spec.email),
        spec.name.as_ref(),
        spec.password.as_ref(),
        spec.created_at.as_ref(),
    ];
    names
        .into_iter()
        .flatten()
        .find(|n| !crate::fields::is_identifier(n))
        .cloned()
        .unwrap_or_default()
}

/// bcrypt and argon2 by their prefixes; Better-Auth's scrypt as `hexsalt:hexkey`.
fn is_readable_hash(hash: &str) -> bool {
    match HashFormat::of(hash) {
        HashFormat::Bcrypt | HashFormat::Argon2 => true,
        HashFormat::Scrypt => hash.split_once(':').is_some_and(|(salt, key)| {
            !salt.is_empty() && key.len() == 128 && key.bytes().all(|b| b.is_ascii_hexdigit())
        }),
    }
}

async fn write_user(core: &Core, user: Checked, hash: Option<String>) -> Result<(), ImportError> {
    let now = timestamp::now();
    let created_at = user
        .row
        .created_at
        .as_deref()
        .and_then(parse_created_at)
        .unwrap_or(now);
    let fields = input::complete_row(&core.config.user_fields, "user", &Fields::default())?;
    let record = User {
        id: user.id.clone(),
        name: user.row.name.clone().unwrap_or_default(),
        email: user.email,
        email_verified: false,
        image: None,
        created_at,
        updated_at: now,
        fields,
    };
    let account = hash.map(|hash| Account::credential(&user.id, hash, now));
    core.database
        .import_user(&record, account.as_ref())
        .await
        .map_err(AuthError::from)?;
    Ok(())
}

/// ISO 8601 (with `T` or a space, as databases print it) or epoch milliseconds.
fn parse_created_at(text: &str) -> Option<time::OffsetDateTime> {
    let text = text.trim();
    // PostgreSQL prints a timestamptz as text with a bare hour offset: `... 10:00:00+00`.
    let with_minutes = format!("{}:00", text.replacen(' ', "T", 1));
    timestamp::parse_lenient(text).or_else(|| timestamp::parse_lenient(&with_minutes))
}

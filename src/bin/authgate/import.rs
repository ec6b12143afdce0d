//! `authgate import-users`: another system's user table into Better-Auth's rows.

use std::process::ExitCode;

use authgate::api::{ImportError, ImportUsers};

use super::{DatabaseArgs, Failure, connect_for_maintenance, progress::Progress};

/// Imports users from a table of the same database: Better-Auth `user` rows and credential
/// `account` rows (accountId = user id), keeping bcrypt ($2a$/$2b$/$2y$), argon2 ($argon2id$...)
/// and Better-Auth scrypt hashes, re-hashed to scrypt on each user's first sign-in. Duplicate
/// e-mails (ignoring case) or conflicts with existing users refuse the whole import with a
/// report, before anything is written. Users already imported are skipped: a second run
/// changes nothing, and an interrupted run resumes.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The table to read.
    #[arg(long)]
    table: String,
    /// The column holding the user id (kept as the Better-Auth user id).
    #[arg(long, default_value = "id")]
    id_column: String,
    /// The column holding the e-mail address.
    #[arg(long, default_value = "email")]
    email_column: String,
    /// The column holding the name ("" when the table has none: --name-column "").
    #[arg(long, default_value = "name")]
    name_column: String,
    /// The column holding the password hash.
    #[arg(long, default_value = "password")]
    password_column: String,
    /// The column holding the creation time (ISO 8601 or epoch milliseconds); without it, the
    /// import's time.
    #[arg(long)]
    created_at_column: Option<String>,
    /// Checks and counts everything, writes nothing.
    #[arg(long)]
    dry_run: bool,
}

pub(crate) async fn run(args: ImportArgs) -> Result<ExitCode, Failure> {
    let auth = connect_for_maintenance(&args.database.database_url).await?;
    let mut spec = ImportUsers::new(&args.table)
        .id_column(&args.id_column)
        .email_column(&args.email_column)
        .password_column(&args.password_column)
        .dry_run(args.dry_run);
    spec = if args.name_column.is_empty() {
        spec.no_name_column()
    } else {
        spec.name_column(&args.name_column)
    };
    if let Some(column) = &args.created_at_column {
        spec = spec.created_at_column(column);
    }
    let mut bar: Option<Progress> = None;
    let result = auth
        .import_users(&spec, |done, total| {
            let bar = bar.get_or_insert_with(|| Progress::new("import-users", Some(total)));
            bar.set(done, &format!("{done} of {total} users written"));
        })
        .await;
    if let Some(bar) = &bar {
        bar.finish();
    }
    match result {
        Ok(report) => {
            let verb = if args.dry_run {
                "would import"
            } else {
                "imported"
            };
            println!("{verb}: {report}");
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Refused(report)) => {
            println!("refused, nothing written: {report}");
            Ok(ExitCode::from(1))
        }
        Err(err) => Err(err.into()),
    }
}

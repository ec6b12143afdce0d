//! `authgate`: operations on an authgate / Better-Auth database from the command line, reading
//! the same environment variables as the library (`BETTER_AUTH_SECRETS`, `BETTER_AUTH_SECRET`,
//! `AUTH_SECRET`, `BETTER_AUTH_URL`, `AUTH_URL`) and `DATABASE_URL`.
//!
//! Exit codes: 0 success; 1 a check failed or a command could not do its work; 2 a usage error
//! (unknown command or option, missing argument).

mod check;
mod import;
mod progress;

use std::process::ExitCode;

use authgate::Auth;
use clap::{Parser, Subcommand};

/// Operations for authgate (Better-Auth compatible) deployments.
///
/// Reads BETTER_AUTH_SECRETS / BETTER_AUTH_SECRET / AUTH_SECRET, BETTER_AUTH_URL / AUTH_URL and
/// DATABASE_URL like the library. Exit codes: 0 ok, 1 check or command failed, 2 usage error.
#[derive(Debug, Parser)]
#[command(name = "authgate", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The database to work on.
#[derive(Debug, clap::Args)]
struct DatabaseArgs {
    /// The database URL (sqlite://app.db?mode=rwc, postgres://..., mysql://...).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks a deployment: secret present and strong (with fingerprints to compare across
    /// instances), base URL sane, cookies deliverable, database reachable and writable, tables,
    /// columns and indexes as Better-Auth 1.7.25 expects. Exits 1 when anything is wrong.
    Check {
        /// The database URL; without it (and without DATABASE_URL) the database checks fail.
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
    /// Creates the missing tables, columns and indexes (Better-Auth 1.7.25's DDL).
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Prints the SQL that would run, and runs nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Prints a new strong secret and its fingerprint.
    Secret,
    /// Lists or revokes a user's sessions.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Deletes expired sessions and verification rows (in batches of 1000).
    Cleanup {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Imports users from an existing table (bcrypt, argon2 or Better-Auth scrypt hashes),
    /// refusing duplicate e-mails before writing anything. Idempotent and resumable.
    ImportUsers(import::ImportArgs),
}

#[derive(Debug, Subcommand)]
enum SessionsCommand {
    /// Lists a user's sessions (ids, times, addresses; never tokens).
    List {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The user's e-mail address.
        #[arg(long)]
        user: String,
    },
    /// Revokes every session of a user.
    Revoke {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The user's e-mail address.
        #[arg(long)]
        user: String,
    },
}

/// A command's failure: printed as `error: ...`, exit code 1.
type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

async fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Check { database_url } => Ok(check::run(database_url.as_deref()).await),
        Command::Migrate { database, dry_run } => migrate(&database, dry_run).await,
        Command::Secret => {
            let secret = authgate::generate_secret();
            println!("{secret}");
            eprintln!(
                "fingerprint: {} (set the secret as BETTER_AUTH_SECRET on every instance)",
                authgate::secret_fingerprint(&secret)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Sessions { command } => sessions(command).await,
        Command::Cleanup { database } => cleanup(&database).await,
        Command::ImportUsers(args) => import::run(args).await,
    }
}

/// An `Auth` for commands that only touch the database: the environment's configuration when
/// it is complete, else one with a throw-away secret (nothing is signed with it).
async fn connect_for_maintenance(url: &str) -> Result<Auth, Failure> {
    let config = match Auth::builder().validate() {
        Ok(config) => config,
        Err(_) => Auth::builder()
            .environment(|_| None)
            .secret(authgate::generate_secret())
            .base_url("http://localhost")
            .validate()?,
    };
    Ok(config.connect(url).await?)
}

async fn migrate(database: &DatabaseArgs, dry_run: bool) -> Result<ExitCode, Failure> {
    let auth = connect_for_maintenance(&database.database_url).await?;
    let report = if dry_run {
        auth.migrate_dry_run().await?
    } else {
        auth.migrate().await?
    };
    if report.statements.is_empty() {
        eprintln!("the schema is up to date; nothing to do");
    }
    for statement in &report.statements {
        if dry_run {
            println!("{statement};");
        }
    }
    if !dry_run && !report.is_empty() {
        eprintln!(
            "created tables {:?}, indexes {:?}, columns {:?}",
            report.created_tables, report.created_indexes, report.added_columns
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn sessions(command: SessionsCommand) -> Result<ExitCode, Failure> {
    let (database, email, revoke) = match command {
        SessionsCommand::List { database, user } => (database, user, false),
        SessionsCommand::Revoke { database, user } => (database, user, true),
    };
    let auth = connect_for_maintenance(&database.database_url).await?;
    let Some(user) = auth.api().find_user_by_email(&email).await? else {
        return Err(format!("no user with the e-mail address {email:?}").into());
    };
    let sessions = auth.api().list_sessions(&user.id).await?;
    if revoke {
        auth.api().revoke_sessions(&user.id).await?;
        println!("revoked {} session(s) of {}", sessions.len(), user.email);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} session(s) of {} (user {})",
        sessions.len(),
        user.email,
        user.id
    );
    for session in sessions {
        println!(
            "{}  created {}  expires {}  ip {}  agent {}",
            session.id,
            session.created_at,
            session.expires_at,
            session.ip_address.as_deref().unwrap_or("-"),
            session.user_agent.as_deref().unwrap_or("-"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn cleanup(database: &DatabaseArgs) -> Result<ExitCode, Failure> {
    let auth = connect_for_maintenance(&database.database_url).await?;
    let bar = progress::Progress::new("cleanup", None);
    let report = auth
        .cleanup_expired_with_progress(|so_far| {
            bar.set(
                so_far.sessions + so_far.verifications,
                &format!(
                    "{} sessions, {} verification rows deleted",
                    so_far.sessions, so_far.verifications
                ),
            );
        })
        .await?;
    bar.finish();
    println!(
        "deleted {} expired session(s) and {} expired verification row(s)",
        report.sessions, report.verifications
    );
    Ok(ExitCode::SUCCESS)
}

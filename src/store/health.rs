//! The health check that proves persistence: a short-lived `verification` row written, read
//! back and deleted, and the active sessions counted; a failure is classified into the part
//! an operator has to fix (unreachable, read-only, schema, credentials), never shown as the
//! driver's message (which may carry a user name or a statement).

use super::sqlx;
use std::fmt;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Database, DbTime, Store, StoreError};
use crate::timestamp;

/// How long the probe row would live if its delete never ran: the cleanup removes leftovers.
const PROBE_LIFETIME: Duration = Duration::from_secs(60);

/// Which part of the database a failed health check points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HealthProblem {
    /// The server cannot be reached (refused, lost, timed out, pool closed).
    Unreachable,
    /// The database answers but refuses writes (read-only server, transaction or user).
    ReadOnly,
    /// A table or column authgate needs is missing.
    Schema,
    /// The server refused the user name or password.
    Credentials,
    /// Anything else the database refused.
    Error,
}

impl HealthProblem {
    /// The name in the JSON report: `unreachable`, `read_only`, `schema`, `credentials`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthProblem::Unreachable => "unreachable",
            HealthProblem::ReadOnly => "read_only",
            HealthProblem::Schema => "schema",
            HealthProblem::Credentials => "credentials",
            HealthProblem::Error => "error",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            HealthProblem::Unreachable => "the database cannot be reached",
            HealthProblem::ReadOnly => "the database accepts no writes (read-only)",
            HealthProblem::Schema => "a table or column is missing: run `authgate migrate`",
            HealthProblem::Credentials => "the database refused the credentials",
            HealthProblem::Error => "the database refused the health check's statements",
        }
    }
}

impl fmt::Display for HealthProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The database part of a [`HealthReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DatabaseHealth {
    /// `ok`, or the failing part ([`HealthProblem::as_str`]).
    pub status: &'static str,
    /// How long the write, read and delete took, in milliseconds.
    #[serde(rename = "latencyMs")]
    pub latency_ms: u64,
    /// What is wrong, for an operator (no credentials, no driver message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The session part of a [`HealthReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SessionsHealth {
    /// Sessions that have not expired.
    pub active: u64,
}

/// What [`Auth::health`](crate::Auth::health) found, serialised as the health endpoint's body:
/// `{"status":"ok","database":{"status":"ok","latencyMs":3},"sessions":{"active":12}}`, or
/// `{"status":"unavailable","database":{"status":"schema","latencyMs":2,"message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HealthReport {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// The database check.
    pub database: DatabaseHealth,
    /// The sessions, when the database answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionsHealth>,
    #[serde(skip)]
    problem: Option<HealthProblem>,
}

impl HealthReport {
    /// Whether every check passed.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }

    /// The failing part, if any.
    pub fn problem(&self) -> Option<HealthProblem> {
        self.problem
    }

    /// The number of active sessions, when the check passed.
    pub fn active_sessions(&self) -> Option<u64> {
        self.sessions.as_ref().map(|s| s.active)
    }

    fn ok(latency: Duration, active: u64) -> Self {
        Self {
            status: "ok",
            database: DatabaseHealth {
                status: "ok",
                latency_ms: millis(latency),
                message: None,
            },
            sessions: Some(SessionsHealth { active }),
            problem: None,
        }
    }

    pub(crate) fn failed(problem: HealthProblem, latency: Duration, message: String) -> Self {
        Self {
            status: "unavailable",
            database: DatabaseHealth {
                status: problem.as_str(),
                latency_ms: millis(latency),
                message: Some(message),
            },
            sessions: None,
            problem: Some(problem),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Runs the probe through the store's circuit: while the database is known unreachable the
/// answer is at once "unreachable", without waiting for a connection.
pub(crate) async fn check(store: &Store) -> HealthReport {
    let started = Instant::now();
    let db = store.database();
    // The probe's own failure, classified before it becomes a StoreError (which hides the
    // driver's error); None when the circuit refused or no connection came in time.
    let mut probe_problem = None;
    let outcome = store
        .guard(async {
            probe(db).await.map_err(|err| {
                probe_problem = Some(classify(&err));
                StoreError::from(err)
            })
        })
        .await;
    // A failure before the probe ran (no connection came) is classified from the driver's
    // error the store kept: refused credentials are not an outage.
    let problem = match (&outcome, probe_problem) {
        (_, Some(problem)) => problem,
        (Err(err), None) => err
            .driver_error()
            .map_or(HealthProblem::Unreachable, classify),
        (Ok(_), None) => HealthProblem::Unreachable,
    };
    report(db, started, outcome, problem).await
}

/// Runs the probe on a pool alone, without a circuit (`Database::health`).
async fn check_pool(db: &Database) -> HealthReport {
    let started = Instant::now();
    let mut probe_problem = HealthProblem::Unreachable;
    let outcome = probe(db).await.map_err(|err| {
        probe_problem = classify(&err);
        StoreError::from(err)
    });
    report(db, started, outcome, probe_problem).await
}

/// The report of one probe. A schema failure is followed by a look at the catalogue, to name
/// the missing table or column.
async fn report(
    db: &Database,
    started: Instant,
    outcome: Result<u64, StoreError>,
    problem: HealthProblem,
) -> HealthReport {
    match outcome {
        Ok(active) => {
            crate::telemetry::active_sessions(active);
            HealthReport::ok(started.elapsed(), active)
        }
        Err(err) => {
            let latency = started.elapsed();
            let mut message = problem.advice().to_owned();
            if problem == HealthProblem::Schema
                && let Ok(report) = super::inspect::inspect(db).await
                && !report.is_usable()
            {
                message = format!("{report}: run `authgate migrate`");
            }
            tracing::warn!(part = problem.as_str(), error = %err, "authgate health check failed");
            HealthReport::failed(problem, latency, message)
        }
    }
}

async fn probe(db: &Database) -> Result<u64, sqlx::Error> {
    let id = crate::crypto::token::new_id();
    let identifier = format!("authgate-health:{id}");
    let now = timestamp::now();
    let expires = DbTime(timestamp::add(now, PROBE_LIFETIME));
    let now = DbTime(now);
    dispatch!(db, |pool, sql| {
        sqlx::query(sql.health_insert.as_str())
            .bind(&id)
            .bind(&identifier)
            .bind("")
            .bind(expires)
            .bind(now)
            .bind(now)
            .execute(pool)
            .await?;
        let read: Option<String> = sqlx::query_scalar(sql.health_read.as_str())
            .bind(&id)
            .fetch_optional(pool)
            .await?;
        sqlx::query(sql.health_delete.as_str())
            .bind(&id)
            .execute(pool)
            .await?;
        if read.as_deref() != Some(identifier.as_str()) {
            return Err(sqlx::Error::RowNotFound);
        }
        let active: i64 = sqlx::query_scalar(sql.count_active_sessions.as_str())
            .bind(now)
            .fetch_one(pool)
            .await?;
        Ok(u64::try_from(active).unwrap_or(0))
    })
}

/// The part a driver error points at.
pub(crate) fn classify(err: &sqlx::Error) -> HealthProblem {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => HealthProblem::Unreachable,
        sqlx::Error::Database(db) => classify_database(db.as_ref()),
        _ => HealthProblem::Error,
    }
}

fn classify_database(db: &(dyn sqlx::error::DatabaseError + 'static)) -> HealthProblem {
    #[cfg(feature = "postgres")]
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let code = pg.code();
        return match code {
            // read_only_sql_transaction; insufficient_privilege (a user without write rights)
            "25006" | "42501" => HealthProblem::ReadOnly,
            // undefined_table, undefined_column, invalid_schema_name, invalid_catalog_name
            "42P01" | "42703" | "3F000" | "3D000" => HealthProblem::Schema,
            // invalid_password, invalid_authorization_specification
            "28P01" | "28000" => HealthProblem::Credentials,
            _ if code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") => {
                HealthProblem::Unreachable
            }
            _ => HealthProblem::Error,
        };
    }
    #[cfg(feature = "mysql")]
    if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return match my.number() {
            // the server's --read-only, a read-only transaction, a command denied to the user
            1290 | 1792 | 1142 | 1836 => HealthProblem::ReadOnly,
            // no such table, no such column, unknown database
            1146 | 1054 | 1049 => HealthProblem::Schema,
            // access denied (user or password, or to the database); a locked account
            1045 | 1044 | 1698 | 3118 | 4151 => HealthProblem::Credentials,
            1040 | 1053 | 1205 | 2002 | 2003 | 2006 | 2013 => HealthProblem::Unreachable,
            _ => HealthProblem::Error,
        };
    }
    #[cfg(feature = "sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        let code = db.code().and_then(|c| c.parse::<u32>().ok()).unwrap_or(0);
        return match code & 0xff {
            8 => HealthProblem::ReadOnly,
            5 | 6 | 10 | 13 | 14 => HealthProblem::Unreachable,
            // SQLITE_ERROR: the message is the only way to tell a missing table or column.
            1 if db.message().contains("no such table")
                || db.message().contains("no such column")
                || db.message().contains("has no column") =>
            {
                HealthProblem::Schema
            }
            _ => HealthProblem::Error,
        };
    }
    let _ = db;
    HealthProblem::Error
}

impl Database {
    /// The sessions that have not expired (also the `authgate_active_sessions` gauge).
    pub(crate) async fn active_sessions(&self) -> Result<u64, super::StoreError> {
        let now = DbTime(timestamp::now());
        let active: i64 = dispatch!(self, |pool, sql| {
            sqlx::query_scalar(sql.count_active_sessions.as_str())
                .bind(now)
                .fetch_one(pool)
                .await?
        });
        let active = u64::try_from(active).unwrap_or(0);
        crate::telemetry::active_sessions(active);
        Ok(active)
    }

    /// The health check of [`Auth::health`](crate::Auth::health) on this pool alone (no
    /// configuration needed; `authgate check` uses it).
    pub async fn health(&self) -> HealthReport {
        check_pool(self).await
    }
}

impl Store {
    /// [`Database::active_sessions`], through the circuit.
    pub(crate) async fn active_sessions(&self) -> Result<u64, StoreError> {
        self.guard(self.database().active_sessions()).await
    }
}

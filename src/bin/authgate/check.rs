//! `authgate check`: every setting and the database, one line each, for CI/CD pipelines and
//! container start-up. Exit code 0 when everything passed, 1 otherwise.

use std::process::ExitCode;
use std::time::Duration;

use authgate::{Auth, AuthConfig, ConfigError, Database};

/// How long the database may take to answer before the check says it is unreachable.
const CONNECT_BOUND: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Report {
    failures: usize,
}

impl Report {
    fn ok(&mut self, what: &str, detail: impl std::fmt::Display) {
        println!("ok    {what}: {detail}");
    }

    fn fail(&mut self, what: &str, detail: impl std::fmt::Display) {
        self.failures += 1;
        println!("FAIL  {what}: {detail}");
    }
}

pub(crate) async fn run(database_url: Option<&str>) -> ExitCode {
    let mut report = Report::default();
    let config = configuration(&mut report);
    if let Some(config) = &config {
        urls_and_cookies(&mut report, config);
    }
    match database_url.filter(|url| !url.trim().is_empty()) {
        None => report.fail(
            "database",
            "no database URL: set DATABASE_URL or pass --database-url",
        ),
        Some(url) => database(&mut report, url).await,
    }
    if report.failures == 0 {
        println!("authgate check: everything passed");
        ExitCode::SUCCESS
    } else {
        println!("authgate check: {} problem(s)", report.failures);
        ExitCode::from(1)
    }
}

/// The secret and the rest of the configuration, as the library reads them. A bad secret is
/// reported on its own, and the rest is still checked (with a stand-in secret).
fn configuration(report: &mut Report) -> Option<AuthConfig> {
    match Auth::builder().validate() {
        Ok(config) => {
            let fingerprints = config.secret_fingerprints();
            report.ok(
                "secret",
                format_args!(
                    "{} secret(s), strong; fingerprints {} (the signing one first; every \
                     instance must show the same)",
                    fingerprints.len(),
                    fingerprints.join(", ")
                ),
            );
            Some(config)
        }
        Err(ConfigError::Secret(err)) => {
            report.fail("secret", err);
            let rest = Auth::builder()
                .secret(authgate::generate_secret())
                .validate();
            match rest {
                Ok(config) => Some(config),
                Err(err) => {
                    report.fail("configuration", err);
                    None
                }
            }
        }
        Err(err) => {
            report.fail("configuration", err);
            None
        }
    }
}

fn is_local(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "127.0.0.1"
        || host == "[::1]"
        || host.starts_with("127.")
}

fn urls_and_cookies(report: &mut Report, config: &AuthConfig) {
    let origin = config.base_origin();
    let https = origin.starts_with("https://");
    let parsed = url::Url::parse(origin).ok();
    let host = parsed
        .as_ref()
        .and_then(|url| url.host_str())
        .unwrap_or_default();
    if https || is_local(host) {
        report.ok("base URL", origin);
    } else {
        report.fail(
            "base URL",
            format_args!(
                "{origin} is plain http on a host that is not local: session cookies would travel \
                 unencrypted; set BETTER_AUTH_URL to the https:// origin the browser sees"
            ),
        );
    }
    let name = config.session_cookie_name();
    if config.secure_cookies() && !https && !is_local(host) {
        report.fail(
            "cookies",
            format_args!(
                "{name} is Secure but the base URL is http: browsers drop it; serve over https"
            ),
        );
    } else if !config.secure_cookies() && https {
        report.fail(
            "cookies",
            format_args!("{name} is not Secure on an https origin"),
        );
    } else {
        report.ok(
            "cookies",
            format_args!(
                "{name} ({}) will be stored and sent by browsers for {origin}",
                if config.secure_cookies() {
                    "Secure"
                } else {
                    "not Secure"
                }
            ),
        );
    }
}

async fn database(report: &mut Report, url: &str) {
    let db = match tokio::time::timeout(CONNECT_BOUND, Database::connect(url)).await {
        Ok(Ok(db)) => db,
        Ok(Err(err)) => {
            report.fail("database", format_args!("cannot connect: {err}"));
            return;
        }
        Err(_) => {
            report.fail(
                "database",
                format_args!("no answer within {} s", CONNECT_BOUND.as_secs()),
            );
            return;
        }
    };
    report.ok("database", format_args!("{} reachable", db.dialect()));
    match db.schema_report().await {
        Ok(schema) if schema.is_complete() => report.ok(
            "schema",
            "the tables, columns and indexes of Better-Auth 1.7.25",
        ),
        Ok(schema) => report.fail("schema", format_args!("{schema}: run `authgate migrate`")),
        Err(err) => report.fail("schema", format_args!("cannot read the catalogue: {err}")),
    }
    let health = db.health().await;
    match health.problem() {
        None => report.ok(
            "persistence",
            format_args!(
                "a verification row written, read and deleted in {} ms; {} active session(s)",
                health.database.latency_ms,
                health.active_sessions().unwrap_or(0)
            ),
        ),
        Some(problem) => report.fail(
            "persistence",
            format_args!(
                "{problem}: {}",
                health.database.message.as_deref().unwrap_or_default()
            ),
        ),
    }
    db.close().await;
}

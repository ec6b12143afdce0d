//! The `authgate` binary, run as a pipeline would run it: a clean environment with only the
//! variables each case sets. `check` exits 1 with a readable report when the secret is missing
//! or weak, the database is unreachable or its tables are missing, and 0 on a good set-up; the
//! other commands do their work.

#![cfg(feature = "cli")]

mod common;

use std::process::{Command, Output};

use common::{Backend, TEST_SECRET, TestDatabase};

const BIN: &str = env!("CARGO_BIN_EXE_authgate");

fn authgate(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    command.env_clear().args(args);
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A migrated SQLite test database and the environment of a good set-up on it.
async fn good_setup() -> (TestDatabase, Vec<(&'static str, String)>) {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let env = vec![
        ("BETTER_AUTH_SECRET", TEST_SECRET.to_owned()),
        ("BETTER_AUTH_URL", "https://app.example.com".to_owned()),
        ("DATABASE_URL", db.url.clone()),
    ];
    let migrated = authgate(&borrow(&env), &["migrate"]);
    assert!(migrated.status.success(), "{}", describe(&migrated));
    (db, env)
}

fn borrow<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn with<'a>(
    env: &'a [(&'static str, String)],
    name: &'static str,
    value: &'a str,
) -> Vec<(&'static str, &'a str)> {
    let mut env: Vec<_> = borrow(env)
        .into_iter()
        .filter(|(k, _)| *k != name)
        .collect();
    env.push((name, value));
    env
}

#[tokio::test]
async fn check_passes_on_a_good_setup() {
    let (_db, env) = good_setup().await;
    let output = authgate(&borrow(&env), &["check"]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = stdout(&output);
    assert!(!report.contains("FAIL"), "{report}");
    assert!(report.contains("persistence"), "{report}");
    // The fingerprint, never the secret.
    assert!(
        report.contains(&authgate::secret_fingerprint(TEST_SECRET)),
        "{report}"
    );
    assert!(!report.contains(TEST_SECRET), "{report}");
    assert!(
        report.contains("__Secure-better-auth.session_token"),
        "{report}"
    );
}

#[tokio::test]
async fn check_fails_without_a_secret() {
    let (_db, env) = good_setup().await;
    let env: Vec<_> = borrow(&env)
        .into_iter()
        .filter(|(k, _)| *k != "BETTER_AUTH_SECRET")
        .collect();
    let output = authgate(&env, &["check"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = stdout(&output);
    assert!(
        report.contains("FAIL  secret: no secret configured"),
        "{report}"
    );
    // The rest is still checked.
    assert!(report.contains("ok    schema"), "{report}");
}

#[tokio::test]
async fn check_fails_with_a_weak_secret() {
    let (_db, env) = good_setup().await;
    let output = authgate(
        &with(&env, "BETTER_AUTH_SECRET", "short-secret"),
        &["check"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = stdout(&output);
    assert!(
        report.contains("FAIL  secret: BETTER_AUTH_SECRET"),
        "{report}"
    );
    assert!(!report.contains("short-secret"), "{report}");
}

#[tokio::test]
async fn check_fails_when_the_database_is_unreachable() {
    let (_db, env) = good_setup().await;
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://authgate@127.0.0.1:{port}/authgate");
    let output = authgate(&with(&env, "DATABASE_URL", &url), &["check"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = stdout(&output);
    assert!(
        report.contains("FAIL  database: cannot connect"),
        "{report}"
    );
}

#[tokio::test]
async fn check_fails_when_tables_are_missing() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let env = [
        ("BETTER_AUTH_SECRET", TEST_SECRET),
        ("BETTER_AUTH_URL", "http://localhost:3000"),
        ("DATABASE_URL", db.url.as_str()),
    ];
    let output = authgate(&env, &["check"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = stdout(&output);
    assert!(
        report.contains("FAIL  schema: table `user` is missing"),
        "{report}"
    );
    assert!(report.contains("authgate migrate"), "{report}");
}

#[tokio::test]
async fn check_fails_on_plain_http_in_production() {
    let (_db, env) = good_setup().await;
    let output = authgate(
        &with(&env, "BETTER_AUTH_URL", "http://app.example.com"),
        &["check"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        stdout(&output).contains("FAIL  base URL"),
        "{}",
        describe(&output)
    );
}

#[tokio::test]
async fn migrate_dry_run_prints_the_sql_and_changes_nothing() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let env = [("DATABASE_URL", db.url.as_str())];
    let dry = authgate(&env, &["migrate", "--dry-run"]);
    assert!(dry.status.success(), "{}", describe(&dry));
    let sql = stdout(&dry);
    assert!(sql.contains(r#"create table "session""#), "{sql}");
    assert!(
        sql.contains(r#"create index "verification_identifier_idx""#),
        "{sql}"
    );
    let database = db.connect().await;
    assert!(!database.schema_report().await.unwrap().is_usable());
    assert!(authgate(&env, &["migrate"]).status.success());
    assert!(database.schema_report().await.unwrap().is_complete());
    let again = authgate(&env, &["migrate", "--dry-run"]);
    assert_eq!(stdout(&again), "", "{}", describe(&again));
}

#[test]
fn secret_prints_a_strong_secret_and_its_fingerprint() {
    let output = authgate(&[], &["secret"]);
    assert!(output.status.success(), "{}", describe(&output));
    let secret = stdout(&output).trim().to_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&authgate::secret_fingerprint(&secret)),
        "{stderr}"
    );
    authgate::Auth::builder()
        .environment(|_| None)
        .secret(secret)
        .base_url("https://app.example.com")
        .validate()
        .expect("the printed secret passes every rule");
}

#[test]
fn every_command_has_help_and_usage_errors_exit_2() {
    for command in [
        &["--help"][..],
        &["check", "--help"],
        &["migrate", "--help"],
        &["secret", "--help"],
        &["sessions", "--help"],
        &["sessions", "list", "--help"],
        &["sessions", "revoke", "--help"],
        &["cleanup", "--help"],
        &["import-users", "--help"],
    ] {
        let output = authgate(&[], command);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{command:?}: {}",
            describe(&output)
        );
        assert!(stdout(&output).contains("Usage: authgate"), "{command:?}");
    }
    assert_eq!(authgate(&[], &["no-such-command"]).status.code(), Some(2));
    assert_eq!(authgate(&[], &["sessions", "list"]).status.code(), Some(2));
}

#[tokio::test]
async fn sessions_list_and_revoke_by_email() {
    let (db, env) = good_setup().await;
    let auth = common::builder()
        .base_url("https://app.example.com")
        .build(db.connect().await)
        .unwrap();
    let signed_up = auth
        .api()
        .sign_up_email(authgate::api::SignUp::new(
            "Ada",
            "ada@example.com",
            "correct horse battery",
        ))
        .await
        .unwrap();
    let session = signed_up.session.expect("auto sign-in");
    let listed = authgate(
        &borrow(&env),
        &["sessions", "list", "--user", "Ada@Example.com"],
    );
    assert!(listed.status.success(), "{}", describe(&listed));
    let text = stdout(&listed);
    assert!(text.contains(&session.id), "{text}");
    assert!(!text.contains(&session.token), "never a token: {text}");

    let revoked = authgate(
        &borrow(&env),
        &["sessions", "revoke", "--user", "ada@example.com"],
    );
    assert!(revoked.status.success(), "{}", describe(&revoked));
    assert!(
        stdout(&revoked).contains("revoked 1 session"),
        "{}",
        describe(&revoked)
    );
    assert!(
        auth.api()
            .list_sessions(&signed_up.user.id)
            .await
            .unwrap()
            .is_empty()
    );

    let unknown = authgate(
        &borrow(&env),
        &["sessions", "list", "--user", "nobody@example.com"],
    );
    assert_eq!(unknown.status.code(), Some(1), "{}", describe(&unknown));
}

#[tokio::test]
async fn cleanup_deletes_expired_rows() {
    let (db, env) = good_setup().await;
    let database = db.connect().await;
    common::execute(
        &database,
        r#"insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") values ('v1', 'x', '', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'), ('v2', 'y', '', '2099-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')"#,
    )
    .await;
    let output = authgate(&borrow(&env), &["cleanup"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        stdout(&output).contains("deleted 0 expired session(s) and 1 expired verification row(s)"),
        "{}",
        describe(&output)
    );
    let left = common::scalar(&database, r#"select count(*) from "verification""#).await;
    assert_eq!(left.as_deref(), Some("1"));
}

#[tokio::test]
async fn import_users_imports_once_and_refuses_duplicates() {
    let (db, env) = good_setup().await;
    let database = db.connect().await;
    let bcrypt = "$2b$04$GfBWT/DaP5VpoRv9bktlsO6AnN2e3rfon3pSNwFXRe/XBPyTnU/4u";
    common::execute(
        &database,
        "create table people (pid integer primary key, mail text, pw text, joined integer)",
    )
    .await;
    common::execute(
        &database,
        &format!("insert into people values (1, 'one@example.com', '{bcrypt}', 1600000000000), (2, 'two@example.com', null, null)"),
    )
    .await;
    let args = [
        "import-users",
        "--table",
        "people",
        "--id-column",
        "pid",
        "--email-column",
        "mail",
        "--name-column",
        "",
        "--password-column",
        "pw",
        "--created-at-column",
        "joined",
    ];
    let dry: Vec<&str> = args.iter().copied().chain(["--dry-run"]).collect();
    let output = authgate(&borrow(&env), &dry);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        stdout(&output).contains("would import: 2 read, 2 imported"),
        "{}",
        describe(&output)
    );
    let users = common::scalar(&database, r#"select count(*) from "user""#).await;
    assert_eq!(users.as_deref(), Some("0"), "a dry run writes nothing");

    let output = authgate(&borrow(&env), &args);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        stdout(&output)
            .contains("imported: 2 read, 2 imported, 0 already present, 1 without a password"),
        "{}",
        describe(&output)
    );
    let again = authgate(&borrow(&env), &args);
    assert!(
        stdout(&again).contains("2 read, 0 imported, 2 already present"),
        "{}",
        describe(&again)
    );

    common::execute(
        &database,
        "insert into people values (3, 'ONE@example.com', null, null)",
    )
    .await;
    let refused = authgate(&borrow(&env), &args);
    assert_eq!(refused.status.code(), Some(1), "{}", describe(&refused));
    let text = stdout(&refused);
    assert!(text.contains("refused, nothing written"), "{text}");
    assert!(text.contains("one@example.com appears 2 times"), "{text}");
    let users = common::scalar(&database, r#"select count(*) from "user""#).await;
    assert_eq!(users.as_deref(), Some("2"));
}

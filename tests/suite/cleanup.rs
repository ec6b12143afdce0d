//! The cleanup of expired rows: only expired sessions and verification rows go, in batches
//! (more rows than one batch holds), two instances cleaning at once delete each row once and
//! fail on none, and the background task (off by default) runs when an interval is set.

use std::time::Duration;

use crate::backend_tests;
use crate::common::{Backend, TestApp, builder, q};

backend_tests!(
    cleanup_deletes_only_expired_rows_in_batches,
    two_instances_cleaning_at_once_both_succeed,
    the_background_cleanup_runs_when_enabled,
);

/// A hang would be a failure; this bound only catches one.
const HANG: Duration = Duration::from_secs(60);

/// `(past, future)` date literals for the backend.
fn dates(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => ("'2026-01-01T00:00:00.000Z'", "'2099-01-01T00:00:00.000Z'"),
        // MySQL's timestamp ends in 2038.
        _ => ("'2026-01-01 00:00:00'", "'2037-01-01 00:00:00'"),
    }
}

/// `count` verification rows expiring at `expires`.
async fn verification_rows(app: &TestApp, prefix: &str, count: usize, expires: &str) {
    let b = app.backend();
    let (past, _) = dates(b);
    let rows: Vec<String> = (0..count)
        .map(|i| format!("('{prefix}-{i:05}', 'test:{prefix}-{i}', '', {expires}, {past}, {past})"))
        .collect();
    for chunk in rows.chunks(500) {
        app.sql(&format!(
            "insert into {} ({}, {}, {}, {}, {}, {}) values {}",
            q(b, "verification"),
            q(b, "id"),
            q(b, "identifier"),
            q(b, "value"),
            q(b, "expiresAt"),
            q(b, "createdAt"),
            q(b, "updatedAt"),
            chunk.join(", ")
        ))
        .await;
    }
}

async fn count(app: &TestApp, table: &str) -> u64 {
    app.sql_scalar(&format!("select count(*) from {}", q(app.backend(), table)))
        .await
        .unwrap()
        .parse()
        .unwrap()
}

async fn cleanup_deletes_only_expired_rows_in_batches(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (past, future) = dates(backend);
    let old = app.sign_up("old@example.com", "password123").await;
    let live = app.sign_up("live@example.com", "password123").await;
    app.sql(&format!(
        "update {} set {} = {past} where {} = '{}'",
        q(backend, "session"),
        q(backend, "expiresAt"),
        q(backend, "token"),
        old.session_token()
    ))
    .await;
    verification_rows(&app, "expired", 2100, past).await;
    verification_rows(&app, "live", 3, future).await;

    let report = tokio::time::timeout(HANG, app.auth.cleanup_expired())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((report.sessions, report.verifications), (1, 2100));
    assert_eq!(count(&app, "session").await, 1);
    assert_eq!(count(&app, "verification").await, 3);
    // The live session still works.
    let mut live = live;
    assert_eq!(app.get("/me", &mut live).await.status, 200);
    // A second pass finds nothing.
    let again = app.auth.cleanup_expired().await.unwrap();
    assert_eq!((again.sessions, again.verifications), (0, 0));
}

async fn two_instances_cleaning_at_once_both_succeed(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (past, _) = dates(backend);
    verification_rows(&app, "expired", 3000, past).await;
    let other = builder()
        .validate()
        .unwrap()
        .connect(&app.db.url)
        .await
        .unwrap();
    let (a, b) = tokio::time::timeout(HANG, async {
        tokio::join!(app.auth.cleanup_expired(), other.cleanup_expired())
    })
    .await
    .unwrap();
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.verifications + b.verifications, 3000, "{a:?} {b:?}");
    assert_eq!(count(&app, "verification").await, 0);
}

async fn the_background_cleanup_runs_when_enabled(backend: Backend) {
    let app = TestApp::with(backend, |b| b.cleanup_interval(Duration::from_secs(1))).await;
    let (past, future) = dates(backend);
    verification_rows(&app, "expired", 5, past).await;
    verification_rows(&app, "live", 2, future).await;
    let deadline = tokio::time::Instant::now() + HANG;
    while count(&app, "verification").await != 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the background cleanup never ran"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Off by default: an app without the option leaves expired rows alone.
    let idle = TestApp::new(backend).await;
    verification_rows(&idle, "expired", 2, past).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(count(&idle, "verification").await, 2);
}

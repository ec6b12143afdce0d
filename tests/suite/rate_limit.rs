//! Rate limits: Better-Auth's defaults, per address and endpoint, atomic under concurrency,
//! shared by instances through the database, and keyed by the peer unless a proxy is trusted.

use std::time::Duration;

use authgate::{RateLimit, RateLimitStorage, Rule};
use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Client, TestApp, app_router, builder, serve};

backend_tests!(
    default_limits_block_the_fourth_sign_in_within_ten_seconds,
    limits_are_per_endpoint_and_reset_after_the_window,
    concurrent_requests_pass_exactly_max,
    database_counters_are_shared_by_instances,
    forwarded_for_is_ignored_unless_the_proxy_is_trusted,
    one_account_is_limited_across_addresses,
    a_clock_jump_back_does_not_block_for_days,
);

/// A sign-in refused (400 `INVALID_EMAIL`) before any hashing: the limiter counts it all the
/// same, and a handful of them take milliseconds on any machine, far inside the windows the
/// tests count in (a sign-in that hashes could, on a loaded machine, let a window pass).
fn sign_in_body() -> serde_json::Value {
    json!({ "email": "not-an-email", "password": "wrong-password" })
}

async fn default_limits_block_the_fourth_sign_in_within_ten_seconds(backend: Backend) {
    let app = TestApp::with(backend, |b| b.rate_limit(RateLimit::default())).await;
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..4 {
        let response = app
            .client
            .post("/api/auth/sign-in/email")
            .json(&sign_in_body())
            .send()
            .await;
        statuses.push(response.status.as_u16());
        last = Some(response);
    }
    assert_eq!(statuses, [400, 400, 400, 429]);
    let blocked = last.unwrap();
    assert_eq!(
        blocked.json(),
        json!({ "message": "Too many requests. Please try again later.", "code": "TOO_MANY_REQUESTS" })
    );
    let retry: u64 = blocked.header("x-retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    assert_eq!(
        blocked.header("retry-after"),
        blocked.header("x-retry-after")
    );
}

async fn limits_are_per_endpoint_and_reset_after_the_window(backend: Backend) {
    let app = TestApp::with(backend, |b| {
        b.rate_limit(
            RateLimit::default().rule("/sign-in/email", Rule::new(2, Duration::from_secs(5))),
        )
    })
    .await;
    let sign_in = || {
        app.client
            .post("/api/auth/sign-in/email")
            .json(&sign_in_body())
            .send()
    };
    assert_eq!(sign_in().await.status, 400);
    assert_eq!(sign_in().await.status, 400);
    assert_eq!(sign_in().await.status, 429);
    // Another endpoint has its own counter.
    assert_eq!(app.client.get("/api/auth/ok").send().await.status, 200);
    tokio::time::sleep(Duration::from_millis(5_100)).await;
    assert_eq!(sign_in().await.status, 400, "a new window");
}

async fn concurrent_requests_pass_exactly_max(backend: Backend) {
    for storage in [RateLimitStorage::Memory, RateLimitStorage::Database] {
        let app = TestApp::with(backend, |b| {
            b.rate_limit(
                RateLimit::default()
                    .rule("/ok", Rule::new(3, Duration::from_secs(60)))
                    .storage(storage),
            )
        })
        .await;
        let mut requests = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let client = app.client.clone();
            requests.spawn(async move { client.get("/api/auth/ok").send().await });
        }
        let responses = requests.join_all().await;
        let passed = responses.iter().filter(|r| r.status == 200).count();
        let blocked = responses.iter().filter(|r| r.status == 429).count();
        assert_eq!((passed, blocked), (3, 17), "{storage:?}");
    }
}

async fn database_counters_are_shared_by_instances(backend: Backend) {
    let limits = || RateLimit::default().storage(RateLimitStorage::Database);
    let first = TestApp::with(backend, |b| b.rate_limit(limits())).await;
    let second_auth = builder()
        .rate_limit(limits())
        .validate()
        .unwrap()
        .connect(&first.db.url)
        .await
        .unwrap();
    let (addr, _server) = serve(app_router(&second_auth)).await;
    let second = Client::new(addr);
    let mut statuses = Vec::new();
    for client in [&first.client, &second, &first.client, &second] {
        statuses.push(
            client
                .post("/api/auth/sign-in/email")
                .json(&sign_in_body())
                .send()
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(
        statuses,
        [400, 400, 400, 429],
        "three sign-ins across two instances exhaust one counter"
    );
}

async fn forwarded_for_is_ignored_unless_the_proxy_is_trusted(backend: Backend) {
    // No trusted proxy: a client rotating X-Forwarded-For is still one client (its peer).
    let app = TestApp::with(backend, |b| b.rate_limit(RateLimit::default())).await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        let response = app
            .client
            .post("/api/auth/sign-in/email")
            .header("x-forwarded-for", &format!("203.0.113.{i}"))
            .json(&sign_in_body())
            .send()
            .await;
        statuses.push(response.status.as_u16());
    }
    assert_eq!(statuses, [400, 400, 400, 429]);

    // Behind a trusted proxy, the forwarded address is the client.
    let proxied = TestApp::with(backend, |b| {
        b.rate_limit(RateLimit::default())
            .trusted_proxies(["127.0.0.1"])
    })
    .await;
    for i in 0..4 {
        let response = proxied
            .client
            .post("/api/auth/sign-in/email")
            .header("x-forwarded-for", &format!("203.0.113.{i}"))
            .json(&sign_in_body())
            .send()
            .await;
        assert_eq!(response.status, 400, "each address has its own counter");
    }
    // ... and one address is limited however it is spelled (an IPv6 /64 is one client).
    for spellings in [
        [
            "2001:db8::1",
            "2001:DB8:0:0:0:0:0:1",
            "2001:db8::abcd",
            "2001:db8::ffff",
        ],
        [
            "::ffff:192.0.2.1",
            "192.0.2.1",
            "::ffff:192.0.2.1",
            "192.0.2.1",
        ],
    ] {
        let mut statuses = Vec::new();
        for spelling in spellings {
            let response = proxied
                .client
                .post("/api/auth/sign-in/email")
                .header("x-forwarded-for", spelling)
                .json(&sign_in_body())
                .send()
                .await;
            statuses.push(response.status.as_u16());
        }
        assert_eq!(statuses, [400, 400, 400, 429], "{spellings:?}");
    }
}

/// Check 34.3: guesses against one account from many addresses (each under its own limit)
/// stop at the per-account limit of consecutive failures, with the same 429 for a registered
/// and an unknown address; after the window the right password works again (no permanent
/// lock).
async fn one_account_is_limited_across_addresses(backend: Backend) {
    for storage in [RateLimitStorage::Memory, RateLimitStorage::Database] {
        let app = TestApp::with(backend, |b| {
            b.rate_limit(
                RateLimit::default()
                    // Each attempt hashes: a window no loaded machine lets pass between two
                    // consecutive attempts (which would start the count again).
                    .per_account(Rule::new(5, Duration::from_secs(15)))
                    .storage(storage),
            )
            .trusted_proxies(["127.0.0.1"])
        })
        .await;
        app.sign_up("target@example.com", "password123").await;
        let attempt = |email: &'static str, password: &'static str, from: u32| {
            app.client
                .post("/api/auth/sign-in/email")
                .header("x-forwarded-for", &format!("198.51.100.{from}"))
                .json(&json!({ "email": email, "password": password }))
                .send()
        };
        // Only consecutive failures count: a success starts the count again.
        for from in 0..4 {
            assert_eq!(
                attempt("target@example.com", "wrong-password", 50 + from)
                    .await
                    .status,
                401
            );
        }
        assert_eq!(
            attempt("target@example.com", "password123", 60)
                .await
                .status,
            200
        );
        let mut statuses = Vec::new();
        for from in 0..8 {
            statuses.push(
                attempt("target@example.com", "wrong-password", from)
                    .await
                    .status
                    .as_u16(),
            );
        }
        assert_eq!(
            statuses,
            [401, 401, 401, 401, 401, 429, 429, 429],
            "{storage:?}: five guesses, from eight addresses"
        );
        let hashes = app.auth.password_hashes_computed();
        let blocked = attempt("target@example.com", "password123", 100).await;
        assert_eq!(blocked.status, 429, "even the right password waits");
        assert_eq!(
            app.auth.password_hashes_computed(),
            hashes,
            "refused before hashing"
        );
        for from in 0..6 {
            attempt("nobody@example.com", "wrong-password", 200 + from).await;
        }
        let unknown = attempt("nobody@example.com", "wrong-password", 250).await;
        assert_eq!(
            (unknown.status, unknown.body.clone()),
            (blocked.status, blocked.body.clone()),
            "{storage:?}: an unknown address is limited alike"
        );
        tokio::time::sleep(Duration::from_millis(15_100)).await;
        assert_eq!(
            attempt("target@example.com", "password123", 101)
                .await
                .status,
            200,
            "{storage:?}: a new window"
        );
    }
}

/// R13: a counter whose last request lies days ahead (the clock went back) starts a new window
/// instead of refusing for days, in memory (unit-tested) and in the database.
async fn a_clock_jump_back_does_not_block_for_days(backend: Backend) {
    let app = TestApp::with(backend, |b| {
        b.rate_limit(
            RateLimit::default()
                .rule("/ok", Rule::new(1, Duration::from_secs(60)))
                .storage(RateLimitStorage::Database),
        )
    })
    .await;
    let ok = || app.client.get("/api/auth/ok").send();
    assert_eq!(ok().await.status, 200);
    assert_eq!(ok().await.status, 429);
    let two_days_ms = 2 * 24 * 3_600_000_i64;
    let changed = app
        .sql(&app.quote(&format!(
            r#"update "rateLimit" set "lastRequest" = "lastRequest" + {two_days_ms}"#
        )))
        .await;
    assert_eq!(changed, 1);
    let response = ok().await;
    assert_eq!(response.status, 200, "{}", response.text());
}

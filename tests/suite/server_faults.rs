//! Faults of a database server, through a TCP proxy the test controls (`SECURITY.md`, R1, R3):
//! a restart under traffic and a slow database.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::common::outage::{TcpProxy, server_addr};
use crate::common::{Backend, Client, Jar, TestDatabase, app_router, builder, serve};
use crate::server_backend_tests;

server_backend_tests!(
    r01_a_database_restart_under_traffic_loses_nothing,
    r03_a_slow_database_times_out_cleanly
);

const HANG: Duration = Duration::from_secs(60);

async fn r01_a_database_restart_under_traffic_loses_nothing(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let proxy = TcpProxy::start(server_addr(&db.url)).await;
    let auth = builder()
        .validate()
        .unwrap()
        .connect(&proxy.url_for(&db.url))
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;
    let client = Client::new(addr);
    let mut jars = Vec::new();
    for i in 0..5 {
        let mut jar = Jar::default();
        let response = client
            .post("/api/auth/sign-up/email")
            .json(&json!({ "name": "T", "email": format!("traffic{i}@example.com"), "password": "password123" }))
            .send_with(&mut jar)
            .await;
        assert_eq!(response.status, 200);
        jars.push(jar);
    }

    // Traffic until told to stop; the database goes away once some requests were answered,
    // and comes back once the outage was seen. The test waits for what the traffic saw, never
    // for a time, so a slow machine only makes it longer.
    let statuses = Arc::new(Mutex::new(Vec::<u16>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = {
        let (client, jars) = (client.clone(), jars.clone());
        let (seen, stop) = (statuses.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                for jar in &jars {
                    let cookie = format!("better-auth.session_token={}", jar.session_cookie());
                    let response = client
                        .get("/api/auth/get-session")
                        .header("cookie", &cookie)
                        .send()
                        .await;
                    let ok = match response.status.as_u16() {
                        200 => {
                            response.json()["session"]["token"].as_str()
                                == Some(jar.session_token().as_str())
                        }
                        503 => response.error_code() == "DATABASE_UNAVAILABLE",
                        _ => false,
                    };
                    assert!(ok, "{} {}", response.status, response.text());
                    assert!(
                        response.set_cookies().is_empty(),
                        "no cookie is cleared because of an outage"
                    );
                    seen.lock().unwrap().push(response.status.as_u16());
                }
            }
        })
    };
    let seen = |what: &'static str, until: fn(&[u16]) -> bool| {
        let statuses = statuses.clone();
        async move {
            let deadline = tokio::time::Instant::now() + HANG;
            while !until(&statuses.lock().unwrap()) {
                assert!(tokio::time::Instant::now() < deadline, "{what}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    seen("traffic before the outage", |s| s.len() >= 10).await;
    proxy.down();
    seen("the outage was seen", |s| s.contains(&503)).await;
    proxy.up();
    seen("traffic answered again after the outage", |s| {
        s.iter()
            .rposition(|&status| status == 200)
            .is_some_and(|last_ok| s[..last_ok].contains(&503))
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    tokio::time::timeout(HANG, traffic).await.unwrap().unwrap();
    // Recovered by itself, with every session intact.
    let deadline = tokio::time::Instant::now() + HANG;
    for jar in &mut jars {
        loop {
            let status = client.get("/me").send_with(jar).await.status;
            if status == 200 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the pool did not recover"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn r03_a_slow_database_times_out_cleanly(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let proxy = TcpProxy::start(server_addr(&db.url)).await;
    let auth = builder()
        .validate()
        .unwrap()
        .connect(&proxy.url_for(&db.url))
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    // The application's own request timeout, as tower::timeout gives it.
    let app = app_router(&auth).layer(
        tower::ServiceBuilder::new()
            .layer(axum::error_handling::HandleErrorLayer::new(
                |_: tower::BoxError| async {
                    (
                        http::StatusCode::GATEWAY_TIMEOUT,
                        axum::Json(json!({ "message": "Request timed out", "code": "TIMEOUT" })),
                    )
                },
            ))
            .layer(tower::timeout::TimeoutLayer::new(Duration::from_secs(2))),
    );
    let (addr, _server) = serve(app).await;
    let client = Client::new(addr);
    let mut jar = Jar::default();
    client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "S", "email": "slow@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;

    proxy.set_delay(Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    let response = tokio::time::timeout(
        HANG,
        client.get("/api/auth/get-session").send_with(&mut jar),
    )
    .await
    .unwrap();
    // 503 or 504; a starved machine whose timer fires late may even have finished the lookup,
    // which is then the right answer (the session is live).
    assert!(
        matches!(response.status.as_u16(), 200 | 503 | 504),
        "{}",
        response.status
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(response.set_cookies().is_empty());
    let mut fresh = Jar::default();
    let sign_in = tokio::time::timeout(
        HANG,
        client
            .post("/api/auth/sign-in/email")
            .json(&json!({ "email": "slow@example.com", "password": "password123" }))
            .send_with(&mut fresh),
    )
    .await
    .unwrap();
    // On a starved machine the application's timer can fire only after the sign-in already
    // finished: then it is a complete sign-in, whose cookie must name a stored session.
    let completed = sign_in.status == 200;
    assert!(
        matches!(sign_in.status.as_u16(), 200 | 503 | 504),
        "{}",
        sign_in.status
    );
    if !completed {
        assert!(
            fresh.get("better-auth.session_token").is_none(),
            "no cookie for a session that may not exist"
        );
    }

    proxy.set_delay(Duration::ZERO);
    if completed {
        let me = tokio::time::timeout(HANG, client.get("/me").send_with(&mut fresh.clone()))
            .await
            .unwrap();
        assert_eq!(
            me.status, 200,
            "the cookie of a completed sign-in names its session"
        );
    }
    let deadline = tokio::time::Instant::now() + HANG;
    loop {
        let response = client
            .post("/api/auth/sign-in/email")
            .json(&json!({ "email": "slow@example.com", "password": "password123" }))
            .send_with(&mut fresh)
            .await;
        if response.status == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no recovery: {}",
            response.status
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(client.get("/me").send_with(&mut fresh).await.status, 200);
}

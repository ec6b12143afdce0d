//! `authgate::serve` bounds every read (issue 9): connections that send their head one byte
//! at a time, or nothing at all, are closed by the header timeout while signed-in requests
//! keep being answered; a kept-alive connection left idle is closed; a body slower than the
//! body deadline is answered 408 and its connection closed; requests carry the client's
//! address; graceful shutdown lets a request in flight finish.
//!
//! The timeouts are short here (1 s, 2 s) so that the tests are quick; the verdicts allow
//! 30 s for each close, so a loaded machine cannot fail them.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::ConnectInfo;
use axum::routing::get;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::backend_tests;
use crate::common::{Backend, Client, Jar, TestDatabase, app_router, builder};

backend_tests!(slow_and_silent_connections_are_closed_while_me_answers);

/// Each slow connection must be closed within this; the timeouts themselves are 1-2 s.
const CLOSED_WITHIN: Duration = Duration::from_secs(30);
const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
const BODY_TIMEOUT: Duration = Duration::from_secs(2);

struct Served {
    addr: SocketAddr,
    client: Client,
    _db: TestDatabase,
    _server: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn served(backend: Backend) -> Served {
    let db = TestDatabase::new(backend).await;
    let auth = builder()
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let app = app_router(&auth).route(
        "/peer",
        get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { Json(peer.ip()) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(
        authgate::serve(listener, app)
            .header_read_timeout(HEADER_TIMEOUT)
            .body_read_timeout(BODY_TIMEOUT)
            .into_future(),
    );
    Served {
        addr,
        client: Client::new(addr),
        _db: db,
        _server: server,
    }
}

/// Reads until the server closes the connection (EOF or reset); what it sent before.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return received,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

async fn slow_and_silent_connections_are_closed_while_me_answers(backend: Backend) {
    let served = served(backend).await;
    let mut jar = Jar::default();
    let signed_up = served
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "Slow", "email": "slow@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());

    let started = Instant::now();
    let mut connections = Vec::new();
    for n in 0..50 {
        let addr = served.addr;
        connections.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            if n % 2 == 0 {
                // Slow loris: a header that never ends, one byte a second.
                let head = b"GET /me HTTP/1.1\r\nHost: x\r\nX-Slow: "
                    .iter()
                    .chain(std::iter::repeat(&b'a'));
                for byte in head {
                    if stream.write_all(&[*byte]).await.is_err() {
                        break;
                    }
                    let mut probe = [0u8; 1];
                    match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut probe))
                        .await
                    {
                        Ok(_) => break, // EOF, reset, or an error response: closing
                        Err(_) => continue,
                    }
                }
            }
            // Silent or done writing: the server closes it.
            read_until_closed(&mut stream).await;
            started.elapsed()
        }));
    }

    // Meanwhile a signed-in client is answered as usual.
    let mut answered = 0;
    while answered < 10 || connections.iter().any(|c| !c.is_finished()) {
        let me = served.client.get("/me").send_with(&mut jar).await;
        assert_eq!(me.status, 200, "{}", me.text());
        answered += 1;
        assert!(
            started.elapsed() < CLOSED_WITHIN * 2,
            "slow connections still open"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for connection in connections {
        let closed_after = tokio::time::timeout(CLOSED_WITHIN, connection)
            .await
            .expect("closed")
            .unwrap();
        assert!(
            closed_after < CLOSED_WITHIN,
            "closed only after {closed_after:?}"
        );
    }
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let served = served(Backend::Sqlite).await;
    let mut stream = TcpStream::connect(served.addr).await.unwrap();
    stream
        .write_all(b"GET /api/auth/ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut response = vec![0u8; 4096];
    let n = stream.read(&mut response).await.unwrap();
    let head = String::from_utf8_lossy(&response[..n]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("connection: close"),
        "kept alive: {head}"
    );
    // Then nothing: the server closes the connection after the header timeout.
    let rest = tokio::time::timeout(CLOSED_WITHIN, read_until_closed(&mut stream))
        .await
        .expect("the idle connection is closed");
    assert!(
        rest.is_empty() || rest.starts_with(b"HTTP/1.1 408"),
        "{rest:?}"
    );
}

#[tokio::test]
async fn a_body_slower_than_its_deadline_is_answered_408() {
    let served = served(Backend::Sqlite).await;
    let mut stream = TcpStream::connect(served.addr).await.unwrap();
    let body = br#"{"email":"slow@example.com","password":"password123"}"#;
    let head = format!(
        "POST /api/auth/sign-in/email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let writer = tokio::spawn(async move {
        // One byte every 300 ms: the 54-byte body would take 16 s, the deadline is 2 s.
        for byte in body {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        stream
    });
    let mut stream = tokio::time::timeout(CLOSED_WITHIN, writer)
        .await
        .expect("the writer ends")
        .unwrap();
    let response = tokio::time::timeout(CLOSED_WITHIN, read_until_closed(&mut stream))
        .await
        .expect("answered and closed");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains(r#""code":"REQUEST_TIMEOUT""#), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
}

#[tokio::test]
async fn requests_carry_the_client_address_and_bodies_in_time_are_read() {
    let served = served(Backend::Sqlite).await;
    let peer = served.client.get("/peer").send().await;
    assert_eq!(peer.status, 200);
    assert_eq!(peer.json(), json!("127.0.0.1"));
    let signed_up = served
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "Quick", "email": "quick@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
}

#[tokio::test]
async fn graceful_shutdown_lets_a_request_in_flight_finish() {
    let app = axum::Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            "done"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        authgate::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );
    let in_flight = tokio::spawn(async move { Client::new(addr).get("/slow").send().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let response = tokio::time::timeout(CLOSED_WITHIN, in_flight)
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "done");
    tokio::time::timeout(CLOSED_WITHIN, server)
        .await
        .expect("the server returns")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}

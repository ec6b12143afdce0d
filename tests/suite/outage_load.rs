//! Fail fast during an outage (issue 9): under concurrent load the database goes away; every
//! request that needs it is answered 503 `DATABASE_UNAVAILABLE` with `Retry-After` at once,
//! requests that need no database are not held up, and when the database is back the next
//! requests succeed, without restarting the app. PostgreSQL and MariaDB go through a TCP proxy
//! the test closes (connections are then refused, as with a stopped server); SQLite's pool is
//! closed under the app, as in `outage.rs` (an embedded file has no outage to recover from).
//!
//! The figures (latencies, requests per second, recovery time) come from
//! `examples/outage_drill.rs`; the bounds here only catch a request waiting for the pool.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::backend_tests;
use crate::common::outage::{TcpProxy, proxied};
use crate::common::{Backend, Client, Jar, TestDatabase, TestResponse, app_router, builder, serve};

backend_tests!(
    an_outage_under_load_is_answered_at_once_and_recovers,
    a_burst_during_an_outage_is_answered_not_queued,
);

/// A hang would be a failure; this bound only catches one.
const HANG: Duration = Duration::from_secs(60);
/// The bound for a 503 during an outage: generous for a local round trip, far below
/// the acquire timeout a request would wait without the circuit.
const FAST: Duration = Duration::from_millis(200);
/// The acquire timeout of these apps (the default).
const ACQUIRE: Duration = Duration::from_millis(500);
const CLIENTS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `/me` with a valid session: needs the database.
    Session,
    /// `/maybe-me` without a cookie, and `/api/auth/ok`: no database.
    Anonymous,
    /// `/maybe-me` with a cookie whose signature is wrong: refused before any database work.
    BadSignature,
}

#[derive(Debug)]
struct Sample {
    kind: Kind,
    started: Instant,
    took: Duration,
    status: u16,
    code: String,
    retry_after: Option<String>,
}

struct Outage {
    proxy: Option<TcpProxy>,
    auth: authgate::Auth,
    client: Client,
    jar: Jar,
    _db: TestDatabase,
    _server: tokio::task::JoinHandle<()>,
}

impl Outage {
    async fn start(backend: Backend) -> Self {
        Self::start_with(backend, ACQUIRE).await
    }

    async fn start_with(backend: Backend, acquire_timeout: Duration) -> Self {
        let db = TestDatabase::new(backend).await;
        let (proxy, url) = proxied(&db).await;
        let auth = builder()
            .database_acquire_timeout(acquire_timeout)
            .validate()
            .unwrap()
            .connect(&url)
            .await
            .unwrap();
        auth.migrate().await.unwrap();
        let (addr, server) = serve(app_router(&auth)).await;
        let client = Client::new(addr);
        let mut jar = Jar::default();
        let signed_up = client
            .post("/api/auth/sign-up/email")
            .json(
                &json!({ "name": "Load", "email": "load@example.com", "password": "password123" }),
            )
            .send_with(&mut jar)
            .await;
        assert_eq!(signed_up.status, 200, "{}", signed_up.text());
        Self {
            proxy,
            auth,
            client,
            jar,
            _db: db,
            _server: server,
        }
    }

    /// The database goes away: the proxy refuses connections, or SQLite's pool closes.
    async fn cut(&self) {
        match &self.proxy {
            Some(proxy) => proxy.refuse(),
            None => self.auth.database().close().await,
        }
    }

    async fn send(&self, kind: Kind, n: usize) -> Sample {
        let cookie = self.jar.header().unwrap();
        let request = match kind {
            Kind::Session => self.client.get("/me").header("cookie", &cookie),
            Kind::Anonymous if n.is_multiple_of(2) => self.client.get("/api/auth/ok"),
            Kind::Anonymous => self.client.get("/maybe-me"),
            Kind::BadSignature => {
                // The same token with another signature.
                let forged = format!(
                    "better-auth.session_token={}.AAAA",
                    self.jar.session_token()
                );
                self.client.get("/maybe-me").header("cookie", &forged)
            }
        };
        let started = Instant::now();
        let response: TestResponse = tokio::time::timeout(HANG, request.send())
            .await
            .expect("no request hangs");
        Sample {
            kind,
            started,
            took: started.elapsed(),
            status: response.status.as_u16(),
            code: if response.status.is_success() {
                String::new()
            } else {
                response.error_code()
            },
            retry_after: response.header("retry-after").map(str::to_owned),
        }
    }
}

/// `CLIENTS` clients send requests of every kind until `stop`, each pausing a little between
/// requests (so that the single-threaded test runtime is loaded, not saturated).
fn load(
    outage: &Arc<Outage>,
    stop: &Arc<Mutex<bool>>,
) -> Vec<tokio::task::JoinHandle<Vec<Sample>>> {
    (0..CLIENTS)
        .map(|client| {
            let (outage, stop) = (outage.clone(), stop.clone());
            tokio::spawn(async move {
                let mut samples = Vec::new();
                let mut n = 0;
                while !*stop.lock().unwrap() {
                    let kind = match (client + n) % 4 {
                        0 | 1 => Kind::Session,
                        2 => Kind::Anonymous,
                        _ => Kind::BadSignature,
                    };
                    samples.push(outage.send(kind, n).await);
                    n += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                samples
            })
        })
        .collect()
}

async fn collect(clients: Vec<tokio::task::JoinHandle<Vec<Sample>>>) -> Vec<Sample> {
    let mut all = Vec::new();
    for client in clients {
        all.extend(client.await.unwrap());
    }
    all.sort_by_key(|s| s.started);
    all
}

async fn an_outage_under_load_is_answered_at_once_and_recovers(backend: Backend) {
    let outage = Arc::new(Outage::start(backend).await);
    let stop = Arc::new(Mutex::new(false));
    let clients = load(&outage, &stop);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cut_at = Instant::now();
    outage.cut().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    *stop.lock().unwrap() = true;
    let samples = collect(clients).await;

    let before: Vec<&Sample> = samples.iter().filter(|s| s.started < cut_at).collect();
    assert!(!before.is_empty());
    let during: Vec<&Sample> = samples.iter().filter(|s| s.started >= cut_at).collect();
    // Requests sent before the first 503 came back may have been admitted while the circuit
    // was still closed: they wait for the pool (the acquire timeout) and for the one
    // connection attempt that opens the circuit (refused at once here), plus a margin for a
    // loaded machine. Every request sent after that first 503 must be answered
    // at once: the circuit opens before that 503 is sent.
    let first_503 = during
        .iter()
        .filter(|s| s.status == 503)
        .map(|s| s.started + s.took)
        .min()
        .expect("the outage was noticed");
    // The control for how loaded the machine is: requests that need no database, sent at the
    // same time by the same clients, are answered normally (`/maybe-me` answers `null` for no
    // session and for a forged one alike). A stall of the machine delays them as much as the
    // 503s, so the 503s' bound is the 200 ms or twice the slowest of them (a stall may
    // hit a 503 a little harder than the control), whichever is more: on a machine that is
    // not stalling, a 503 that waited for the pool exceeds it by the acquire timeout.
    let mut control = Duration::ZERO;
    for sample in during.iter().filter(|s| s.kind != Kind::Session) {
        assert_eq!(
            sample.status, 200,
            "a request that needs no database: {sample:?}"
        );
        control = control.max(sample.took);
    }
    let fast = FAST.max(control * 2);
    let mut fast_503s = 0;
    for sample in &during {
        match sample.kind {
            Kind::Session => {
                assert!(
                    sample.status == 503 || (sample.status == 200 && sample.started < first_503),
                    "a request needing the database during the outage: {sample:?}"
                );
                if sample.status == 503 {
                    assert_eq!(sample.code, "DATABASE_UNAVAILABLE", "{sample:?}");
                    assert_eq!(sample.retry_after.as_deref(), Some("1"), "{sample:?}");
                }
                let bound = if sample.started < first_503 {
                    ACQUIRE * 2 + Duration::from_secs(3)
                } else {
                    fast_503s += 1;
                    fast
                };
                assert!(
                    sample.took <= bound,
                    "a 503 took longer than {bound:?} (sent {:?} after the cut): {sample:?}",
                    sample.started - cut_at
                );
            }
            Kind::Anonymous | Kind::BadSignature => {}
        }
    }
    assert!(
        fast_503s >= CLIENTS,
        "the load went on during the outage ({fast_503s} fast 503s)"
    );
    assert!(
        !outage.auth.health().await.is_ok(),
        "the health check sees the outage"
    );

    // The database comes back: the same app, the same cookie, signed in again.
    let Some(proxy) = &outage.proxy else {
        return; // a closed SQLite pool stays closed; `outage.rs` covers a restarted app
    };
    proxy.reopen();
    let back = Instant::now();
    loop {
        let sample = outage.send(Kind::Session, 0).await;
        if sample.status == 200 {
            break;
        }
        assert_eq!(sample.status, 503, "{sample:?}");
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "still {sample:?} 30 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The next requests succeed too. One may still find the pool opening a new connection
    // slower than the acquire timeout on a loaded machine (503, retry): never anything else.
    let mut succeeded = 0;
    while succeeded < CLIENTS {
        let sample = outage.send(Kind::Session, succeeded).await;
        match sample.status {
            200 => succeeded += 1,
            503 => tokio::time::sleep(Duration::from_millis(100)).await,
            _ => panic!("after the recovery: {sample:?}"),
        }
        assert!(
            back.elapsed() < Duration::from_secs(60),
            "{succeeded} of {CLIENTS} requests answered 200 within 60 s of the recovery"
        );
    }
    assert!(outage.auth.health().await.is_ok(), "healthy again");
}

/// A burst of concurrent requests during the outage: each is answered 503 (none is queued
/// behind the pool until a timeout), and the app serves normally afterwards.
async fn a_burst_during_an_outage_is_answered_not_queued(backend: Backend) {
    const BURST: usize = 400;
    // The old hard-coded acquire timeout: a request that waited for the pool would take it.
    const SLOW_ACQUIRE: Duration = Duration::from_secs(5);
    let outage = Arc::new(Outage::start_with(backend, SLOW_ACQUIRE).await);
    outage.cut().await;
    // The outage is noticed (the circuit opens, or SQLite's pool is closed).
    let first = outage.send(Kind::Session, 0).await;
    assert_eq!(first.status, 503, "{first:?}");

    let burst: Vec<_> = (0..BURST)
        .map(|n| {
            let outage = outage.clone();
            tokio::spawn(async move { outage.send(Kind::Session, n).await })
        })
        .collect();
    let mut answered = 0;
    for request in burst {
        let sample = request.await.unwrap();
        assert_eq!(sample.status, 503, "{sample:?}");
        assert_eq!(sample.code, "DATABASE_UNAVAILABLE", "{sample:?}");
        assert!(sample.retry_after.is_some(), "{sample:?}");
        // Not a speed bound: a request that waited for a pooled connection would take at
        // least the acquire timeout.
        assert!(
            sample.took < SLOW_ACQUIRE,
            "a request of the burst waited for the pool: {sample:?}"
        );
        answered += 1;
    }
    assert_eq!(answered, BURST);
    let anonymous = outage.send(Kind::Anonymous, 0).await;
    assert_eq!(anonymous.status, 200);
}

/// Start-up names why the database cannot be reached and where, never the URL's password.
#[tokio::test]
async fn a_refused_connection_names_the_cause_and_address_never_the_password() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut schemes = vec!["postgres"];
    if cfg!(feature = "mysql") {
        schemes.push("mysql");
    }
    for scheme in schemes {
        let url = format!("{scheme}://authgate:Secr3t-pa55@127.0.0.1:{port}/app");
        let err = tokio::time::timeout(HANG, builder().validate().unwrap().connect(&url))
            .await
            .expect("no hang")
            .unwrap_err();
        let (message, debug) = (err.to_string(), format!("{err:?}"));
        assert!(
            message.contains(&format!("connection refused at 127.0.0.1:{port}")),
            "{scheme}: {message}"
        );
        assert!(
            !message.contains("Secr3t-pa55") && !debug.contains("Secr3t-pa55"),
            "{scheme}: the password leaked: {debug}"
        );
        assert!(!message.contains("pool timed out"), "{scheme}: {message}");
    }
}

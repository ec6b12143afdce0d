//! An outage drill: authgate on PostgreSQL behind a TCP proxy, under load; the proxy goes
//! down (connections refused, as with a stopped server) and comes back. Prints the figures the
//! circuit is for: how fast the 503s are during the outage, how many requests per second are
//! answered meanwhile, and how long recovery takes. Figures, not verdicts: run it on the
//! machine you care about.
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo run --release --example outage_drill
//! ```
//!
//! - `DATABASE_URL`: the PostgreSQL server (default `postgres://postgres@127.0.0.1:5432/postgres`);
//!   the drill works in its own schema, `authgate_drill_<pid>`, dropped at the end.
//! - `CLIENTS` (default 32) keep-alive connections send `GET /me` with a valid session;
//!   `OUTAGE_SECONDS` (default 5) is how long the proxy refuses connections.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authgate::{Auth, CurrentUser, RateLimit, SessionLayer};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::AbortHandle;

const DEFAULT_DATABASE: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const SECRET: &str = "drill-only-secret-kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // authgate's outage log (one line when it begins, summaries, one when it ends) shows
    // between the figures.
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,sqlx=error".into()))
        .init();
    let admin_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE.into());
    let clients = env_number("CLIENTS", 32);
    let outage = Duration::from_secs(env_number("OUTAGE_SECONDS", 5) as u64);
    let schema = format!("authgate_drill_{}", std::process::id());
    admin(&admin_url, &format!("create schema {schema}")).await?;
    let result = drill(&admin_url, &schema, clients, outage).await;
    admin(&admin_url, &format!("drop schema {schema} cascade")).await?;
    result
}

async fn drill(
    admin_url: &str,
    schema: &str,
    clients: usize,
    outage: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut url = url::Url::parse(admin_url)?;
    let upstream: SocketAddr = format!(
        "{}:{}",
        url.host_str()
            .unwrap_or("127.0.0.1")
            .replace("localhost", "127.0.0.1"),
        url.port().unwrap_or(5432)
    )
    .parse()?;
    let proxy = Proxy::start(upstream).await?;
    url.set_host(Some("127.0.0.1"))?;
    url.set_port(Some(proxy.addr.port()))
        .map_err(|()| "cannot set the port")?;
    url.query_pairs_mut()
        .append_pair("options", &format!("-c search_path={schema}"));

    let auth = Auth::builder()
        .environment(|_| None)
        .secret(SECRET)
        .base_url("http://localhost:3000")
        // One address sends everything here; the drill measures the database, not the limits.
        .rate_limit(RateLimit::disabled())
        .connect(url.as_str())
        .await?;
    auth.migrate().await?;
    let app = Router::new()
        .route("/me", get(|user: CurrentUser| async move { Json(user) }))
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(authgate::serve(listener, app).into_future());
    let cookie = sign_up(addr).await?;

    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..clients)
        .map(|_| tokio::spawn(worker(addr, cookie.clone(), samples.clone(), stop.clone())))
        .collect();

    println!(
        "{clients} clients on GET /me; healthy for 3 s, then the database is refused for {outage:?}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let down_at = Instant::now();
    proxy.refuse();
    tokio::time::sleep(outage).await;
    let up_at = Instant::now();
    proxy.reopen()?;
    let recovered_at = loop {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let first_ok = samples
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.status == 200 && s.sent >= up_at)
            .map(|s| s.sent + s.took)
            .min();
        if let Some(at) = first_ok {
            break at;
        }
        if up_at.elapsed() > Duration::from_secs(60) {
            return Err("no request succeeded within 60 s of the database coming back".into());
        }
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }

    let samples = samples.lock().unwrap();
    let healthy: Vec<&Sample> = samples.iter().filter(|s| s.sent < down_at).collect();
    let during: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.sent >= down_at && s.sent < up_at)
        .collect();
    let mut unavailable: Vec<Duration> = during
        .iter()
        .filter(|s| s.status == 503)
        .map(|s| s.took)
        .collect();
    unavailable.sort();
    let other = during.iter().filter(|s| s.status != 503).count();
    println!(
        "healthy:          {:>8.0} requests/s",
        healthy.len() as f64 / 3.0
    );
    println!(
        "during the outage: {:>7.0} requests/s answered ({} 503s, {other} other answers)",
        during.len() as f64 / outage.as_secs_f64(),
        unavailable.len()
    );
    println!(
        "503 latency:      p50 {:?}, p99 {:?}, max {:?}",
        percentile(&unavailable, 0.50),
        percentile(&unavailable, 0.99),
        unavailable.last().copied().unwrap_or_default()
    );
    println!(
        "recovery:         first 200 {:?} after the database came back",
        recovered_at.saturating_duration_since(up_at)
    );
    Ok(())
}

struct Sample {
    sent: Instant,
    took: Duration,
    status: u16,
}

/// One keep-alive connection sending `GET /me` until `stop`; reconnects when the server
/// closes it.
async fn worker(
    addr: SocketAddr,
    cookie: String,
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let Ok(stream) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok((mut sender, connection)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            continue;
        };
        tokio::spawn(connection);
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let request = Request::get("/me")
                .header("host", addr.to_string())
                .header("cookie", &cookie)
                .body(Full::new(Bytes::new()))
                .expect("a valid request");
            let sent = Instant::now();
            if sender.ready().await.is_err() {
                break;
            }
            let Ok(response) = sender.send_request(request).await else {
                break;
            };
            let status = response.status().as_u16();
            if response.into_body().collect().await.is_err() {
                break;
            }
            samples.lock().unwrap().push(Sample {
                sent,
                took: sent.elapsed(),
                status,
            });
        }
    }
}

async fn sign_up(addr: SocketAddr) -> Result<String, Box<dyn std::error::Error>> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let body = r#"{"name":"Drill","email":"drill@example.com","password":"drill-password-1"}"#;
    let request = Request::post("/api/auth/sign-up/email")
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())))?;
    let response = sender.send_request(request).await?;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("better-auth.session_token="))
        .and_then(|v| v.split(';').next())
        .ok_or("the sign-up set no session cookie")?
        .to_owned();
    Ok(cookie)
}

/// A TCP proxy whose port can be closed (connections refused) and opened again.
struct Proxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    accept: Mutex<AbortHandle>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept = Mutex::new(accept_loop(listener, upstream, connections.clone()));
        Ok(Self {
            addr,
            upstream,
            accept,
            connections,
        })
    }

    fn refuse(&self) {
        self.accept.lock().unwrap().abort();
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    fn reopen(&self) -> std::io::Result<()> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(self.addr)?;
        let listener = socket.listen(1024)?;
        *self.accept.lock().unwrap() =
            accept_loop(listener, self.upstream, self.connections.clone());
        Ok(())
    }
}

fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
) -> AbortHandle {
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let task = tokio::spawn(async move {
                if let Ok(mut server) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
            connections.lock().unwrap().push(task.abort_handle());
        }
    })
    .abort_handle()
}

async fn admin(url: &str, statement: &str) -> Result<(), Box<dyn std::error::Error>> {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(&mut connection)
        .await?;
    connection.close().await?;
    Ok(())
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

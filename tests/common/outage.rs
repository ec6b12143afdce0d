//! A TCP proxy a test controls, to take "the database" away and give it back without touching
//! the shared database server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub struct TcpProxy {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    /// Added before each chunk is forwarded, in milliseconds.
    delay_ms: Arc<AtomicU64>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept: Mutex<tokio::task::JoinHandle<()>>,
    upstream: SocketAddr,
}

impl TcpProxy {
    /// Forwards connections on a fresh local port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept = accept_loop(listener, upstream, &up, &connections, &delay_ms);
        Self {
            addr,
            up,
            delay_ms,
            connections,
            accept: Mutex::new(accept),
            upstream,
        }
    }

    /// Cuts every open connection and closes the port, so that connecting is refused
    /// (ECONNREFUSED), as with a stopped database server; [`up`](Self::up) opens it again.
    pub fn refuse(&self) {
        self.accept.lock().unwrap().abort();
        self.down();
    }

    /// Opens the port again after [`refuse`](Self::refuse), and accepts connections.
    pub fn reopen(&self) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(self.addr).unwrap();
        let listener = socket.listen(1024).unwrap();
        *self.accept.lock().unwrap() = accept_loop(
            listener,
            self.upstream,
            &self.up,
            &self.connections,
            &self.delay_ms,
        );
        self.up();
    }
}

/// Forwards each accepted connection to `upstream` while `up`; drops it otherwise.
fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    up: &Arc<AtomicBool>,
    connections: &Arc<Mutex<Vec<AbortHandle>>>,
    delay_ms: &Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    {
        let (up, connections, delay_ms) = (up.clone(), connections.clone(), delay_ms.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if !up.load(Ordering::SeqCst) {
                    drop(client); // refused: the "database" is down
                    continue;
                }
                let delay_ms = delay_ms.clone();
                let task = tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        let (client_read, client_write) = client.into_split();
                        let (server_read, server_write) = server.into_split();
                        tokio::join!(
                            forward(client_read, server_write, delay_ms.clone()),
                            forward(server_read, client_write, delay_ms),
                        );
                    }
                });
                connections.lock().unwrap().push(task.abort_handle());
            }
        })
    }
}

impl TcpProxy {
    /// Delays every chunk in both directions by `delay` (zero: no delay).
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Cuts every open connection and refuses new ones.
    pub fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Accepts connections again.
    pub fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url_for(&self, url: &str) -> String {
        let mut parsed = url::Url::parse(url).unwrap();
        parsed.set_host(Some("127.0.0.1")).unwrap();
        parsed.set_port(Some(self.addr.port())).unwrap();
        parsed.to_string()
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.down();
        self.accept.lock().unwrap().abort();
    }
}

/// Copies one direction of a connection, waiting the configured delay before each chunk.
async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay_ms: Arc<AtomicU64>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let delay = delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// The socket address of a database URL's server.
/// A proxy in front of `db`'s server and the URL that goes through it. SQLite has no server:
/// no proxy, and the database's own URL (its tests close the pool for an outage instead).
pub async fn proxied(db: &super::TestDatabase) -> (Option<TcpProxy>, String) {
    match db.backend {
        super::Backend::Sqlite => (None, db.url.clone()),
        _ => {
            let proxy = TcpProxy::start(server_addr(&db.url)).await;
            let url = proxy.url_for(&db.url);
            (Some(proxy), url)
        }
    }
}

pub fn server_addr(url: &str) -> SocketAddr {
    let parsed = url::Url::parse(url).unwrap();
    let host = parsed.host_str().unwrap();
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    let port = parsed
        .port()
        .unwrap_or(if parsed.scheme().starts_with("postgres") {
            5432
        } else {
            3306
        });
    format!("{host}:{port}").parse().unwrap()
}

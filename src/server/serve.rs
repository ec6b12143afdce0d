//! [`serve`]: axum's `serve` with the reads bounded, on hyper's HTTP/1 server.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use super::deadline::BoundedApp;

/// Default [`Serve::header_read_timeout`].
const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`Serve::body_read_timeout`].
const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The read bounds of a [`Serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerTimeouts {
    header_read: Duration,
    body_read: Duration,
}

impl ServerTimeouts {
    /// How long a connection may take to send a request's head, and how long it may stay
    /// idle waiting for a request (a new connection, or a kept-alive one between requests).
    pub fn header_read(&self) -> Duration {
        self.header_read
    }

    /// How long a request's body may take to arrive, from the end of its head.
    pub fn body_read(&self) -> Duration {
        self.body_read
    }
}

impl Default for ServerTimeouts {
    fn default() -> Self {
        Self {
            header_read: DEFAULT_HEADER_READ_TIMEOUT,
            body_read: DEFAULT_BODY_READ_TIMEOUT,
        }
    }
}

/// Serves `app` on `listener` over HTTP/1.1, like `axum::serve`, but with every read
/// bounded, so that slow or silent clients cannot hold connections open:
///
/// - a request's head (request line and headers) must arrive within
///   [`header_read_timeout`](Serve::header_read_timeout), 10 s by default, and a connection
///   waiting for a request, new or kept alive after one, is closed after the same time;
/// - its body must arrive within [`body_read_timeout`](Serve::body_read_timeout), 30 s by
///   default from the end of the head, or the request is answered 408 `REQUEST_TIMEOUT`
///   (authgate's JSON error) and the connection closed.
///
/// Each request carries the client's address as axum's `ConnectInfo<SocketAddr>`, which the
/// rate limits need. [`with_graceful_shutdown`](Serve::with_graceful_shutdown) stops
/// accepting on a signal, lets requests in flight finish and closes idle connections.
/// Await the `Serve` to run it.
///
/// # Examples
/// ```no_run
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// authgate::serve(listener, app)
///     .with_graceful_shutdown(async {
///         let _ = tokio::signal::ctrl_c().await;
///     })
///     .await
/// # }
/// ```
///
/// With an application's own server, bound the same reads there: hyper's
/// `http1::Builder::header_read_timeout` (with a timer), and tower-http's
/// `RequestBodyTimeoutLayer` or `TimeoutLayer`; see the README's "Serving" section.
pub fn serve(listener: TcpListener, app: Router) -> Serve {
    Serve {
        listener,
        app,
        timeouts: ServerTimeouts::default(),
        shutdown: None,
    }
}

/// A server being configured; see [`serve`]. Await it to run it.
#[must_use = "a Serve does nothing until awaited"]
pub struct Serve {
    listener: TcpListener,
    app: Router,
    timeouts: ServerTimeouts,
    shutdown: Option<Signal>,
}

impl fmt::Debug for Serve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("timeouts", &self.timeouts)
            .field("graceful_shutdown", &self.shutdown.is_some())
            .finish_non_exhaustive()
    }
}

impl Serve {
    /// How long a client may take to send a request's head, and how long a connection may
    /// wait idle for its next request; default 10 s. hyper runs one clock for both: it starts
    /// when the connection begins to wait for a request.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let server = authgate::serve(listener, axum::Router::new());
    /// assert_eq!(server.timeouts().header_read(), Duration::from_secs(10));
    /// let server = server.header_read_timeout(Duration::from_secs(5));
    /// assert_eq!(server.timeouts().header_read(), Duration::from_secs(5));
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    /// If `timeout` is zero (every connection would be closed at once).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        assert!(
            !timeout.is_zero(),
            "header_read_timeout must be longer than zero"
        );
        self.timeouts.header_read = timeout;
        self
    }

    /// How long a request's body may take to arrive, counted from the end of its head;
    /// default 30 s. A body still arriving then is answered 408 `REQUEST_TIMEOUT` and the
    /// connection closed.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let server = authgate::serve(listener, axum::Router::new());
    /// assert_eq!(server.timeouts().body_read(), Duration::from_secs(30));
    /// let server = server.body_read_timeout(Duration::from_secs(5));
    /// assert_eq!(server.timeouts().body_read(), Duration::from_secs(5));
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    /// If `timeout` is zero (every request with a body would be refused).
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        assert!(
            !timeout.is_zero(),
            "body_read_timeout must be longer than zero"
        );
        self.timeouts.body_read = timeout;
        self
    }

    /// When `signal` completes: stop accepting connections, let the requests in flight
    /// finish (their reads stay bounded), close idle connections, and return.
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.shutdown = Some(Box::pin(signal));
        self
    }

    /// The read bounds in force.
    pub fn timeouts(&self) -> ServerTimeouts {
        self.timeouts
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// The listener's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    async fn run(self) -> io::Result<()> {
        let Serve {
            listener,
            app,
            timeouts,
            shutdown,
        } = self;
        let mut shutdown = shutdown.unwrap_or_else(|| Box::pin(std::future::pending()));
        let (closing, closing_seen) = watch::channel(false);
        // Every connection holds a sender; `recv` yields `None` once all have finished.
        let (connection_open, mut all_closed) = mpsc::channel::<()>(1);
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            let (stream, remote) = match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: do not spin; a client that gave
                    // up during the handshake is no reason to pause.
                    if !is_connection_error(&err) {
                        tracing::error!(error = %err, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    continue;
                }
            };
            let app = BoundedApp {
                app: app.clone(),
                remote,
                body_read_timeout: timeouts.body_read,
            };
            tokio::spawn(connection(
                stream,
                app,
                timeouts,
                closing_seen.clone(),
                connection_open.clone(),
            ));
        }
        drop(listener);
        let _ = closing.send(true);
        drop(connection_open);
        let _ = all_closed.recv().await;
        Ok(())
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One connection, until it closes or, after the shutdown signal, finishes its request.
async fn connection(
    stream: TcpStream,
    app: BoundedApp,
    timeouts: ServerTimeouts,
    mut closing: watch::Receiver<bool>,
    _open: mpsc::Sender<()>,
) {
    let _ = stream.set_nodelay(true);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let connection = builder
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app))
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => Some(result),
        _ = closing.wait_for(|closing| *closing) => None,
    };
    let result = match result {
        Some(result) => result,
        None => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = result {
        // Timeouts and clients that went away: routine, not the application's problem.
        tracing::debug!(error = %err, "connection closed with an error");
    }
}

//! The circuit in front of the database. While it is closed, requests use the pool as usual,
//! waiting at most the acquire timeout for a connection. When a request finds the database
//! unavailable, one connection attempt outside the pool decides: if the database cannot be
//! reached, the circuit opens, and every request that needs the database is answered 503 at
//! once (no queue of waiters, so memory stays flat under a burst) while a background probe
//! tries one connection per interval; the first that succeeds closes the circuit, and the next
//! requests use the database again, without a restart.
//!
//! The circuit also keeps the outage's log short: one WARN line when it opens, a summary with
//! counts every ten probe intervals, and one line when the database is back.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::{Database, StoreError};

/// How long a request waits for a pooled connection by default.
pub(crate) const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(500);
/// How often the probe tries to connect while the circuit is open, by default.
pub(crate) const DEFAULT_PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// While the circuit is open, a summary line every this many probe intervals (10 s by default).
const SUMMARY_EVERY: u32 = 10;
/// A connection attempt outside the pool (at start-up, to decide whether the circuit opens,
/// and the probe's) waits at least this long: a handshake that is merely slow, on a loaded
/// machine or server, must not pass for an outage. A refused connection fails at once anyway.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a store does when its database cannot be reached (the builder's
/// `database_acquire_timeout` and `database_probe_interval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutageSettings {
    /// How long a request waits for a pooled connection.
    pub(crate) acquire_timeout: Duration,
    /// How often the background probe tries to connect while the circuit is open.
    pub(crate) probe_interval: Duration,
}

impl Default for OutageSettings {
    fn default() -> Self {
        Self {
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
            probe_interval: DEFAULT_PROBE_INTERVAL,
        }
    }
}

impl OutageSettings {
    /// How long a connection attempt outside the pool waits for the database.
    pub(crate) fn connect_timeout(&self) -> Duration {
        self.acquire_timeout.max(CONNECT_TIMEOUT)
    }

    fn summary_period(&self) -> Duration {
        self.probe_interval.saturating_mul(SUMMARY_EVERY)
    }
}

/// One store's circuit (cheap to clone; the clones share it).
#[derive(Debug, Clone)]
pub(crate) struct Circuit {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// Where the database is, for messages (never credentials).
    address: Arc<str>,
    settings: OutageSettings,
    /// Read by every request; set only with `outage` filled in.
    open: AtomicBool,
    outage: Mutex<Option<Outage>>,
    /// Held while one failing request tries a connection; the instant of the last attempt
    /// that reached the database.
    check: tokio::sync::Mutex<Option<Instant>>,
    /// When a failure that did not open the circuit was last logged at WARN, and how many
    /// have been logged at DEBUG only since.
    last_warned: Mutex<Option<Instant>>,
    unwarned: AtomicU64,
}

#[derive(Debug)]
struct Outage {
    cause: Arc<str>,
    since: Instant,
    /// Requests answered 503 since the circuit opened.
    answered: u64,
    /// Of those, since the last summary line.
    answered_since_summary: u64,
}

fn sqlx_timeout() -> StoreError {
    StoreError::from(super::sqlx::Error::PoolTimedOut)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Circuit {
    pub(crate) fn new(address: Arc<str>, settings: OutageSettings) -> Self {
        Self {
            shared: Arc::new(Shared {
                address,
                settings,
                open: AtomicBool::new(false),
                outage: Mutex::new(None),
                check: tokio::sync::Mutex::new(None),
                last_warned: Mutex::new(None),
                unwarned: AtomicU64::new(0),
            }),
        }
    }

    /// Where the database is.
    pub(crate) fn address(&self) -> Arc<str> {
        self.shared.address.clone()
    }

    /// How long a request waits for a pooled connection.
    pub(crate) fn acquire_timeout(&self) -> Duration {
        self.shared.settings.acquire_timeout
    }

    /// Whether the circuit is open (the database is known unreachable).
    pub(crate) fn is_open(&self) -> bool {
        self.shared.open.load(Ordering::Acquire)
    }

    /// `Ok` while the circuit is closed; while it is open, the 503 error at once (counted).
    pub(crate) fn admit(&self) -> Result<(), StoreError> {
        if !self.is_open() {
            return Ok(());
        }
        match self.shared.count_answered() {
            Some(cause) => Err(StoreError::circuit_open(cause, self.address())),
            None => Ok(()),
        }
    }

    /// A request found the database unavailable (`err`): decides whether the circuit opens,
    /// logs as the outage allows, and returns `err` with the database's address.
    pub(crate) async fn failed(&self, err: StoreError, database: &Database) -> StoreError {
        let err = err.at(self.address());
        if err.is_circuit_open() || self.shared.count_answered().is_some() {
            return err;
        }
        if self.reachable(database, None).await.is_ok() {
            // The database answers a fresh connection: a passing failure (a lost connection,
            // a pool busy beyond the timeout). Logged, but not once per request.
            self.shared.warn_passing(&err);
        }
        err
    }

    /// No connection is idle and the pool has room: one is opened for the caller. Waiting
    /// longer than the acquire timeout, the caller asks whether the database takes a
    /// connection at all (one attempt outside the pool, shared by the requests waiting then):
    /// if not, the circuit opens and the caller is answered at once; if so, the caller waits
    /// for its connection as long as a connection may take, as a slow handshake (a loaded
    /// machine, a cold pool) is not an outage.
    pub(crate) async fn wait_for_new(&self, database: &Database) -> Result<(), StoreError> {
        let started = Instant::now();
        let settings = self.shared.settings;
        let mut acquire = database.spawn_acquire();
        tokio::select! {
            acquired = &mut acquire => {
                return acquired.unwrap_or_else(|_| Err(sqlx_timeout()));
            }
            () = tokio::time::sleep(settings.acquire_timeout) => {}
        }
        self.reachable(database, Some(started)).await?;
        let left = settings.connect_timeout().saturating_sub(started.elapsed());
        match tokio::time::timeout(left, acquire).await {
            Ok(Ok(acquired)) => acquired,
            Ok(Err(_)) | Err(_) => Err(sqlx_timeout()),
        }
    }

    /// Whether the database takes a new connection now. One request at a time tries, and the
    /// others take its answer: one given after `since`, or without `since` one at most a
    /// probe interval old. When it fails the circuit opens. `Err` is the circuit's 503,
    /// counted.
    async fn reachable(
        &self,
        database: &Database,
        since: Option<Instant>,
    ) -> Result<(), StoreError> {
        let open = |cause| Err(StoreError::circuit_open(cause, self.address()));
        if let Some(cause) = self.shared.count_answered() {
            return open(cause);
        }
        let mut last_reachable = self.shared.check.lock().await;
        // Another request may have opened the circuit meanwhile.
        if let Some(cause) = self.shared.count_answered() {
            return open(cause);
        }
        let settings = self.shared.settings;
        let answered = last_reachable.is_some_and(|at| match since {
            Some(since) => at >= since,
            None => at.elapsed() < settings.probe_interval,
        });
        if answered {
            return Ok(());
        }
        match database.connect_directly(settings.connect_timeout()).await {
            Ok(()) => {
                *last_reachable = Some(Instant::now());
                Ok(())
            }
            Err(unreachable) => {
                self.open(unreachable.cause(), database.clone());
                match self.shared.count_answered() {
                    Some(cause) => open(cause),
                    None => Ok(()),
                }
            }
        }
    }

    fn open(&self, cause: String, database: Database) {
        let cause: Arc<str> = cause.into();
        *lock(&self.shared.outage) = Some(Outage {
            cause: cause.clone(),
            since: Instant::now(),
            answered: 0,
            answered_since_summary: 0,
        });
        self.shared.open.store(true, Ordering::Release);
        tracing::warn!(
            "database unreachable at {}: {cause}; answering 503 DATABASE_UNAVAILABLE at once \
             while a probe tries to connect every {} ms",
            self.shared.address,
            self.shared.settings.probe_interval.as_millis()
        );
        tokio::spawn(probe(Arc::downgrade(&self.shared), database));
    }
}

impl Shared {
    /// While open: counts one more 503 and returns the cause.
    fn count_answered(&self) -> Option<Arc<str>> {
        let mut outage = lock(&self.outage);
        let outage = outage.as_mut()?;
        outage.answered += 1;
        outage.answered_since_summary += 1;
        Some(outage.cause.clone())
    }

    fn warn_passing(&self, err: &StoreError) {
        let mut last = lock(&self.last_warned);
        if last.is_some_and(|at| at.elapsed() < self.settings.summary_period()) {
            self.unwarned.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(error = %err, "database unavailable for a request");
            return;
        }
        *last = Some(Instant::now());
        let unwarned = self.unwarned.swap(0, Ordering::Relaxed);
        tracing::warn!(
            error = %err,
            "database unavailable for a request, though it accepts new connections; answered \
             503 ({unwarned} more such failures since the last warning)"
        );
    }

    fn close(&self) {
        let outage = lock(&self.outage).take();
        self.open.store(false, Ordering::Release);
        if let Some(outage) = outage {
            tracing::warn!(
                "database reachable again at {} after {:.1} s; {} requests were answered 503 \
                 during the outage",
                self.address,
                outage.since.elapsed().as_secs_f64(),
                outage.answered
            );
        }
    }
}

/// While the circuit is open: one connection attempt per interval; the first that succeeds
/// closes the circuit. Ends with the store (the circuit is held weakly).
async fn probe(shared: Weak<Shared>, database: Database) {
    let mut failed_probes = 0u32;
    loop {
        let Some(settings) = shared.upgrade().map(|shared| shared.settings) else {
            return;
        };
        tokio::time::sleep(settings.probe_interval).await;
        let attempt = database.connect_directly(settings.connect_timeout()).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let Err(unreachable) = attempt else {
            shared.close();
            return;
        };
        failed_probes += 1;
        let mut outage = lock(&shared.outage);
        let Some(outage) = outage.as_mut() else {
            return;
        };
        outage.cause = unreachable.cause().into();
        if failed_probes.is_multiple_of(SUMMARY_EVERY) {
            tracing::warn!(
                "database still unavailable at {}: {}; {} requests answered 503 in the last {:.1} s \
                 ({} since the outage began {} s ago)",
                shared.address,
                outage.cause,
                outage.answered_since_summary,
                settings.summary_period().as_secs_f64(),
                outage.answered,
                outage.since.elapsed().as_secs()
            );
            outage.answered_since_summary = 0;
        }
    }
}

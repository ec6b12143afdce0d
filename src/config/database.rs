//! The database group (authgate's own; Better-Auth has no such options): how long a request
//! waits for a pooled connection, and how often the background probe looks for a database
//! that could not be reached. See `store/circuit.rs` for what happens during an outage.

use std::time::Duration;

use super::builder::{AuthBuilder, AuthConfig};
use super::error::ConfigError;
use crate::store::OutageSettings;

/// Longer than this and requests pile up behind an unreachable database.
const MAX_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(60);
/// More often than this and the probe itself becomes load on a recovering server.
const MIN_PROBE_INTERVAL: Duration = Duration::from_millis(50);
const MAX_PROBE_INTERVAL: Duration = Duration::from_secs(300);

impl OutageSettings {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let settings = self;
        if settings.acquire_timeout.is_zero() || settings.acquire_timeout > MAX_ACQUIRE_TIMEOUT {
            return Err(ConfigError::invalid(
                "database_acquire_timeout",
                format!(
                    "must be longer than zero and at most 60 s, got {:?}",
                    settings.acquire_timeout
                ),
            ));
        }
        if settings.probe_interval < MIN_PROBE_INTERVAL
            || settings.probe_interval > MAX_PROBE_INTERVAL
        {
            return Err(ConfigError::invalid(
                "database_probe_interval",
                format!(
                    "must be between 50 ms and 300 s, got {:?}",
                    settings.probe_interval
                ),
            ));
        }
        Ok(())
    }
}

impl AuthBuilder {
    /// How long a request waits for a pooled database connection before it is answered 503
    /// `DATABASE_UNAVAILABLE` (with `Retry-After`) when every connection is in use; default
    /// 500 ms, at most 60 s. When a new connection must be opened and that takes longer, one
    /// connection attempt outside the pool decides: the database does not answer, and the
    /// request is answered 503 at once; it answers, and the request waits for its connection
    /// as long as opening one may take (5 s for the pool [`connect`](Self::connect) opens; a
    /// pool handed to [`build`](Self::build) uses its own acquire timeout for that).
    ///
    /// Once a connection attempt shows that the database cannot be reached, requests do not
    /// wait at all: they are answered 503 at once until a background probe (see
    /// [`database_probe_interval`](Self::database_probe_interval)) reaches the database again.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .database_acquire_timeout(Duration::from_millis(250))
    ///     .validate()?;
    /// assert_eq!(config.database_acquire_timeout(), Duration::from_millis(250));
    ///
    /// let err = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .database_acquire_timeout(Duration::ZERO)
    ///     .validate()
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("database_acquire_timeout must be longer than zero"));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn database_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.database.acquire_timeout = timeout;
        self
    }

    /// While the database is unreachable, how often a background task tries one connection
    /// to it; the first that succeeds ends the outage (requests use the database again, no
    /// restart needed). Default 1 s, between 50 ms and 300 s. The outage's log has one line
    /// when it begins, a summary with counts every ten intervals, and one line when it ends.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .validate()?;
    /// assert_eq!(config.database_probe_interval(), Duration::from_secs(1));
    ///
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .database_probe_interval(Duration::from_secs(5))
    ///     .validate()?;
    /// assert_eq!(config.database_probe_interval(), Duration::from_secs(5));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn database_probe_interval(mut self, interval: Duration) -> Self {
        self.database.probe_interval = interval;
        self
    }
}

impl AuthConfig {
    /// How long a request waits for a pooled connection (see
    /// [`AuthBuilder::database_acquire_timeout`]).
    pub fn database_acquire_timeout(&self) -> Duration {
        self.database.acquire_timeout
    }

    /// How often the outage probe tries to connect (see
    /// [`AuthBuilder::database_probe_interval`]).
    pub fn database_probe_interval(&self) -> Duration {
        self.database.probe_interval
    }
}

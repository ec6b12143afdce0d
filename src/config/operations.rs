//! Operations: the window over which the incident alerts look, and the optional background
//! cleanup of expired rows.

use std::time::Duration;

use super::builder::{AuthBuilder, OperationsSettings};
use super::error::ConfigError;

impl Default for OperationsSettings {
    fn default() -> Self {
        Self {
            alert_window: Duration::from_secs(60),
            cleanup_interval: None,
        }
    }
}

impl OperationsSettings {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.alert_window < Duration::from_secs(1) {
            return Err(ConfigError::invalid(
                "alert_window",
                "must be at least one second",
            ));
        }
        if self
            .cleanup_interval
            .is_some_and(|i| i < Duration::from_secs(1))
        {
            return Err(ConfigError::invalid(
                "cleanup_interval",
                "must be at least one second",
            ));
        }
        Ok(())
    }
}

impl AuthBuilder {
    /// The window of the incident alerts (60 seconds by default): a warning (and
    /// `authgate_alerts_total{alert="bad_signature"}`) when more than half of at least 20
    /// cookie-bearing requests within it carry a session cookie no configured secret signed,
    /// and (`alert="sessions_not_growing"`) when at least 20 sign-ins succeeded over at least
    /// this long while the number of active sessions did not grow.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("https://app.example.com")
    ///     .alert_window(Duration::from_secs(300))
    ///     .validate()?;
    /// assert_eq!(config.alert_window(), Duration::from_secs(300));
    /// assert!(authgate::Auth::builder().alert_window(Duration::ZERO).validate().is_err());
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn alert_window(mut self, window: Duration) -> Self {
        self.operations.alert_window = window;
        self
    }

    /// Deletes expired sessions and verification rows every `interval` in the background (off
    /// by default), in batches of at most 1000 rows per statement. Safe with several instances
    /// running: each delete removes only rows that are expired anyway. Needs a tokio runtime
    /// when the `Auth` is built; `authgate cleanup` and
    /// [`Auth::cleanup_expired`](crate::Auth::cleanup_expired) run one pass instead.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("https://app.example.com")
    ///     .cleanup_interval(Duration::from_secs(3600))
    ///     .validate()?;
    /// assert_eq!(config.cleanup_interval(), Some(Duration::from_secs(3600)));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn cleanup_interval(mut self, interval: Duration) -> Self {
        self.operations.cleanup_interval = Some(interval);
        self
    }
}

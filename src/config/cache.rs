//! The cache group: the in-process session cache ([`SessionCache`]), off by default.

use super::builder::AuthBuilder;
use super::error::ConfigError;
use crate::cache::SessionCache;

/// The group's check: the cache's bounds.
pub(super) fn check(cache: Option<&SessionCache>) -> Result<(), ConfigError> {
    match cache {
        Some(cache) => cache
            .check()
            .map_err(|reason| ConfigError::invalid("session_cache", reason)),
        None => Ok(()),
    }
}

impl AuthBuilder {
    /// Keeps resolved sessions in process for a short TTL, so that an authenticated request
    /// does no database work (off by default). Every write on this instance that ends or
    /// changes a session or its user evicts at once; see [`SessionCache`] for other instances.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use authgate::SessionCache;
    ///
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .session_cache(SessionCache::memory().ttl(Duration::from_secs(10)))
    ///     .validate()?;
    /// assert_eq!(config.session_cache().unwrap().ttl_value(), Duration::from_secs(10));
    ///
    /// let err = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .session_cache(SessionCache::memory().ttl(Duration::from_secs(3600)))
    ///     .validate()
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("session_cache ttl must be"));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn session_cache(mut self, cache: SessionCache) -> Self {
        self.session_cache = Some(cache);
        self
    }
}

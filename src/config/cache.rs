//! The cache group: the in-process session cache ([`SessionCache`]) and Better-Auth's cookie
//! cache ([`CookieCache`]), both off by default. Their checks are beside their types; the
//! builder runs them.

use super::builder::AuthBuilder;
use crate::cache::SessionCache;
use crate::session::cookie_cache::CookieCache;

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

    /// Better-Auth's cookie cache (`session.cookieCache`, `compact` strategy): the session and
    /// user in a signed `session_data` cookie, so that a `GET` with it needs no database (off
    /// by default). Compatible both ways with Better-Auth on the same secret. A session revoked
    /// on another instance stays valid there until the cookie's max-age ends; see
    /// [`CookieCache`].
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use authgate::CookieCache;
    ///
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .cookie_cache(CookieCache::compact())
    ///     .validate()?;
    /// assert_eq!(config.cookie_cache().unwrap().max_age_value(), Duration::from_secs(300));
    ///
    /// let err = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .cookie_cache(CookieCache::compact().max_age(Duration::ZERO))
    ///     .validate()
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("cookie_cache max_age must be"));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn cookie_cache(mut self, cache: CookieCache) -> Self {
        self.cookie_cache = Some(cache);
        self
    }
}

//! The rate-limit group (Better-Auth's `rateLimit` options). The settings type is
//! [`RateLimit`], which the limiter reads.

use super::builder::AuthBuilder;
use crate::rate_limit::RateLimit;

impl AuthBuilder {
    /// Rate limits for the auth endpoints: on by default with Better-Auth's rules (3 per 10 s
    /// for sign-in, sign-up, change-password and change-email; 100 per 10 s elsewhere), keyed
    /// by client address and endpoint, plus 100 consecutive failed sign-ins per account and
    /// hour (see [`RateLimit::per_account`]), counted in memory. Use
    /// [`RateLimitStorage::Database`](crate::RateLimitStorage::Database) when several
    /// instances serve the same users.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use authgate::{RateLimit, RateLimitStorage, Rule};
    ///
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .rate_limit(
    ///         RateLimit::default()
    ///             .rule("/sign-in/email", Rule::new(5, Duration::from_secs(60)))
    ///             .storage(RateLimitStorage::Database),
    ///     )
    ///     .validate()?;
    /// assert_eq!(
    ///     config.rate_limit().rule_for("/sign-in/email"),
    ///     Some(Rule::new(5, Duration::from_secs(60)))
    /// );
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }
}

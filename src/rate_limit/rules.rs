//! The rate-limit settings: [`RateLimit`], its [`Rule`]s and where counters live.

use std::time::Duration;

use crate::endpoints;

/// At most `max` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    max: u32,
    window: Duration,
}

impl Rule {
    /// `max` requests per `window` (a `max` of 0 blocks every request).
    pub const fn new(max: u32, window: Duration) -> Self {
        Self { max, window }
    }

    /// How many requests a window allows.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// Where the counters live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RateLimitStorage {
    /// This process's memory (at most 100,000 keys): right for a single instance.
    #[default]
    Memory,
    /// The database's `rateLimit` table (created by `Auth::migrate`), shared by every instance.
    Database,
}

/// Rate-limit settings; see [`crate::AuthBuilder::rate_limit`].
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use authgate::{RateLimit, RateLimitStorage, Rule};
///
/// let limits = RateLimit::default()
///     .rule("/sign-in/email", Rule::new(5, Duration::from_secs(60)))
///     .storage(RateLimitStorage::Database);
/// assert_eq!(limits.rule_for("/sign-in/email"), Some(Rule::new(5, Duration::from_secs(60))));
/// assert_eq!(limits.storage_kind(), RateLimitStorage::Database);
/// ```
#[derive(Debug, Clone)]
pub struct RateLimit {
    enabled: bool,
    default_rule: Rule,
    rules: Vec<(String, Option<Rule>)>,
    per_account: Option<Rule>,
    storage: RateLimitStorage,
}

const SENSITIVE: Rule = Rule::new(3, Duration::from_secs(10));
const MAIL: Rule = Rule::new(3, Duration::from_secs(60));
/// NIST SP 800-63B: no more than 100 consecutive failed attempts on one account.
const PER_ACCOUNT: Rule = Rule::new(100, Duration::from_secs(60 * 60));

impl Default for RateLimit {
    /// Better-Auth's production rules, enabled, plus at most 100 consecutive failed sign-ins
    /// per account and hour.
    fn default() -> Self {
        Self {
            enabled: true,
            default_rule: Rule::new(100, Duration::from_secs(10)),
            rules: Vec::new(),
            per_account: Some(PER_ACCOUNT),
            storage: RateLimitStorage::Memory,
        }
    }
}

impl RateLimit {
    /// No rate limiting at all.
    ///
    /// # ⚠️ Warning
    /// Without limits, password guessing and password-hashing floods are bounded only by what
    /// sits in front of the app.
    ///
    /// # Examples
    /// ```
    /// let limits = authgate::RateLimit::disabled();
    /// assert!(!limits.is_enabled());
    /// ```
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Whether requests are limited.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The rule for endpoints without a specific one (default 100 per 10 s).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use authgate::{RateLimit, Rule};
    ///
    /// let limits = RateLimit::default().default_rule(Rule::new(300, Duration::from_secs(60)));
    /// assert_eq!(limits.rule_for("/get-session"), Some(Rule::new(300, Duration::from_secs(60))));
    /// // Better-Auth's stricter built-in rules still apply to their endpoints.
    /// assert_eq!(limits.rule_for("/sign-in/email"), Some(Rule::new(3, Duration::from_secs(10))));
    /// ```
    pub fn default_rule(mut self, rule: Rule) -> Self {
        self.default_rule = rule;
        self
    }

    /// The rule for one endpoint, by its path below the router (e.g. `/sign-in/email`, not
    /// `/api/auth/sign-in/email`), replacing the built-in one. A path that is not an endpoint
    /// is a configuration error.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use authgate::{RateLimit, Rule};
    ///
    /// let limits = RateLimit::default().rule("/sign-up/email", Rule::new(5, Duration::from_secs(3600)));
    /// assert_eq!(limits.rule_for("/sign-up/email"), Some(Rule::new(5, Duration::from_secs(3600))));
    /// ```
    pub fn rule(mut self, path: impl Into<String>, rule: Rule) -> Self {
        self.rules.push((path.into(), Some(rule)));
        self
    }

    /// No limit for one endpoint (a path below the router, as for [`rule`](Self::rule)).
    ///
    /// # Examples
    /// ```
    /// let limits = authgate::RateLimit::default().unlimited("/get-session");
    /// assert_eq!(limits.rule_for("/get-session"), None);
    /// ```
    pub fn unlimited(mut self, path: impl Into<String>) -> Self {
        self.rules.push((path.into(), None));
        self
    }

    /// The limit on consecutive failed sign-ins per account (per submitted email address,
    /// whether or not it is registered), whatever addresses they come from: by default 100 per
    /// hour, as NIST SP 800-63B asks, so that guessing one account's password from many
    /// addresses stays slow. A successful sign-in resets the count. The endpoints that check
    /// the current password of a signed-in user (`change-password`, `verify-password`,
    /// `delete-user` with a password) count on the same counter. A blocked account answers
    /// 429 like any rate limit, the right password included, until a window has passed since
    /// its last allowed attempt.
    ///
    /// # ⚠️ Trade-off
    /// Whoever knows an address can keep that account from signing in with a password by
    /// failing on purpose (100 failures an hour, from one address within the per-address
    /// limits). That is the price of bounding guesses per account; lower the rule's `max` and
    /// window to shorten lockouts, or turn it off with
    /// [`without_per_account`](Self::without_per_account) where per-address limits suffice.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use authgate::{RateLimit, Rule};
    ///
    /// let limits = RateLimit::default().per_account(Rule::new(20, Duration::from_secs(15 * 60)));
    /// assert_eq!(limits.per_account_rule(), Some(Rule::new(20, Duration::from_secs(15 * 60))));
    /// ```
    pub fn per_account(mut self, rule: Rule) -> Self {
        self.per_account = Some(rule);
        self
    }

    /// No per-account limit; only the per-address limits apply.
    ///
    /// # Examples
    /// ```
    /// let limits = authgate::RateLimit::default().without_per_account();
    /// assert_eq!(limits.per_account_rule(), None);
    /// ```
    pub fn without_per_account(mut self) -> Self {
        self.per_account = None;
        self
    }

    /// Where the counters live (default: memory). With several instances, use
    /// [`RateLimitStorage::Database`] (the `rateLimit` table, created by `Auth::migrate`).
    ///
    /// # Examples
    /// ```
    /// use authgate::{RateLimit, RateLimitStorage};
    ///
    /// let limits = RateLimit::default().storage(RateLimitStorage::Database);
    /// assert_eq!(limits.storage_kind(), RateLimitStorage::Database);
    /// ```
    pub fn storage(mut self, storage: RateLimitStorage) -> Self {
        self.storage = storage;
        self
    }

    /// Where the counters live.
    pub fn storage_kind(&self) -> RateLimitStorage {
        self.storage
    }

    /// The per-account rule on consecutive failed password checks, if limits are on.
    pub fn per_account_rule(&self) -> Option<Rule> {
        self.per_account.filter(|_| self.enabled)
    }

    /// The longest window of any rule: counters idle for longer can be dropped.
    pub(crate) fn longest_window(&self) -> Duration {
        self.rules
            .iter()
            .filter_map(|(_, rule)| *rule)
            .chain([self.default_rule, SENSITIVE, MAIL])
            .chain(self.per_account)
            .map(|rule| rule.window)
            .max()
            .unwrap_or_default()
    }

    /// Refuses rules that would silently do nothing: a zero window (which would never block),
    /// or a path that is not one of the router's endpoints (paths are relative to the router,
    /// `/sign-in/email`, not `/api/auth/sign-in/email`). The error is the reason.
    pub(crate) fn check(&self) -> Result<(), String> {
        let zero = |rule: &Rule| rule.window.is_zero();
        if zero(&self.default_rule) || self.per_account.as_ref().is_some_and(zero) {
            return Err("rate-limit windows must be longer than zero".to_owned());
        }
        for (path, rule) in &self.rules {
            if rule.as_ref().is_some_and(zero) {
                return Err(format!(
                    "the rate-limit window for {path} must be longer than zero"
                ));
            }
            if !endpoints::ALL.contains(&path.as_str()) {
                return Err(format!(
                    "rate-limit rule for {path:?}, which is not an endpoint; paths are relative to \
                     the auth router, one of {:?}",
                    endpoints::ALL
                ));
            }
        }
        Ok(())
    }

    /// The rule for the endpoint `path` (below the router, e.g. `/sign-in/email`): a configured
    /// one, else Better-Auth's built-in ones, else the default; `None` when unlimited.
    pub fn rule_for(&self, path: &str) -> Option<Rule> {
        if !self.enabled {
            return None;
        }
        if let Some((_, rule)) = self.rules.iter().rev().find(|(p, _)| p == path) {
            return *rule;
        }
        // Better-Auth's special rules go by path prefix.
        if ["/sign-in", "/sign-up", "/change-password", "/change-email"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            return Some(SENSITIVE);
        }
        if [
            "/request-password-reset",
            "/send-verification-email",
            "/forget-password",
        ]
        .iter()
        .any(|p| path.starts_with(p))
        {
            return Some(MAIL);
        }
        Some(self.default_rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn better_auth_rules() {
        let limits = RateLimit::default();
        assert_eq!(limits.rule_for("/sign-in/email"), Some(SENSITIVE));
        assert_eq!(limits.rule_for("/sign-up/email"), Some(SENSITIVE));
        assert_eq!(limits.rule_for("/change-password"), Some(SENSITIVE));
        assert_eq!(limits.rule_for("/request-password-reset"), Some(MAIL));
        assert_eq!(
            limits.rule_for("/get-session"),
            Some(Rule::new(100, Duration::from_secs(10)))
        );
        let custom = limits
            .clone()
            .rule("/sign-in/email", Rule::new(10, Duration::from_secs(1)))
            .unlimited("/ok");
        assert_eq!(
            custom.rule_for("/sign-in/email"),
            Some(Rule::new(10, Duration::from_secs(1)))
        );
        assert_eq!(custom.rule_for("/ok"), None);
        assert_eq!(RateLimit::disabled().rule_for("/sign-in/email"), None);
    }
}

//! Rate limiting of the auth endpoints, with Better-Auth's rules and algorithm, on by default.
//!
//! Requests are counted per client address and endpoint: at most `max` in a `window`, the
//! window measured from the last allowed request (Better-Auth's rule). A blocked request gets
//! 429 with `Retry-After` and Better-Auth's `X-Retry-After`. The default rules: 3 per 10 s for
//! sign-in, sign-up, change-password and change-email; 3 per 60 s for password-reset and
//! verification mails; 100 per 10 s elsewhere. Sign-in is also limited per account (100
//! consecutive failures an hour, whatever the addresses), which Better-Auth does not do.
//!
//! Counters live in memory (one process) or in the database's `rateLimit` table, so that
//! several instances share them; either way each check is atomic.

mod memory;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Auth;
use crate::client_ip;
use crate::error::AuthError;
pub(crate) use memory::MemoryStore;

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
    /// ```
    pub fn unlimited(mut self, path: impl Into<String>) -> Self {
        self.rules.push((path.into(), None));
        self
    }

    /// The limit on consecutive failed sign-ins per account (per submitted email address,
    /// whether or not it is registered), whatever addresses they come from: by default 100 per
    /// hour, as NIST SP 800-63B asks, so that guessing one account's password from many
    /// addresses stays slow. A successful sign-in resets the count. A blocked account answers
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
    /// ```
    pub fn storage(mut self, storage: RateLimitStorage) -> Self {
        self.storage = storage;
        self
    }

    pub(crate) fn store(&self) -> RateLimitStorage {
        self.storage
    }

    /// The per-account sign-in rule, if limits are on.
    pub(crate) fn account_rule(&self) -> Option<Rule> {
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
    /// `/sign-in/email`, not `/api/auth/sign-in/email`).
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
            if !crate::routes::endpoint_paths().any(|p| p == path) {
                let known: Vec<&str> = crate::routes::endpoint_paths().collect();
                return Err(format!(
                    "rate-limit rule for {path:?}, which is not an endpoint; paths are relative to \
                     the auth router, one of {known:?}"
                ));
            }
        }
        Ok(())
    }

    /// The rule for `path`: a configured one, else Better-Auth's built-in ones, else the default.
    pub(crate) fn rule_for(&self, path: &str) -> Option<Rule> {
        if !self.enabled {
            return None;
        }
        if let Some((_, rule)) = self.rules.iter().rev().find(|(p, _)| p == path) {
            return *rule;
        }
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

/// A check's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Allowed,
    /// Blocked; retry after this many seconds.
    Blocked(u64),
}

/// Better-Auth's rule on one counter: a new window once `window` has passed since the last
/// allowed request, else allowed while under `max`. Returns the decision and the new state.
///
/// A clock that went back more than a window before the last allowed request also starts a
/// new window, so that a jump back cannot hold a client blocked for days. (Smaller steps back
/// are the ordinary jitter of concurrent requests, which must still count.)
pub(crate) fn decide(count: u32, last_ms: i64, now_ms: i64, rule: Rule) -> (Decision, u32, i64) {
    let window_ms = i64::try_from(rule.window.as_millis()).unwrap_or(i64::MAX);
    let elapsed = now_ms.saturating_sub(last_ms);
    if elapsed >= window_ms || elapsed < -window_ms {
        return if rule.max == 0 {
            (
                Decision::Blocked(retry_after(now_ms, now_ms, window_ms)),
                0,
                now_ms,
            )
        } else {
            (Decision::Allowed, 1, now_ms)
        };
    }
    if count >= rule.max {
        return (
            Decision::Blocked(retry_after(last_ms, now_ms, window_ms)),
            count,
            last_ms,
        );
    }
    (Decision::Allowed, count + 1, now_ms)
}

/// Seconds until the window that started at `last_ms` ends, in `1..=window`.
pub(crate) fn retry_after(last_ms: i64, now_ms: i64, window_ms: i64) -> u64 {
    let remaining = last_ms
        .saturating_add(window_ms)
        .saturating_sub(now_ms)
        .clamp(0, window_ms);
    u64::try_from((remaining + 999) / 1000).unwrap_or(1).max(1)
}

/// The part of a client address a limit is keyed by: IPv4 as it is, IPv6 by its /64 (one
/// subscriber's whole range), unknown as one shared bucket (never unlimited).
pub(crate) fn client_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
        None => "unknown".to_owned(),
    }
}

/// The middleware on each auth route: counts the request before anything else reads it.
pub(crate) async fn enforce(
    State((auth, path)): State<(Auth, &'static str)>,
    request: Request,
    next: Next,
) -> Response {
    let Some(rule) = auth.config().rate_limit.rule_for(path) else {
        return next.run(request).await;
    };
    let peer = client_ip::peer_ip(request.extensions());
    if peer.is_none() {
        warn_unknown_peer_once();
    }
    let ip = auth
        .config()
        .trusted_proxies
        .client_ip(request.headers(), peer);
    let key = format!("{}|{path}", client_key(ip));
    match count(&auth, &key, rule).await {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

/// The counter of sign-in attempts on the account `email` names: a digest, so that the key
/// has a fixed length (the `rateLimit.key` column is `varchar(255)` on MySQL) and the table
/// holds no addresses.
fn account_key(email: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(email.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("account:{hex}|/sign-in/email")
}

/// Counts a sign-in attempt against the account `email` names (lower-cased; registered or not,
/// so that the answer says nothing about which addresses exist), before any password work.
pub(crate) async fn enforce_per_account(auth: &Auth, email: &str) -> Result<(), AuthError> {
    let Some(rule) = auth.config().rate_limit.account_rule() else {
        return Ok(());
    };
    count(auth, &account_key(email), rule).await
}

/// After a successful sign-in: the account's count starts again, so that only consecutive
/// failures add up (NIST SP 800-63B). Best effort: a failure here is logged, not answered.
pub(crate) async fn forget_account(auth: &Auth, email: &str) {
    if auth.config().rate_limit.account_rule().is_none() {
        return;
    }
    let key = account_key(email);
    match auth.config().rate_limit.store() {
        RateLimitStorage::Memory => auth.rate_limit_memory().forget(&key),
        RateLimitStorage::Database => {
            if let Err(err) = auth.database().rate_limit_forget(&key).await {
                tracing::warn!(error = %err, "could not reset an account's sign-in counter");
            }
        }
    }
}

/// Counts one request against `key`: 429 when over the rule, 503 when the counters cannot be
/// read (fail closed).
async fn count(auth: &Auth, key: &str, rule: Rule) -> Result<(), AuthError> {
    let now_ms = i64::try_from(crate::timestamp::now().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX);
    let limits = &auth.config().rate_limit;
    let decision = match limits.store() {
        RateLimitStorage::Memory => Ok(auth.rate_limit_memory().check(key, now_ms, rule)),
        RateLimitStorage::Database => {
            auth.database()
                .rate_limit_check(key, now_ms, rule, limits.longest_window())
                .await
        }
    };
    match decision {
        Ok(Decision::Allowed) => Ok(()),
        Ok(Decision::Blocked(seconds)) => {
            Err(AuthError::too_many_requests().with_retry_after(seconds))
        }
        Err(err) => {
            tracing::error!(error = %err, "rate-limit counters unavailable; refusing the request");
            Err(AuthError::database_unavailable())
        }
    }
}

/// Without the peer address every client shares one bucket (fail closed), which a handful of
/// failed sign-ins fills for everybody: say so, once, in terms of the fix.
fn warn_unknown_peer_once() {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "authgate does not know the client's address, so every client shares one rate-limit \
             bucket; serve the app with `into_make_service_with_connect_info::<SocketAddr>()` \
             (and set AuthBuilder::trusted_proxies behind a reverse proxy)"
        );
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

    #[test]
    fn the_window_counts_from_the_last_allowed_request() {
        let rule = Rule::new(3, Duration::from_secs(10));
        let (mut count, mut last) = (0, i64::MIN / 2);
        for now in [0, 1_000, 2_000] {
            let (decision, c, l) = decide(count, last, now, rule);
            assert_eq!(decision, Decision::Allowed);
            (count, last) = (c, l);
        }
        let (decision, c, l) = decide(count, last, 5_000, rule);
        assert_eq!(decision, Decision::Blocked(7));
        assert_eq!((c, l), (count, last), "a blocked request changes nothing");
        let (decision, c, _) = decide(count, last, 12_000, rule);
        assert_eq!((decision, c), (Decision::Allowed, 1));
    }

    #[test]
    fn a_clock_jump_never_blocks_for_longer_than_a_window() {
        let rule = Rule::new(1, Duration::from_secs(10));
        let day = 24 * 3_600_000;
        let (decision, count, last) = decide(0, i64::MIN / 2, 2 * day, rule);
        assert_eq!(decision, Decision::Allowed);
        let (decision, ..) = decide(count, last, 2 * day + 1_000, rule);
        assert_eq!(decision, Decision::Blocked(9));
        // The clock goes back two days: a new window, not two days of 429.
        let (decision, ..) = decide(count, last, 1_000, rule);
        assert_eq!(decision, Decision::Allowed);
    }

    #[test]
    fn keys() {
        assert_eq!(client_key(Some("192.0.2.1".parse().unwrap())), "192.0.2.1");
        let a = client_key(Some("2001:db8::1".parse().unwrap()));
        assert_eq!(a, "2001:db8::/64");
        assert_eq!(
            client_key(Some("2001:DB8:0:0:0:0:0:ffff".parse().unwrap())),
            a
        );
        assert_eq!(client_key(Some("2001:db8::abcd:1".parse().unwrap())), a);
        assert_ne!(client_key(Some("2001:db8:0:1::1".parse().unwrap())), a);
        assert_eq!(client_key(None), "unknown");
        assert_eq!(retry_after(0, 0, 10_000), 10);
        assert_eq!(retry_after(0, 9_999, 10_000), 1);
        assert_eq!(retry_after(0, 20_000, 10_000), 1);
    }
}

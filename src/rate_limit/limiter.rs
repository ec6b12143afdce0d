//! [`Limiter`]: counts requests against the configured rules, in memory or in the database's
//! `rateLimit` table, per client address and endpoint, and per account for password checks.

use std::net::IpAddr;

use super::algorithm::{Decision, client_key, retry_after, window_ms};
use super::memory::MemoryStore;
use super::rules::{RateLimit, RateLimitStorage, Rule};
use crate::store::{Store, StoreError};
use crate::timestamp;

/// Why a request may not proceed.
#[derive(Debug)]
pub(crate) enum Limited {
    /// Over a rule; retry after this many seconds.
    Blocked(u64),
    /// The counters could not be read: refused (fail closed).
    CountersUnavailable(StoreError),
}

/// The rate limits of one `Auth`: the rules and where their counters live.
#[derive(Debug)]
pub(crate) struct Limiter {
    rules: RateLimit,
    memory: MemoryStore,
    database: Store,
}

impl Limiter {
    pub(crate) fn new(rules: RateLimit, database: Store) -> Self {
        Self {
            rules,
            memory: MemoryStore::default(),
            database,
        }
    }

    pub(crate) fn rules(&self) -> &RateLimit {
        &self.rules
    }

    /// Counts a request to the endpoint `path` from `ip` (`None`: unknown, one shared bucket).
    pub(crate) async fn check_request(
        &self,
        path: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), Limited> {
        let Some(rule) = self.rules.rule_for(path) else {
            return Ok(());
        };
        self.count(&format!("{}|{path}", client_key(ip)), rule)
            .await
    }

    /// Counts a request to the endpoint `path` made with the session token `token`, whose
    /// signature verified: such requests are counted per session rather than per address, so
    /// that a backend validating its users' sessions from one address does not share a budget
    /// with anonymous traffic from it.
    pub(crate) async fn check_session_request(
        &self,
        path: &str,
        token: &str,
    ) -> Result<(), Limited> {
        let Some(rule) = self.rules.rule_for(path) else {
            return Ok(());
        };
        self.count(&format!("session:{}|{path}", sha256_hex(token)), rule)
            .await
    }

    /// Counts a password attempt against the account `email` names (lower-cased; registered or
    /// not, so that the answer says nothing about which addresses exist), before any password
    /// work.
    pub(crate) async fn check_account(&self, email: &str) -> Result<(), Limited> {
        let Some(rule) = self.rules.per_account_rule() else {
            return Ok(());
        };
        self.count(&account_key(email), rule).await
    }

    /// After a successful password check: the account's count starts again, so that only
    /// consecutive failures add up (NIST SP 800-63B). Best effort: a failure is logged.
    pub(crate) async fn forget_account(&self, email: &str) {
        if self.rules.per_account_rule().is_none() {
            return;
        }
        let key = account_key(email);
        match self.rules.storage_kind() {
            RateLimitStorage::Memory => self.memory.forget(&key),
            RateLimitStorage::Database => {
                if let Err(err) = self.database.rate_limit_forget(&key).await {
                    tracing::warn!(error = %err, "could not reset an account's sign-in counter");
                }
            }
        }
    }

    /// Counts one request against `key`.
    async fn count(&self, key: &str, rule: Rule) -> Result<(), Limited> {
        let now_ms =
            i64::try_from(timestamp::now().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
        let decision = match self.rules.storage_kind() {
            RateLimitStorage::Memory => self.memory.check(key, now_ms, rule),
            RateLimitStorage::Database => self
                .database_check(key, now_ms, rule)
                .await
                .map_err(Limited::CountersUnavailable)?,
        };
        match decision {
            Decision::Allowed => Ok(()),
            Decision::Blocked(seconds) => Err(Limited::Blocked(seconds)),
        }
    }

    /// One atomic upsert applying Better-Auth's rule in SQL (see `store::rate_limits`). Now and
    /// then this also drops counters idle for longer than the longest window (and at least an
    /// hour), so that the table does not grow with every address ever seen.
    async fn database_check(
        &self,
        key: &str,
        now_ms: i64,
        rule: Rule,
    ) -> Result<Decision, StoreError> {
        let window_ms = window_ms(rule);
        if rule.max() == 0 {
            return Ok(Decision::Blocked(retry_after(now_ms, now_ms, window_ms)));
        }
        let (count, last) = self
            .database
            .rate_limit_hit(key, now_ms, window_ms, rule.max())
            .await?;
        if one_in_a_thousand() {
            let retain_ms = window_ms_of(self.rules.longest_window()).max(3_600_000);
            if let Err(err) = self
                .database
                .rate_limit_prune(now_ms.saturating_sub(retain_ms))
                .await
            {
                tracing::debug!(error = %err, "could not prune rate-limit counters");
            }
        }
        Ok(if count <= i64::from(rule.max()) {
            Decision::Allowed
        } else {
            Decision::Blocked(retry_after(last, now_ms, window_ms))
        })
    }
}

fn window_ms_of(window: std::time::Duration) -> i64 {
    i64::try_from(window.as_millis()).unwrap_or(i64::MAX)
}

fn one_in_a_thousand() -> bool {
    let mut dice = [0u8; 2];
    getrandom::fill(&mut dice).is_ok() && u16::from_le_bytes(dice) % 1000 == 0
}

/// The counter of password attempts on the account `email` names: a digest, so that the key
/// has a fixed length (the `rateLimit.key` column is `varchar(255)` on MySQL) and the table
/// holds no addresses.
fn account_key(email: &str) -> String {
    format!("account:{}|/sign-in/email", sha256_hex(email))
}

/// A fixed-length key part that reveals nothing of `value` (an email, a session token).
fn sha256_hex(value: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(value.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

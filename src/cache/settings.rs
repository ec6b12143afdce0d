//! [`SessionCache`]: the settings of the in-process session cache, checked by
//! [`SessionCache::check`] when the configuration is validated.

use std::time::Duration;

/// The longest TTL allowed: across instances without invalidation, the TTL is how long a
/// revoked session may still be served, so it must stay short.
pub(crate) const MAX_TTL: Duration = Duration::from_secs(10 * 60);
/// The most entries allowed (each costs about 1 KiB with a typical user and session).
pub(crate) const MAX_ENTRIES: usize = 10_000_000;

/// The in-process session cache: a verified session token's session and user, kept for a
/// short TTL so that an authenticated request does no database work at all. Off unless given
/// to [`AuthBuilder::session_cache`](crate::AuthBuilder::session_cache).
///
/// Writes on the same instance (sign-out, revoking, changing or setting the password,
/// updating or deleting the user, updating the session) evict at once. Another instance sees
/// a revocation when its entry's TTL runs out, or at once with
/// [`invalidate_over_postgres`](Self::invalidate_over_postgres).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use authgate::SessionCache;
///
/// let cache = SessionCache::memory()
///     .max_entries(100_000)
///     .ttl(Duration::from_secs(30));
/// assert_eq!(cache.max_entries_value(), 100_000);
/// assert_eq!(cache.ttl_value(), Duration::from_secs(30));
/// assert!(!cache.invalidates_over_postgres());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct SessionCache {
    pub(crate) max_entries: usize,
    pub(crate) ttl: Duration,
    pub(crate) over_postgres: bool,
}

impl SessionCache {
    /// An in-process cache of at most 10,000 sessions, each kept 30 seconds.
    pub fn memory() -> Self {
        Self {
            max_entries: 10_000,
            ttl: Duration::from_secs(30),
            over_postgres: false,
        }
    }

    /// The most sessions kept (1 to 10,000,000); the oldest go first. An entry takes about
    /// 1 KiB with a typical user and session (more with large additional fields).
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }

    /// How long an entry is served before the database is asked again (more than zero, at
    /// most 10 minutes). Without [`invalidate_over_postgres`](Self::invalidate_over_postgres)
    /// this is how long another instance may still accept a session revoked here.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Evicts across instances: every write that ends or changes a session or user publishes
    /// `NOTIFY` on a channel named after the database schema
    /// (`authgate.sessions.<schema>`), and every instance listens on it. While an instance's
    /// listening connection is down it serves nothing from the cache (a notification may have
    /// been missed), and it empties the cache when it reconnects. PostgreSQL only.
    pub fn invalidate_over_postgres(mut self) -> Self {
        self.over_postgres = true;
        self
    }

    /// The entry bound.
    pub fn max_entries_value(&self) -> usize {
        self.max_entries
    }

    /// The TTL.
    pub fn ttl_value(&self) -> Duration {
        self.ttl
    }

    /// Whether invalidations travel over PostgreSQL.
    pub fn invalidates_over_postgres(&self) -> bool {
        self.over_postgres
    }

    /// The rule the settings break, if any.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.max_entries == 0 || self.max_entries > MAX_ENTRIES {
            return Err(format!(
                "max_entries must be between 1 and {MAX_ENTRIES}, got {}",
                self.max_entries
            ));
        }
        if self.ttl.is_zero() || self.ttl > MAX_TTL {
            return Err(format!(
                "ttl must be longer than zero and at most {MAX_TTL:?} (it bounds how long \
                 another instance serves a revoked session), got {:?}",
                self.ttl
            ));
        }
        Ok(())
    }
}

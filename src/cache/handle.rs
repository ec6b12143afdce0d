//! [`CacheHandle`]: the session cache one `Auth` uses — the map, its counters, and, when
//! configured, the PostgreSQL invalidation — and [`SessionCacheStats`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) use super::invalidate::Invalidate;
use super::memory::{self, Key, MemoryCache};
use super::notes::RevocationNotes;
use super::settings::SessionCache;
use crate::model::SessionWithUser;
use crate::store::Database;

/// The session cache's counters, from [`Auth::session_cache_stats`](crate::Auth::session_cache_stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionCacheStats {
    /// Lookups answered from the cache, without the database.
    pub hits: u64,
    /// Lookups that went to the database.
    pub misses: u64,
    /// Entries held now.
    pub entries: usize,
}

/// One `Auth`'s session cache.
#[derive(Debug)]
pub(crate) struct CacheHandle {
    memory: Arc<MemoryCache>,
    hits: AtomicU64,
    misses: AtomicU64,
    #[cfg(feature = "postgres")]
    remote: Option<super::listener::Remote>,
}

impl CacheHandle {
    /// The cache `settings` ask for, on `database`. Invalidation over PostgreSQL on another
    /// database is refused earlier (`AuthBuilder::build`); here it is left out with an error
    /// in the log.
    pub(crate) fn new(
        settings: &SessionCache,
        database: &Database,
        notes: Option<Arc<RevocationNotes>>,
    ) -> Self {
        let memory = Arc::new(MemoryCache::new(settings.max_entries, settings.ttl));
        #[cfg(feature = "postgres")]
        // With PostgreSQL the only backend built, every database is one.
        #[allow(unreachable_patterns)]
        let remote = match (settings.over_postgres, database) {
            (true, Database::Postgres(pool)) => {
                Some(super::listener::Remote::new(pool.clone(), notes))
            }
            (true, _) => {
                tracing::error!(
                    "session cache invalidation over PostgreSQL needs a PostgreSQL database; \
                     entries live for their TTL"
                );
                None
            }
            _ => None,
        };
        #[cfg(not(feature = "postgres"))]
        let _ = (database, notes);
        Self {
            memory,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            #[cfg(feature = "postgres")]
            remote,
        }
    }

    /// The key of `token`.
    pub(crate) fn key(token: &str) -> Key {
        memory::key(token)
    }

    /// Whether the cache may serve now (with PostgreSQL invalidation: while it listens).
    fn usable(&self) -> bool {
        #[cfg(feature = "postgres")]
        if let Some(remote) = &self.remote {
            return remote.listening(&self.memory);
        }
        true
    }

    /// The cached session for `key`, counting a hit or a miss; with it, the epoch to pass to
    /// [`insert`](Self::insert) after a database read.
    pub(crate) fn get(&self, key: &Key) -> Result<Arc<SessionWithUser>, u64> {
        let epoch = self.memory.epoch();
        let found = self.usable().then(|| self.memory.get(key)).flatten();
        match found {
            Some(found) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Ok(found)
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                Err(epoch)
            }
        }
    }

    /// Stores a session read (or written) since `epoch`.
    pub(crate) fn insert(&self, key: Key, value: Arc<SessionWithUser>, epoch: u64) {
        if self.usable() {
            self.memory.insert(key, value, epoch);
        }
    }

    /// Drops one entry here only (its session went away under a lookup).
    pub(crate) fn forget(&self, key: &Key) {
        self.memory.remove(key);
    }

    /// The current epoch.
    pub(crate) fn epoch(&self) -> u64 {
        self.memory.epoch()
    }

    /// Evicts here at once, and on the other instances when invalidation is configured.
    pub(crate) async fn invalidate(&self, what: Invalidate<'_>) {
        let key = match what {
            Invalidate::Token(token) => {
                let key = memory::key(token);
                self.memory.remove(&key);
                Some(key)
            }
            Invalidate::User(user_id) => {
                self.memory.remove_user(user_id);
                None
            }
        };
        #[cfg(feature = "postgres")]
        if let Some(remote) = &self.remote {
            let payload = match (key, what) {
                (Some(key), _) => super::listener::token_payload(&key),
                (None, Invalidate::User(user_id)) => super::listener::user_payload(user_id),
                (None, Invalidate::Token(_)) => return,
            };
            remote.publish(&payload).await;
        }
        #[cfg(not(feature = "postgres"))]
        let _ = key;
    }

    /// The counters.
    pub(crate) fn stats(&self) -> SessionCacheStats {
        SessionCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.memory.len(),
        }
    }
}

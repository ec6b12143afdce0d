//! The in-process map behind the session cache: sharded, bounded in entries (the oldest
//! inserted go first), each entry served for a TTL. Keys are SHA-256 digests of the session
//! token, so the map holds no token.
//!
//! An epoch counts invalidations: a lookup notes it before reading the database and stores
//! its answer only if no invalidation happened in between, so that a row read just before a
//! revocation is never cached after it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::model::SessionWithUser;

/// A token's key: its SHA-256 digest.
pub(crate) type Key = [u8; 32];

const SHARDS: usize = 16;

/// The key of `token`.
pub(crate) fn key(token: &str) -> Key {
    Sha256::digest(token.as_bytes()).into()
}

struct Entry {
    value: Arc<SessionWithUser>,
    stored: Instant,
    seq: u64,
}

#[derive(Default)]
struct Shard {
    map: HashMap<Key, Entry>,
    /// Insertion order, with the sequence number each key had then; stale pairs (re-inserted
    /// or removed keys) are skipped when evicting and dropped when the queue is rebuilt.
    order: VecDeque<(Key, u64)>,
    next_seq: u64,
}

impl Shard {
    fn evict_oldest(&mut self) {
        while let Some((key, seq)) = self.order.pop_front() {
            if self.map.get(&key).is_some_and(|e| e.seq == seq) {
                self.map.remove(&key);
                return;
            }
        }
    }

    fn rebuild_order(&mut self) {
        let mut live: Vec<(Key, u64)> = self.map.iter().map(|(k, e)| (*k, e.seq)).collect();
        live.sort_unstable_by_key(|(_, seq)| *seq);
        self.order = live.into();
    }
}

/// The sharded map.
pub(crate) struct MemoryCache {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    ttl: Duration,
    epoch: AtomicU64,
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache")
            .field("per_shard", &self.per_shard)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryCache {
    pub(crate) fn new(max_entries: usize, ttl: Duration) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: max_entries.div_ceil(SHARDS).max(1),
            ttl,
            epoch: AtomicU64::new(0),
        }
    }

    fn shard(&self, key: &Key) -> &Mutex<Shard> {
        &self.shards[usize::from(key[0]) % SHARDS]
    }

    /// The current invalidation epoch, to pass to [`insert`](Self::insert).
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// The entry for `key` while its TTL lasts.
    pub(crate) fn get(&self, key: &Key) -> Option<Arc<SessionWithUser>> {
        let mut shard = lock(self.shard(key));
        let entry = shard.map.get(key)?;
        if entry.stored.elapsed() < self.ttl {
            return Some(entry.value.clone());
        }
        shard.map.remove(key);
        None
    }

    /// Stores `value` unless an invalidation happened since `epoch` was read.
    pub(crate) fn insert(&self, key: Key, value: Arc<SessionWithUser>, epoch: u64) {
        let mut shard = lock(self.shard(&key));
        // Checked under the shard lock: an invalidation bumps the epoch before it takes the
        // locks to remove entries, so either this sees the new epoch or the removal sees
        // this entry.
        if self.epoch() != epoch {
            return;
        }
        let seq = shard.next_seq;
        shard.next_seq += 1;
        let fresh = shard
            .map
            .insert(
                key,
                Entry {
                    value,
                    stored: Instant::now(),
                    seq,
                },
            )
            .is_none();
        shard.order.push_back((key, seq));
        if fresh && shard.map.len() > self.per_shard {
            shard.evict_oldest();
        }
        if shard.order.len() > 2 * self.per_shard + 16 {
            shard.rebuild_order();
        }
    }

    /// Removes the entry of one token.
    pub(crate) fn remove(&self, key: &Key) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        lock(self.shard(key)).map.remove(key);
    }

    /// Removes every entry of one user.
    pub(crate) fn remove_user(&self, user_id: &str) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for shard in &self.shards {
            lock(shard).map.retain(|_, e| e.value.user.id != user_id);
        }
    }

    /// Removes every entry.
    #[cfg(feature = "postgres")]
    pub(crate) fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for shard in &self.shards {
            let mut shard = lock(shard);
            shard.map.clear();
            shard.order.clear();
        }
    }

    /// How many entries are held (expired ones included until they are next touched).
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Fields;
    use crate::model::{Session, User};

    fn value(user_id: &str) -> Arc<SessionWithUser> {
        let now = crate::timestamp::now();
        Arc::new(SessionWithUser {
            session: Session {
                id: "s".into(),
                expires_at: now,
                token: "t".into(),
                created_at: now,
                updated_at: now,
                ip_address: None,
                user_agent: None,
                user_id: user_id.into(),
                fields: Fields::new(),
            },
            user: User {
                id: user_id.into(),
                name: "n".into(),
                email: "e@example.com".into(),
                email_verified: false,
                image: None,
                created_at: now,
                updated_at: now,
                fields: Fields::new(),
            },
        })
    }

    #[test]
    fn bounded_and_oldest_first() {
        let cache = MemoryCache::new(32, Duration::from_secs(60));
        for i in 0..1000 {
            cache.insert(key(&format!("token{i}")), value("u"), cache.epoch());
        }
        assert!(cache.len() <= 32, "{}", cache.len());
        assert!(cache.get(&key("token999")).is_some());
        assert!(cache.get(&key("token0")).is_none());
        for shard in cache.shards.iter() {
            assert!(lock(shard).order.len() <= 2 * cache.per_shard + 16);
        }
    }

    #[test]
    fn ttl_and_invalidation() {
        let cache = MemoryCache::new(100, Duration::ZERO);
        cache.insert(key("a"), value("u"), cache.epoch());
        assert!(cache.get(&key("a")).is_none(), "expired at once");

        let cache = MemoryCache::new(100, Duration::from_secs(60));
        cache.insert(key("a"), value("u1"), cache.epoch());
        cache.insert(key("b"), value("u2"), cache.epoch());
        cache.remove_user("u1");
        assert!(cache.get(&key("a")).is_none());
        assert!(cache.get(&key("b")).is_some());
        cache.remove(&key("b"));
        assert!(cache.get(&key("b")).is_none());
    }

    #[test]
    fn a_read_older_than_an_invalidation_is_not_stored() {
        let cache = MemoryCache::new(100, Duration::from_secs(60));
        let epoch = cache.epoch();
        cache.remove_user("u");
        cache.insert(key("a"), value("u"), epoch);
        assert!(cache.get(&key("a")).is_none());
    }
}

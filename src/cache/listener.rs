//! Invalidation across instances over PostgreSQL `LISTEN/NOTIFY`. Every write that ends or
//! changes a session or user publishes `t:<hex SHA-256 of the token>` or `u:<user id>` on the
//! channel `authgate.sessions.<schema>` (cut to PostgreSQL's 63 bytes); each instance keeps one
//! listening connection and evicts what it hears.
//!
//! A notification sent while the listening connection is down is lost, so the cache is only
//! used while the connection listens: on a loss it stops serving, empties itself, and
//! reconnects with a growing pause; it serves again once `LISTEN` has succeeded. The task ends
//! when its cache is dropped or the pool is closed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx_postgres::{PgListener, PgPool};
use tokio::sync::oneshot;

use super::memory::{Key, MemoryCache};
use super::notes::RevocationNotes;

/// Publishes on the channel, which the server computes from the connection's schema.
const NOTIFY: &str = "select pg_notify(left('authgate.sessions.' || current_schema(), 63), $1)";
/// The channel's name, for `LISTEN`.
const CHANNEL: &str = "select left('authgate.sessions.' || current_schema(), 63)";

/// The publishing side and the listening task's state.
pub(crate) struct Remote {
    pool: PgPool,
    /// With the cookie cache: what other instances revoked is noted here too.
    notes: Option<Arc<RevocationNotes>>,
    listening: Arc<AtomicBool>,
    started: AtomicBool,
    stop: Mutex<Option<oneshot::Receiver<()>>>,
    /// Dropped with the cache, which ends the task.
    _stop: oneshot::Sender<()>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("listening", &self.listening.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Remote {
    pub(crate) fn new(pool: PgPool, notes: Option<Arc<RevocationNotes>>) -> Self {
        let (tx, rx) = oneshot::channel();
        Self {
            pool,
            notes,
            listening: Arc::new(AtomicBool::new(false)),
            started: AtomicBool::new(false),
            stop: Mutex::new(Some(rx)),
            _stop: tx,
        }
    }

    /// Whether the cache may be used now; starts the listening task on first use (which must
    /// be on a Tokio runtime).
    pub(crate) fn listening(&self, memory: &Arc<MemoryCache>) -> bool {
        if !self.started.load(Ordering::Relaxed) {
            self.start(memory);
        }
        self.listening.load(Ordering::SeqCst)
    }

    fn start(&self, memory: &Arc<MemoryCache>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let Some(stop) = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let sinks = Sinks {
            memory: memory.clone(),
            notes: self.notes.clone(),
        };
        runtime.spawn(run(self.pool.clone(), sinks, self.listening.clone(), stop));
    }

    /// Tells every instance (this one included) to evict `payload`'s entries.
    pub(crate) async fn publish(&self, payload: &str) {
        let sent = sqlx_core::query::query(NOTIFY)
            .bind(payload)
            .execute(&self.pool)
            .await;
        if let Err(err) = sent {
            // The other instances keep the entry until its TTL ends.
            tracing::warn!(error = %err, "could not publish a session cache invalidation");
        }
    }
}

/// The payload for one token's entry.
pub(crate) fn token_payload(key: &Key) -> String {
    let mut out = String::with_capacity(2 + 64);
    out.push_str("t:");
    for byte in key {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The payload for every entry of a user.
pub(crate) fn user_payload(user_id: &str) -> String {
    format!("u:{user_id}")
}

/// Where what is heard goes: the map, and the cookie cache's notes when it is on.
struct Sinks {
    memory: Arc<MemoryCache>,
    notes: Option<Arc<RevocationNotes>>,
}

fn apply(sinks: &Sinks, payload: &str) {
    let now_ms = crate::timestamp::now_ms();
    if let Some(user_id) = payload.strip_prefix("u:") {
        sinks.memory.remove_user(user_id);
        if let Some(notes) = &sinks.notes {
            notes.note_user(user_id, now_ms);
        }
    } else if let Some(key) = payload.strip_prefix("t:").and_then(parse_key) {
        sinks.memory.remove(&key);
        if let Some(notes) = &sinks.notes {
            notes.note_key(key, now_ms);
        }
    } else {
        // Not ours to understand: be safe.
        sinks.memory.clear();
    }
}

fn parse_key(hex: &str) -> Option<Key> {
    if hex.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

async fn run(
    pool: PgPool,
    sinks: Sinks,
    listening: Arc<AtomicBool>,
    mut stop: oneshot::Receiver<()>,
) {
    const FIRST_PAUSE: Duration = Duration::from_millis(100);
    let mut pause = FIRST_PAUSE;
    loop {
        let served = tokio::select! {
            _ = &mut stop => return,
            served = listen(&pool, &sinks, &listening) => served,
        };
        listening.store(false, Ordering::SeqCst);
        sinks.memory.clear();
        if pool.is_closed() {
            return;
        }
        if served {
            pause = FIRST_PAUSE;
        }
        tokio::select! {
            _ = &mut stop => return,
            () = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// One listening connection, until it is lost; whether it got as far as listening.
async fn listen(pool: &PgPool, sinks: &Sinks, listening: &AtomicBool) -> bool {
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::warn!(error = %err, "session cache: cannot open the listening connection");
            return false;
        }
    };
    let channel: Result<String, _> = sqlx_core::query_scalar::query_scalar(CHANNEL)
        .fetch_one(&mut listener)
        .await;
    let subscribed = match channel {
        Ok(channel) => listener.listen(&channel).await,
        Err(err) => Err(err),
    };
    if let Err(err) = subscribed {
        tracing::warn!(error = %err, "session cache: LISTEN failed");
        return false;
    }
    // Anything cached before now may have missed a notification.
    sinks.memory.clear();
    listening.store(true, Ordering::SeqCst);
    tracing::debug!("session cache: listening for invalidations");
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => apply(sinks, notification.payload()),
            Ok(None) => {
                tracing::warn!("session cache: the listening connection was lost; cache emptied");
                return true;
            }
            Err(err) => {
                tracing::warn!(error = %err, "session cache: the listening connection failed; cache emptied");
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let key = super::super::memory::key("some token");
        let payload = token_payload(&key);
        assert_eq!(payload.len(), 66);
        assert_eq!(parse_key(&payload[2..]), Some(key));
        assert_eq!(parse_key("zz"), None);
        assert_eq!(user_payload("abc"), "u:abc");
    }
}

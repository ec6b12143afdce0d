//! The in-memory counter store: one process, bounded.

use std::collections::HashMap;
use std::sync::Mutex;

use super::algorithm::{Decision, decide, window_ms};
use super::rules::Rule;

/// Keys kept at most; past it, counters whose window has ended are dropped first (they would
/// start afresh anyway), then the least recently seen of those not blocking anyone.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Counter {
    count: u32,
    /// The last allowed request (Better-Auth's `lastRequest`).
    last_ms: i64,
    /// The last request, allowed or not.
    seen_ms: i64,
    window_ms: i64,
    max: u32,
}

impl Counter {
    /// Whether this counter is refusing requests now: the ones worth keeping longest.
    fn blocking(&self, now_ms: i64) -> bool {
        self.count >= self.max && now_ms.saturating_sub(self.last_ms) < self.window_ms
    }
}

#[derive(Debug, Default)]
pub(crate) struct MemoryStore {
    counters: Mutex<HashMap<String, Counter>>,
}

impl MemoryStore {
    pub(crate) fn check(&self, key: &str, now_ms: i64, rule: Rule) -> Decision {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        if !counters.contains_key(key) && counters.len() >= MAX_KEYS {
            evict(&mut counters, now_ms);
        }
        let (count, last) = counters
            .get(key)
            .map_or((0, i64::MIN / 2), |c| (c.count, c.last_ms));
        let (decision, count, last_ms) = decide(count, last, now_ms, rule);
        let window_ms = window_ms(rule);
        counters.insert(
            key.to_owned(),
            Counter {
                count,
                last_ms,
                seen_ms: now_ms,
                window_ms,
                max: rule.max(),
            },
        );
        decision
    }

    /// Drops the counter of `key` (its next request starts a new window).
    pub(crate) fn forget(&self, key: &str) {
        self.counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.counters.lock().unwrap().len()
    }
}

/// Makes room: drops every counter whose window has ended, or else the least recently seen
/// tenth of those not blocking anyone (so a flood of fresh keys cannot push out the counter
/// that holds a client back), and blocking ones only when nothing else is left.
fn evict(counters: &mut HashMap<String, Counter>, now_ms: i64) {
    counters.retain(|_, c| now_ms.saturating_sub(c.last_ms) < c.window_ms);
    if counters.len() < MAX_KEYS {
        return;
    }
    let cut = MAX_KEYS / 10;
    let open: Vec<i64> = counters
        .values()
        .filter(|c| !c.blocking(now_ms))
        .map(|c| c.seen_ms)
        .collect();
    let spare_blocking = open.len() >= cut;
    let mut candidates = if spare_blocking {
        open
    } else {
        counters.values().map(|c| c.seen_ms).collect()
    };
    let (_, threshold, _) = candidates.select_nth_unstable(cut - 1);
    let threshold = *threshold;
    counters.retain(|_, c| (spare_blocking && c.blocking(now_ms)) || c.seen_ms > threshold);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn counts_per_key() {
        let store = MemoryStore::default();
        let rule = Rule::new(2, Duration::from_secs(10));
        assert_eq!(store.check("a", 0, rule), Decision::Allowed);
        assert_eq!(store.check("a", 1, rule), Decision::Allowed);
        assert!(matches!(store.check("a", 2, rule), Decision::Blocked(_)));
        assert_eq!(store.check("b", 2, rule), Decision::Allowed);
        store.forget("a");
        assert_eq!(store.check("a", 3, rule), Decision::Allowed);
    }

    #[test]
    fn stays_bounded_under_a_flood_of_keys() {
        let store = MemoryStore::default();
        let rule = Rule::new(3, Duration::from_secs(10));
        for i in 0..(MAX_KEYS + 5_000) {
            store.check(&format!("k{i}"), i as i64, rule);
        }
        assert!(store.len() <= MAX_KEYS);
    }

    /// Check 35 / R9: a flood of fresh keys (spoofed addresses behind a trusted proxy) neither
    /// grows the store past its cap nor frees a client that is being limited, even one that
    /// waits quietly while the flood runs.
    #[test]
    fn a_flood_does_not_free_a_blocked_client() {
        let store = MemoryStore::default();
        let rule = Rule::new(3, Duration::from_secs(10));
        for now in 0..3 {
            assert_eq!(
                store.check("victim-of-limits", now, rule),
                Decision::Allowed
            );
        }
        assert!(matches!(
            store.check("victim-of-limits", 3, rule),
            Decision::Blocked(_)
        ));
        for i in 0..150_000_i64 {
            store.check(&format!("spoofed-{i}"), 4 + i / 100, rule);
        }
        assert!(store.len() <= MAX_KEYS);
        assert!(
            matches!(
                store.check("victim-of-limits", 1_600, rule),
                Decision::Blocked(_)
            ),
            "still limited after the flood"
        );
    }
}

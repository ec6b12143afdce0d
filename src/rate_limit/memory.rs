//! The in-memory counter store: one process, bounded.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Decision, Rule, decide};

/// Keys kept at most; past it, counters whose window has ended are dropped first (they would
/// start afresh anyway), then the least recently seen.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Counter {
    count: u32,
    /// The last allowed request (Better-Auth's `lastRequest`).
    last_ms: i64,
    /// The last request, allowed or not: a client that keeps knocking stays recent.
    seen_ms: i64,
    window_ms: i64,
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
        let window_ms = i64::try_from(rule.window().as_millis()).unwrap_or(i64::MAX);
        counters.insert(
            key.to_owned(),
            Counter {
                count,
                last_ms,
                seen_ms: now_ms,
                window_ms,
            },
        );
        decision
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.counters.lock().unwrap().len()
    }
}

/// Makes room: drops every counter whose window has ended, or else the least recently seen
/// tenth.
fn evict(counters: &mut HashMap<String, Counter>, now_ms: i64) {
    counters.retain(|_, c| now_ms.saturating_sub(c.last_ms) < c.window_ms);
    if counters.len() >= MAX_KEYS {
        let mut seen: Vec<i64> = counters.values().map(|c| c.seen_ms).collect();
        let cut = seen.len() / 10;
        let (_, threshold, _) = seen.select_nth_unstable(cut);
        let threshold = *threshold;
        counters.retain(|_, c| c.seen_ms > threshold);
    }
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
    /// grows the store past its cap nor frees a client that is being limited.
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
        // 150,000 spoofed keys within the window; the limited client keeps trying meanwhile.
        for i in 0..150_000_i64 {
            let now = 3 + i / 100;
            store.check(&format!("spoofed-{i}"), now, rule);
            if i % 1_000 == 0 {
                assert!(
                    matches!(
                        store.check("victim-of-limits", now, rule),
                        Decision::Blocked(_)
                    ),
                    "still limited after {i} spoofed keys"
                );
            }
        }
        assert!(store.len() <= MAX_KEYS);
    }
}

//! The in-memory counter store: one process, bounded.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Decision, Rule, decide};

/// Keys kept at most; past it, windows that have ended are dropped first, then the oldest.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct MemoryStore {
    counters: Mutex<HashMap<String, (u32, i64)>>,
}

impl MemoryStore {
    pub(crate) fn check(&self, key: &str, now_ms: i64, rule: Rule) -> Decision {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        if !counters.contains_key(key) && counters.len() >= MAX_KEYS {
            evict(&mut counters, now_ms);
        }
        let (count, last) = counters.get(key).copied().unwrap_or((0, i64::MIN / 2));
        let (decision, count, last) = decide(count, last, now_ms, rule);
        counters.insert(key.to_owned(), (count, last));
        decision
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.counters.lock().unwrap().len()
    }
}

/// Makes room: drops every counter idle for a minute (longer than any built-in window), or
/// else the least recently used tenth.
fn evict(counters: &mut HashMap<String, (u32, i64)>, now_ms: i64) {
    counters.retain(|_, (_, last)| now_ms.saturating_sub(*last) < 60_000);
    if counters.len() >= MAX_KEYS {
        let mut lasts: Vec<i64> = counters.values().map(|(_, last)| *last).collect();
        let cut = lasts.len() / 10;
        let (_, threshold, _) = lasts.select_nth_unstable(cut);
        let threshold = *threshold;
        counters.retain(|_, (_, last)| *last > threshold);
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
}

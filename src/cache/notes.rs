//! [`RevocationNotes`]: what this instance revoked or changed recently, so that a cookie-cache
//! value issued before it is refused here (a cookie cannot be recalled from the browser that
//! holds it). A note is kept for the cookie cache's max-age, after which every cookie issued
//! before it has expired anyway.

use std::collections::HashMap;
use std::sync::Mutex;

use super::invalidate::Invalidate;
use super::memory::{self, Key};

/// Past this many notes, the expired ones are dropped on the next note.
const PRUNE_AT: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Note {
    Token(Key),
    User(String),
}

/// The notes, each with the instant (ms since the epoch) of the write.
#[derive(Debug)]
pub(crate) struct RevocationNotes {
    notes: Mutex<HashMap<Note, i64>>,
    keep_ms: i64,
}

impl RevocationNotes {
    pub(crate) fn new(keep_ms: i64) -> Self {
        Self {
            notes: Mutex::new(HashMap::new()),
            keep_ms,
        }
    }

    /// Notes a write at `now_ms`.
    pub(crate) fn note(&self, what: Invalidate<'_>, now_ms: i64) {
        let note = match what {
            Invalidate::Token(token) => Note::Token(memory::key(token)),
            Invalidate::User(user_id) => Note::User(user_id.to_owned()),
        };
        self.insert(note, now_ms);
    }

    fn insert(&self, note: Note, now_ms: i64) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        if notes.len() >= PRUNE_AT {
            let horizon = now_ms - self.keep_ms;
            notes.retain(|_, at| *at >= horizon);
        }
        notes.insert(note, now_ms);
    }

    /// Notes an invalidation heard from another instance (the token by its key).
    #[cfg(feature = "postgres")]
    pub(crate) fn note_key(&self, key: Key, now_ms: i64) {
        self.insert(Note::Token(key), now_ms);
    }

    /// Notes a user heard from another instance.
    #[cfg(feature = "postgres")]
    pub(crate) fn note_user(&self, user_id: &str, now_ms: i64) {
        self.insert(Note::User(user_id.to_owned()), now_ms);
    }

    /// Whether a cookie for `token` of `user_id` issued at `issued_ms` predates a write.
    pub(crate) fn refuses(&self, token: &str, user_id: &str, issued_ms: i64) -> bool {
        let notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        if notes.is_empty() {
            return false;
        }
        let after = |note: &Note| notes.get(note).is_some_and(|at| *at >= issued_ms);
        after(&Note::Token(memory::key(token))) || after(&Note::User(user_id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_only_what_was_issued_before() {
        let notes = RevocationNotes::new(300_000);
        notes.note(Invalidate::Token("t"), 1_000);
        notes.note(Invalidate::User("u"), 2_000);
        assert!(notes.refuses("t", "x", 999));
        assert!(notes.refuses("t", "x", 1_000));
        assert!(!notes.refuses("t", "x", 1_001));
        assert!(notes.refuses("other", "u", 1_500));
        assert!(!notes.refuses("other", "u", 2_001));
        assert!(!notes.refuses("other", "v", 0));
    }
}

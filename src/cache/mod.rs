//! Caches in front of the session lookup: the in-process session cache (`memory.rs`, its
//! settings in `settings.rs`), its invalidation across instances over PostgreSQL
//! `LISTEN/NOTIFY` (`listener.rs`), and the handle that joins them (`handle.rs`).

mod handle;
#[cfg(feature = "postgres")]
mod listener;
mod memory;
mod notes;
mod settings;

pub use handle::SessionCacheStats;
pub(crate) use handle::{CacheHandle, Invalidate};
pub(crate) use notes::RevocationNotes;
pub use settings::SessionCache;

//! Caches in front of the session lookup: the in-process session cache (`memory.rs`, its
//! settings in `settings.rs`), its invalidation across instances over PostgreSQL
//! `LISTEN/NOTIFY` (`listener.rs`), and the handle that joins them (`handle.rs`).

mod handle;
mod invalidate;
#[cfg(feature = "postgres")]
mod listener;
mod memory;
mod notes;
mod settings;

pub(crate) use handle::CacheHandle;
pub use handle::SessionCacheStats;
pub(crate) use invalidate::Invalidate;
pub(crate) use notes::RevocationNotes;
pub use settings::SessionCache;

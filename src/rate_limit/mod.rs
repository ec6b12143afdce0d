//! Rate limiting of the auth endpoints, with Better-Auth's rules and algorithm, on by default.
//!
//! Requests are counted per client address and endpoint: at most `max` in a `window`, the
//! window measured from the last allowed request (Better-Auth's rule). A blocked request gets
//! 429 with `Retry-After` and Better-Auth's `X-Retry-After`. The default rules: 3 per 10 s for
//! sign-in, sign-up, change-password and change-email; 3 per 60 s for password-reset and
//! verification mails; 100 per 10 s elsewhere. Sign-in is also limited per account (100
//! consecutive failures an hour, whatever the addresses), which Better-Auth does not do.
//!
//! Counters live in memory (one process) or in the database's `rateLimit` table, so that
//! several instances share them; either way each check is atomic.
//!
//! `rules.rs` holds the settings, `algorithm.rs` the rule on one counter, `memory.rs` the
//! in-process counters and `limiter.rs` the storage dispatch; the middleware that applies the
//! limits to each endpoint is `routes/rate_limit.rs`.

pub(crate) mod algorithm;
pub(crate) mod limiter;
mod memory;
mod rules;

pub use rules::{RateLimit, RateLimitStorage, Rule};

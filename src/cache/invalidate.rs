//! [`Invalidate`]: what a write tells the caches to forget.

/// What a write invalidates.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Invalidate<'a> {
    /// The session with this token.
    Token(&'a str),
    /// Every session of this user (the user row changed or went away).
    User(&'a str),
}

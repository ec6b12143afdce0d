//! Sessions on each request: where the credential comes from (`credentials.rs`), the rules
//! that end and extend a session (`policy.rs`), the one lookup per request (`lookup.rs`), the
//! tower middleware (`layer.rs`) and the extractors handlers use (`extract.rs`).

pub(crate) mod cookie_cache;
pub(crate) mod credentials;
pub(crate) mod extract;
pub(crate) mod layer;
pub(crate) mod lookup;
pub(crate) mod policy;

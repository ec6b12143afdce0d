//! Serving an axum app with bounded reads: [`serve`] (in `serve.rs`), and the request body
//! deadline it applies to every request (`deadline.rs`).

mod deadline;
mod serve;

pub use serve::{Serve, ServerTimeouts, serve};

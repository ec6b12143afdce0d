//! The three-service set-up's page server: the demo page on its own origin, told where the
//! auth server and the two API services are.
//!
//! ```sh
//! cargo run --example three-services-page
//! ```
//!
//! `PORT` (4001), `AUTH_SERVER` (`http://localhost:4000/api/auth`), `RUST_API`
//! (`http://localhost:4002/me`), `PYTHON_API` (`http://localhost:4003/me`). Any static file
//! server would do as well; this one writes those URLs into the page.

#[path = "../demo/mod.rs"]
mod demo;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = env_or("PORT", "4001").parse()?;
    let page = demo::Page::new(env_or("AUTH_SERVER", "http://localhost:4000/api/auth"))
        .service("rust", env_or("RUST_API", "http://localhost:4002/me"))
        .service("python", env_or("PYTHON_API", "http://localhost:4003/me"));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("page on http://localhost:{}", listener.local_addr()?.port());
    axum::serve(listener, page.router::<()>()).await?;
    Ok(())
}

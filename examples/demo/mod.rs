//! The demo page: one HTML file and one script, no build step, served by the quickstart at `/`
//! (same origin as the auth router) and by the three-service set-up's page server (its own
//! origin). The only thing that differs between the two is the JSON configuration written into
//! the page: where the auth router is, which API services to call, where development mail goes.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("demo.js");
const PLACEHOLDER: &str = "__AUTHGATE_DEMO_CONFIG__";

/// What the page is told about its surroundings.
#[derive(Clone, Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// Where `auth.router()` is nested: `/api/auth` on the same origin, or a full URL.
    pub auth_base: String,
    /// API services the page offers to call, as (label, URL) pairs.
    pub services: Vec<Service>,
    /// Where development mail goes (e.g. "as .eml files in ./mail"), when the server has a
    /// mailer that keeps it locally.
    pub mail: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Service {
    pub name: String,
    pub url: String,
}

impl Page {
    pub fn new(auth_base: impl Into<String>) -> Self {
        Self {
            auth_base: auth_base.into(),
            ..Self::default()
        }
    }

    #[allow(dead_code)] // the quickstart offers empty service fields instead
    pub fn service(mut self, name: impl Into<String>, url: impl Into<String>) -> Self {
        self.services.push(Service {
            name: name.into(),
            url: url.into(),
        });
        self
    }

    #[allow(dead_code)] // set once the quickstart has a file mailer
    pub fn mail(mut self, where_it_goes: impl Into<String>) -> Self {
        self.mail = Some(where_it_goes.into());
        self
    }

    /// `GET /` (the page) and `GET /demo.js` (its script).
    pub fn router<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        // serde_json escapes nothing HTML cares about; `<` is the one character that could end
        // the <script> element early.
        let config = serde_json::to_string(&self)
            .expect("the page configuration serialises")
            .replace('<', "\\u003c");
        let html = INDEX.replace(PLACEHOLDER, &config);
        Router::new()
            .route(
                "/",
                get(move || {
                    let html = html.clone();
                    async move {
                        (
                            [(header::CACHE_CONTROL, "no-store")],
                            axum::response::Html(html),
                        )
                    }
                }),
            )
            .route("/demo.js", get(script))
    }
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        SCRIPT,
    )
}

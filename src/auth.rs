//! [`Auth`]: the handle an application keeps. It owns the checked configuration, the database
//! pool and the password hasher, and hands out the router and the session layer.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use http::HeaderMap;

use crate::config::{AuthBuilder, AuthConfig};
use crate::cookies::CookieNames;
use crate::crypto::password::PasswordHasher;
use crate::crypto::{signing, token};
use crate::error::{AuthError, Error};
use crate::layer::SessionLayer;
use crate::model::Session;
use crate::rate_limit::{MemoryStore, RateLimitStorage};
use crate::store::{Database, MigrationReport, StoreError};
use crate::timestamp;

/// `set-auth-token: <token.signature>`, readable by scripts across origins (Better-Auth's
/// `bearer` plugin).
fn expose_auth_token(headers: &mut HeaderMap, signed: &str) {
    const NAME: &str = "set-auth-token";
    let Ok(value) = http::HeaderValue::try_from(signed) else {
        return;
    };
    headers.insert(NAME, value);
    let exposed = headers
        .get(http::header::ACCESS_CONTROL_EXPOSE_HEADERS)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(|v| {
            if v.split(',').any(|h| h.trim().eq_ignore_ascii_case(NAME)) {
                v.to_owned()
            } else {
                format!("{v}, {NAME}")
            }
        })
        .unwrap_or_else(|| NAME.to_owned());
    if let Ok(value) = http::HeaderValue::try_from(exposed) {
        headers.insert(http::header::ACCESS_CONTROL_EXPOSE_HEADERS, value);
    }
}

/// How long a `rememberMe: false` session lives in the database (Better-Auth's fixed day).
const DONT_REMEMBER_LIFETIME: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Authentication for an axum app: configuration, database and password hashing.
///
/// Cheap to clone (an `Arc`). Build it with [`Auth::builder`], create the tables with
/// [`Auth::migrate`], serve the endpoints with [`Auth::router`] and resolve sessions with
/// [`SessionLayer`].
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    config: AuthConfig,
    database: Database,
    hasher: PasswordHasher,
    cookie_names: CookieNames,
    rate_limits: MemoryStore,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("config", &self.inner.config)
            .field("database", &self.inner.database)
            .finish_non_exhaustive()
    }
}

/// What a new session records about the request that created it.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestMeta {
    /// The client address, `""` when unknown (as Better-Auth stores it).
    pub(crate) ip_address: String,
    /// The `User-Agent` header, `""` when absent.
    pub(crate) user_agent: String,
}

impl Auth {
    /// Starts a configuration. See [`AuthBuilder`] for every option.
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run() -> Result<(), authgate::Error> {
    /// let auth = authgate::Auth::builder()
    ///     .base_url("http://localhost:3000") // or BETTER_AUTH_URL
    ///     .connect("sqlite://app.db?mode=rwc") // the secret comes from BETTER_AUTH_SECRET
    ///     .await?;
    /// auth.migrate().await?;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> AuthBuilder {
        AuthBuilder::default()
    }

    pub(crate) fn new(config: AuthConfig, database: Database) -> Self {
        let hasher = PasswordHasher::new(config.max_concurrent_hashes, config.hash_queue_timeout);
        let cookie_names = CookieNames::new(&config.cookies);
        Self {
            inner: Arc::new(Inner {
                config,
                database,
                hasher,
                cookie_names,
                rate_limits: MemoryStore::default(),
            }),
        }
    }

    /// The auth endpoints (`/sign-up/email`, `/sign-in/email`, `/get-session`, `/sign-out`,
    /// `/ok`, ...), to nest at any path: `.nest("/api/auth", auth.router())`.
    ///
    /// The router resolves sessions itself, so it works with or without an outer
    /// [`SessionLayer`]; with one, a request's session is looked up once.
    pub fn router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        crate::routes::router(self.clone())
    }

    /// A [`SessionLayer`] for this `Auth` (the same as `SessionLayer::new(auth.clone())`).
    pub fn session_layer(&self) -> SessionLayer {
        SessionLayer::new(self.clone())
    }

    /// Creates Better-Auth's `user`, `session`, `account` and `verification` tables and their
    /// indexes where missing, with the DDL Better-Auth 1.7 generates for the dialect. An
    /// existing Better-Auth database is used as it is; running it again does nothing.
    ///
    /// # Errors
    /// [`Error::Database`] when a statement fails or an existing table lacks a column authgate
    /// needs.
    pub async fn migrate(&self) -> Result<MigrationReport, Error> {
        let with_rate_limit_table =
            self.inner.config.rate_limit.store() == RateLimitStorage::Database;
        Ok(crate::store::schema_migrate(&self.inner.database, with_rate_limit_table).await?)
    }

    /// Checks that the database is reachable, has the schema, and accepts writes (a read of
    /// `session` and a rolled-back insert into `verification`). Serve it from a health
    /// endpoint.
    ///
    /// # Errors
    /// The storage error, e.g. a refused connection or a missing table.
    pub async fn health(&self) -> Result<(), StoreError> {
        self.inner.database.probe().await
    }

    /// The database pool.
    pub fn database(&self) -> &Database {
        &self.inner.database
    }

    /// The checked configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// How many scrypt computations (real and dummy) this instance has run: a metric for the
    /// most expensive thing it does.
    pub fn password_hashes_computed(&self) -> u64 {
        self.inner.hasher.computed()
    }

    /// How many scrypt computations are running at this moment (at most
    /// [`max_concurrent_hashes`](AuthBuilder::max_concurrent_hashes)).
    pub fn password_hashes_running(&self) -> usize {
        self.inner.hasher.running()
    }

    /// The most scrypt computations this instance has run at once since it started.
    pub fn password_hashes_peak(&self) -> usize {
        self.inner.hasher.peak_running()
    }

    /// Signs a session token as the session cookie and the bearer header carry it
    /// (`token.signature`, not percent-encoded), with the current secret.
    pub fn sign_session_token(&self, token: &str) -> String {
        signing::sign(token, self.inner.config.secrets.current())
    }

    pub(crate) fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    pub(crate) fn rate_limit_memory(&self) -> &MemoryStore {
        &self.inner.rate_limits
    }

    pub(crate) fn cookie_names(&self) -> &CookieNames {
        &self.inner.cookie_names
    }

    /// Creates and stores a new session for `user_id`; see [`Auth::new_session`].
    pub(crate) async fn create_session(
        &self,
        user_id: &str,
        remember: bool,
        meta: &RequestMeta,
    ) -> Result<Session, AuthError> {
        // A token collision would violate the unique index, never overwrite another session;
        // with 190 random bits it does not happen, but a fresh token is cheap.
        let mut attempts = 0;
        loop {
            let session = self.new_session(user_id, remember, meta);
            match self.inner.database.insert_session(&session).await {
                Ok(()) => return Ok(session),
                Err(err) if err.is_unique_violation() && attempts < 2 => attempts += 1,
                Err(err) => return Err(AuthError::from_store(err)),
            }
        }
    }

    /// A new session row (not yet stored): a fresh token, and an expiry of `expires_in`, or one
    /// day for `rememberMe: false`.
    pub(crate) fn new_session(&self, user_id: &str, remember: bool, meta: &RequestMeta) -> Session {
        let now = timestamp::now();
        let lifetime = if remember {
            self.inner.config.session.expires_in
        } else {
            DONT_REMEMBER_LIFETIME
        };
        Session {
            expires_at: timestamp::add(now, lifetime),
            token: token::new_id(),
            created_at: now,
            updated_at: now,
            ip_address: Some(meta.ip_address.clone()),
            user_agent: Some(meta.user_agent.clone()),
            user_id: user_id.to_owned(),
            id: token::new_id(),
        }
    }

    /// Appends the cookies that sign a client in with `token`: the session cookie (with
    /// `Max-Age` unless `remember` is false, in which case the `dont_remember` marker follows).
    pub(crate) fn append_session_cookies(
        &self,
        headers: &mut HeaderMap,
        token: &str,
        remember: bool,
    ) {
        let names = self.cookie_names();
        let signed = self.sign_session_token(token);
        let max_age = remember.then(|| self.inner.config.session.expires_in.as_secs());
        headers.append(
            http::header::SET_COOKIE,
            names.session_token_cookie(&signed, max_age),
        );
        if !remember {
            let signed_true = signing::sign("true", self.inner.config.secrets.current());
            headers.append(
                http::header::SET_COOKIE,
                names.dont_remember_cookie(&signed_true),
            );
        }
        if self.inner.config.set_auth_token_header {
            expose_auth_token(headers, &signed);
        }
    }

    /// Appends the cookies that sign a client out.
    pub(crate) fn append_cleared_cookies(&self, headers: &mut HeaderMap) {
        for cookie in self.cookie_names().cleared() {
            headers.append(http::header::SET_COOKIE, cookie);
        }
    }
}

//! axum-login 0.18 with tower-sessions 0.14's sqlx PostgreSQL store, doing authgate's `/me` job:
//! a session cookie resolved to its user by a protected handler. The user table is the
//! harness's own (`bench_login_user`); the password check is a plain comparison, since only
//! `/me` is measured.

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_login::{AuthManagerLayerBuilder, AuthSession, AuthUser, AuthnBackend, UserId};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tower_sessions::SessionManagerLayer;
use tower_sessions_sqlx_store::PostgresStore;

#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct User {
    id: i64,
    name: String,
    email: String,
    #[serde(skip)]
    password: String,
}

impl AuthUser for User {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        self.password.as_bytes()
    }
}

#[derive(Clone, Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
}

#[derive(Clone)]
pub struct Backend {
    pool: PgPool,
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = sqlx::Error;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, sqlx::Error> {
        let user: Option<User> = sqlx::query_as(
            "select id, name, email, password from bench_login_user where email = $1",
        )
        .bind(&creds.email)
        .fetch_optional(&self.pool)
        .await?;
        Ok(user.filter(|u| u.password == creds.password))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, sqlx::Error> {
        sqlx::query_as("select id, name, email, password from bench_login_user where id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }
}

pub async fn app(url: &str) -> Router {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(super::POOL_SIZE)
        .connect(url)
        .await
        .unwrap();
    sqlx::query(
        "create table if not exists bench_login_user (id bigint primary key, name text not null, email text not null unique, password text not null)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into bench_login_user values (1, 'Bench', 'bench@example.com', 'password123') on conflict do nothing",
    )
    .execute(&pool)
    .await
    .unwrap();
    let store = PostgresStore::new(pool.clone());
    store.migrate().await.unwrap();
    let sessions = SessionManagerLayer::new(store).with_secure(false);
    let auth = AuthManagerLayerBuilder::new(Backend { pool }, sessions).build();
    Router::new()
        .route("/me", get(me))
        .route("/login", post(login))
        .layer(auth)
}

async fn me(session: AuthSession<Backend>) -> Result<Json<User>, StatusCode> {
    session.user.map(Json).ok_or(StatusCode::UNAUTHORIZED)
}

async fn login(
    mut session: AuthSession<Backend>,
    Form(creds): Form<Credentials>,
) -> StatusCode {
    match session.authenticate(creds).await {
        Ok(Some(user)) => match session.login(&user).await {
            Ok(()) => StatusCode::OK,
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
        },
        Ok(None) => StatusCode::UNAUTHORIZED,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

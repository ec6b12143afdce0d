//! The store-agnostic suite: every test here runs on SQLite, PostgreSQL and MariaDB/MySQL
//! (see `common::backend_tests!`).

#[path = "../common/mod.rs"]
mod common;

mod account;
mod api;
mod cache;
mod config;
mod cookie_cache;
mod faults;
mod fields;
mod first_hour;
mod flows;
mod hooks;
mod outage;
mod rate_limit;
mod security;
mod server_faults;
mod session;

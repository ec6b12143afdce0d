//! The store-agnostic suite: every test here runs on SQLite, PostgreSQL and MariaDB/MySQL
//! (see `common::backend_tests!`).

#[path = "../common/mod.rs"]
mod common;

mod account;
mod api;
mod cache;
mod cleanup;
mod config;
mod cookie_cache;
mod core_endpoints;
mod faults;
mod fields;
mod first_hour;
mod flows;
mod hardening;
mod health;
mod hooks;
#[cfg(feature = "legacy-hashes")]
mod import;
mod mail;
mod mail_security;
mod outage;
mod outage_load;
mod rate_limit;
mod security;
mod server_faults;
mod server_timeouts;
mod session;
mod smtp;

//! The store-agnostic suite: every test here runs on SQLite, PostgreSQL and MariaDB/MySQL
//! (see `common::backend_tests!`).

#[path = "../common/mod.rs"]
mod common;

mod account;
mod config;
mod faults;
mod flows;
mod outage;
mod rate_limit;
mod security;
mod server_faults;
mod session;

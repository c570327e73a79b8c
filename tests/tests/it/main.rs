//! Black-box HTTP tests of the whole gateway. Each `#[db_test]` runs on SQLite and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api_keys;
mod auth;
mod chat;
mod foundation;
mod images;
mod migrations;
mod models;
mod oauth;
mod repository;
mod tokens;

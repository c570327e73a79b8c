//! Black-box HTTP tests of the whole gateway. Each `#[db_test]` runs on SQLite and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api_keys;
mod auth;
mod cancellation;
mod chat;
mod chat_sessions;
mod chat_sessions_instances;
mod chat_sessions_listing;
mod chat_sessions_schema;
mod chat_sessions_streams;
mod chat_sessions_tree;
mod foundation;
mod migrations;
mod models;
mod oauth;
mod repository;
mod stream_faults;
mod tokens;
mod usage_pipeline;
mod usage_report;

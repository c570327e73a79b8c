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
mod chat_usage;
mod database_faults;
mod email;
mod flood;
mod foundation;
mod images;
mod janitor;
mod limits;
mod metrics;
mod metrics_series;
mod migrations;
mod models;
mod nagle;
mod oauth;
mod oauth_linking;
mod oauth_start;
mod openapi;
mod openapi_routes;
mod operators;
mod rate_limits;
mod refresh_grace;
mod revocation;
mod schema_drift;
mod sessions;
mod stream_faults;
mod takeover;
mod tidy;
mod tokens;
mod usage_pipeline;
mod usage_report;

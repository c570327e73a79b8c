//! Black-box HTTP tests: the real server on port 0, a real HTTP client.

// Helpers outside `#[test]` functions may fail loudly too: this whole crate is test code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod chat;
mod faults;
mod images;
mod stream;
mod support;

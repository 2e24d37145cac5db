//! The one integration test binary (CONVENTIONS habit 12). Files are named by what they
//! check; `support/` holds the `TestApp` builder and the per-test databases.
#![recursion_limit = "256"]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

mod admin_clients;
mod cli;
mod health;
mod openapi;
mod storage_conformance;

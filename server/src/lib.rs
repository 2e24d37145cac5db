//! Portunus: an OAuth 2.0 and OpenID Connect server, wire-compatible with Ory Hydra v2.

pub mod app;
pub mod client;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod duration;
pub mod error;
pub mod events;
pub mod failed_attempts;
pub mod flow;
pub mod forward_auth;
#[cfg(test)]
pub(crate) mod fuzz;
pub mod health;
pub mod html;
pub mod http;
pub mod janitor;
pub mod jwk;
pub mod login_ui;
#[cfg(test)]
mod module_graph;
pub mod oauth2;
pub mod oidc;
pub mod openapi_v30;
pub mod outbound;
pub mod outbox_event;
pub mod pagination;
pub mod prometheus;
pub mod redis_client;
pub mod secrets;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod trust;
pub mod users;

pub use app::{Application, ApplicationHandle, BuildError};
pub use config::Config;

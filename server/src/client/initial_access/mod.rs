//! Initial access tokens an operator creates over the admin API (RFC 7591 §3: "the
//! authorization server MAY require an initial access token … provisioned … out of
//! band"), beside the ones `oidc.dynamic_client_registration.initial_access_tokens`
//! configures. Each has an expiry and optionally a number of registrations it allows,
//! and can be listed and revoked, as Keycloak's client-registration tokens can.
//!
//! - `model`: the token as the server reasons about it (only its hash is kept);
//! - `store`: the `InitialAccessTokenStore` port, implemented in `storage/`;
//! - `wire`: the admin API's JSON shapes;
//! - `admin`: create (validated), get, list pages, delete, and the registration
//!   endpoint's check and use, independent of HTTP.

pub mod admin;
pub mod model;
pub mod store;
pub mod wire;

pub use model::InitialAccessToken;
pub use store::{InitialAccessTokenListQuery, InitialAccessTokenStore};

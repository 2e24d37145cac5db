//! OAuth 2.0 clients: the model, validation of RFC 7591 metadata, secrets, and the admin
//! operations (create, replace, patch, delete, list) independent of HTTP.

pub mod admin;
pub(crate) mod argon2id;
pub mod authorization_details_types;
pub mod initial_access;
pub mod metadata_document;
pub mod model;
pub mod registration;
pub mod secret;
pub mod sector;
pub mod store;
pub mod token_exchange;
pub mod validate;
pub mod wire;

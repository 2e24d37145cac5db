//! JSON Web Keys (RFC 7517), JWS signing and verification (RFC 7515, RFC 7518). josekit
//! is imported only below this module (docs/architecture.md, "Layer rules").
//!
//! - `wire`: the RFC 7517 JSON shapes with Hydra's schema names;
//! - `alg`: algorithms and key uses, parsed at the edge;
//! - `key`: public-part extraction and validation of admin-given keys;
//! - `generate`: key generation, on the blocking pool;
//! - `stored`: keys at rest, private parts sealed with `secrets.system`;
//! - `signer` / `verifier`: compact JWS with cached, parsed keys;
//! - `manager`: [`KeyManager`], the cache every other module goes through
//!   (`AppState::key_manager`), with `admin` (Hydra's `/admin/keys` operations) and
//!   `bootstrap` (the sets ensured at startup);
//! - `changes`: what an admin change of a set reports (`key.*` audit events).
//!
//! Other code signs with `state.key_manager.sign(ACCESS_TOKEN_SET, &claims, "at+jwt")`
//! or takes `state.key_manager.signer(ID_TOKEN_SET)` and calls `Signer::sign`.

pub mod admin;
pub mod alg;
pub mod bootstrap;
pub mod changes;
mod error;
pub mod generate;
pub mod key;
mod mac;
pub mod manager;
pub mod signer;
pub mod store;
pub mod stored;
pub mod verifier;
pub mod wire;

#[cfg(test)]
pub mod test_support;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

pub use alg::{Algorithm, KeyUse};
pub use bootstrap::{ACCESS_TOKEN_SET, ID_TOKEN_SET};
pub use changes::{KeyChange, KeyChangeKind, KeyChangeReporter, KeySummary};
pub use error::JwkError;
pub use mac::mac_matches;
pub use manager::{KeyManager, KeySettings};
pub use signer::{SignedJwt, Signer};
pub use verifier::{VerifiedJwt, Verifier};
pub use wire::{JsonWebKey, JsonWebKeySet};

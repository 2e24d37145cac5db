//! Trusted issuers of JWT authorization grants (RFC 7523 §2.1, §3): Hydra's trust API
//! (`/admin/trust/grants/jwt-bearer/issuers`). A trust relationship says that assertions
//! of `issuer`, about `subject` (or any subject), signed with one public key, may be
//! exchanged for access tokens with at most `scope`, until `expires_at`.
//!
//! - `model`: the relationship the server reasons about;
//! - `store`: the `TrustStore` port, implemented in `storage/`;
//! - `wire`: Hydra's JSON shapes (`trustOAuth2JwtGrantIssuer`, …);
//! - `admin`: create (validated), get, list pages, delete, independent of HTTP.
//!
//! The grant itself is `oauth2::grants::jwt_bearer`.

pub mod admin;
pub mod model;
pub mod store;
pub mod wire;

pub use model::TrustRelationship;
pub use store::{TrustListQuery, TrustStore};

//! Storage ports: small async traits, each documented with what it guarantees. Protocol
//! code sees only these traits; `sql/` implements them with diesel on SQLite, PostgreSQL
//! and MySQL, `memory` implements them for unit tests. One conformance suite (in the
//! integration test binary) runs against every implementation.

pub mod client_cache;
pub mod device_codes;
pub mod flows;
pub mod jti;
pub mod memory;
pub mod outbox;
pub mod pushed_requests;
pub mod sql;
mod tokens;

use async_trait::async_trait;

pub use tokens::{StoredToken, TokenKind, TokenStore};

// Ports defined beside their models (docs/architecture.md, "Module dependencies"),
// named here too so callers find every port and its error in one place.
pub use crate::client::store::{ClientListQuery, ClientStore};
pub use crate::error::StorageError;
pub use crate::jwk::store::{JsonWebKeyStore, StoredJsonWebKey};
pub use crate::trust::store::{TrustListQuery, TrustStore};
pub use crate::users::store::{UserListQuery, UserStore};
pub use device_codes::{DeviceAuthorization, DeviceCodeState, DeviceCodeStore};
pub use jti::JtiStore;
pub use outbox::{ClaimedEvent, Enqueued, EventOutbox, OutboxEvent};
pub use pushed_requests::{PushedRequest, PushedRequestStore};

/// Readiness of the storage backend.
#[async_trait]
pub trait StorageHealth: Send + Sync {
    /// Succeeds when the database answers a query against the migrated schema.
    async fn ping(&self) -> Result<(), StorageError>;
}

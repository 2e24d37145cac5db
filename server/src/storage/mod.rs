//! Storage ports: small async traits, each documented with what it guarantees. Protocol
//! code sees only these traits; `sql/` implements them with diesel on SQLite, PostgreSQL
//! and MySQL, `memory` implements them for unit tests. One conformance suite (in the
//! integration test binary) runs against every implementation.

pub mod client_cache;
pub mod flows;
mod json_web_keys;
pub mod jti;
pub mod memory;
pub mod sql;
mod tokens;

use async_trait::async_trait;

use crate::client::model::Client;
use crate::error::{ErrorKind, OAuth2Error};

pub use tokens::{StoredToken, TokenKind, TokenStore};

pub use json_web_keys::{JsonWebKeyStore, StoredJsonWebKey};
pub use jti::JtiStore;

/// What can go wrong below the ports. "Not found" is not an error: lookups return
/// `Option`, updates and deletes return whether a row was affected.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// A unique key already exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached (pool timeout, connection refused, file missing).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(String),
    /// A stored value could not be decoded.
    #[error("stored data could not be decoded: {0}")]
    Corrupt(String),
}

impl From<StorageError> for OAuth2Error {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Conflict(what) => OAuth2Error::new(ErrorKind::Conflict).with_hint(what),
            StorageError::Unavailable(why) => {
                OAuth2Error::new(ErrorKind::TemporarilyUnavailable).with_debug(why)
            }
            other => OAuth2Error::server_error(other.to_string()),
        }
    }
}

/// A page request over clients: keyset pagination by `client_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientListQuery {
    /// Return only clients whose id sorts strictly after this one.
    pub after: Option<String>,
    /// At most this many clients (the caller bounds it).
    pub limit: usize,
    /// Exact match on `client_name`.
    pub client_name: Option<String>,
    /// Exact match on `owner`.
    pub owner: Option<String>,
}

/// OAuth 2.0 clients. Timestamps are kept at microsecond precision (what PostgreSQL and
/// MySQL store); ids compare byte-wise on every backend.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Inserts a client, including its `secret_hash`. `Conflict` when the id exists;
    /// nothing is written then.
    async fn create_client(&self, client: &Client) -> Result<(), StorageError>;

    /// The client with this id, with its `secret_hash`.
    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StorageError>;

    /// Replaces every field of the client with this id (`created_at` included, as given).
    /// Returns `false`, writing nothing, when no such client exists.
    async fn update_client(&self, client: &Client) -> Result<bool, StorageError>;

    /// Deletes the client; returns `false` when there was none.
    async fn delete_client(&self, client_id: &str) -> Result<bool, StorageError>;

    /// Clients matching the query's filters, ordered by `client_id` ascending, ids
    /// strictly greater than `after`, at most `limit`. Stable under concurrent inserts:
    /// walking pages never repeats a client.
    async fn list_clients(&self, query: &ClientListQuery) -> Result<Vec<Client>, StorageError>;
}

/// Readiness of the storage backend.
#[async_trait]
pub trait StorageHealth: Send + Sync {
    /// Succeeds when the database answers a query against the migrated schema.
    async fn ping(&self) -> Result<(), StorageError>;
}

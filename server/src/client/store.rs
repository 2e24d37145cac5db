//! The `ClientStore` port: OAuth 2.0 clients as the server keeps them. Defined beside the
//! model it stores (as Hydra's `client.Manager`), so `client` does not depend on
//! `storage`; `storage/sql` and `storage/memory` implement it.

use async_trait::async_trait;

use super::model::Client;
use crate::error::StorageError;
use crate::outbox_event::{OutboxEvent, no_outbox};

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

    /// [`create_client`](Self::create_client), writing `events` to the outbox in the same
    /// transaction: they exist iff the client was created. A store without an outbox
    /// fails, writing nothing, when `events` is not empty.
    async fn create_client_reporting(
        &self,
        client: &Client,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        no_outbox(events)?;
        self.create_client(client).await
    }

    /// [`update_client`](Self::update_client), writing `events` in the same transaction
    /// when the client existed.
    async fn update_client_reporting(
        &self,
        client: &Client,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        no_outbox(events)?;
        self.update_client(client).await
    }

    /// [`delete_client`](Self::delete_client), writing `events` in the same transaction
    /// when the client existed.
    async fn delete_client_reporting(
        &self,
        client_id: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        no_outbox(events)?;
        self.delete_client(client_id).await
    }
}

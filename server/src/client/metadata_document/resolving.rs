//! [`ResolvingClients`]: the `ClientStore` every protocol path reads clients through.
//! A registered client always wins; a URL `client_id` no operator registered is
//! resolved from its metadata document when the feature is on.
//!
//! Tokens and consents reference the clients table (foreign keys, cascading deletes),
//! so a document client gets an *anchor* row there when its first consent is recorded
//! ([`ResolvingClients::anchor`]): a copy marked `metadata_document`, which reads never
//! return as the client (the document is resolved instead, or no client when the
//! feature is off). Deleting the anchor over the admin API revokes everything the
//! client was granted, as for a registered client. Authorization requests alone store
//! nothing.

use std::sync::Arc;

use async_trait::async_trait;

use super::MetadataDocuments;
use crate::client::model::Client;
use crate::client::store::{ClientListQuery, ClientStore};
use crate::error::{OAuth2Error, StorageError};
use crate::outbox_event::OutboxEvent;

/// Registered clients, then metadata document clients.
pub struct ResolvingClients {
    registered: Arc<dyn ClientStore>,
    documents: Arc<MetadataDocuments>,
}

impl ResolvingClients {
    pub fn new(registered: Arc<dyn ClientStore>, documents: Arc<MetadataDocuments>) -> Self {
        Self {
            registered,
            documents,
        }
    }

    /// The metadata document resolver (its cache, for tests).
    pub fn documents(&self) -> &MetadataDocuments {
        &self.documents
    }

    /// The client `client_id` names: registered, or resolved from its document. Unlike
    /// [`ClientStore::get_client`], an unusable document is an `invalid_client` error
    /// saying why, for the endpoints where the client first shows up (authorization,
    /// token).
    pub async fn find(&self, client_id: &str) -> Result<Option<Client>, OAuth2Error> {
        if let Some(client) = self.registered(client_id).await? {
            return Ok(Some(client));
        }
        if !self.documents.applies(client_id) {
            return Ok(None);
        }
        self.documents.resolve(client_id).await.map(Some)
    }

    /// The registered client `client_id`, not an anchor row.
    async fn registered(&self, client_id: &str) -> Result<Option<Client>, StorageError> {
        Ok(self
            .registered
            .get_client(client_id)
            .await?
            .filter(|client| !client.metadata_document))
    }

    /// Makes sure a document client `client_id` has its anchor row before a consent
    /// or token of it is stored; nothing for registered clients and other ids.
    pub async fn anchor(&self, client_id: &str) -> Result<(), OAuth2Error> {
        if !self.documents.applies(client_id)
            || self.registered.get_client(client_id).await?.is_some()
        {
            return Ok(());
        }
        let client = self.documents.resolve(client_id).await?;
        match self.registered.create_client(&client).await {
            // Another request anchored it first.
            Ok(()) | Err(StorageError::Conflict(_)) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

#[async_trait]
impl ClientStore for ResolvingClients {
    async fn create_client(&self, client: &Client) -> Result<(), StorageError> {
        self.registered.create_client(client).await
    }

    /// A document that cannot be used (any more) reads as no client: the later steps of
    /// a flow (login and consent requests, refresh) then fail as for a deleted client.
    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StorageError> {
        if let Some(client) = self.registered(client_id).await? {
            return Ok(Some(client));
        }
        if !self.documents.applies(client_id) {
            return Ok(None);
        }
        Ok(self.documents.resolve(client_id).await.ok())
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StorageError> {
        self.registered.update_client(client).await
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StorageError> {
        self.registered.delete_client(client_id).await
    }

    async fn list_clients(&self, query: &ClientListQuery) -> Result<Vec<Client>, StorageError> {
        self.registered.list_clients(query).await
    }

    // The writes go to the registered clients' store, events included: the defaults
    // would refuse events (no outbox) instead of passing them on.
    async fn create_client_reporting(
        &self,
        client: &Client,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        self.registered
            .create_client_reporting(client, events)
            .await
    }

    async fn update_client_reporting(
        &self,
        client: &Client,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        self.registered
            .update_client_reporting(client, events)
            .await
    }

    async fn delete_client_reporting(
        &self,
        client_id: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        self.registered
            .delete_client_reporting(client_id, events)
            .await
    }
}

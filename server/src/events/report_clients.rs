//! The events of client management: `client.created`, `client.updated`,
//! `client.secret_rotated`, `client.deleted`, keyed by the `client_id`.
//!
//! They are written by [`ReportingClients`], a `ClientStore` that wraps the real one
//! for one request: each write hands its events to the wrapped store's `*_reporting`
//! write, so they commit with the change, while `client::admin` and
//! `client::registration` stay unaware of events (`client` may not depend on `events`).
//! With `events.enabled` off every call goes straight through (one branch).
//!
//! No secret appears: a changed secret is named (`client_secret`,
//! `previous_client_secret`), never its value or hash, and the other changes are field
//! names only, never values.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::envelope::{Actor, Event};
use super::report::{fields, report};
use crate::client::model::Client;
use crate::client::store::{ClientListQuery, ClientStore};
use crate::client::wire::OAuth2Client;
use crate::clock::Clock;
use crate::config::Config;
use crate::storage::{OutboxEvent, StorageError};

/// Who changes the clients through a [`ReportingClients`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientActor {
    /// The admin API (its dashboard included).
    Admin,
    /// The client itself: dynamic registration (RFC 7591) and its management
    /// (RFC 7592) with the registration access token.
    Itself,
}

/// A `ClientStore` that reports its writes (see the module documentation).
pub struct ReportingClients<'a> {
    inner: &'a dyn ClientStore,
    config: &'a Config,
    clock: &'a dyn Clock,
    actor: ClientActor,
}

impl<'a> ReportingClients<'a> {
    pub fn new(
        inner: &'a dyn ClientStore,
        config: &'a Config,
        clock: &'a dyn Clock,
        actor: ClientActor,
    ) -> Self {
        Self {
            inner,
            config,
            clock,
            actor,
        }
    }

    fn actor(&self, client_id: &str) -> Actor {
        match self.actor {
            ClientActor::Admin => Actor::Admin,
            ClientActor::Itself => Actor::Client(client_id.to_owned()),
        }
    }

    fn event(&self, event_type: &'static str, client_id: &str, data: Value) -> Event {
        Event {
            event_type,
            aggregate_key: client_id.to_owned(),
            actor: self.actor(client_id),
            fields: fields(data),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The events of replacing `before` by `after`: `client.secret_rotated` when the
    /// secret changed, `client.updated` (with the changed field names) unless the
    /// secret is all that changed.
    fn update_events(
        &self,
        before: &Client,
        after: &Client,
    ) -> Result<Vec<OutboxEvent>, StorageError> {
        let id = after.client_id.as_str();
        let secret_changed = before.secret_hash != after.secret_hash;
        let mut changed = changed_fields(before, after);
        let mut events = Vec::new();
        if secret_changed {
            events.extend(report(self.config, self.now(), || {
                self.event(
                    "client.secret_rotated",
                    id,
                    json!({
                        "client_id": id,
                        "previous_secret_expires_at": after.previous_secret_expires_at,
                    }),
                )
            })?);
        } else if before.previous_secret_hash != after.previous_secret_hash {
            changed.push("previous_client_secret".to_owned());
        }
        if !secret_changed || !changed.is_empty() {
            if secret_changed {
                changed.push("client_secret".to_owned());
            }
            changed.sort();
            events.extend(report(self.config, self.now(), || {
                self.event(
                    "client.updated",
                    id,
                    json!({"client_id": id, "changed_fields": changed}),
                )
            })?);
        }
        Ok(events)
    }
}

/// The names of the client metadata (Hydra's `oAuth2Client` fields) whose values
/// differ, timestamps and secrets left out.
fn changed_fields(before: &Client, after: &Client) -> Vec<String> {
    let wire = |client: &Client| match serde_json::to_value(OAuth2Client::from_model(client, None))
    {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (before, after) = (wire(before), wire(after));
    let mut names: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|name| !matches!(name.as_str(), "created_at" | "updated_at" | "client_secret"))
        .filter(|name| before.get(*name) != after.get(*name))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

#[async_trait]
impl ClientStore for ReportingClients<'_> {
    async fn create_client(&self, client: &Client) -> Result<(), StorageError> {
        let id = client.client_id.as_str();
        let events = report(self.config, self.now(), || {
            self.event(
                "client.created",
                id,
                json!({
                    "client_id": id,
                    "client_name": client.client_name,
                    "grant_types": client.grant_types,
                    "token_endpoint_auth_method": client.token_endpoint_auth_method.as_str(),
                }),
            )
        })?;
        self.inner.create_client_reporting(client, &events).await
    }

    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StorageError> {
        self.inner.get_client(client_id).await
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StorageError> {
        if !self.config.events.enabled {
            return self.inner.update_client(client).await;
        }
        // The fields changed since this read: a concurrent update in between is
        // reported by its own event, so at worst a name appears in both.
        let Some(before) = self.inner.get_client(&client.client_id).await? else {
            return self.inner.update_client(client).await;
        };
        let events = self.update_events(&before, client)?;
        self.inner.update_client_reporting(client, &events).await
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StorageError> {
        let events = report(self.config, self.now(), || {
            self.event("client.deleted", client_id, json!({"client_id": client_id}))
        })?;
        self.inner.delete_client_reporting(client_id, &events).await
    }

    async fn list_clients(&self, query: &ClientListQuery) -> Result<Vec<Client>, StorageError> {
        self.inner.list_clients(query).await
    }

    async fn create_client_reporting(
        &self,
        client: &Client,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        self.inner.create_client_reporting(client, events).await
    }

    async fn update_client_reporting(
        &self,
        client: &Client,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        self.inner.update_client_reporting(client, events).await
    }

    async fn delete_client_reporting(
        &self,
        client_id: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        self.inner.delete_client_reporting(client_id, events).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_fields_are_names_without_timestamps_or_secrets() {
        let before = Client {
            client_id: "c1".into(),
            client_name: "one".into(),
            secret_hash: Some("h1".into()),
            ..Client::default()
        };
        let mut after = before.clone();
        after.client_name = "two".into();
        after.secret_hash = Some("h2".into());
        after.updated_at = before.updated_at + chrono::Duration::seconds(5);
        assert_eq!(changed_fields(&before, &after), ["client_name"]);
        assert!(changed_fields(&before, &before).is_empty());
    }
}

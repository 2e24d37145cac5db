//! The events of the trust relationships of the JWT bearer grant (Hydra's trust API):
//! `trust.created` and `trust.deleted`, keyed by the relationship id, the admin as
//! actor. Written by [`ReportingTrusts`], a `TrustStore` wrapping the real one for one
//! request, as `report_clients.rs` does for clients. The issuer's public key never
//! appears, only its `kid`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::envelope::{Actor, Event};
use super::report::{fields, report};
use crate::clock::Clock;
use crate::config::Config;
use crate::storage::{OutboxEvent, StorageError};
use crate::trust::{TrustListQuery, TrustRelationship, TrustStore};

/// A `TrustStore` whose writes report their events (the admin API's).
pub struct ReportingTrusts<'a> {
    inner: &'a dyn TrustStore,
    config: &'a Config,
    clock: &'a dyn Clock,
}

impl<'a> ReportingTrusts<'a> {
    pub fn new(inner: &'a dyn TrustStore, config: &'a Config, clock: &'a dyn Clock) -> Self {
        Self {
            inner,
            config,
            clock,
        }
    }

    fn rows(
        &self,
        event_type: &'static str,
        trust: &TrustRelationship,
    ) -> Result<Vec<OutboxEvent>, StorageError> {
        report(self.config, self.clock.now(), || Event {
            event_type,
            aggregate_key: trust.id.clone(),
            actor: Actor::Admin,
            fields: fields(json!({
                "id": trust.id,
                "issuer": trust.issuer,
                "subject": (!trust.allow_any_subject).then_some(&trust.subject),
                "allow_any_subject": trust.allow_any_subject,
                "scope": trust.scope,
                "kid": trust.kid,
                "expires_at": trust.expires_at,
            })),
        })
    }
}

#[async_trait]
impl TrustStore for ReportingTrusts<'_> {
    async fn create_trust(&self, trust: &TrustRelationship) -> Result<(), StorageError> {
        let events = self.rows("trust.created", trust)?;
        self.inner.create_trust_reporting(trust, &events).await
    }

    async fn get_trust(&self, id: &str) -> Result<Option<TrustRelationship>, StorageError> {
        self.inner.get_trust(id).await
    }

    async fn delete_trust(&self, id: &str) -> Result<bool, StorageError> {
        if !self.config.events.enabled {
            return self.inner.delete_trust(id).await;
        }
        // Read first to name the issuer and kid; a relationship gone meanwhile is
        // deleted by nobody here, and the delete below then reports nothing.
        let Some(trust) = self.inner.get_trust(id).await? else {
            return self.inner.delete_trust(id).await;
        };
        let events = self.rows("trust.deleted", &trust)?;
        self.inner.delete_trust_reporting(id, &events).await
    }

    async fn list_trusts(
        &self,
        query: &TrustListQuery,
    ) -> Result<Vec<TrustRelationship>, StorageError> {
        self.inner.list_trusts(query).await
    }

    async fn trusted_keys(
        &self,
        issuer: &str,
        subject: &str,
        kid: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<TrustRelationship>, StorageError> {
        self.inner.trusted_keys(issuer, subject, kid, now).await
    }

    async fn create_trust_reporting(
        &self,
        trust: &TrustRelationship,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        self.inner.create_trust_reporting(trust, events).await
    }

    async fn delete_trust_reporting(
        &self,
        id: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        self.inner.delete_trust_reporting(id, events).await
    }
}

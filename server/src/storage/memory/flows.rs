//! The flow ports in memory, for unit tests of protocol logic and the conformance suite.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::storage::StorageError;
use crate::storage::flows::{
    ConsentGrant, ConsentListQuery, ConsentStore, FlowStep, FlowStepStore, LoginSession,
    LoginSessionStore,
};

#[derive(Debug, Default)]
pub struct MemoryFlowStore {
    steps: Mutex<HashMap<(String, &'static str), String>>,
    sessions: Mutex<HashMap<String, LoginSession>>,
    consents: Mutex<BTreeMap<String, ConsentGrant>>,
}

fn poisoned() -> StorageError {
    StorageError::Database("memory store lock poisoned".into())
}

impl MemoryFlowStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl FlowStepStore for MemoryFlowStore {
    async fn record_step(
        &self,
        flow_id: &str,
        step: FlowStep,
        redirect_to: &str,
        _expires_at: DateTime<Utc>,
    ) -> Result<Option<String>, StorageError> {
        let mut steps = self.steps.lock().map_err(|_| poisoned())?;
        let key = (flow_id.to_owned(), step.as_str());
        if let Some(existing) = steps.get(&key) {
            return Ok(Some(existing.clone()));
        }
        steps.insert(key, redirect_to.to_owned());
        Ok(None)
    }

    async fn get_step(
        &self,
        flow_id: &str,
        step: FlowStep,
    ) -> Result<Option<String>, StorageError> {
        let steps = self.steps.lock().map_err(|_| poisoned())?;
        Ok(steps.get(&(flow_id.to_owned(), step.as_str())).cloned())
    }
}

#[async_trait]
impl LoginSessionStore for MemoryFlowStore {
    async fn upsert_login_session(&self, session: &LoginSession) -> Result<(), StorageError> {
        let mut sessions = self.sessions.lock().map_err(|_| poisoned())?;
        sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }

    async fn get_login_session(&self, id: &str) -> Result<Option<LoginSession>, StorageError> {
        Ok(self
            .sessions
            .lock()
            .map_err(|_| poisoned())?
            .get(id)
            .cloned())
    }

    async fn delete_login_session(&self, id: &str) -> Result<bool, StorageError> {
        Ok(self
            .sessions
            .lock()
            .map_err(|_| poisoned())?
            .remove(id)
            .is_some())
    }

    async fn delete_login_sessions_of_subject(&self, subject: &str) -> Result<u64, StorageError> {
        let mut sessions = self.sessions.lock().map_err(|_| poisoned())?;
        let before = sessions.len();
        sessions.retain(|_, s| s.subject != subject);
        Ok((before - sessions.len()) as u64)
    }
}

#[async_trait]
impl ConsentStore for MemoryFlowStore {
    async fn insert_consent(&self, grant: &ConsentGrant) -> Result<(), StorageError> {
        let mut consents = self.consents.lock().map_err(|_| poisoned())?;
        if consents.contains_key(&grant.id) {
            return Err(StorageError::Conflict(format!(
                "consent {:?} exists",
                grant.id
            )));
        }
        consents.insert(grant.id.clone(), grant.clone());
        Ok(())
    }

    async fn find_remembered_consent(
        &self,
        subject: &str,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ConsentGrant>, StorageError> {
        let consents = self.consents.lock().map_err(|_| poisoned())?;
        Ok(consents
            .values()
            .filter(|g| g.subject == subject && g.client_id == client_id && g.remember)
            .filter(|g| g.remember_until.is_none_or(|until| until > now))
            .max_by_key(|g| g.handled_at)
            .cloned())
    }

    async fn list_consents(
        &self,
        query: &ConsentListQuery,
    ) -> Result<Vec<ConsentGrant>, StorageError> {
        let consents = self.consents.lock().map_err(|_| poisoned())?;
        Ok(consents
            .values()
            .filter(|g| g.subject == query.subject)
            .filter(|g| {
                query.login_session_id.is_none() || g.login_session_id == query.login_session_id
            })
            .filter(|g| query.after.as_ref().is_none_or(|after| &g.id > after))
            .take(query.limit)
            .cloned()
            .collect())
    }

    async fn delete_consents(
        &self,
        subject: &str,
        client_id: Option<&str>,
    ) -> Result<Vec<String>, StorageError> {
        let mut consents = self.consents.lock().map_err(|_| poisoned())?;
        let mut clients: Vec<String> = Vec::new();
        consents.retain(|_, g| {
            let hit = g.subject == subject && client_id.is_none_or(|c| g.client_id == c);
            if hit && !clients.contains(&g.client_id) {
                clients.push(g.client_id.clone());
            }
            !hit
        });
        Ok(clients)
    }
}

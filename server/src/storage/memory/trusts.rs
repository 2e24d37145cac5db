//! `TrustStore` in memory: relationships by id, one lock per call, so `create_trust`'s
//! uniqueness check and insert are atomic as the SQL unique index makes them.

use std::collections::BTreeMap;
use std::ops::Bound;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

use super::MemoryStore;
use crate::storage::StorageError;
use crate::trust::store::MAX_CANDIDATE_KEYS;
use crate::trust::{TrustListQuery, TrustRelationship, TrustStore};

/// Relationships by id, the order `list_trusts` pages in.
pub(super) type TrustMap = BTreeMap<String, TrustRelationship>;

impl MemoryStore {
    fn trusts(&self) -> std::sync::MutexGuard<'_, TrustMap> {
        self.trusts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl TrustStore for MemoryStore {
    async fn create_trust(&self, trust: &TrustRelationship) -> Result<(), StorageError> {
        let mut trusts = self.trusts();
        let duplicate = trusts
            .values()
            .any(|t| t.issuer == trust.issuer && t.subject == trust.subject && t.kid == trust.kid);
        if duplicate || trusts.contains_key(&trust.id) {
            return Err(StorageError::Conflict(format!(
                "a trust relationship for issuer {:?}, subject {:?} and kid {:?} already exists",
                trust.issuer, trust.subject, trust.kid
            )));
        }
        let mut stored = trust.clone();
        stored.created_at = stored.created_at.trunc_subsecs(6);
        stored.expires_at = stored.expires_at.trunc_subsecs(6);
        trusts.insert(trust.id.clone(), stored);
        Ok(())
    }

    async fn get_trust(&self, id: &str) -> Result<Option<TrustRelationship>, StorageError> {
        Ok(self.trusts().get(id).cloned())
    }

    async fn delete_trust(&self, id: &str) -> Result<bool, StorageError> {
        Ok(self.trusts().remove(id).is_some())
    }

    async fn list_trusts(
        &self,
        query: &TrustListQuery,
    ) -> Result<Vec<TrustRelationship>, StorageError> {
        let trusts = self.trusts();
        let start = match &query.after {
            Some(after) => Bound::Excluded(after.clone()),
            None => Bound::Unbounded,
        };
        Ok(trusts
            .range((start, Bound::Unbounded))
            .map(|(_, t)| t)
            .filter(|t| query.issuer.as_ref().is_none_or(|i| *i == t.issuer))
            .take(query.limit)
            .cloned()
            .collect())
    }

    async fn trusted_keys(
        &self,
        issuer: &str,
        subject: &str,
        kid: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<TrustRelationship>, StorageError> {
        let now = now.trunc_subsecs(6);
        let trusts = self.trusts();
        let mut found: Vec<&TrustRelationship> = trusts
            .values()
            .filter(|t| {
                t.issuer == issuer
                    && t.allows_subject(subject)
                    && kid.is_none_or(|kid| t.kid == kid)
                    && t.expires_at > now
            })
            .collect();
        // Those naming the subject first; the sort is stable, so then by id.
        found.sort_by_key(|t| t.allow_any_subject);
        Ok(found
            .into_iter()
            .take(MAX_CANDIDATE_KEYS)
            .cloned()
            .collect())
    }
}

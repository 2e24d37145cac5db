//! `PushedRequestStore` in memory: one lock held for the whole call makes
//! `take_pushed_request` atomic, as the SQL `DELETE` is.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

use super::MemoryStore;
use crate::storage::StorageError;
use crate::storage::pushed_requests::{PushedRequest, PushedRequestStore};

/// Pushed requests by key.
pub(super) type PushedMap = HashMap<String, PushedRequest>;

impl MemoryStore {
    fn pushed(&self) -> std::sync::MutexGuard<'_, PushedMap> {
        // Every operation is one map call: a poisoned map is still consistent.
        self.pushed_requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl PushedRequestStore for MemoryStore {
    async fn push_request(&self, key: &str, request: &PushedRequest) -> Result<(), StorageError> {
        let mut map = self.pushed();
        if map.contains_key(key) {
            return Err(StorageError::Conflict(
                "a pushed request with this key exists".into(),
            ));
        }
        let mut stored = request.clone();
        // Stored as the SQL stores store it: microsecond timestamps.
        stored.expires_at = stored.expires_at.trunc_subsecs(6);
        map.insert(key.to_owned(), stored);
        Ok(())
    }

    async fn take_pushed_request(
        &self,
        key: &str,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PushedRequest>, StorageError> {
        let mut map = self.pushed();
        if map.get(key).is_none_or(|r| r.client_id != client_id) {
            return Ok(None);
        }
        Ok(map
            .remove(key)
            .filter(|r| r.expires_at > now.trunc_subsecs(6)))
    }

    async fn delete_expired_pushed_requests(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let mut map = self.pushed();
        let before = before.trunc_subsecs(6);
        let len = map.len();
        map.retain(|_, r| r.expires_at >= before);
        Ok(u64::try_from(len - map.len()).unwrap_or(u64::MAX))
    }
}

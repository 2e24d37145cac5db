//! `JtiStore` in memory: one lock held for the whole call makes `record_jti` atomic, as
//! the SQL statements are.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

use super::MemoryStore;
use crate::storage::StorageError;
use crate::storage::jti::{JtiStore, jti_key};

/// Expiry of each recorded (client, jti) pair, by `jti_key`.
pub(super) type JtiMap = HashMap<String, DateTime<Utc>>;

#[async_trait]
impl JtiStore for MemoryStore {
    async fn record_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut map = self
            .jtis
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = jti_key(client_id, jti);
        // Compared at the SQL stores' microsecond precision.
        if map
            .get(&key)
            .is_some_and(|recorded| *recorded > now.trunc_subsecs(6))
        {
            return Ok(false);
        }
        map.insert(key, expires_at.trunc_subsecs(6));
        Ok(true)
    }

    async fn delete_expired_jtis(&self, before: DateTime<Utc>) -> Result<u64, StorageError> {
        let mut map = self
            .jtis
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = before.trunc_subsecs(6);
        let len = map.len();
        map.retain(|_, expires_at| *expires_at >= before);
        Ok(u64::try_from(len - map.len()).unwrap_or(u64::MAX))
    }
}

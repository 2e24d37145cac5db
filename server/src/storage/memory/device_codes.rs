//! `DeviceCodeStore` in memory: one lock held for each whole call makes every
//! compare-and-set atomic, as the SQL `UPDATE … WHERE` statements are.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

use super::MemoryStore;
use crate::storage::StorageError;
use crate::storage::device_codes::{DeviceAuthorization, DeviceCodeState, DeviceCodeStore};

/// Device authorizations by device code key, and attempt counts by challenge id
/// (attempts taken, expiry).
#[derive(Debug, Default)]
pub(super) struct DeviceMaps {
    authorizations: HashMap<String, DeviceAuthorization>,
    attempts: HashMap<String, (u32, DateTime<Utc>)>,
}

impl MemoryStore {
    fn device(&self) -> std::sync::MutexGuard<'_, DeviceMaps> {
        // Every operation is one map call: a poisoned map is still consistent.
        self.device_codes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl DeviceCodeStore for MemoryStore {
    async fn insert_device_authorization(
        &self,
        authorization: &DeviceAuthorization,
    ) -> Result<(), StorageError> {
        let mut maps = self.device();
        let clash = maps
            .authorizations
            .contains_key(&authorization.device_code_key)
            || maps
                .authorizations
                .values()
                .any(|a| a.user_code_key == authorization.user_code_key);
        if clash {
            return Err(StorageError::Conflict(
                "a device authorization with this device or user code exists".into(),
            ));
        }
        // Stored as the SQL stores store it: microsecond timestamps.
        let mut stored = authorization.clone();
        stored.next_poll_at = stored.next_poll_at.trunc_subsecs(6);
        stored.requested_at = stored.requested_at.trunc_subsecs(6);
        stored.expires_at = stored.expires_at.trunc_subsecs(6);
        maps.authorizations
            .insert(stored.device_code_key.clone(), stored);
        Ok(())
    }

    async fn get_device_authorization(
        &self,
        device_code_key: &str,
    ) -> Result<Option<DeviceAuthorization>, StorageError> {
        Ok(self.device().authorizations.get(device_code_key).cloned())
    }

    async fn find_device_authorization_by_user_code(
        &self,
        user_code_keys: &[String],
    ) -> Result<Option<DeviceAuthorization>, StorageError> {
        Ok(self
            .device()
            .authorizations
            .values()
            .find(|a| user_code_keys.contains(&a.user_code_key))
            .cloned())
    }

    async fn transition_device_authorization(
        &self,
        device_code_key: &str,
        from: DeviceCodeState,
        to: DeviceCodeState,
        approval: Option<&str>,
    ) -> Result<bool, StorageError> {
        let mut maps = self.device();
        match maps.authorizations.get_mut(device_code_key) {
            Some(row) if row.state == from => {
                row.state = to;
                if let Some(approval) = approval {
                    row.approval = Some(approval.to_owned());
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn record_poll(
        &self,
        device_code_key: &str,
        polls: i64,
        interval_secs: i64,
        next_poll_at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut maps = self.device();
        match maps.authorizations.get_mut(device_code_key) {
            Some(row) if row.polls == polls => {
                row.polls = polls.saturating_add(1);
                row.interval_secs = interval_secs;
                row.next_poll_at = next_poll_at.trunc_subsecs(6);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn take_user_code_attempt(
        &self,
        challenge_id: &str,
        max: u32,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut maps = self.device();
        let entry = maps
            .attempts
            .entry(challenge_id.to_owned())
            .or_insert((0, expires_at.trunc_subsecs(6)));
        if entry.0 >= max {
            return Ok(false);
        }
        entry.0 += 1;
        Ok(true)
    }

    async fn delete_expired_device_codes(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let mut maps = self.device();
        let before = before.trunc_subsecs(6);
        let len = maps.authorizations.len() + maps.attempts.len();
        maps.authorizations.retain(|_, a| a.expires_at >= before);
        maps.attempts
            .retain(|_, (_, expires_at)| *expires_at >= before);
        let left = maps.authorizations.len() + maps.attempts.len();
        Ok(u64::try_from(len - left).unwrap_or(u64::MAX))
    }
}

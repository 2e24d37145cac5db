//! `JsonWebKeyStore` in memory. Each method holds the one lock for its whole body, which
//! makes it atomic exactly as the SQL transactions are.

use std::collections::BTreeMap;
use std::sync::MutexGuard;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

use super::MemoryStore;
use crate::storage::{JsonWebKeyStore, StorageError, StoredJsonWebKey};

/// Keys by (set, kid), byte-wise ordered like the SQL backends.
pub(super) type KeyMap = BTreeMap<(String, String), StoredJsonWebKey>;

impl MemoryStore {
    /// Poisoning cannot leave the map half-written (see `MemoryStore::clients`).
    fn key_map(&self) -> MutexGuard<'_, KeyMap> {
        self.json_web_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Stored as SQL stores it: microsecond timestamps.
fn stored(key: &StoredJsonWebKey) -> StoredJsonWebKey {
    let mut key = key.clone();
    key.created_at = key.created_at.trunc_subsecs(6);
    key.not_before = key.not_before.trunc_subsecs(6);
    key.retired_at = key.retired_at.map(|at| at.trunc_subsecs(6));
    key
}

fn id(key: &StoredJsonWebKey) -> (String, String) {
    (key.set_id.clone(), key.kid.clone())
}

/// The keys of `set`, oldest first.
fn set_keys(map: &KeyMap, set: &str) -> Vec<StoredJsonWebKey> {
    let mut keys: Vec<StoredJsonWebKey> =
        map.values().filter(|k| k.set_id == set).cloned().collect();
    keys.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
    keys
}

fn conflict(key: &StoredJsonWebKey) -> StorageError {
    StorageError::Conflict(format!(
        "a key with kid {:?} already exists in set {:?}",
        key.kid, key.set_id
    ))
}

#[async_trait]
impl JsonWebKeyStore for MemoryStore {
    async fn add_json_web_keys(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
        retire_at: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        let mut map = self.key_map();
        let mut fresh = std::collections::BTreeSet::new();
        for key in keys {
            if map.contains_key(&id(key)) || !fresh.insert(id(key)) {
                return Err(conflict(key));
            }
        }
        if let Some(at) = retire_at {
            let uses: Vec<&str> = keys.iter().map(|k| k.use_.as_str()).collect();
            for existing in map.values_mut() {
                if existing.set_id == set
                    && existing.retired_at.is_none()
                    && uses.contains(&existing.use_.as_str())
                {
                    existing.retired_at = Some(at.trunc_subsecs(6));
                }
            }
        }
        for key in keys {
            map.insert(id(key), stored(key));
        }
        Ok(())
    }

    async fn add_json_web_keys_if_set_empty(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
    ) -> Result<bool, StorageError> {
        let mut map = self.key_map();
        if map.values().any(|k| k.set_id == set) {
            return Ok(false);
        }
        for key in keys {
            map.insert(id(key), stored(key));
        }
        Ok(true)
    }

    async fn replace_json_web_key_set(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
    ) -> Result<(), StorageError> {
        let mut map = self.key_map();
        let mut fresh = std::collections::BTreeSet::new();
        if let Some(key) = keys.iter().find(|k| !fresh.insert(id(k))) {
            return Err(conflict(key));
        }
        map.retain(|(s, _), _| s != set);
        for key in keys {
            map.insert(id(key), stored(key));
        }
        Ok(())
    }

    async fn put_json_web_key(&self, key: &StoredJsonWebKey) -> Result<(), StorageError> {
        self.key_map().insert(id(key), stored(key));
        Ok(())
    }

    async fn get_json_web_key_set(&self, set: &str) -> Result<Vec<StoredJsonWebKey>, StorageError> {
        Ok(set_keys(&self.key_map(), set))
    }

    async fn get_json_web_key(
        &self,
        set: &str,
        kid: &str,
    ) -> Result<Option<StoredJsonWebKey>, StorageError> {
        Ok(self
            .key_map()
            .get(&(set.to_owned(), kid.to_owned()))
            .cloned())
    }

    async fn delete_json_web_key(&self, set: &str, kid: &str) -> Result<bool, StorageError> {
        Ok(self
            .key_map()
            .remove(&(set.to_owned(), kid.to_owned()))
            .is_some())
    }

    async fn delete_json_web_key_set(&self, set: &str) -> Result<bool, StorageError> {
        let mut map = self.key_map();
        let before = map.len();
        map.retain(|(s, _), _| s != set);
        Ok(map.len() < before)
    }

    async fn list_json_web_keys(
        &self,
        sets: &[String],
    ) -> Result<Vec<StoredJsonWebKey>, StorageError> {
        let map = self.key_map();
        let mut names: Vec<&String> = sets.iter().collect();
        names.sort();
        names.dedup();
        Ok(names.into_iter().flat_map(|s| set_keys(&map, s)).collect())
    }
}

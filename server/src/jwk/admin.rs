//! The admin operations on key sets (Hydra's `/admin/keys` API), independent of HTTP.
//! Admin reads return private parts, as Hydra's do; every change drops the set's cache.
//!
//! Rotation: creating a key in a set that already has keys of the same use publishes
//! the new key at once but lets it sign only after `oidc.jwks.publish_before_use`; the
//! keys it replaces get `retired_at` = that moment and stay published.

use chrono::{DateTime, SubsecRound, Utc};

use super::alg::{parse_alg, parse_use};
use super::generate::generate_off_thread;
use super::key::{ValidKey, validate, validate_kid, validate_set_id};
use super::manager::KeyManager;
use super::store::StoredJsonWebKey;
use super::stored::{Schedule, open, to_stored};
use super::{JsonWebKey, JsonWebKeySet, JwkError};
use crate::error::StorageError;

/// Hydra's `createJsonWebKeySet` body, parsed by the caller's wire type.
#[derive(Debug, Clone, Default)]
pub struct CreateKeyRequest {
    pub alg: String,
    /// Empty: a random UUID.
    pub kid: String,
    pub use_: String,
}

fn set_not_found(set: &str) -> JwkError {
    JwkError::NotFound(format!("No JSON Web Key Set {set:?} exists."))
}

fn key_not_found(set: &str, kid: &str) -> JwkError {
    JwkError::NotFound(format!(
        "No JSON Web Key with kid {kid:?} exists in set {set:?}."
    ))
}

fn conflict(err: StorageError) -> JwkError {
    match err {
        StorageError::Conflict(why) => JwkError::Conflict(format!("{why}.")),
        other => other.into(),
    }
}

impl KeyManager {
    /// Now at the microsecond precision the stores keep, so responses equal reads.
    fn stored_now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }

    /// Generates a key and adds it to `set` (Hydra `createJsonWebKeySet`). Returns the
    /// new key with its private part.
    pub async fn create_key(
        &self,
        set: &str,
        request: &CreateKeyRequest,
    ) -> Result<JsonWebKeySet, JwkError> {
        validate_set_id(set)?;
        let alg = parse_alg("alg", Some(&request.alg))?;
        let use_ = parse_use("use", Some(&request.use_))?;
        let kid = if request.kid.is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            request.kid.clone()
        };
        validate_kid("kid", &kid)?;
        let key = generate_off_thread(alg, kid, use_, self.settings.rsa_bits).await?;
        let now = self.stored_now();
        let existing = self.store.get_json_web_key_set(set).await?;
        let rotating = existing.iter().any(|k| k.use_ == use_.as_str());
        let not_before = if rotating {
            now + self.settings.publish_before_use
        } else {
            now
        };
        let row = to_stored(
            &self.ring,
            set,
            &key,
            Schedule {
                created_at: now,
                not_before,
            },
        )?;
        let retire_at = rotating.then_some(not_before);
        let result = self.store.add_json_web_keys(set, &[row], retire_at).await;
        self.invalidate(set);
        result.map_err(conflict)?;
        Ok(JsonWebKeySet { keys: vec![key] })
    }

    /// Every key of `set`, private parts included (Hydra `getJsonWebKeySet`).
    pub async fn get_key_set(&self, set: &str) -> Result<JsonWebKeySet, JwkError> {
        let rows = self.store.get_json_web_key_set(set).await?;
        if rows.is_empty() {
            return Err(set_not_found(set));
        }
        self.opened(&rows)
    }

    /// Replaces the whole set with `body` (Hydra `setJsonWebKeySet`). The keys sign at
    /// once; an empty list deletes the set.
    pub async fn set_key_set(
        &self,
        set: &str,
        body: JsonWebKeySet,
    ) -> Result<JsonWebKeySet, JwkError> {
        validate_set_id(set)?;
        let mut seen = std::collections::HashSet::new();
        let mut valid = Vec::with_capacity(body.keys.len());
        for (index, key) in body.keys.into_iter().enumerate() {
            let checked = validate(&format!("keys[{index}]."), key)?;
            if !seen.insert(checked.kid.clone()) {
                return Err(JwkError::invalid(
                    format!("keys[{index}].kid"),
                    format!("{:?} appears twice in the set", checked.kid),
                ));
            }
            valid.push(checked);
        }
        let now = self.stored_now();
        let schedule = Schedule {
            created_at: now,
            not_before: now,
        };
        let rows = valid
            .iter()
            .map(|v| to_stored(&self.ring, set, &v.key, schedule))
            .collect::<Result<Vec<_>, _>>()?;
        let result = self.store.replace_json_web_key_set(set, &rows).await;
        self.invalidate(set);
        result.map_err(conflict)?;
        Ok(JsonWebKeySet {
            keys: valid.into_iter().map(|v| v.key).collect(),
        })
    }

    /// Deletes every key of `set` (Hydra `deleteJsonWebKeySet`).
    pub async fn delete_key_set(&self, set: &str) -> Result<(), JwkError> {
        let deleted = self.store.delete_json_web_key_set(set).await;
        self.invalidate(set);
        if deleted? {
            Ok(())
        } else {
            Err(set_not_found(set))
        }
    }

    /// One key, as a set of one (Hydra `getJsonWebKey`).
    pub async fn get_key(&self, set: &str, kid: &str) -> Result<JsonWebKeySet, JwkError> {
        let row = self
            .store
            .get_json_web_key(set, kid)
            .await?
            .ok_or_else(|| key_not_found(set, kid))?;
        self.opened(&[row])
    }

    /// Adds or replaces one key (Hydra `setJsonWebKey`). A replaced key keeps its
    /// schedule; a new one signs at once. The body's kid, when given, must be `kid`.
    pub async fn set_key(
        &self,
        set: &str,
        kid: &str,
        mut body: JsonWebKey,
    ) -> Result<JsonWebKey, JwkError> {
        validate_set_id(set)?;
        match body.kid.as_deref() {
            None | Some("") => body.kid = Some(kid.to_owned()),
            Some(given) if given != kid => {
                return Err(JwkError::invalid(
                    "kid",
                    format!("the body's kid {given:?} differs from the path's {kid:?}"),
                ));
            }
            Some(_) => {}
        }
        let ValidKey { key, .. } = validate("", body)?;
        let now = self.stored_now();
        let previous = self.store.get_json_web_key(set, kid).await?;
        let schedule = previous.as_ref().map_or(
            Schedule {
                created_at: now,
                not_before: now,
            },
            |p| Schedule {
                created_at: p.created_at,
                not_before: p.not_before,
            },
        );
        let mut row = to_stored(&self.ring, set, &key, schedule)?;
        row.retired_at = previous.and_then(|p| p.retired_at);
        let result = self.store.put_json_web_key(&row).await;
        self.invalidate(set);
        result.map_err(conflict)?;
        Ok(key)
    }

    /// Deletes one key (Hydra `deleteJsonWebKey`).
    pub async fn delete_key(&self, set: &str, kid: &str) -> Result<(), JwkError> {
        let deleted = self.store.delete_json_web_key(set, kid).await;
        self.invalidate(set);
        if deleted? {
            Ok(())
        } else {
            Err(key_not_found(set, kid))
        }
    }

    fn opened(&self, rows: &[StoredJsonWebKey]) -> Result<JsonWebKeySet, JwkError> {
        let keys = rows
            .iter()
            .map(|row| open(&self.ring, row))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(JsonWebKeySet { keys })
    }
}

//! The admin operations on key sets (Hydra's `/admin/keys` API), independent of HTTP.
//! Admin reads return private parts, as Hydra's do; every change drops the set's cache.
//!
//! Rotation: creating a key in a set that already has keys of the same use publishes
//! the new key at once but lets it sign only after `oidc.jwks.publish_before_use`; the
//! keys it replaces get `retired_at` = that moment and stay published.
//!
//! Audit events: with a reporter attached (`KeyManager::with_reporter`), every change
//! hands its `key.*` events (`changes.rs`) to the store's `*_reporting` write, so they
//! commit with it. Sets or keys read to name what a change replaces or deletes are read
//! just before it: a concurrent change in between is reported by its own event.

use chrono::{DateTime, SubsecRound, Utc};

use super::alg::{parse_alg, parse_use};
use super::changes::{KeyChange, KeyChangeKind};
use super::generate::generate_off_thread;
use super::key::{ValidKey, validate, validate_kid, validate_set_id};
use super::manager::KeyManager;
use super::store::StoredJsonWebKey;
use super::stored::{Schedule, open, to_stored};
use super::{JsonWebKey, JsonWebKeySet, JwkError};
use crate::error::StorageError;
use crate::outbox_event::OutboxEvent;

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

    /// The outbox rows of the change `describe` makes; none without a reporter (the
    /// change is not even described then).
    fn report(&self, describe: impl FnOnce() -> KeyChange) -> Result<Vec<OutboxEvent>, JwkError> {
        match &self.reporter {
            Some(reporter) => Ok(reporter.rows(&describe())?),
            None => Ok(Vec::new()),
        }
    }

    /// The keys of `set` before a change, read only when it will be reported.
    async fn before_change(&self, set: &str) -> Result<Vec<StoredJsonWebKey>, JwkError> {
        if self.reporter.is_none() {
            return Ok(Vec::new());
        }
        Ok(self.store.get_json_web_key_set(set).await?)
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
        let events = self.report(|| {
            let rows = std::slice::from_ref(&row);
            if rotating {
                let retiring = existing
                    .iter()
                    .filter(|k| k.use_ == use_.as_str() && k.retired_at.is_none());
                KeyChange::new(KeyChangeKind::Rotated, set, rows).replacing(retiring)
            } else {
                KeyChange::new(KeyChangeKind::Created, set, rows)
            }
        })?;
        let result = self
            .store
            .add_json_web_keys_reporting(set, std::slice::from_ref(&row), retire_at, &events)
            .await;
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
        let before = self.before_change(set).await?;
        let events = if rows.is_empty() && before.is_empty() {
            Vec::new()
        } else {
            self.report(|| match (rows.is_empty(), before.is_empty()) {
                (true, _) => KeyChange::new(KeyChangeKind::Deleted, set, &before),
                (false, true) => KeyChange::new(KeyChangeKind::Created, set, &rows),
                (false, false) => {
                    KeyChange::new(KeyChangeKind::Rotated, set, &rows).replacing(&before)
                }
            })?
        };
        let result = self
            .store
            .replace_json_web_key_set_reporting(set, &rows, &events)
            .await;
        self.invalidate(set);
        result.map_err(conflict)?;
        Ok(JsonWebKeySet {
            keys: valid.into_iter().map(|v| v.key).collect(),
        })
    }

    /// Deletes every key of `set` (Hydra `deleteJsonWebKeySet`).
    pub async fn delete_key_set(&self, set: &str) -> Result<(), JwkError> {
        let before = self.before_change(set).await?;
        let events = self.report(|| KeyChange::new(KeyChangeKind::Deleted, set, &before))?;
        let deleted = self
            .store
            .delete_json_web_key_set_reporting(set, &events)
            .await;
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
        row.retired_at = previous.as_ref().and_then(|p| p.retired_at);
        let events = self.report(|| {
            let rows = std::slice::from_ref(&row);
            match &previous {
                Some(replaced) => KeyChange::new(KeyChangeKind::Rotated, set, rows)
                    .replacing(std::slice::from_ref(replaced)),
                None => KeyChange::new(KeyChangeKind::Created, set, rows),
            }
        })?;
        let result = self.store.put_json_web_key_reporting(&row, &events).await;
        self.invalidate(set);
        result.map_err(conflict)?;
        Ok(key)
    }

    /// Deletes one key (Hydra `deleteJsonWebKey`).
    pub async fn delete_key(&self, set: &str, kid: &str) -> Result<(), JwkError> {
        let before = match self.reporter {
            Some(_) => self.store.get_json_web_key(set, kid).await?,
            None => None,
        };
        let events = match &before {
            Some(key) => self.report(|| {
                KeyChange::new(KeyChangeKind::Deleted, set, std::slice::from_ref(key))
            })?,
            None => Vec::new(),
        };
        let deleted = self
            .store
            .delete_json_web_key_reporting(set, kid, &events)
            .await;
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

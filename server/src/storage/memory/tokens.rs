//! `TokenStore` in memory. Each method holds the token lock for its whole body, which
//! makes it atomic as the SQL statements and transactions are. The foreign key to the
//! client is kept too: inserting checks the client exists (clients lock first, then
//! tokens, everywhere), and `delete_client` removes the client's tokens.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::MutexGuard;

use async_trait::async_trait;
use chrono::{DateTime, Duration, SubsecRound, Utc};

use super::MemoryStore;
use crate::client::model::Client;
use crate::storage::{StorageError, StoredToken, TokenKind, TokenStore};

/// Tokens by signature hash.
pub(super) type TokenMap = HashMap<String, StoredToken>;

impl MemoryStore {
    /// Poisoning cannot leave the map half-written (see `MemoryStore::clients`).
    pub(super) fn token_map(&self) -> MutexGuard<'_, TokenMap> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Stored as SQL stores it: microsecond timestamps, no empty scope tokens.
fn stored(token: &StoredToken) -> StoredToken {
    let mut token = token.clone();
    token.granted_scope.retain(|s| !s.is_empty());
    token.issued_at = token.issued_at.trunc_subsecs(6);
    token.expires_at = token.expires_at.trunc_subsecs(6);
    token.used_at = token.used_at.map(|at| at.trunc_subsecs(6));
    token
}

/// What `insert_tokens` refuses: unknown clients and existing or repeated hashes.
fn check_insert(
    clients: &BTreeMap<String, Client>,
    map: &TokenMap,
    tokens: &[StoredToken],
) -> Result<(), StorageError> {
    let mut fresh = std::collections::HashSet::new();
    for token in tokens {
        if !clients.contains_key(&token.client_id) {
            return Err(StorageError::Conflict(
                "the token's client does not exist".to_owned(),
            ));
        }
        if map.contains_key(&token.signature_hash) || !fresh.insert(&token.signature_hash) {
            return Err(StorageError::Conflict(
                "a token with this signature already exists".to_owned(),
            ));
        }
    }
    Ok(())
}

/// The families whose tokens name one of `families` as their parent (RFC 8693).
fn children_of(map: &TokenMap, families: &[String]) -> Vec<String> {
    let children: HashSet<&String> = map
        .values()
        .filter(|t| {
            t.parent_family_id
                .as_ref()
                .is_some_and(|parent| families.contains(parent))
        })
        .map(|t| &t.family_id)
        .collect();
    children.into_iter().cloned().collect()
}

/// Deactivates the tokens of `families` and of their descendants; returns how many
/// were active. `seen` ends the walk even if a link pointed back.
fn revoke_families(map: &mut TokenMap, mut families: Vec<String>) -> usize {
    let mut seen: HashSet<String> = HashSet::new();
    let mut revoked = 0;
    while !families.is_empty() {
        families.retain(|f| seen.insert(f.clone()));
        for token in map.values_mut() {
            if token.active && families.contains(&token.family_id) {
                token.active = false;
                revoked += 1;
            }
        }
        families = children_of(map, &families);
    }
    revoked
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn insert_tokens(&self, tokens: &[StoredToken]) -> Result<(), StorageError> {
        let clients = self.clients();
        let mut map = self.token_map();
        check_insert(&clients, &map, tokens)?;
        for token in tokens {
            map.insert(token.signature_hash.clone(), stored(token));
        }
        Ok(())
    }

    async fn get_token(
        &self,
        kind: TokenKind,
        signature_hash: &str,
    ) -> Result<Option<StoredToken>, StorageError> {
        Ok(self
            .token_map()
            .get(signature_hash)
            .filter(|t| t.kind == kind)
            .cloned())
    }

    async fn revoke_family(&self, family_id: &str) -> Result<u64, StorageError> {
        let mut map = self.token_map();
        Ok(count(revoke_families(&mut map, vec![family_id.to_owned()])))
    }

    async fn revoke_subject_tokens(
        &self,
        subject: &str,
        client_id: &str,
    ) -> Result<u64, StorageError> {
        let mut map = self.token_map();
        let mut revoked = 0;
        let mut families = HashSet::new();
        for token in map.values_mut() {
            if token.subject == subject && token.client_id == client_id && token.active {
                token.active = false;
                revoked += 1;
                families.insert(token.family_id.clone());
            }
        }
        let children = children_of(&map, &families.iter().cloned().collect::<Vec<_>>());
        Ok(count(revoked + revoke_families(&mut map, children)))
    }

    async fn delete_client_access_tokens(&self, client_id: &str) -> Result<u64, StorageError> {
        let mut map = self.token_map();
        let before = map.len();
        map.retain(|_, t| !(t.client_id == client_id && t.kind == TokenKind::AccessToken));
        Ok(count(before - map.len()))
    }

    async fn mark_used(
        &self,
        kind: TokenKind,
        signature_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        match self.token_map().get_mut(signature_hash) {
            Some(token) if token.kind == kind && token.active => {
                token.active = false;
                token.used_at = Some(at.trunc_subsecs(6));
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn redeem(
        &self,
        kind: TokenKind,
        signature_hash: &str,
        at: DateTime<Utc>,
        grace: Duration,
        revoke_access_of_family: Option<&str>,
        tokens: &[StoredToken],
    ) -> Result<bool, StorageError> {
        let clients = self.clients();
        let mut map = self.token_map();
        let at = at.trunc_subsecs(6);
        let redeemable = map.get(signature_hash).is_some_and(|token| {
            token.kind == kind
                && token.active
                && (grace <= Duration::zero()
                    || token.used_at.is_none_or(|used| at <= used + grace))
        });
        if !redeemable {
            return Ok(false);
        }
        check_insert(&clients, &map, tokens)?;
        if let Some(token) = map.get_mut(signature_hash) {
            if grace <= Duration::zero() {
                token.active = false;
                token.used_at = Some(at);
            } else if token.used_at.is_none() {
                token.used_at = Some(at);
            }
        }
        if let Some(family) = revoke_access_of_family {
            map.values_mut()
                .filter(|t| t.family_id == family && t.kind == TokenKind::AccessToken)
                .for_each(|t| t.active = false);
        }
        for token in tokens {
            map.insert(token.signature_hash.clone(), stored(token));
        }
        Ok(true)
    }

    async fn delete_expired(&self, before: DateTime<Utc>) -> Result<u64, StorageError> {
        let before = before.trunc_subsecs(6);
        let mut map = self.token_map();
        let count_before = map.len();
        map.retain(|_, t| t.expires_at >= before);
        Ok(count(count_before - map.len()))
    }
}

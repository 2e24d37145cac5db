//! `InitialAccessTokenStore` in memory: tokens by id, one lock per call, so a use is
//! counted atomically as the SQL conditional `UPDATE` counts it.

use std::collections::BTreeMap;
use std::ops::Bound;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

use super::MemoryStore;
use crate::client::initial_access::{
    InitialAccessToken, InitialAccessTokenListQuery, InitialAccessTokenStore,
};
use crate::storage::StorageError;

/// Tokens by id, the order `list_initial_access_tokens` pages in.
pub(super) type TokenMap = BTreeMap<String, InitialAccessToken>;

impl MemoryStore {
    fn initial_access_tokens(&self) -> std::sync::MutexGuard<'_, TokenMap> {
        self.initial_access_tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl InitialAccessTokenStore for MemoryStore {
    async fn create_initial_access_token(
        &self,
        token: &InitialAccessToken,
    ) -> Result<(), StorageError> {
        let mut tokens = self.initial_access_tokens();
        if tokens.contains_key(&token.id)
            || tokens.values().any(|t| t.token_hash == token.token_hash)
        {
            return Err(StorageError::Conflict(
                "an initial access token with this id or hash exists".to_owned(),
            ));
        }
        let mut stored = token.clone();
        stored.created_at = stored.created_at.trunc_subsecs(6);
        stored.expires_at = stored.expires_at.trunc_subsecs(6);
        tokens.insert(token.id.clone(), stored);
        Ok(())
    }

    async fn get_initial_access_token(
        &self,
        id: &str,
    ) -> Result<Option<InitialAccessToken>, StorageError> {
        Ok(self.initial_access_tokens().get(id).cloned())
    }

    async fn find_initial_access_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<InitialAccessToken>, StorageError> {
        Ok(self
            .initial_access_tokens()
            .values()
            .find(|t| t.token_hash == token_hash)
            .cloned())
    }

    async fn use_initial_access_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut tokens = self.initial_access_tokens();
        let Some(token) = tokens.values_mut().find(|t| t.token_hash == token_hash) else {
            return Ok(false);
        };
        if !token.is_usable(now) {
            return Ok(false);
        }
        token.uses = token.uses.saturating_add(1);
        Ok(true)
    }

    async fn return_initial_access_token_use(&self, token_hash: &str) -> Result<(), StorageError> {
        if let Some(token) = self
            .initial_access_tokens()
            .values_mut()
            .find(|t| t.token_hash == token_hash)
        {
            token.uses = token.uses.saturating_sub(1);
        }
        Ok(())
    }

    async fn delete_initial_access_token(&self, id: &str) -> Result<bool, StorageError> {
        Ok(self.initial_access_tokens().remove(id).is_some())
    }

    async fn list_initial_access_tokens(
        &self,
        query: &InitialAccessTokenListQuery,
    ) -> Result<Vec<InitialAccessToken>, StorageError> {
        let tokens = self.initial_access_tokens();
        let start = match &query.after {
            Some(after) => Bound::Excluded(after.clone()),
            None => Bound::Unbounded,
        };
        Ok(tokens
            .range((start, Bound::Unbounded))
            .take(query.limit)
            .map(|(_, t)| t.clone())
            .collect())
    }
}

//! The `InitialAccessTokenStore` port. Defined beside its model, so `client` does not
//! depend on `storage`; `storage/sql` and `storage/memory` implement it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::InitialAccessToken;
use crate::error::StorageError;

/// A page request over initial access tokens: keyset pagination by `id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitialAccessTokenListQuery {
    /// Return only tokens whose id sorts strictly after this one.
    pub after: Option<String>,
    /// At most this many (the caller bounds it).
    pub limit: usize,
}

/// Initial access tokens. Timestamps are kept at microsecond precision.
#[async_trait]
pub trait InitialAccessTokenStore: Send + Sync {
    /// Inserts a token; `Conflict`, writing nothing, when its id or hash exists.
    async fn create_initial_access_token(
        &self,
        token: &InitialAccessToken,
    ) -> Result<(), StorageError>;

    /// The token with this id, expired or used up or not.
    async fn get_initial_access_token(
        &self,
        id: &str,
    ) -> Result<Option<InitialAccessToken>, StorageError>;

    /// The token with this hash, expired or used up or not.
    async fn find_initial_access_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<InitialAccessToken>, StorageError>;

    /// Counts one registration against the token with this hash if it is usable at
    /// `now` (not expired, uses left), atomically: of concurrent calls on a token with
    /// one use left, exactly one returns `true`.
    async fn use_initial_access_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;

    /// Gives back one use counted by `use_initial_access_token` (the registration it
    /// was counted for was refused); never below zero.
    async fn return_initial_access_token_use(&self, token_hash: &str) -> Result<(), StorageError>;

    /// Deletes the token; returns `false` when there was none.
    async fn delete_initial_access_token(&self, id: &str) -> Result<bool, StorageError>;

    /// Tokens ordered by `id` ascending, ids strictly after `after`, at most `limit`;
    /// expired and used-up ones included (an admin list).
    async fn list_initial_access_tokens(
        &self,
        query: &InitialAccessTokenListQuery,
    ) -> Result<Vec<InitialAccessToken>, StorageError>;
}

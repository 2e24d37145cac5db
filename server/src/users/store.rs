//! The `UserStore` port: local user accounts. Defined beside its model, so `users` does
//! not depend on `storage`; `storage/sql` and `storage/memory` implement it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::User;
use crate::error::StorageError;

/// A page request over users: keyset pagination by `id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserListQuery {
    /// Return only users whose id sorts strictly after this one.
    pub after: Option<String>,
    /// At most this many (the caller bounds it).
    pub limit: usize,
    /// Exact match on `username`.
    pub username: Option<String>,
}

/// Local users. Timestamps are kept at microsecond precision; strings compare byte-wise
/// on every backend. Usernames are unique: two writes racing for one username have
/// exactly one winner, the other gets `Conflict` and writes nothing. (On MySQL two
/// usernames differing only in trailing spaces also conflict, its collation pads with
/// spaces; `users::validate` admits no space in a username.)
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user with its password hash. `Conflict`, writing nothing, when its id
    /// or its username exists.
    async fn create_user(&self, user: &User) -> Result<(), StorageError>;

    /// The user with this id, with its password hash.
    async fn get_user(&self, id: &str) -> Result<Option<User>, StorageError>;

    /// The user with exactly this username, with its password hash.
    async fn get_user_by_username(&self, username: &str) -> Result<Option<User>, StorageError>;

    /// Replaces every field of the user with this id (`created_at` and `password_hash`
    /// included, as given). `false`, writing nothing, when no such user exists;
    /// `Conflict`, writing nothing, when another user has the new username.
    async fn update_user(&self, user: &User) -> Result<bool, StorageError>;

    /// Sets only the password hash and `updated_at`, so a password change cannot undo a
    /// concurrent profile edit. `false` when no such user exists.
    async fn set_user_password(
        &self,
        id: &str,
        password_hash: &str,
        updated_at: DateTime<Utc>,
    ) -> Result<bool, StorageError>;

    /// Deletes the user; returns `false` when there was none.
    async fn delete_user(&self, id: &str) -> Result<bool, StorageError>;

    /// Users matching the filter, ordered by `id` ascending, ids strictly after `after`,
    /// at most `limit`. Walking pages never repeats a user.
    async fn list_users(&self, query: &UserListQuery) -> Result<Vec<User>, StorageError>;
}

//! `UserStore` in memory: users by id, one lock per call, so the username uniqueness
//! check and the write are atomic as the SQL unique index makes them.

use std::collections::BTreeMap;
use std::ops::Bound;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

use super::MemoryStore;
use crate::storage::StorageError;
use crate::users::{User, UserListQuery, UserStore};

/// Users by id, the order `list_users` pages in.
pub(super) type UserMap = BTreeMap<String, User>;

impl MemoryStore {
    fn users(&self) -> std::sync::MutexGuard<'_, UserMap> {
        self.users
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Stored as the SQL backends store it: timestamps at microsecond precision.
fn stored(user: &User) -> User {
    let mut user = user.clone();
    user.created_at = user.created_at.trunc_subsecs(6);
    user.updated_at = user.updated_at.trunc_subsecs(6);
    user
}

fn conflict(username: &str) -> StorageError {
    StorageError::Conflict(format!(
        "a user with username {username:?} or this id already exists"
    ))
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, user: &User) -> Result<(), StorageError> {
        let mut users = self.users();
        let taken = users.values().any(|u| u.username == user.username);
        if taken || users.contains_key(&user.id) {
            return Err(conflict(&user.username));
        }
        users.insert(user.id.clone(), stored(user));
        Ok(())
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>, StorageError> {
        Ok(self.users().get(id).cloned())
    }

    async fn get_user_by_username(&self, username: &str) -> Result<Option<User>, StorageError> {
        Ok(self
            .users()
            .values()
            .find(|u| u.username == username)
            .cloned())
    }

    async fn update_user(&self, user: &User) -> Result<bool, StorageError> {
        let mut users = self.users();
        if !users.contains_key(&user.id) {
            return Ok(false);
        }
        if users
            .values()
            .any(|u| u.username == user.username && u.id != user.id)
        {
            return Err(conflict(&user.username));
        }
        users.insert(user.id.clone(), stored(user));
        Ok(true)
    }

    async fn set_user_password(
        &self,
        id: &str,
        password_hash: &str,
        updated_at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        match self.users().get_mut(id) {
            Some(user) => {
                user.password_hash = Some(password_hash.to_owned());
                user.updated_at = updated_at.trunc_subsecs(6);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn delete_user(&self, id: &str) -> Result<bool, StorageError> {
        Ok(self.users().remove(id).is_some())
    }

    async fn list_users(&self, query: &UserListQuery) -> Result<Vec<User>, StorageError> {
        let users = self.users();
        let start = match &query.after {
            Some(after) => Bound::Excluded(after.as_str()),
            None => Bound::Unbounded,
        };
        Ok(users
            .range::<str, _>((start, Bound::Unbounded))
            .map(|(_, user)| user)
            .filter(|u| query.username.as_ref().is_none_or(|n| *n == u.username))
            .take(query.limit)
            .cloned()
            .collect())
    }
}

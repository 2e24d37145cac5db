//! `UserIdentityStore` in memory: links by (provider, upstream subject), one lock per
//! call. A link whose user is gone reads as absent and is dropped, as the SQL foreign
//! key's `ON DELETE CASCADE` deletes it with the user.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::SubsecRound;

use super::MemoryStore;
use crate::storage::StorageError;
use crate::users::{User, UserIdentity, UserIdentityStore, UserListQuery, UserStore};

/// Links by (provider, upstream subject).
pub(super) type IdentityMap = BTreeMap<(String, String), UserIdentity>;

/// Users listed per call while searching by email.
const PAGE: usize = 500;

impl MemoryStore {
    fn identities(&self) -> std::sync::MutexGuard<'_, IdentityMap> {
        self.user_identities
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl UserIdentityStore for MemoryStore {
    async fn link_identity(&self, identity: &UserIdentity) -> Result<(), StorageError> {
        let user_exists = self.get_user(&identity.user_id).await?.is_some();
        let key = (identity.provider.clone(), identity.upstream_subject.clone());
        let mut links = self.identities();
        if !user_exists {
            links.remove(&key);
            return Err(StorageError::Database(format!(
                "no user {:?} to link to",
                identity.user_id
            )));
        }
        if links.contains_key(&key) {
            return Err(StorageError::Conflict(format!(
                "the identity {:?} of provider {:?} is linked already",
                identity.upstream_subject, identity.provider
            )));
        }
        let mut stored = identity.clone();
        stored.created_at = stored.created_at.trunc_subsecs(6);
        links.insert(key, stored);
        Ok(())
    }

    async fn get_identity(
        &self,
        provider: &str,
        upstream_subject: &str,
    ) -> Result<Option<UserIdentity>, StorageError> {
        let key = (provider.to_owned(), upstream_subject.to_owned());
        let Some(link) = self.identities().get(&key).cloned() else {
            return Ok(None);
        };
        if self.get_user(&link.user_id).await?.is_none() {
            self.identities().remove(&key);
            return Ok(None);
        }
        Ok(Some(link))
    }

    async fn list_identities(
        &self,
        user_id: &str,
        limit: usize,
    ) -> Result<Vec<UserIdentity>, StorageError> {
        if self.get_user(user_id).await?.is_none() {
            return Ok(Vec::new());
        }
        Ok(self
            .identities()
            .values()
            .filter(|link| link.user_id == user_id)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn unlink_identity(
        &self,
        user_id: &str,
        provider: &str,
        upstream_subject: &str,
    ) -> Result<bool, StorageError> {
        let key = (provider.to_owned(), upstream_subject.to_owned());
        let mut links = self.identities();
        match links.get(&key) {
            Some(link) if link.user_id == user_id => Ok(links.remove(&key).is_some()),
            _ => Ok(false),
        }
    }

    async fn find_users_by_email(
        &self,
        email: &str,
        limit: usize,
    ) -> Result<Vec<User>, StorageError> {
        let mut found = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .list_users(&UserListQuery {
                    after: after.clone(),
                    limit: PAGE,
                    username: None,
                })
                .await?;
            found.extend(page.iter().filter(|u| u.email == email).cloned());
            match page.last() {
                Some(last) if page.len() == PAGE && found.len() < limit => {
                    after = Some(last.id.clone());
                }
                _ => break,
            }
        }
        found.truncate(limit);
        Ok(found)
    }
}

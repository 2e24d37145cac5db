//! Upstream identities linked to local users (issue 22 §1, docs/login-ui.md): a person
//! who signs in through an upstream provider (OpenID Connect, Google, Microsoft,
//! GitHub) is a local user, found through the link keyed by the provider's id and the
//! upstream's subject. The `UserIdentityStore` port extends `UserStore`, so one store
//! object holds users and their links (`storage/sql`, `storage/memory`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::User;
use super::store::UserStore;
use crate::error::StorageError;

/// One link: the upstream `provider`'s subject `upstream_subject` is the local user
/// `user_id` (OIDC Core §2: `sub` is unique only within its issuer, hence the pair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserIdentity {
    /// The provider's `id` in `login_ui.providers`.
    pub provider: String,
    /// The upstream's `sub` (GitHub: the numeric user id).
    pub upstream_subject: String,
    pub user_id: String,
    pub created_at: DateTime<Utc>,
}

/// Links between upstream identities and local users. An upstream identity links to at
/// most one user: of two writes racing to link one (provider, subject) exactly one
/// wins, the other gets `Conflict` and writes nothing. Deleting a user deletes its
/// links (SQL: `ON DELETE CASCADE`).
#[async_trait]
pub trait UserIdentityStore: UserStore {
    /// Inserts the link. `Conflict`, writing nothing, when the (provider, subject) pair
    /// is linked already.
    async fn link_identity(&self, identity: &UserIdentity) -> Result<(), StorageError>;

    /// The link of this exact (provider, subject) pair.
    async fn get_identity(
        &self,
        provider: &str,
        upstream_subject: &str,
    ) -> Result<Option<UserIdentity>, StorageError>;

    /// The links of user `user_id`, at most `limit` of them, by provider then subject.
    async fn list_identities(
        &self,
        user_id: &str,
        limit: usize,
    ) -> Result<Vec<UserIdentity>, StorageError>;

    /// Deletes the link of (provider, subject) when it belongs to `user_id`; whether
    /// one was deleted. The next sign-in of that upstream identity finds no link and is
    /// treated as a first one (`login_ui.providers[].on_first_login`).
    async fn unlink_identity(
        &self,
        user_id: &str,
        provider: &str,
        upstream_subject: &str,
    ) -> Result<bool, StorageError>;

    /// The users whose email is exactly `email`, at most `limit` of them, by id.
    async fn find_users_by_email(
        &self,
        email: &str,
        limit: usize,
    ) -> Result<Vec<User>, StorageError>;
}

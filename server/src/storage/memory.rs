//! The storage ports in memory, for unit tests of protocol logic (docs/architecture.md, "Tests"). It keeps
//! the contract of every port exactly, including the SQL stores' microsecond timestamps,
//! so a test that passes here passes on a database; the conformance suite runs on it too.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::SubsecRound;

use crate::client::model::Client;
use crate::storage::{ClientListQuery, ClientStore, StorageError, StorageHealth};

mod device_codes;
mod flows;
pub use flows::MemoryFlowStore;
mod initial_access_tokens;
mod json_web_keys;
mod jti;
mod pushed_requests;
mod tokens;
mod trusts;
mod user_identities;
mod users;

/// An in-memory store; clients are kept ordered by id, the order `list_clients` pages in.
#[derive(Debug, Default)]
pub struct MemoryStore {
    clients: Mutex<BTreeMap<String, Client>>,
    /// JSON Web Keys by (set, kid); see `json_web_keys.rs`.
    json_web_keys: Mutex<json_web_keys::KeyMap>,
    /// Opaque tokens by signature hash; see `tokens.rs`.
    tokens: Mutex<tokens::TokenMap>,
    /// Used client assertion ids; see `jti.rs`.
    jtis: Mutex<jti::JtiMap>,
    /// Pushed authorization requests; see `pushed_requests.rs`.
    pushed_requests: Mutex<pushed_requests::PushedMap>,
    /// Trusted JWT grant issuers by id; see `trusts.rs`.
    trusts: Mutex<trusts::TrustMap>,
    /// Device authorizations and user-code attempts; see `device_codes.rs`.
    device_codes: Mutex<device_codes::DeviceMaps>,
    /// Local users by id; see `users.rs`.
    users: Mutex<users::UserMap>,
    /// Upstream identity links; see `user_identities.rs`.
    user_identities: Mutex<user_identities::IdentityMap>,
    /// Admin-created initial access tokens by id; see `initial_access_tokens.rs`.
    initial_access_tokens: Mutex<initial_access_tokens::TokenMap>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A panic while the lock was held cannot leave a map half-written (every operation
    /// is one map call), so a poisoned lock is still safe to use.
    fn clients(&self) -> MutexGuard<'_, BTreeMap<String, Client>> {
        self.clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Stored as the SQL backends store it: timestamps at microsecond precision.
fn stored(client: &Client) -> Client {
    let mut client = client.clone();
    client.created_at = client.created_at.trunc_subsecs(6);
    client.updated_at = client.updated_at.trunc_subsecs(6);
    client
}

#[async_trait]
impl ClientStore for MemoryStore {
    async fn create_client(&self, client: &Client) -> Result<(), StorageError> {
        let mut clients = self.clients();
        if clients.contains_key(&client.client_id) {
            return Err(StorageError::Conflict(format!(
                "a client with id {:?} already exists",
                client.client_id
            )));
        }
        clients.insert(client.client_id.clone(), stored(client));
        Ok(())
    }

    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StorageError> {
        Ok(self.clients().get(client_id).cloned())
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StorageError> {
        match self.clients().get_mut(&client.client_id) {
            Some(existing) => {
                *existing = stored(client);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Deletes the client's tokens with it, as the SQL foreign key cascades.
    async fn delete_client(&self, client_id: &str) -> Result<bool, StorageError> {
        let mut clients = self.clients();
        self.token_map().retain(|_, t| t.client_id != client_id);
        Ok(clients.remove(client_id).is_some())
    }

    async fn list_clients(&self, query: &ClientListQuery) -> Result<Vec<Client>, StorageError> {
        let clients = self.clients();
        let start = match &query.after {
            Some(after) => Bound::Excluded(after.as_str()),
            None => Bound::Unbounded,
        };
        Ok(clients
            .range::<str, _>((start, Bound::Unbounded))
            .map(|(_, client)| client)
            .filter(|c| {
                query
                    .client_name
                    .as_ref()
                    .is_none_or(|n| *n == c.client_name)
            })
            .filter(|c| query.owner.as_ref().is_none_or(|o| *o == c.owner))
            .take(query.limit)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl StorageHealth for MemoryStore {
    /// Memory is always reachable.
    async fn ping(&self) -> Result<(), StorageError> {
        Ok(())
    }
}

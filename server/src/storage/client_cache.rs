//! A `ClientStore` that keeps decoded clients in memory, for a store whose every client
//! write goes through this process (SQLite: one server process per database file,
//! docs/architecture.md). A token request, an authorization request and each flow step
//! look their client up; decoding its JSON document and reading its row were ~8% of the
//! server's CPU in a full authorization-code flow (docs/benchmarks.md).
//!
//! Not on its own for PostgreSQL or MySQL: another node's update or delete would not
//! reach this cache, and a deleted client or a rotated secret must stop working at once.
//! PostgreSQL's cache (`sql/client_notify.rs`) keeps the same entries ([`ClientEntries`])
//! and learns of other nodes' writes through LISTEN/NOTIFY; MySQL has no such channel
//! and reads the row every time.
//!
//! Exactness: every write evicts the client and advances a generation under the lock.
//! A lookup that missed inserts what it read only if the generation is still the one it
//! saw before reading, so a row read before a write committed never outlives the write.
//! Unknown ids are not cached (a caller could otherwise fill memory with made-up ids);
//! when the cache is full it is cleared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::{ClientListQuery, ClientStore, OutboxEvent, StorageError};
use crate::client::model::Client;

/// Clients kept before the cache is cleared.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// The decoded clients and the generation that keeps a stale read out, shared with the
/// PostgreSQL cache (`sql/client_notify.rs`), whose evictions come from other nodes'
/// notifications instead of this process's writes.
pub(crate) struct ClientEntries {
    capacity: usize,
    entries: Mutex<Entries>,
}

struct Entries {
    generation: u64,
    clients: HashMap<String, Arc<Client>>,
}

impl ClientEntries {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(Entries {
                generation: 0,
                clients: HashMap::new(),
            }),
        }
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave the map half-written (every
        // change is one call), so a poisoned lock is still usable.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached client, or the generation a lookup must still see to insert.
    pub(crate) fn cached(&self, client_id: &str) -> Result<Arc<Client>, u64> {
        let entries = self.entries();
        entries
            .clients
            .get(client_id)
            .cloned()
            .ok_or(entries.generation)
    }

    /// Keeps `client`, read after [`cached`](Self::cached) answered `generation`, unless
    /// something was evicted since: that eviction may be of a change the read missed.
    pub(crate) fn insert_if_current(&self, generation: u64, client: &Client) {
        let mut entries = self.entries();
        if entries.generation != generation {
            return;
        }
        if entries.clients.len() >= self.capacity {
            entries.clients.clear();
        }
        entries
            .clients
            .insert(client.client_id.clone(), Arc::new(client.clone()));
    }

    pub(crate) fn evict(&self, client_id: &str) {
        let mut entries = self.entries();
        entries.generation = entries.generation.wrapping_add(1);
        entries.clients.remove(client_id);
    }

    /// Forgets every client and fails every insert under way.
    pub(crate) fn clear(&self) {
        let mut entries = self.entries();
        entries.generation = entries.generation.wrapping_add(1);
        entries.clients.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.entries().clients.len()
    }
}

/// What a cached client waits for before it may answer a lookup. SQLite's cache
/// ([`LocalWrites`]) waits for nothing; PostgreSQL's (`sql/client_notify.rs`) waits for
/// a barrier on its listener connection that proves every other node's earlier write
/// has been heard.
#[async_trait]
pub trait Freshness: Send + Sync + 'static {
    /// Whether a lookup that begins now may be answered from the cache; `false`: it
    /// reads the row instead.
    async fn confirm(&self) -> bool;
}

/// Every client write of the database goes through this process (SQLite) and evicts
/// before it returns: the cache is always fresh.
pub struct LocalWrites;

#[async_trait]
impl Freshness for LocalWrites {
    async fn confirm(&self) -> bool {
        true
    }
}

/// The cache over `inner`: lookups answered from [`ClientEntries`] once `freshness`
/// confirms, every write evicting its client whatever its outcome.
pub struct CachedClientStore<F: Freshness = LocalWrites> {
    inner: Arc<dyn ClientStore>,
    entries: Arc<ClientEntries>,
    freshness: F,
}

impl CachedClientStore {
    pub fn new(inner: Arc<dyn ClientStore>) -> Self {
        Self::with_capacity(inner, DEFAULT_CAPACITY)
    }

    pub fn with_capacity(inner: Arc<dyn ClientStore>, capacity: usize) -> Self {
        Self::with_freshness(
            inner,
            Arc::new(ClientEntries::with_capacity(capacity)),
            LocalWrites,
        )
    }
}

impl<F: Freshness> CachedClientStore<F> {
    /// A cache over `inner` whose `entries` the `freshness` may also evict from (the
    /// PostgreSQL listener does, for other nodes' writes).
    pub(crate) fn with_freshness(
        inner: Arc<dyn ClientStore>,
        entries: Arc<ClientEntries>,
        freshness: F,
    ) -> Self {
        Self {
            inner,
            entries,
            freshness,
        }
    }

    pub(crate) fn freshness(&self) -> &F {
        &self.freshness
    }

    /// The number of clients held (tests and diagnostics).
    pub fn cached_len(&self) -> usize {
        self.entries.len()
    }

    fn evict(&self, client_id: &str) {
        self.entries.evict(client_id);
    }
}

#[async_trait]
impl<F: Freshness> ClientStore for CachedClientStore<F> {
    async fn create_client(&self, client: &Client) -> Result<(), StorageError> {
        let result = self.inner.create_client(client).await;
        self.evict(&client.client_id);
        result
    }

    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StorageError> {
        if !self.freshness.confirm().await {
            return self.inner.get_client(client_id).await;
        }
        let generation = match self.entries.cached(client_id) {
            Ok(client) => return Ok(Some(Client::clone(&client))),
            Err(generation) => generation,
        };
        let found = self.inner.get_client(client_id).await?;
        if let Some(client) = &found {
            self.entries.insert_if_current(generation, client);
        }
        Ok(found)
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StorageError> {
        // Evicted whatever the outcome: an error may have come after the commit.
        let result = self.inner.update_client(client).await;
        self.evict(&client.client_id);
        result
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StorageError> {
        let result = self.inner.delete_client(client_id).await;
        self.evict(client_id);
        result
    }

    async fn list_clients(&self, query: &ClientListQuery) -> Result<Vec<Client>, StorageError> {
        self.inner.list_clients(query).await
    }

    async fn create_client_reporting(
        &self,
        client: &Client,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        let result = self.inner.create_client_reporting(client, events).await;
        self.evict(&client.client_id);
        result
    }

    async fn update_client_reporting(
        &self,
        client: &Client,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        let result = self.inner.update_client_reporting(client, events).await;
        self.evict(&client.client_id);
        result
    }

    async fn delete_client_reporting(
        &self,
        client_id: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        let result = self.inner.delete_client_reporting(client_id, events).await;
        self.evict(client_id);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::memory::MemoryStore;

    fn client(id: &str, name: &str) -> Client {
        Client {
            client_id: id.to_owned(),
            client_name: name.to_owned(),
            ..Client::default()
        }
    }

    fn cached_over_memory(capacity: usize) -> (Arc<MemoryStore>, CachedClientStore) {
        let inner = Arc::new(MemoryStore::new());
        let cache = CachedClientStore::with_capacity(inner.clone(), capacity);
        (inner, cache)
    }

    async fn name_of(store: &dyn ClientStore, id: &str) -> Option<String> {
        store
            .get_client(id)
            .await
            .ok()
            .flatten()
            .map(|c| c.client_name)
    }

    #[tokio::test]
    async fn answers_from_memory_until_a_write_evicts() {
        let (inner, cache) = cached_over_memory(10);
        cache.create_client(&client("a", "first")).await.ok();
        assert_eq!(name_of(&cache, "a").await.as_deref(), Some("first"));
        // Changed behind the cache's back: the cached copy still answers, which shows
        // the second lookup did not read the store.
        inner.update_client(&client("a", "behind")).await.ok();
        assert_eq!(name_of(&cache, "a").await.as_deref(), Some("first"));

        assert_eq!(
            cache.update_client(&client("a", "second")).await.ok(),
            Some(true)
        );
        assert_eq!(name_of(&cache, "a").await.as_deref(), Some("second"));
        assert_eq!(cache.delete_client("a").await.ok(), Some(true));
        assert_eq!(name_of(&cache, "a").await, None);
    }

    #[tokio::test]
    async fn a_read_from_before_a_write_is_not_kept() {
        let (_inner, cache) = cached_over_memory(10);
        cache.create_client(&client("a", "old")).await.ok();
        // A lookup missed and saw this generation, then read the old row…
        let Err(generation) = cache.entries.cached("a") else {
            panic!("nothing was looked up yet");
        };
        let stale = client("a", "old");
        // …while an update committed and evicted.
        cache.update_client(&client("a", "new")).await.ok();
        cache.entries.insert_if_current(generation, &stale);
        assert_eq!(cache.cached_len(), 0);
        assert_eq!(name_of(&cache, "a").await.as_deref(), Some("new"));
    }

    #[tokio::test]
    async fn unknown_ids_are_not_kept_and_a_full_cache_is_cleared() {
        let (_inner, cache) = cached_over_memory(2);
        assert_eq!(name_of(&cache, "nobody").await, None);
        assert_eq!(cache.cached_len(), 0);
        for id in ["a", "b", "c"] {
            cache.create_client(&client(id, id)).await.ok();
            assert_eq!(name_of(&cache, id).await.as_deref(), Some(id));
        }
        assert_eq!(
            cache.cached_len(),
            1,
            "full at two, cleared before the third"
        );
    }
}

//! The origins all clients register (`allowed_cors_origins`), for answering preflights
//! on the public listener: a preflight carries no credentials, so it cannot name its
//! client, and is answered when any client (or the configuration) allows its origin.
//!
//! Clients are stored as documents without an index on their origins, so the set is
//! read by walking every client in keyset pages and kept for [`REFRESH_AFTER`]: a
//! client that registers a new origin gets preflight answers at most that much later
//! on each node (docs/operations.md, "CORS"). The set is read only when a preflight
//! arrives for an origin the configuration does not allow, and at most once per
//! interval however many arrive together (one refresh under the lock). Actual responses
//! never use it: they check the authenticated client's own origins.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::normalized_origin;
use crate::client::store::{ClientListQuery, ClientStore};
use crate::error::StorageError;

/// How long a read set of origins is used.
pub const REFRESH_AFTER: Duration = Duration::from_secs(30);
/// Clients read per page while refreshing.
const PAGE: usize = 500;
/// The most origins kept; beyond it the rest are not answered to preflights (a
/// warning says so). Bounds memory whatever clients register.
pub const MAX_ORIGINS: usize = 100_000;

struct Snapshot {
    read_at: Instant,
    origins: HashSet<String>,
}

/// The cached union of every client's `allowed_cors_origins`.
pub struct ClientOrigins {
    clients: Arc<dyn ClientStore>,
    snapshot: Mutex<Option<Snapshot>>,
}

impl std::fmt::Debug for ClientOrigins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOrigins").finish_non_exhaustive()
    }
}

impl ClientOrigins {
    pub fn new(clients: Arc<dyn ClientStore>) -> Self {
        Self {
            clients,
            snapshot: Mutex::new(None),
        }
    }

    /// Whether some client registered `origin` (normalized), as of at most
    /// [`REFRESH_AFTER`] ago.
    pub async fn contains(&self, origin: &str) -> Result<bool, StorageError> {
        let mut snapshot = self.snapshot.lock().await;
        let fresh = snapshot
            .as_ref()
            .is_some_and(|s| s.read_at.elapsed() < REFRESH_AFTER);
        if !fresh {
            *snapshot = Some(Snapshot {
                origins: self.read_all().await?,
                read_at: Instant::now(),
            });
        }
        Ok(snapshot
            .as_ref()
            .is_some_and(|s| s.origins.contains(origin)))
    }

    async fn read_all(&self) -> Result<HashSet<String>, StorageError> {
        let mut origins = HashSet::new();
        let mut query = ClientListQuery {
            limit: PAGE,
            ..ClientListQuery::default()
        };
        loop {
            let page = self.clients.list_clients(&query).await?;
            for client in &page {
                for origin in &client.allowed_cors_origins {
                    if origins.len() >= MAX_ORIGINS {
                        tracing::warn!(
                            max = MAX_ORIGINS,
                            "clients register more CORS origins than are kept for preflights"
                        );
                        return Ok(origins);
                    }
                    if let Some(origin) = normalized_origin(origin) {
                        origins.insert(origin);
                    }
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE => query.after = Some(last.client_id.clone()),
                _ => return Ok(origins),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::model::Client;
    use crate::storage::memory::MemoryStore;

    #[tokio::test]
    async fn the_union_of_every_page_is_kept() {
        let store = Arc::new(MemoryStore::new());
        for i in 0..(PAGE + 3) {
            let client = Client {
                client_id: format!("c{i:04}"),
                allowed_cors_origins: vec![format!("https://app{i}.example")],
                ..Client::default()
            };
            store.create_client(&client).await.unwrap();
        }
        let origins = ClientOrigins::new(store.clone());
        assert!(origins.contains("https://app0.example").await.unwrap());
        assert!(
            origins
                .contains(&format!("https://app{}.example", PAGE + 2))
                .await
                .unwrap()
        );
        assert!(!origins.contains("https://other.example").await.unwrap());
    }
}

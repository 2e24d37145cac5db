//! The bounded cache of resolved documents: a client, or why its document was unusable,
//! until an expiry time, with the document's `ETag` to revalidate it with once expired.
//! Past `max_entries`, expired entries go first, then the entry expiring soonest, so a
//! flood of new URLs cannot grow memory.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::client::model::Client;

/// A resolution: the client, or the reason its document could not be used.
pub type Outcome = Result<Client, String>;

struct Entry {
    outcome: Outcome,
    expires_at: DateTime<Utc>,
    /// The usable document's entity tag, if it had one.
    etag: Option<String>,
}

/// Resolutions by `client_id`.
pub struct DocumentCache {
    max_entries: usize,
    entries: Mutex<HashMap<String, Entry>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is one map operation: a poisoned map is still consistent.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl DocumentCache {
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries: max_entries.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The unexpired resolution of `client_id`, if any.
    pub fn get(&self, client_id: &str, now: DateTime<Utc>) -> Option<Outcome> {
        lock(&self.entries)
            .get(client_id)
            .filter(|entry| now < entry.expires_at)
            .map(|entry| entry.outcome.clone())
    }

    /// The usable client of `client_id` and its document's `ETag`, expired or not:
    /// what a conditional GET revalidates.
    pub fn validated(&self, client_id: &str) -> Option<(Client, String)> {
        let entries = lock(&self.entries);
        let entry = entries.get(client_id)?;
        match (&entry.outcome, &entry.etag) {
            (Ok(client), Some(etag)) => Some((client.clone(), etag.clone())),
            _ => None,
        }
    }

    /// Keeps `outcome` until `expires_at`, with the document's `etag` when usable.
    pub fn put(
        &self,
        client_id: &str,
        outcome: Outcome,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
        etag: Option<String>,
    ) {
        let mut entries = lock(&self.entries);
        if !entries.contains_key(client_id) && entries.len() >= self.max_entries {
            entries.retain(|_, entry| now < entry.expires_at);
            if entries.len() >= self.max_entries {
                let soonest = entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.expires_at)
                    .map(|(id, _)| id.clone());
                if let Some(id) = soonest {
                    entries.remove(&id);
                }
            }
        }
        entries.insert(
            client_id.to_owned(),
            Entry {
                etag: etag.filter(|_| outcome.is_ok()),
                outcome,
                expires_at,
            },
        );
    }

    /// How many resolutions are kept (for tests).
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn bounded_and_expiring() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let cache = DocumentCache::new(2);
        cache.put("a", Err("a".into()), now + Duration::seconds(10), now, None);
        cache.put("b", Err("b".into()), now + Duration::seconds(5), now, None);
        assert_eq!(cache.get("a", now), Some(Err("a".into())));
        assert_eq!(cache.get("a", now + Duration::seconds(10)), None, "expired");
        // Full: the entry expiring soonest (b) makes room.
        cache.put("c", Err("c".into()), now + Duration::seconds(20), now, None);
        assert_eq!(cache.len(), 2);
        assert!(cache.get("b", now).is_none());
        assert!(cache.get("a", now).is_some() && cache.get("c", now).is_some());
        // Expired entries go before live ones.
        let later = now + Duration::seconds(15);
        cache.put(
            "d",
            Err("d".into()),
            later + Duration::seconds(1),
            later,
            None,
        );
        assert!(cache.get("c", later).is_some() && cache.get("d", later).is_some());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn a_usable_document_keeps_its_etag_past_expiry_a_refusal_none() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let cache = DocumentCache::new(4);
        let client = Client::default();
        let later = now + Duration::seconds(10);
        cache.put("ok", Ok(client.clone()), later, now, Some("\"v1\"".into()));
        cache.put("bad", Err("bad".into()), later, now, Some("\"v1\"".into()));
        assert!(cache.get("ok", later).is_none(), "expired");
        assert_eq!(cache.validated("ok"), Some((client, "\"v1\"".to_owned())));
        assert_eq!(cache.validated("bad"), None);
        assert_eq!(cache.validated("unknown"), None);
    }
}

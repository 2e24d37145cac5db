//! The keys a client's assertions are verified with: its inline `jwks`, or the JWK Set
//! at its `jwks_uri` (RFC 7591 §2; exactly one of the two is registered). Parsed sets
//! are cached for [`KEYS_TTL`]; a `jwks_uri` set is fetched again once when an
//! assertion names a `kid` it lacks (the client rotated its key), but not more often
//! than every [`REFETCH_INTERVAL`], so assertions with made-up kids cannot make the
//! server hammer the client's host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::claims::invalid;
use crate::client::model::Client;
use crate::error::OAuth2Error;
use crate::jwk::{JsonWebKeySet, Verifier};
use crate::outbound::GuardedFetcher;

/// How long a parsed key set is used before it is read (or fetched) again.
pub const KEYS_TTL: Duration = Duration::minutes(5);
/// The shortest time between two fetches of one `jwks_uri` for an unknown `kid`.
pub const REFETCH_INTERVAL: Duration = Duration::seconds(10);
/// Cached sets kept at most; past that, expired entries go, then everything.
const MAX_ENTRIES: usize = 10_000;

#[derive(Clone)]
struct Entry {
    verifier: Arc<Verifier>,
    loaded_at: DateTime<Utc>,
}

/// Cached verifiers of client key sets.
pub struct ClientKeys {
    fetcher: GuardedFetcher,
    cache: Mutex<HashMap<String, Entry>>,
    /// One fetch per URL at a time.
    fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientKeys").finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is one map call: a poisoned map is still consistent.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ClientKeys {
    pub fn new(fetcher: GuardedFetcher) -> Self {
        Self {
            fetcher,
            cache: Mutex::new(HashMap::new()),
            fetching: Mutex::new(HashMap::new()),
        }
    }

    /// The verifier for `client`'s keys, fit for an assertion naming `kid`.
    pub async fn verifier(
        &self,
        client: &Client,
        kid: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Arc<Verifier>, OAuth2Error> {
        if let Some(jwks) = &client.jwks {
            return self.inline(&client.client_id, jwks, now);
        }
        if client.jwks_uri.is_empty() {
            return Err(invalid(
                "The OAuth 2.0 Client has registered neither jwks nor jwks_uri, so its assertions cannot be verified.",
            ));
        }
        self.remote(&client.jwks_uri, kid, now).await
    }

    fn cached(&self, key: &str, now: DateTime<Utc>) -> Option<Entry> {
        lock(&self.cache)
            .get(key)
            .filter(|entry| now - entry.loaded_at < KEYS_TTL)
            .cloned()
    }

    fn store(&self, key: String, verifier: Arc<Verifier>, now: DateTime<Utc>) {
        let mut cache = lock(&self.cache);
        if cache.len() >= MAX_ENTRIES {
            cache.retain(|_, entry| now - entry.loaded_at < KEYS_TTL);
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(
            key,
            Entry {
                verifier,
                loaded_at: now,
            },
        );
    }

    fn inline(
        &self,
        client_id: &str,
        jwks: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Arc<Verifier>, OAuth2Error> {
        let digest = Sha256::new()
            .chain_update(client_id.as_bytes())
            .chain_update([0])
            .chain_update(jwks.to_string().as_bytes())
            .finalize();
        let key = format!("inline:{digest:x}");
        if let Some(entry) = self.cached(&key, now) {
            return Ok(entry.verifier);
        }
        let set: JsonWebKeySet = serde_json::from_value(jwks.clone()).map_err(|e| {
            invalid(format!(
                "The OAuth 2.0 Client's jwks is not a JWK Set: {e}."
            ))
        })?;
        let verifier = Arc::new(Verifier::from_jwk_set(&set));
        self.store(key, verifier.clone(), now);
        Ok(verifier)
    }

    async fn remote(
        &self,
        uri: &str,
        kid: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Arc<Verifier>, OAuth2Error> {
        let key = format!("uri:{uri}");
        let knows = |entry: &Entry| kid.is_none_or(|kid| entry.verifier.has_kid(kid));
        if let Some(entry) = self.cached(&key, now)
            && (knows(&entry) || now - entry.loaded_at < REFETCH_INTERVAL)
        {
            return Ok(entry.verifier);
        }
        let gate = {
            let mut gates = lock(&self.fetching);
            if gates.len() >= MAX_ENTRIES {
                // Only costs a duplicate fetch for URLs being fetched right now.
                gates.clear();
            }
            gates.entry(uri.to_owned()).or_default().clone()
        };
        let _one_fetch_at_a_time = gate.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(entry) = self.cached(&key, now)
            && (knows(&entry) || now - entry.loaded_at < REFETCH_INTERVAL)
        {
            return Ok(entry.verifier);
        }
        let document = self.fetcher.fetch(uri).await.map_err(|why| {
            invalid(format!(
                "The OAuth 2.0 Client's jwks_uri {uri:?} could not be fetched: {why}."
            ))
        })?;
        let verifier = Arc::new(Verifier::from_json(&document).map_err(|e| {
            invalid(format!(
                "The document at the OAuth 2.0 Client's jwks_uri {uri:?} is not a JWK Set: {e}."
            ))
        })?);
        self.store(key, verifier.clone(), now);
        Ok(verifier)
    }
}

//! OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document):
//! with `oauth2.client_id_metadata_document.enabled`, a `client_id` that is an `https`
//! URL names a JSON document of client metadata at that URL. [`MetadataDocuments`]
//! checks the URL (`url.rs`), fetches it through the SSRF-guarded outbound client
//! (`fetch.rs`; revalidated with its `ETag` once expired), validates it into a [`Client`] (`document.rs`) and caches the outcome
//! (`cache.rs`). [`ResolvingClients`] puts this behind the `ClientStore` port, so the
//! authorization endpoint, the token endpoint and the login/consent flow see such a
//! client like a registered one; it is never written to the clients table.

mod cache;
mod document;
mod fetch;
mod location;
mod resolving;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Duration;

pub use self::cache::DocumentCache;
pub use self::document::client_from_document;
pub use self::location::{DocumentUrl, document_url, is_candidate};
pub use self::resolving::ResolvingClients;
use crate::client::model::Client;
use crate::client::validate::UriPolicy;
use crate::clock::Clock;
use crate::config::{ClientIdMetadataDocumentConfig, ClientsHttpConfig, Config, SecurityProfile};
use crate::error::{ErrorKind, OAuth2Error, quoted};
use crate::outbound::{GuardedClients, Redirects};

/// How long a failed resolution is remembered: a broken or hostile document URL named
/// in a burst of requests is fetched once, not once per request.
pub const FAILURE_TTL: Duration = Duration::seconds(10);

/// Resolves metadata document clients, with their cache.
pub struct MetadataDocuments {
    config: ClientIdMetadataDocumentConfig,
    dev: bool,
    policy: UriPolicy,
    profile: SecurityProfile,
    /// The SSRF-guarded client (`clients.http`), no redirects.
    guarded: GuardedClients,
    /// Dev mode's loopback `http` documents: only loopback URLs reach it.
    loopback: GuardedClients,
    clock: Arc<dyn Clock>,
    cache: DocumentCache,
    /// One fetch per URL at a time.
    fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for MetadataDocuments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataDocuments")
            .field("enabled", &self.config.enabled)
            .finish_non_exhaustive()
    }
}

impl MetadataDocuments {
    pub fn new(config: &Config, clock: Arc<dyn Clock>) -> Result<Self, reqwest::Error> {
        let own = config.oauth2.client_id_metadata_document.clone();
        let timeout = own.fetch_timeout.as_std();
        let open = ClientsHttpConfig {
            disallow_private_ip_ranges: false,
            private_ip_exception_urls: Vec::new(),
        };
        Ok(Self {
            guarded: GuardedClients::new(&config.clients.http, timeout, Redirects::None)?,
            loopback: GuardedClients::new(&open, timeout, Redirects::None)?,
            cache: DocumentCache::new(own.cache.max_entries),
            config: own,
            dev: config.dev,
            policy: UriPolicy::from_config(config),
            profile: config.oauth2.profile,
            clock,
            fetching: Mutex::new(HashMap::new()),
        })
    }

    /// Whether `client_id` is resolved here rather than only looked up in storage.
    pub fn applies(&self, client_id: &str) -> bool {
        self.config.enabled && is_candidate(client_id)
    }

    /// The resolutions kept now (for tests and metrics).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// The client of the document at `client_id`, from the cache or fetched now.
    /// Every failure is `invalid_client` naming the reason.
    pub async fn resolve(&self, client_id: &str) -> Result<Client, OAuth2Error> {
        let fail = |why: &str| {
            OAuth2Error::new(ErrorKind::InvalidClient).with_hint(format!(
                "The client_id {} cannot be used as a Client ID Metadata Document: {why}.",
                quoted(client_id)
            ))
        };
        let target = document_url(client_id, self.dev, &self.config).map_err(|why| fail(&why))?;
        let outcome = match self.cache.get(client_id, self.clock.now()) {
            Some(outcome) => outcome,
            None => self.fetch_once(client_id, target).await,
        };
        outcome.map_err(|why| fail(&why))
    }

    /// Fetches and validates unless another request did so while this one waited.
    async fn fetch_once(&self, client_id: &str, target: DocumentUrl) -> cache::Outcome {
        let gate = {
            let mut gates = self
                .fetching
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if gates.len() >= self.config.cache.max_entries {
                // Only costs a duplicate fetch for URLs being fetched right now.
                gates.retain(|_, gate| Arc::strong_count(gate) > 1);
            }
            gates.entry(client_id.to_owned()).or_default().clone()
        };
        let _one_fetch_at_a_time = gate.lock().await;
        if let Some(outcome) = self.cache.get(client_id, self.clock.now()) {
            return outcome;
        }
        let clients = if target.dev_loopback {
            &self.loopback
        } else {
            &self.guarded
        };
        let now = self.clock.now();
        // An expired usable document with an ETag is revalidated, not fetched anew.
        let cached = self.cache.validated(client_id);
        let fetched = match clients.for_uri(target.url.as_str()) {
            Ok((url, client)) => {
                let etag = cached.as_ref().map(|(_, etag)| etag.as_str());
                fetch::fetch(client, url, self.config.max_document_size, now, etag).await
            }
            Err(why) => Err(why),
        };
        let (outcome, ttl, etag) = match (fetched, cached) {
            (Ok(fetch::Fetch::NotModified { freshness }), Some((client, etag))) => {
                (Ok(client), self.ttl(freshness), Some(etag))
            }
            (Ok(fetch::Fetch::NotModified { .. }), None) => (
                Err("it answered HTTP 304 to a request that was not conditional".to_owned()),
                FAILURE_TTL,
                None,
            ),
            (Ok(fetch::Fetch::Document(fetched)), _) => {
                let outcome =
                    client_from_document(client_id, &fetched.body, self.policy, self.profile, now);
                (outcome, self.ttl(fetched.freshness), fetched.etag)
            }
            (Err(why), _) => (Err(format!("fetching it failed: {why}")), FAILURE_TTL, None),
        };
        let ttl = if outcome.is_ok() { ttl } else { FAILURE_TTL };
        let expires_at = crate::duration::later(now, ttl);
        if let Err(why) = &outcome {
            tracing::info!(client_id, reason = %why, "client metadata document refused");
        }
        self.cache
            .put(client_id, outcome.clone(), expires_at, now, etag);
        outcome
    }

    /// The document's freshness (or `default_ttl`) within `[min_ttl, max_ttl]`.
    fn ttl(&self, freshness: Option<Duration>) -> Duration {
        let cache = &self.config.cache;
        freshness
            .unwrap_or_else(|| cache.default_ttl.as_chrono())
            .clamp(cache.min_ttl.as_chrono(), cache.max_ttl.as_chrono())
    }
}

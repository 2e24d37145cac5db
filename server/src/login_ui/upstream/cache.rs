//! What the upstream sign-in keeps of each provider between flows: its discovery
//! document's endpoints and its JWK Set. Reading both on every sign-in made each
//! sign-in wait for two more round trips to the provider (and made a provider's
//! hiccup a failed sign-in); OpenID Connect clients commonly keep them, and HTTP caching
//! of both documents is what providers expect (OIDC Discovery 1.0 §4, RFC 7517 §5).
//!
//! Freshness:
//! - endpoints are kept [`ENDPOINTS_TTL`]; a sign-in that fails at the provider
//!   (token endpoint, ID token, UserInfo) drops them, so a provider that moved its
//!   endpoints is read again at the next attempt;
//! - a JWK Set is kept [`JWKS_TTL`]; an ID token that does not verify with the kept set
//!   (a provider that rotated its keys) makes one fresh read, at most once per
//!   [`JWKS_REFRESH_MIN_INTERVAL`] per set, so that tokens naming unknown keys cannot
//!   make us fetch the set on every request.
//!
//! The maps hold at most one entry per configured provider (endpoints, keyed by the
//! provider id) and one per JWK Set URL those providers name, replaced in place: their
//! size is bounded by the configuration, not by requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::discovery::Endpoints;

/// How long a provider's endpoints are used without reading its discovery document.
pub const ENDPOINTS_TTL: Duration = Duration::from_secs(60 * 60);
/// How long a provider's JWK Set is used without reading it again.
pub const JWKS_TTL: Duration = Duration::from_secs(10 * 60);
/// The least time between two reads of one JWK Set forced by a token it did not verify.
pub const JWKS_REFRESH_MIN_INTERVAL: Duration = Duration::from_secs(2);

/// A kept value and when it was read.
#[derive(Debug, Clone)]
struct Kept<T> {
    value: T,
    read_at: Instant,
}

impl<T: Clone> Kept<T> {
    fn fresh(&self, ttl: Duration, now: Instant) -> Option<T> {
        (now.saturating_duration_since(self.read_at) < ttl).then(|| self.value.clone())
    }
}

/// The kept endpoints and JWK Sets; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct ProviderCache {
    endpoints: Arc<Mutex<HashMap<String, Kept<Endpoints>>>>,
    jwks: Arc<Mutex<HashMap<String, Kept<Arc<Value>>>>>,
}

/// A poisoned lock still holds whole entries (every change is one insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl ProviderCache {
    /// The endpoints of provider `id`, when read less than [`ENDPOINTS_TTL`] ago.
    pub fn endpoints(&self, id: &str, now: Instant) -> Option<Endpoints> {
        lock(&self.endpoints)
            .get(id)
            .and_then(|kept| kept.fresh(ENDPOINTS_TTL, now))
    }

    pub fn keep_endpoints(&self, id: &str, endpoints: Endpoints, now: Instant) {
        lock(&self.endpoints).insert(
            id.to_owned(),
            Kept {
                value: endpoints,
                read_at: now,
            },
        );
    }

    /// Forgets provider `id`'s endpoints: the next sign-in reads its discovery document.
    pub fn forget_endpoints(&self, id: &str) {
        lock(&self.endpoints).remove(id);
    }

    /// The JWK Set at `uri`, when read less than [`JWKS_TTL`] ago.
    pub fn jwks(&self, uri: &str, now: Instant) -> Option<Arc<Value>> {
        lock(&self.jwks)
            .get(uri)
            .and_then(|kept| kept.fresh(JWKS_TTL, now))
    }

    pub fn keep_jwks(&self, uri: &str, set: Arc<Value>, now: Instant) {
        lock(&self.jwks).insert(
            uri.to_owned(),
            Kept {
                value: set,
                read_at: now,
            },
        );
    }

    /// Whether the set at `uri` may be read again because a token did not verify with
    /// it: only when it was read at least [`JWKS_REFRESH_MIN_INTERVAL`] ago.
    pub fn may_refresh_jwks(&self, uri: &str, now: Instant) -> bool {
        lock(&self.jwks).get(uri).is_none_or(|kept| {
            now.saturating_duration_since(kept.read_at) >= JWKS_REFRESH_MIN_INTERVAL
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::http::ClientAuth;
    use super::*;

    fn endpoints() -> Endpoints {
        Endpoints {
            issuer: Some("https://idp.example".into()),
            authorization_endpoint: "https://idp.example/auth".into(),
            token_endpoint: "https://idp.example/token".into(),
            jwks_uri: Some("https://idp.example/jwks".into()),
            userinfo_endpoint: None,
            auth: ClientAuth::Basic,
        }
    }

    #[test]
    fn endpoints_are_kept_for_their_ttl_and_can_be_forgotten() {
        let cache = ProviderCache::default();
        let t0 = Instant::now();
        assert_eq!(cache.endpoints("idp", t0), None);
        cache.keep_endpoints("idp", endpoints(), t0);
        assert_eq!(cache.endpoints("idp", t0), Some(endpoints()));
        let almost = t0 + ENDPOINTS_TTL - Duration::from_secs(1);
        assert_eq!(cache.endpoints("idp", almost), Some(endpoints()));
        assert_eq!(cache.endpoints("idp", t0 + ENDPOINTS_TTL), None);
        assert_eq!(cache.endpoints("other", t0), None);
        cache.forget_endpoints("idp");
        assert_eq!(cache.endpoints("idp", t0), None);
    }

    #[test]
    fn a_jwk_set_is_kept_and_refreshed_at_most_every_interval() {
        let cache = ProviderCache::default();
        let t0 = Instant::now();
        let uri = "https://idp.example/jwks";
        assert!(cache.may_refresh_jwks(uri, t0), "never read: read it");
        cache.keep_jwks(uri, Arc::new(json!({"keys": []})), t0);
        assert_eq!(cache.jwks(uri, t0).as_deref(), Some(&json!({"keys": []})));
        assert!(!cache.may_refresh_jwks(uri, t0 + Duration::from_secs(1)));
        assert!(cache.may_refresh_jwks(uri, t0 + JWKS_REFRESH_MIN_INTERVAL));
        assert!(cache.jwks(uri, t0 + JWKS_TTL).is_none(), "expired");
    }
}

//! `KeyManager`: the one way the rest of the server reaches keys. It caches, per set,
//! the parsed signers, the verifiers and the public JWKs, so the request path never
//! reads the database or parses a key (parsing an RSA key costs more than signing with it).
//!
//! Cache freshness: a change made through this manager (admin API, rotation, bootstrap)
//! drops the set's entry at once. Changes made by other nodes sharing the database are
//! picked up when an entry is older than `KeySettings::refresh_every` (default 10 s),
//! and at once when a token names a kid the cache does not know (`verify`). A node
//! that has not reloaded yet keeps signing with the previous key, which stays
//! published, so tokens stay verifiable throughout.
//!
//! While the database is unreachable (issue 23) the entries last loaded keep serving,
//! however old, and the store is asked again at most once per
//! [`UNAVAILABLE_RETRY_EVERY`]: without that pause every request for an expired entry
//! would queue on the reload lock, and discovery and the JWKS, which need no database
//! otherwise, would slow to one request at a time.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::alg::{Algorithm, KeyUse};
use super::key::to_josekit;
use super::signer::{SignedJwt, Signer, SigningKey};
use super::store::{JsonWebKeyStore, StoredJsonWebKey};
use super::stored::{open, public_of};
use super::verifier::{VerifiedJwt, Verifier, header_kid};
use super::{JsonWebKey, JsonWebKeySet, JwkError};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::secrets::KeyRing;

/// While the database is unreachable, how long a stale entry serves before the store is
/// asked again (module docs).
pub const UNAVAILABLE_RETRY_EVERY: Duration = Duration::from_secs(1);

/// `after` from now (now itself, so reloaded at the next use, if that overflows).
fn fresh_until(after: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(after).unwrap_or(now)
}

/// How the manager makes and caches keys.
#[derive(Debug, Clone)]
pub struct KeySettings {
    /// Delay between publishing a rotated-in key and signing with it
    /// (`oidc.jwks.publish_before_use`).
    pub publish_before_use: chrono::Duration,
    /// RSA modulus size of generated keys.
    pub rsa_bits: u32,
    /// Age after which a cached set is reloaded from the database.
    pub refresh_every: Duration,
    /// The algorithm of the ID-token set's first key (`jwk::bootstrap`): RS256, or ES256
    /// when `oauth2.profile` is `fapi2` (FAPI 2.0 §5.4.1 excludes RS256).
    pub id_token_alg: super::Algorithm,
}

impl Default for KeySettings {
    fn default() -> Self {
        Self {
            publish_before_use: chrono::Duration::zero(),
            rsa_bits: super::generate::DEFAULT_RSA_BITS,
            refresh_every: Duration::from_secs(10),
            id_token_alg: super::Algorithm::RS256,
        }
    }
}

impl KeySettings {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            publish_before_use: config.oidc.jwks.publish_before_use.as_chrono(),
            id_token_alg: if config.oauth2.profile == crate::config::SecurityProfile::Fapi2 {
                super::Algorithm::ES256
            } else {
                super::Algorithm::RS256
            },
            ..Self::default()
        }
    }
}

/// One set as loaded: what signing, verifying and publishing need.
struct LoadedSet {
    signer: Arc<Signer>,
    verifier: Arc<Verifier>,
    public: Vec<JsonWebKey>,
    /// Served from the cache until then; afterwards the next use reloads it.
    fresh_until: Instant,
}

pub struct KeyManager {
    pub(super) store: Arc<dyn JsonWebKeyStore>,
    pub(super) ring: Arc<KeyRing>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) settings: KeySettings,
    /// Reports the admin's changes (`key.*` audit events); `None` with events off.
    pub(super) reporter: Option<Arc<dyn super::KeyChangeReporter>>,
    cache: RwLock<HashMap<String, Arc<LoadedSet>>>,
    /// One reload at a time, so an expired entry is read once, not by every request.
    reload: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for KeyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyManager")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl KeyManager {
    pub fn new(
        store: Arc<dyn JsonWebKeyStore>,
        ring: Arc<KeyRing>,
        clock: Arc<dyn Clock>,
        settings: KeySettings,
    ) -> Self {
        Self {
            store,
            ring,
            clock,
            settings,
            reporter: None,
            cache: RwLock::new(HashMap::new()),
            reload: tokio::sync::Mutex::new(()),
        }
    }

    /// Reports every admin change (`jwk::admin`) through `reporter`, whose rows the
    /// store writes with the change (`events::KeyEvents`, when `events.enabled`).
    pub fn with_reporter(mut self, reporter: Arc<dyn super::KeyChangeReporter>) -> Self {
        self.reporter = Some(reporter);
        self
    }

    /// The store underneath (for tests and maintenance commands).
    pub fn store(&self) -> &Arc<dyn JsonWebKeyStore> {
        &self.store
    }

    /// The cached signer of `set`; pick the key with [`Signer::sign`]'s `now`.
    pub async fn signer(&self, set: &str) -> Result<Arc<Signer>, JwkError> {
        Ok(self.loaded(set).await?.signer.clone())
    }

    /// Signs `claims` with the current key of `set` at the clock's now.
    pub async fn sign(
        &self,
        set: &str,
        claims: &serde_json::Value,
        typ: &str,
    ) -> Result<SignedJwt, JwkError> {
        self.signer(set).await?.sign(claims, typ, self.clock.now())
    }

    /// The algorithm of the key that would sign for `set` now: the newest usable key
    /// of `alg`, or of any algorithm when `alg` is `None`; `None` when there is none.
    pub async fn signing_alg(
        &self,
        set: &str,
        alg: Option<Algorithm>,
    ) -> Result<Option<Algorithm>, JwkError> {
        let signer = self.signer(set).await?;
        Ok(signer.current_of(self.clock.now(), alg).map(|key| key.alg))
    }

    /// Signs `claims` with the newest usable key of `set` of algorithm `alg` (any when
    /// `None`). RSA signatures (~0.2–1 ms with RSA-2048 and larger) run on the blocking pool so they
    /// do not stall an async worker; the others (~20–60 µs) run inline.
    pub async fn sign_with(
        &self,
        set: &str,
        claims: serde_json::Value,
        typ: &str,
        alg: Option<Algorithm>,
    ) -> Result<SignedJwt, JwkError> {
        let signer = self.signer(set).await?;
        let now = self.clock.now();
        let key_alg = signer.current_of(now, alg).map(|key| key.alg);
        if !key_alg.is_some_and(|alg| alg.family() == super::alg::KeyFamily::Rsa) {
            return signer.sign_with(&claims, typ, now, alg);
        }
        let typ = typ.to_owned();
        tokio::task::spawn_blocking(move || signer.sign_with(&claims, &typ, now, alg))
            .await
            .map_err(|e| JwkError::Crypto(format!("signing task failed: {e}")))?
    }

    /// Verifies a token signed by a key of `set`, reloading the set once when the
    /// token's kid is not cached (a key added on another node).
    pub async fn verify(&self, set: &str, token: &str) -> Result<VerifiedJwt, JwkError> {
        let mut loaded = self.loaded(set).await?;
        if let Some(kid) = header_kid(token)
            && !loaded.verifier.has_kid(&kid)
        {
            self.invalidate(set);
            loaded = self.loaded(set).await?;
        }
        loaded.verifier.verify(token)
    }

    /// The public keys of `sets`, in order (RFC 7517 §5); symmetric keys are never
    /// included. Retired keys stay: tokens they signed may still be in use.
    pub async fn public_jwks(&self, sets: &[&str]) -> Result<JsonWebKeySet, JwkError> {
        let mut keys = Vec::new();
        for set in sets {
            keys.extend(self.loaded(set).await?.public.iter().cloned());
        }
        Ok(JsonWebKeySet { keys })
    }

    /// Drops the cached entry of `set`; the next use reloads it.
    pub fn invalidate(&self, set: &str) {
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(set);
    }

    fn cached(&self, set: &str) -> Option<Arc<LoadedSet>> {
        self.cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(set)
            .filter(|entry| Instant::now() < entry.fresh_until)
            .cloned()
    }

    /// Keeps `stale` as the entry of `set` for [`UNAVAILABLE_RETRY_EVERY`] more.
    fn keep_serving(&self, set: &str, stale: &LoadedSet) {
        let kept = Arc::new(LoadedSet {
            signer: stale.signer.clone(),
            verifier: stale.verifier.clone(),
            public: stale.public.clone(),
            fresh_until: fresh_until(UNAVAILABLE_RETRY_EVERY),
        });
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(set.to_owned(), kept);
    }

    /// Loads `set` into the cache now (startup), so that it can serve from the start
    /// even when the database goes away before the first request needs it.
    pub async fn warm(&self, set: &str) -> Result<(), JwkError> {
        self.loaded(set).await.map(drop)
    }

    /// The cached entry of `set` however old it is.
    fn stale(&self, set: &str) -> Option<Arc<LoadedSet>> {
        self.cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(set)
            .cloned()
    }

    async fn loaded(&self, set: &str) -> Result<Arc<LoadedSet>, JwkError> {
        if let Some(entry) = self.cached(set) {
            return Ok(entry);
        }
        let _one_at_a_time = self.reload.lock().await;
        if let Some(entry) = self.cached(set) {
            return Ok(entry);
        }
        let stored = match self.store.get_json_web_key_set(set).await {
            Ok(stored) => stored,
            // While the database is unreachable the keys last loaded keep serving the
            // JWKS and signing (issue 23): a key set changes through this server's admin
            // API, which is down with the database too.
            Err(StorageError::Unavailable(why)) => {
                let stale = self
                    .stale(set)
                    .ok_or(JwkError::Storage(StorageError::Unavailable(why)))?;
                self.keep_serving(set, &stale);
                return Ok(stale);
            }
            Err(other) => return Err(other.into()),
        };
        let entry = Arc::new(self.load(set, &stored));
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(set.to_owned(), entry.clone());
        Ok(entry)
    }

    /// Parses a set. A key that cannot be opened (its secret was removed from
    /// `secrets.system`) or parsed is logged and left out of signing, so the others
    /// keep working; it stays published.
    fn load(&self, set: &str, stored: &[StoredJsonWebKey]) -> LoadedSet {
        let mut signing = Vec::new();
        let mut public = Vec::new();
        let mut verifying = Vec::new();
        for row in stored {
            match public_of(row) {
                Ok(Some(key)) => {
                    verifying.push(key.clone());
                    public.push(key);
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(set, kid = %row.kid, error = %err, "unusable key"),
            }
            if KeyUse::parse(&row.use_) != Some(KeyUse::Sig) || row.private_jwk_sealed.is_none() {
                continue;
            }
            match self.signing_key(row) {
                Ok((key, private)) => {
                    if key.alg.is_symmetric() {
                        verifying.push(private);
                    }
                    signing.push(key);
                }
                Err(err) => tracing::warn!(set, kid = %row.kid, error = %err, "key cannot sign"),
            }
        }
        LoadedSet {
            signer: Arc::new(Signer::new(set, signing)),
            verifier: Arc::new(Verifier::from_keys(verifying)),
            public,
            fresh_until: fresh_until(self.settings.refresh_every),
        }
    }

    fn signing_key(&self, row: &StoredJsonWebKey) -> Result<(SigningKey, JsonWebKey), JwkError> {
        let alg = Algorithm::parse(&row.alg)
            .ok_or_else(|| JwkError::Corrupt(format!("unknown alg {:?}", row.alg)))?;
        let private = open(&self.ring, row)?;
        let signer = alg.signer(&to_josekit(&private)?)?;
        Ok((
            SigningKey {
                kid: row.kid.clone(),
                alg,
                created_at: row.created_at,
                not_before: row.not_before,
                retired_at: row.retired_at,
                signer,
            },
            private,
        ))
    }
}

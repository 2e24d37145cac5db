//! Verifying a presented client secret (RFC 6749 §2.3.1) against the client's stored
//! hash: fast hashes directly; slow ones (Argon2id) through the caches of successes and
//! recent failures (`oauth2::secret_cache`) and the bounded, fair queue in front of the
//! one-at-a-time verifier (`admission.rs`), computing on the blocking pool.
//!
//! The work done depends on the presented secret, not on whether the client exists
//! (issue 12 item 8): with no stored hash to check against (an unknown client, another
//! method, a client without a secret) the secret is checked against a stand-in hash of
//! the kind a real one would be (`client::secret::StandIns`). A generated secret (43
//! base64url characters) only ever matches a fast SHA-256 hash, so such a secret costs a
//! SHA-256; any other secret costs an Argon2id computation (queued, cached), also for a
//! client whose stored hash is fast: it cannot match, and answering it faster would
//! tell the hash kind, hence the client's existence, apart. What remains observable: an
//! operator-chosen (Argon2id) secret presented in the generated form costs Argon2id for
//! a client that has one, a SHA-256 for one that does not.

use std::sync::Arc;

use chrono::TimeDelta;

use super::admission::{Admission, Limits};
use super::in_flight::{InFlight, Role, answer_of};
use crate::client::secret::{self, StandIns};
use crate::clock::Clock;
use crate::config::ClientSecretVerificationConfig;
use crate::error::OAuth2Error;
use crate::oauth2::secret_cache::{DEFAULT_CAPACITY, FailureCache, SecretCache, verification_key};
use crate::secrets::KeyRing;

/// Checks a presented secret against a stored hash; `client::secret::verify` in
/// production, a counting stand-in in tests.
pub trait SecretHasher: Send + Sync {
    fn verify(&self, presented: &str, stored: &str) -> bool;
}

/// The real verification (`client::secret::verify`).
#[derive(Debug, Default, Clone, Copy)]
pub struct RealHasher;

impl SecretHasher for RealHasher {
    fn verify(&self, presented: &str, stored: &str) -> bool {
        secret::verify(presented, stored)
    }
}

/// Settings of slow verifications (`oauth2.client_secret_verification.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub limits: Limits,
    /// How long a failed slow verification is remembered; zero: not at all.
    pub failure_ttl: TimeDelta,
}

impl Settings {
    pub fn from_config(config: &ClientSecretVerificationConfig) -> Self {
        Self {
            limits: Limits {
                max_waiting: config.max_waiting,
                max_waiting_per_client: config.max_waiting_per_client,
            },
            failure_ttl: config.failure_cache_ttl.as_chrono(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_config(&ClientSecretVerificationConfig::default())
    }
}

/// Verifies presented client secrets (see the module documentation).
pub struct SecretVerifier {
    keys: Arc<KeyRing>,
    clock: Arc<dyn Clock>,
    hasher: Arc<dyn SecretHasher>,
    stand_ins: StandIns,
    verified: SecretCache,
    failed: FailureCache,
    admission: Admission,
    in_flight: InFlight,
}

impl std::fmt::Debug for SecretVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretVerifier")
            .field("verified", &self.verified)
            .field("failed", &self.failed)
            .field("admission", &self.admission)
            .finish_non_exhaustive()
    }
}

impl SecretVerifier {
    /// Now, by the verifier's clock (a rotated-out secret's expiry is judged by it).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The system key ring (also opens `client_secret_jwt` secrets).
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// `keys` keys the caches' HMACs; `clock` ages remembered failures.
    pub fn new(keys: Arc<KeyRing>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self::with_hasher(keys, clock, settings, Arc::new(RealHasher))
    }

    /// Like [`SecretVerifier::new`], verifying with `hasher`.
    pub fn with_hasher(
        keys: Arc<KeyRing>,
        clock: Arc<dyn Clock>,
        settings: Settings,
        hasher: Arc<dyn SecretHasher>,
    ) -> Self {
        Self {
            keys,
            clock,
            hasher,
            stand_ins: StandIns::new(),
            verified: SecretCache::new(DEFAULT_CAPACITY),
            failed: FailureCache::new(DEFAULT_CAPACITY, settings.failure_ttl),
            admission: Admission::new(settings.limits),
            in_flight: InFlight::default(),
        }
    }

    /// The cache of verified secrets (for tests and metrics).
    pub fn verified(&self) -> &SecretCache {
        &self.verified
    }

    /// The cache of recent failures (for tests and metrics).
    pub fn failed(&self) -> &FailureCache {
        &self.failed
    }

    /// Slow verifications queued now, waiting or running (for tests and metrics).
    pub fn queued(&self) -> usize {
        self.admission.queued_total()
    }

    /// The hash `presented` is checked against, and whether it is the client's own.
    fn target<'a>(&'a self, stored: Option<&'a str>, presented: &str) -> (&'a str, bool) {
        let generated = secret::looks_generated(presented);
        match stored {
            Some(stored) if secret::is_slow(stored) || generated => (stored, true),
            _ if generated => (&self.stand_ins.fast, false),
            _ => (&self.stand_ins.slow, false),
        }
    }

    /// Whether `presented` is the secret of client `client_id`, whose stored hash is
    /// `stored` (`None`: the client does not exist, or has no secret for this method).
    /// `temporarily_unavailable` when the queue for slow verifications is full.
    pub async fn verify(
        &self,
        client_id: &str,
        stored: Option<&str>,
        presented: &str,
    ) -> Result<bool, OAuth2Error> {
        let (target, own) = self.target(stored, presented);
        if !secret::is_slow(target) {
            let matches = self.hasher.verify(presented, target);
            return Ok(own && matches);
        }
        let keys = &self.keys;
        let known = || {
            if own && self.verified.contains(keys, client_id, target, presented) {
                return Some(true);
            }
            let now = self.clock.now();
            self.failed
                .contains(keys, client_id, target, presented, now)
                .then_some(false)
        };
        if let Some(answer) = known() {
            return Ok(answer);
        }
        // Requests presenting the same secret share one computation (`in_flight.rs`).
        let leader = match verification_key(keys, client_id, target, presented)
            .map(|key| self.in_flight.join(key))
        {
            Some(Role::Follow(follower)) => match answer_of(follower).await {
                Some(verified) => return Ok(verified),
                // The leader went away without an answer: queue like any request.
                None => None,
            },
            Some(Role::Lead(leader)) => Some(leader),
            None => None,
        };
        let place = self.admission.enter(client_id)?;
        let permit = self.admission.turn(&place).await?;
        // A request ahead of this one may have verified the same secret meanwhile.
        if let Some(answer) = known() {
            return Ok(answer);
        }
        let hasher = self.hasher.clone();
        let (presented_copy, target_copy) = (presented.to_owned(), target.to_owned());
        // The permit comes back out of the blocking task so that the next turn starts
        // only after the answer is cached (a waiter for the same secret then reads it
        // instead of computing again); if this request is dropped meanwhile, the permit
        // is still released only when the computation ends.
        let (matches, permit) = tokio::task::spawn_blocking(move || {
            (hasher.verify(&presented_copy, &target_copy), permit)
        })
        .await
        .map_err(|e| OAuth2Error::server_error(format!("secret verification: {e}")))?;
        let verified = own && matches;
        if verified {
            self.verified.insert(keys, client_id, target, presented);
        } else {
            let now = self.clock.now();
            self.failed.insert(keys, client_id, target, presented, now);
        }
        if let Some(leader) = leader {
            leader.finish(verified);
        }
        drop(permit);
        drop(place);
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigError, load};

    fn with_env(name: &'static str, value: &'static str) -> Result<Settings, ConfigError> {
        let env = move |key: &str| (key == name).then(|| value.to_owned());
        let config = load(None, &env)?;
        Ok(Settings::from_config(
            &config.oauth2.client_secret_verification,
        ))
    }

    /// The keys load from the environment; a zero queue or an over-long TTL is a
    /// configuration error naming the key.
    #[test]
    fn settings_come_from_configuration() {
        assert_eq!(Settings::default().limits.max_waiting.get(), 32);
        assert_eq!(Settings::default().limits.max_waiting_per_client.get(), 4);
        assert_eq!(Settings::default().failure_ttl, TimeDelta::seconds(5));
        let set = with_env("OAUTH2_CLIENT_SECRET_VERIFICATION_MAX_WAITING", "7").unwrap();
        assert_eq!(set.limits.max_waiting.get(), 7);
        let set = with_env("OAUTH2_CLIENT_SECRET_VERIFICATION_FAILURE_CACHE_TTL", "0s").unwrap();
        assert_eq!(set.failure_ttl, TimeDelta::zero());
        for (name, value, key) in [
            (
                "OAUTH2_CLIENT_SECRET_VERIFICATION_MAX_WAITING_PER_CLIENT",
                "0",
                "oauth2.client_secret_verification.max_waiting_per_client",
            ),
            (
                "OAUTH2_CLIENT_SECRET_VERIFICATION_FAILURE_CACHE_TTL",
                "2562048h",
                "oauth2.client_secret_verification.failure_cache_ttl",
            ),
        ] {
            let err = with_env(name, value).unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
        }
    }
}

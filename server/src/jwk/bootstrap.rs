//! Startup: the key sets the server signs with exist before the first request, so key
//! generation never happens on a request path. Safe with many nodes starting at once:
//! the store's insert-if-absent lets exactly one node's key in; the others' generated
//! keys are dropped.

use super::JwkError;
use super::alg::{Algorithm, KeyUse};
use super::generate::generate_off_thread;
use super::manager::KeyManager;
use super::stored::{Schedule, to_stored};

/// Hydra's set for ID tokens (OIDC Core §2).
pub const ID_TOKEN_SET: &str = "hydra.openid.id-token";
/// Hydra's set for JWT access tokens (RFC 9068).
pub const ACCESS_TOKEN_SET: &str = "hydra.jwt.access-token";

/// The sets ensured at startup and their algorithms. ID tokens use RS256, the one
/// algorithm every relying party must support (OIDC Core §15.1); JWT access tokens use
/// ES256, ~10× cheaper to sign than RS256 (docs/benchmarks.md: ES256 vs RS256 JWT access tokens).
pub const DEFAULT_SETS: [(&str, Algorithm); 2] = [
    (ID_TOKEN_SET, Algorithm::RS256),
    (ACCESS_TOKEN_SET, Algorithm::ES256),
];

impl KeyManager {
    /// Makes sure `set` has a key: when it has none, generates one of `alg` (off the
    /// async workers) and adds it unless another node did so first. Returns whether
    /// this call added the key.
    pub async fn ensure_key_set(&self, set: &str, alg: Algorithm) -> Result<bool, JwkError> {
        if !self.store.get_json_web_key_set(set).await?.is_empty() {
            return Ok(false);
        }
        let kid = uuid::Uuid::new_v4().to_string();
        let key = generate_off_thread(alg, kid, KeyUse::Sig, self.settings.rsa_bits).await?;
        let now = chrono::SubsecRound::trunc_subsecs(self.clock.now(), 6);
        let row = to_stored(
            &self.ring,
            set,
            &key,
            Schedule {
                created_at: now,
                not_before: now,
            },
        )?;
        let added = self
            .store
            .add_json_web_keys_if_set_empty(set, &[row])
            .await?;
        self.invalidate(set);
        if added {
            tracing::info!(set, alg = %alg, "generated a JSON Web Key");
        }
        Ok(added)
    }

    /// [`Self::ensure_key_set`] for every set in [`DEFAULT_SETS`].
    /// The ID-token set's algorithm comes from `KeySettings::id_token_alg` (ES256 for a
    /// server held to FAPI 2.0).
    pub async fn ensure_default_sets(&self) -> Result<(), JwkError> {
        for (set, alg) in DEFAULT_SETS {
            let alg = if set == ID_TOKEN_SET {
                self.settings.id_token_alg
            } else {
                alg
            };
            self.ensure_key_set(set, alg).await?;
            // Discovery and the JWKS serve from the cache; a cache filled at startup
            // serves them through a database outage that begins before any request.
            self.warm(set).await?;
        }
        Ok(())
    }
}

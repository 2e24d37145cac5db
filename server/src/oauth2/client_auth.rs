//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3).
//!
//! A request uses exactly one method (RFC 6749 §2.3: "MUST NOT use more than one
//! authentication method in each request"), and it must be the method the client
//! registered as `token_endpoint_auth_method`. Failures are `401 invalid_client`, with
//! `WWW-Authenticate: Basic` when the request tried HTTP Basic (RFC 6749 §5.2).
//!
//! `private_key_jwt` assertions are verified by [`PrivateKeyJwt`] (RFC 7523).
//!
//! Secrets the server generated verify with one SHA-256; operator-chosen ones use
//! Argon2id, which runs on the blocking pool and, once it succeeded, is remembered in a
//! [`SecretCache`] so the token endpoint does not become CPU-bound (DESIGN §5).

use std::sync::Arc;

use crate::client::model::Client;
use crate::client::secret;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::form::FormParams;
use crate::oauth2::private_key_jwt::{Assertion, PrivateKeyJwt};
use crate::oauth2::secret_cache::SecretCache;
use crate::secrets::KeyRing;
use crate::storage::ClientStore;

mod credentials;
#[cfg(test)]
mod tests;

pub use credentials::Credentials;

/// The challenge sent with `invalid_client` after an HTTP Basic attempt.
pub const BASIC_CHALLENGE: &str = "Basic realm=\"portunus\"";

/// Authenticates clients against the client store.
pub struct ClientAuthenticator {
    clients: Arc<dyn ClientStore>,
    keys: Arc<KeyRing>,
    cache: SecretCache,
    /// `private_key_jwt`; without it such requests are refused as not enabled.
    private_key_jwt: Option<PrivateKeyJwt>,
}

impl std::fmt::Debug for ClientAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuthenticator")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl ClientAuthenticator {
    /// `keys` keys the cache's HMACs; the cache holds [`SecretCache::new`]'s `capacity`.
    pub fn new(clients: Arc<dyn ClientStore>, keys: Arc<KeyRing>, cache: SecretCache) -> Self {
        Self {
            clients,
            keys,
            cache,
            private_key_jwt: None,
        }
    }

    /// Enables `private_key_jwt` (OIDC Core §9) with `verifier`.
    pub fn with_private_key_jwt(mut self, verifier: PrivateKeyJwt) -> Self {
        self.private_key_jwt = Some(verifier);
        self
    }

    /// The cache of verified secrets (for tests and metrics).
    pub fn cache(&self) -> &SecretCache {
        &self.cache
    }

    /// Authenticates the request's client (RFC 6749 §2.3) and returns it.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        form: &FormParams,
    ) -> Result<Client, OAuth2Error> {
        let credentials = Credentials::extract(authorization, form)?;
        let basic = matches!(credentials, Credentials::ClientSecretBasic { .. });
        let fail = |hint: String| {
            let err = OAuth2Error::new(ErrorKind::InvalidClient).with_hint(hint);
            if basic {
                err.with_www_authenticate(BASIC_CHALLENGE)
            } else {
                err
            }
        };
        let assertion = match &credentials {
            Credentials::PrivateKeyJwt {
                assertion,
                client_id,
            } => {
                if self.private_key_jwt.is_none() {
                    return Err(fail(
                        "private_key_jwt authentication is not enabled on this server.".to_owned(),
                    ));
                }
                let parsed = Assertion::parse(assertion)?;
                if client_id.as_ref().is_some_and(|id| *id != parsed.client_id) {
                    return Err(fail(
                        "The client_id in the body differs from the client assertion's sub (RFC 7521 §4.2).".to_owned(),
                    ));
                }
                Some(parsed)
            }
            _ => None,
        };
        let client_id = match (&assertion, credentials.client_id()) {
            (Some(assertion), _) => assertion.client_id.as_str(),
            (None, Some(id)) => id,
            (None, None) => {
                return Err(fail("The request carries no client_id.".to_owned()));
            }
        };
        let client = self
            .clients
            .get_client(client_id)
            .await?
            .ok_or_else(|| fail("The requested OAuth 2.0 Client does not exist.".to_owned()))?;
        let registered = client.token_endpoint_auth_method;
        if registered != credentials.method() {
            return Err(fail(format!(
                "The OAuth 2.0 Client supports client authentication method '{}', but method '{}' was requested.",
                registered.as_str(),
                credentials.method().as_str()
            )));
        }
        if let (Some(assertion), Some(verifier)) = (&assertion, &self.private_key_jwt) {
            verifier.authenticate(&client, assertion).await?;
        }
        if let Some(presented) = credentials.secret() {
            let verified = match client.secret_hash.as_deref() {
                Some(stored) => self.verify(&client.client_id, stored, presented).await?,
                None => false,
            };
            if !verified {
                return Err(fail("The provided client secret did not match.".to_owned()));
            }
        }
        Ok(client)
    }

    /// Fast hashes are checked directly; slow ones through the cache, computing off the
    /// async workers on a miss.
    async fn verify(
        &self,
        client_id: &str,
        stored: &str,
        presented: &str,
    ) -> Result<bool, OAuth2Error> {
        if !secret::is_slow(stored) {
            return Ok(secret::verify(presented, stored));
        }
        let verified_before = || {
            self.cache
                .contains(&self.keys, client_id, stored, presented)
        };
        if verified_before() {
            return Ok(true);
        }
        let _turn = self.cache.slow_turn().await;
        // Another request of this client may have verified the same secret meanwhile.
        if verified_before() {
            return Ok(true);
        }
        let (secret_copy, stored_copy) = (presented.to_owned(), stored.to_owned());
        let verified =
            tokio::task::spawn_blocking(move || secret::verify(&secret_copy, &stored_copy))
                .await
                .map_err(|e| OAuth2Error::server_error(format!("secret verification: {e}")))?;
        if verified {
            self.cache.insert(&self.keys, client_id, stored, presented);
        }
        Ok(verified)
    }
}

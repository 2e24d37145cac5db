//! `private_key_jwt` client authentication (OIDC Core §9; RFC 7523 §2.2, §3; RFC 7521
//! §4.2): the client proves itself with a JWT signed by one of its registered keys,
//! sent as `client_assertion` with `client_assertion_type` [`JWT_BEARER`].
//!
//! - `claims`: decoding the assertion and the RFC 7523 §3 claim rules;
//! - `keys`: the client's key set, inline or from its `jwks_uri`, cached;
//! - `jwks_uri` is fetched through `crate::outbound` (SSRF guard, timeout, size cap).
//!
//! Every failure is `401 invalid_client` with a hint naming the rule that failed.

mod claims;
mod keys;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use claims::{Assertion, CLOCK_SKEW};
pub use keys::{ClientKeys, KEYS_TTL, REFETCH_INTERVAL};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::client::model::Client;
use crate::clock::Clock;
use crate::config::{Config, SecurityProfile};
use crate::error::OAuth2Error;
use crate::jwk::{Algorithm, Verifier};
use crate::oauth2::fapi2;
use crate::outbound::GuardedFetcher;
use crate::storage::JtiStore;

/// RFC 7523 §2.2: the one `client_assertion_type` accepted.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// RFC 7518 §3.2: "A key of the same size as the hash output … or larger MUST be used".
fn hmac_key_bytes(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => 32,
    }
}

/// Verifies client assertions: signature, claims, single use.
pub struct PrivateKeyJwt {
    keys: ClientKeys,
    jtis: Arc<dyn JtiStore>,
    clock: Arc<dyn Clock>,
    /// What `aud` may name: the token endpoint URL, the issuer, the PAR endpoint URL.
    audiences: Vec<String>,
    /// `oauth2.profile`, and the issuer FAPI 2.0 wants as the only `aud`.
    profile: SecurityProfile,
    issuer: String,
}

impl std::fmt::Debug for PrivateKeyJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKeyJwt")
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

impl PrivateKeyJwt {
    /// OIDC Core §9: "The Audience SHOULD be the URL of the Authorization Server's Token
    /// Endpoint"; RFC 7523 §3 also allows the issuer. Both are accepted, at the token,
    /// revocation and PAR endpoints alike, and so is the PAR endpoint's URL (RFC 9126
    /// §2: "the token endpoint URL or the URL of the pushed authorization request
    /// endpoint" may be accepted beside the issuer).
    pub fn new(
        config: &Config,
        jtis: Arc<dyn JtiStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            keys: ClientKeys::new(GuardedFetcher::new(&config.clients.http)?),
            jtis,
            clock,
            audiences: vec![
                format!("{}/oauth2/token", config.public_url()),
                config.issuer(),
                format!("{}/oauth2/par", config.public_url()),
            ],
            profile: config.oauth2.profile,
            issuer: config.issuer(),
        })
    }

    /// Authenticates `client` (already looked up by the assertion's `sub`) with
    /// `assertion`: the algorithm it registered, a signature by one of its keys, the
    /// RFC 7523 §3 claims, and a `jti` not seen before (recorded until `exp`).
    pub async fn authenticate(
        &self,
        client: &Client,
        assertion: &Assertion,
    ) -> Result<(), OAuth2Error> {
        let registered = client.token_endpoint_auth_signing_alg.as_str();
        if !registered.is_empty() && registered != assertion.alg.name() {
            return Err(claims::invalid(format!(
                "The client assertion is signed with {}, but the OAuth 2.0 Client registered token_endpoint_auth_signing_alg {registered}.",
                assertion.alg
            )));
        }
        let now = self.clock.now();
        let verifier = self
            .keys
            .verifier(client, assertion.kid.as_deref(), now)
            .await?;
        let verified = verifier.verify(&assertion.token).map_err(|e| {
            claims::invalid(format!(
                "The client assertion could not be verified with the OAuth 2.0 Client's keys: {e}."
            ))
        })?;
        if fapi2::applies(self.profile, client) {
            fapi2::client_assertion(assertion.alg, &verified.claims, &self.issuer)?;
        }
        self.check_claims(client, &verified.claims, now).await
    }

    /// `client_secret_jwt` (OIDC Core §9, RFC 7523 §2.2): `assertion` MACed with the
    /// client's `secret` (opened from its sealed form by the caller), the algorithm it
    /// registered, a secret long enough for the MAC (RFC 7518 §3.2), then the same claim
    /// and single-use rules as `private_key_jwt`.
    pub async fn authenticate_with_secret(
        &self,
        client: &Client,
        assertion: &Assertion,
        secret: &str,
    ) -> Result<(), OAuth2Error> {
        let registered = client.token_endpoint_auth_signing_alg.as_str();
        if !registered.is_empty() && registered != assertion.alg.name() {
            return Err(claims::invalid(format!(
                "The client assertion is signed with {}, but the OAuth 2.0 Client registered token_endpoint_auth_signing_alg {registered}.",
                assertion.alg
            )));
        }
        let needed = hmac_key_bytes(assertion.alg);
        if secret.len() < needed {
            return Err(claims::invalid(format!(
                "The client secret is shorter than the {needed} bytes {} needs (RFC 7518 Section 3.2); use a shorter hash or a longer secret.",
                assertion.alg
            )));
        }
        let set = serde_json::json!({"keys": [{
            "kty": "oct",
            "alg": assertion.alg.name(),
            "k": URL_SAFE_NO_PAD.encode(secret.as_bytes()),
        }]});
        let verified = Verifier::from_json(&set.to_string())
            .map_err(|e| OAuth2Error::server_error(format!("client secret as a key: {e}")))?
            .verify(&assertion.token)
            .map_err(|e| {
                claims::invalid(format!(
                    "The client assertion could not be verified with the OAuth 2.0 Client's secret: {e}."
                ))
            })?;
        self.check_claims(client, &verified.claims, self.clock.now())
            .await
    }

    /// RFC 7523 §3 on verified claims, then the `jti` recorded until `exp` (single use
    /// on every node).
    async fn check_claims(
        &self,
        client: &Client,
        verified: &serde_json::Map<String, serde_json::Value>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), OAuth2Error> {
        let checked = claims::check(verified, &client.client_id, &self.audiences, now)?;
        let fresh = self
            .jtis
            .record_jti(&checked.jti, &client.client_id, checked.expires_at, now)
            .await?;
        if !fresh {
            return Err(claims::invalid(
                "The client assertion's jti has been used before; an assertion may be used once (RFC 7523 §3).",
            ));
        }
        Ok(())
    }
}

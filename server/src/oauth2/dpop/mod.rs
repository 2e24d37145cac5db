//! DPoP: sender-constrained access tokens (RFC 9449). A client proves possession of a
//! key with a proof JWT in the `DPoP` header; the token endpoint binds the tokens it
//! issues to the key's thumbprint (`jkt`), and the UserInfo endpoint accepts a bound
//! token only with a proof by the same key over that token (`ath`).
//!
//! - `proof`: the stateless checks of one proof (§4.3);
//! - `signature`: the proof's signature by its own `jwk` (§4.3 steps 7–8);
//! - `thumbprint`: RFC 7638 `jkt`;
//! - `nonce`: stateless server nonces (§8);
//! - [`DpopVerifier`] adds what needs state: the `jti` replay check through the
//!   shared `JtiStore` (so every node sees every proof, §11.1), keyed by the proof's
//!   `jkt`, and the nonce; and it words errors for the token endpoint (400, §5) or a
//!   resource (401 with a `DPoP` challenge, §7.1).
//!
//! Where the binding goes: `grants::GrantRegistry::exchange` decides the token type
//! from the proof; `issue::prepare` stores the `jkt` in the token's sealed session and
//! as `cnf.jkt` in JWT access tokens (§6.1); introspection shows `cnf` (§6.2).

pub mod nonce;
pub mod proof;
mod signature;
pub mod thumbprint;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::Duration;

pub use proof::{Expected, Proof};

use crate::clock::Clock;
use crate::config::DpopConfig;
use crate::error::{ErrorKind, OAuth2Error};
use crate::jwk::Algorithm;
use crate::oauth2::request_context::RequestContext;
use crate::secrets::KeyRing;
use crate::storage::JtiStore;

/// RFC 9449 §8.1: the response header carrying a server nonce (lower case, as
/// `http::HeaderName::from_static` wants it).
pub const NONCE_HEADER: &str = "dpop-nonce";

/// The `JtiStore` namespace of proofs: `jti`s are unique per key (§11.1), so the
/// "client" of a record is the key's thumbprint behind this prefix.
const JTI_NAMESPACE: &str = "dpop-jkt:";

/// Checks proofs with the configured algorithms, windows and nonce policy.
pub struct DpopVerifier {
    algorithms: Vec<Algorithm>,
    max_age: Duration,
    skew: Duration,
    nonce: bool,
    nonce_lifespan: i64,
    keys: Arc<KeyRing>,
    jtis: Arc<dyn JtiStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DpopVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopVerifier")
            .field("algorithms", &self.algorithms)
            .field("nonce", &self.nonce)
            .finish_non_exhaustive()
    }
}

impl DpopVerifier {
    /// From `oauth2.dpop` (validated at startup: unknown algorithm names are skipped).
    pub fn new(
        config: &DpopConfig,
        keys: Arc<KeyRing>,
        jtis: Arc<dyn JtiStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            algorithms: config
                .signing_algorithms
                .iter()
                .filter_map(|name| Algorithm::parse(name))
                .filter(|alg| !alg.is_symmetric())
                .collect(),
            max_age: config.proof_max_age.as_chrono(),
            skew: config.clock_skew.as_chrono(),
            nonce: config.nonce,
            nonce_lifespan: config.nonce_lifespan.as_secs_i64().max(1),
            keys,
            jtis,
            clock,
        }
    }

    /// `dpop_signing_alg_values_supported` (RFC 9449 §5.1).
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The nonce to send in `DPoP-Nonce`, when nonces are required.
    pub fn current_nonce(&self) -> Option<String> {
        self.nonce
            .then(|| nonce::current(&self.keys, self.clock.now(), self.nonce_lifespan))
            .flatten()
    }

    /// The token endpoint (RFC 9449 §5): the proof of the request, if it has one, fully
    /// checked; errors are `400 invalid_dpop_proof` or `400 use_dpop_nonce`.
    pub async fn at_token_endpoint(
        &self,
        http: &RequestContext,
    ) -> Result<Option<Proof>, OAuth2Error> {
        self.check(http, None).await
    }

    /// A protected resource (RFC 9449 §7): `token` came with `Authorization: DPoP`, so
    /// a proof over it (`ath`) is required. Errors are 401 with a `DPoP` challenge.
    pub async fn at_resource(
        &self,
        http: &RequestContext,
        token: &str,
    ) -> Result<Proof, OAuth2Error> {
        match self.check(http, Some(token)).await {
            Ok(Some(proof)) => Ok(proof),
            Ok(None) => Err(self.for_resource(proof::invalid(
                "A DPoP-bound access token needs a DPoP proof (RFC 9449 Section 7.1).",
            ))),
            Err(err) => Err(self.for_resource(err)),
        }
    }

    /// `WWW-Authenticate: DPoP` (RFC 9449 §7.1) with `error` when there is one, and
    /// the algorithms accepted.
    pub fn challenge(&self, error: Option<ErrorKind>) -> String {
        let algs: Vec<&str> = self.algorithms.iter().map(|alg| alg.name()).collect();
        match error {
            Some(kind) => format!(
                "DPoP error=\"{}\", algs=\"{}\"",
                kind.code(),
                algs.join(" ")
            ),
            None => format!("DPoP algs=\"{}\"", algs.join(" ")),
        }
    }

    /// An error as a resource answers a request with the `DPoP` scheme (§7.1, §9):
    /// proof errors are 401, and every challenge is a `DPoP` one.
    pub fn for_resource(&self, mut err: OAuth2Error) -> OAuth2Error {
        if matches!(
            err.kind,
            ErrorKind::InvalidDpopProof | ErrorKind::UseDpopNonce
        ) {
            err.status_override = Some(401);
        }
        if err.www_authenticate.is_some()
            || matches!(
                err.kind,
                ErrorKind::InvalidDpopProof | ErrorKind::UseDpopNonce
            )
        {
            err.www_authenticate = Some(self.challenge(Some(err.kind)));
        }
        err
    }

    async fn check(
        &self,
        http: &RequestContext,
        access_token: Option<&str>,
    ) -> Result<Option<Proof>, OAuth2Error> {
        // §4.3 step 1: "There is not more than one DPoP HTTP request header field."
        if http.header_count("dpop") > 1 {
            return Err(proof::invalid("More than one DPoP header was sent."));
        }
        let Some(value) = http
            .header("dpop")
            .map_err(|_| proof::invalid("The DPoP header is not a JWT."))?
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        let expected = Expected {
            method: &http.method,
            url: &http.url,
            access_token,
            algorithms: &self.algorithms,
            now,
            max_age: self.max_age,
            skew: self.skew,
        };
        let proof = proof::verify(value.trim(), &expected)?;
        if self.nonce {
            let fresh = proof
                .nonce
                .as_deref()
                .is_some_and(|n| nonce::is_valid(&self.keys, n, now, self.nonce_lifespan));
            if !fresh {
                let mut err =
                    OAuth2Error::new(ErrorKind::UseDpopNonce).with_hint(if proof.nonce.is_some() {
                        "The DPoP proof's nonce is not valid or has expired."
                    } else {
                        "The DPoP proof has no nonce."
                    });
                err.dpop_nonce = self.current_nonce().map(String::into_boxed_str);
                return Err(err);
            }
        }
        // §11.1: the jti is remembered for as long as a proof with this iat is
        // accepted.
        let expires_at = crate::duration::later(proof.iat, self.max_age);
        let owner = format!("{JTI_NAMESPACE}{}", proof.jkt);
        if !self
            .jtis
            .record_jti(&proof.jti, &owner, expires_at, now)
            .await?
        {
            return Err(proof::invalid(
                "The DPoP proof has been used before; make a new proof for each request (RFC 9449 Section 11.1).",
            ));
        }
        Ok(Some(proof))
    }
}

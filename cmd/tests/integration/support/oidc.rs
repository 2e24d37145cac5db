//! The OpenID Connect relying party: the `openidconnect` crate (code we did not write)
//! verifies our ID tokens — signature against `/.well-known/jwks.json`, `iss`, `aud`,
//! `exp` by the app's clock, `nonce`, `at_hash` — over our own reqwest client.

use std::str::FromStr;

use openidconnect::core::{
    CoreClient, CoreGenderClaim, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AdditionalClaims, ClientId, ClientSecret, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, RedirectUrl, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::TestApp;
use super::flow::{FlowClient, REDIRECT_URI};

/// The claims beyond OIDC Core's standard ones that the tests look at.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtraClaims {
    pub sid: Option<String>,
    pub tier: Option<String>,
    pub jti: Option<String>,
}

impl AdditionalClaims for ExtraClaims {}

pub type IdToken = openidconnect::IdToken<
    ExtraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
pub type IdClaims = openidconnect::IdTokenClaims<ExtraClaims, CoreGenderClaim>;

/// A `CoreClient` that can call the token endpoint.
pub type RpClient = CoreClient<
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
>;

/// What an ID token must contain besides a valid signature, issuer and audience.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect<'a> {
    /// The nonce of the authorization request; `None`: the token must have none.
    pub nonce: Option<&'a str>,
    /// The access token issued beside it, whose `at_hash` the ID token must carry.
    pub access_token: Option<&'a str>,
}

impl TestApp {
    /// The issuer the server puts into tokens.
    pub fn issuer(&self) -> IssuerUrl {
        IssuerUrl::new(self.state.config.issuer()).expect("issuer URL")
    }

    /// The public JWKS, fetched and parsed by the `openidconnect` crate.
    pub async fn oidc_jwks(&self) -> CoreJsonWebKeySet {
        let body = self
            .http
            .get(self.public_path("/.well-known/jwks.json"))
            .send()
            .await
            .expect("jwks")
            .text()
            .await
            .expect("jwks body");
        serde_json::from_str(&body).expect("a JWK Set openidconnect understands")
    }

    /// An `openidconnect` client for `client`, with the server's JWKS.
    pub async fn rp_client(&self, client: &FlowClient) -> RpClient {
        let mut rp = CoreClient::new(
            ClientId::new(client.id.clone()),
            self.issuer(),
            self.oidc_jwks().await,
        )
        .set_token_uri(TokenUrl::new(self.public_path("/oauth2/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap());
        if let Some(secret) = &client.secret {
            rp = rp.set_client_secret(ClientSecret::new(secret.clone()));
        }
        rp
    }

    /// Verifies `id_token` for `client_id` as a relying party must (OIDC Core
    /// §3.1.3.7), with the app's clock, and returns its claims.
    pub async fn verify_id_token(
        &self,
        client_id: &str,
        id_token: &str,
        expect: Expect<'_>,
    ) -> IdClaims {
        let jwks = self.oidc_jwks().await;
        let clock = self.state.clock.clone();
        let verifier = CoreIdTokenVerifier::new_public_client(
            ClientId::new(client_id.to_owned()),
            self.issuer(),
            jwks,
        )
        .set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        ])
        .set_time_fn(move || clock.now());
        let token = IdToken::from_str(id_token).expect("an ID token");
        let claims = match expect.nonce {
            Some(nonce) => token.claims(&verifier, &Nonce::new(nonce.to_owned())),
            None => token.claims(&verifier, |nonce: Option<&Nonce>| match nonce {
                None => Ok(()),
                Some(_) => Err("unexpected nonce".to_owned()),
            }),
        }
        .unwrap_or_else(|e| panic!("ID token rejected: {e}"))
        .clone();
        if let Some(access_token) = expect.access_token {
            let expected = AccessTokenHash::from_token(
                &AccessToken::new(access_token.to_owned()),
                token.signing_alg().expect("signing alg"),
                token.signing_key(&verifier).expect("signing key"),
            )
            .expect("at_hash");
            assert_eq!(claims.access_token_hash(), Some(&expected), "at_hash");
        }
        claims
    }
}

/// The JOSE header of a compact JWT, decoded without verification.
pub fn jose_header(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let header = jwt.split('.').next().expect("header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("base64url header");
    serde_json::from_slice(&bytes).expect("JSON header")
}

/// The claims of a compact JWT, decoded without verification (the tests that need a
/// verified token verify it separately).
pub fn jwt_claims(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

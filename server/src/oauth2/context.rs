//! [`OAuth2Context`]: what the OAuth 2.0 core needs of the server — the ports and
//! services grants, introspection, revocation, userinfo and the authorization endpoint
//! use — and nothing of HTTP or of the login/consent flow. `AppState` (the composition
//! root, `state.rs`) holds one; unit tests build one on the memory store with a fixed
//! clock (`oauth2/grants/tests.rs`).

use std::sync::Arc;

use crate::client::metadata_document::{MetadataDocuments, ResolvingClients};
use crate::client::model::Client;
use crate::client::store::ClientStore;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::OAuth2Error;
use crate::jwk::KeyManager;
use crate::oauth2::authorize::request_object::RequestObjects;
use crate::oauth2::client_auth::ClientAuthenticator;
use crate::oauth2::dpop::DpopVerifier;
use crate::oauth2::token_hook::TokenHooks;
use crate::oidc::OidcContext;
use crate::oidc::logout::backchannel::BackChannel;
use crate::secrets::KeyRing;
use crate::storage::{DeviceCodeStore, JtiStore, PushedRequestStore, TokenStore, TrustStore};

/// The OAuth 2.0 core's dependencies (docs/architecture.md, "Module dependencies").
#[derive(Clone)]
pub struct OAuth2Context {
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// Keys derived from `secrets.system` (first signs/encrypts, all verify/decrypt).
    pub keys: Arc<KeyRing>,
    /// JSON Web Keys: cached signers, verifiers and public JWKS of every set.
    pub key_manager: Arc<KeyManager>,
    /// Registered clients, then Client ID Metadata Document clients: `resolving`
    /// behind the port.
    pub clients: Arc<dyn ClientStore>,
    /// The same clients as `clients`, with the reason an unusable metadata document
    /// was refused ([`OAuth2Context::find_client`]).
    pub resolving: Arc<ResolvingClients>,
    /// Opaque tokens (access, refresh, authorization code).
    pub tokens: Arc<dyn TokenStore>,
    /// Trusted issuers of JWT authorization grants (RFC 7523 §2.1).
    pub trusts: Arc<dyn TrustStore>,
    /// Used assertion ids (client assertions and JWT grants), shared by every node.
    pub jtis: Arc<dyn JtiStore>,
    /// Client authentication at the token, revocation and introspection endpoints,
    /// with its cache.
    pub client_auth: Arc<ClientAuthenticator>,
    /// Delivers Back-Channel Logout tokens (behind the SSRF guard): revoking a session's
    /// tokens and ending sessions notify relying parties through it.
    pub backchannel: Arc<BackChannel>,
    /// DPoP proofs (RFC 9449), their replay checks through the shared `JtiStore`.
    pub dpop: Arc<DpopVerifier>,
    /// Requests pushed to `/oauth2/par` (RFC 9126), until used once or expired.
    pub pushed_requests: Arc<dyn PushedRequestStore>,
    /// Request objects (RFC 9101): verified with the client's keys, fetched when hosted.
    pub request_objects: Arc<RequestObjects>,
    /// Device authorizations (RFC 8628), until redeemed once or expired.
    pub device_codes: Arc<dyn DeviceCodeStore>,
    /// `oauth2.token_hook` and `oauth2.refresh_token_hook`, called by `issue::prepare`.
    pub token_hooks: Arc<TokenHooks>,
}

impl OAuth2Context {
    /// The client `client_id` names where a request first names it (authorization and
    /// PAR requests): registered, or resolved from its metadata document, whose
    /// failures are `invalid_client` errors saying why.
    pub async fn find_client(&self, client_id: &str) -> Result<Option<Client>, OAuth2Error> {
        self.resolving.find(client_id).await
    }

    /// What OpenID Connect code needs of the context ([`OidcContext`]).
    pub fn oidc(&self) -> OidcContext {
        OidcContext {
            config: self.config.clone(),
            clock: self.clock.clone(),
            key_manager: self.key_manager.clone(),
            backchannel: self.backchannel.clone(),
        }
    }
}

/// The clients every protocol path reads: `registered` (storage), then Client ID
/// Metadata Documents when `oauth2.client_id_metadata_document.enabled`. Built here so
/// the composition root need not know the `client` module.
pub fn resolving_clients(
    config: &Config,
    clock: Arc<dyn Clock>,
    registered: Arc<dyn ClientStore>,
) -> Result<Arc<ResolvingClients>, reqwest::Error> {
    let documents = Arc::new(MetadataDocuments::new(config, clock)?);
    Ok(Arc::new(ResolvingClients::new(registered, documents)))
}

//! The state every handler shares, built once by `Application::build`.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::jwk::KeyManager;
use crate::oauth2::authorize::request_object::RequestObjects;
use crate::oauth2::client_auth::ClientAuthenticator;
use crate::oauth2::grants::GrantRegistry;
use crate::oidc::OidcContext;
use crate::oidc::logout::backchannel::BackChannel;
use crate::secrets::KeyRing;
use crate::storage::flows::{ConsentStore, FlowStepStore, LoginSessionStore};
use crate::storage::{ClientStore, PushedRequestStore, StorageHealth, TokenStore};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// Keys derived from `secrets.system` (first signs/encrypts, all verify/decrypt).
    pub keys: Arc<KeyRing>,
    /// Keys derived from `secrets.cookie`, or `secrets.system` when that is empty.
    pub cookie_keys: Arc<KeyRing>,
    /// JSON Web Keys: cached signers, verifiers and public JWKS of every set.
    pub key_manager: Arc<KeyManager>,
    pub clients: Arc<dyn ClientStore>,
    pub storage_health: Arc<dyn StorageHealth>,
    /// Single-use steps of login/consent flows.
    pub flow_steps: Arc<dyn FlowStepStore>,
    /// Authentication sessions (the `sid`).
    pub login_sessions: Arc<dyn LoginSessionStore>,
    /// Granted consents.
    pub consents: Arc<dyn ConsentStore>,
    /// Opaque tokens (access, refresh, authorization code).
    pub tokens: Arc<dyn TokenStore>,
    /// Requests pushed to `/oauth2/par` (RFC 9126), until used once or expired.
    pub pushed_requests: Arc<dyn PushedRequestStore>,
    /// Request objects (RFC 9101): verified with the client's keys, fetched when hosted.
    pub request_objects: Arc<RequestObjects>,
    /// Client authentication at the token and revocation endpoints, with its cache.
    pub client_auth: Arc<ClientAuthenticator>,
    /// The token endpoint's grants.
    pub grants: Arc<GrantRegistry>,
    /// Delivers Back-Channel Logout tokens (behind the SSRF guard).
    pub backchannel: Arc<BackChannel>,
}

impl AppState {
    /// What OpenID Connect code needs of the state ([`OidcContext`]).
    pub fn oidc(&self) -> OidcContext {
        OidcContext {
            config: self.config.clone(),
            clock: self.clock.clone(),
            key_manager: self.key_manager.clone(),
            backchannel: self.backchannel.clone(),
        }
    }
}

#[cfg(test)]
impl AppState {
    /// Every port on [`MemoryStore`] and [`MemoryFlowStore`], time from `clock`: protocol
    /// code runs as in the server, without a database (unit tests of grants,
    /// introspection, revocation). The ID-token and access-token key sets are generated
    /// as at startup (ES256 and RS256: a few milliseconds).
    pub(crate) async fn in_memory(
        config: Config,
        clock: Arc<crate::clock::FixedClock>,
    ) -> (Self, Arc<crate::storage::memory::MemoryStore>) {
        use crate::jwk::KeySettings;
        use crate::oauth2::client_auth::{SecretSettings, SecretVerifier};
        use crate::oauth2::private_key_jwt::PrivateKeyJwt;
        use crate::storage::memory::{MemoryFlowStore, MemoryStore};

        let store = Arc::new(MemoryStore::new());
        let flows = Arc::new(MemoryFlowStore::new());
        let clock: Arc<dyn Clock> = clock;
        let keys = Arc::new(KeyRing::new(&config.secrets.system));
        let secrets = SecretVerifier::new(
            keys.clone(),
            clock.clone(),
            SecretSettings::from_config(&config.oauth2.client_secret_verification),
        );
        let private_key_jwt = PrivateKeyJwt::new(&config, store.clone(), clock.clone())
            .expect("an HTTP client for jwks_uri");
        let client_auth =
            ClientAuthenticator::new(store.clone(), secrets).with_private_key_jwt(private_key_jwt);
        let key_manager = Arc::new(KeyManager::new(
            store.clone(),
            keys.clone(),
            clock.clone(),
            KeySettings::from_config(&config),
        ));
        key_manager
            .ensure_default_sets()
            .await
            .expect("the default key sets");
        let backchannel =
            BackChannel::new(&config.clients.http).expect("an HTTP client for back-channel");
        let (config_for_objects, clock_for_objects) = (config.clone(), clock.clone());
        let state = Self {
            config: Arc::new(config),
            clock,
            cookie_keys: keys.clone(),
            keys,
            key_manager,
            clients: store.clone(),
            storage_health: store.clone(),
            flow_steps: flows.clone(),
            login_sessions: flows.clone(),
            consents: flows,
            tokens: store.clone(),
            pushed_requests: store.clone(),
            request_objects: Arc::new(
                RequestObjects::new(&config_for_objects, clock_for_objects)
                    .expect("an HTTP client for request_uri"),
            ),
            client_auth: Arc::new(client_auth),
            grants: Arc::new(GrantRegistry::standard()),
            backchannel: Arc::new(backchannel),
        };
        (state, store)
    }
}

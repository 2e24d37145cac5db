//! The state every handler shares, built once by `Application::build`.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::jwk::KeyManager;
use crate::oauth2::client_auth::ClientAuthenticator;
use crate::oauth2::grants::GrantRegistry;
use crate::oidc::logout::backchannel::BackChannel;
use crate::secrets::KeyRing;
use crate::storage::flows::{ConsentStore, FlowStepStore, LoginSessionStore};
use crate::storage::{ClientStore, StorageHealth, TokenStore};

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
    /// Client authentication at the token and revocation endpoints, with its cache.
    pub client_auth: Arc<ClientAuthenticator>,
    /// The token endpoint's grants.
    pub grants: Arc<GrantRegistry>,
    /// Delivers Back-Channel Logout tokens (behind the SSRF guard).
    pub backchannel: Arc<BackChannel>,
}

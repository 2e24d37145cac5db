//! OpenID Connect beside the OAuth 2.0 core: ID tokens and the hints that bring them
//! back, pairwise subjects, claims by scope, discovery, and logout tokens and pages.
//! `oauth2` issues ID tokens through this module, so it never imports `oauth2`; the
//! UserInfo endpoint, a protected resource on the OAuth 2.0 core, is `oauth2::userinfo`
//! (as in Hydra's `oauth2` package), and the logout flow is `flow::logout`.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::jwk::KeyManager;

pub mod discovery;
pub mod id_token;
pub mod id_token_hint;
pub mod logout;
pub mod scope_claims;
pub mod subject;
pub mod verifiable_credentials;

/// What OpenID Connect code uses of the server: the configuration, the clock, the keys
/// and the back-channel sender. `OAuth2Context::oidc` hands it out, so this module never
/// depends on the state that holds it (docs/architecture.md, "Module dependencies").
#[derive(Clone)]
pub struct OidcContext {
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub key_manager: Arc<KeyManager>,
    pub backchannel: Arc<logout::backchannel::BackChannel>,
}

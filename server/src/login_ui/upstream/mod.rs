//! Sign-in through upstream identity providers (issue 22 §1, docs/login-ui.md): the
//! sign-in page links each of `login_ui.providers` to `/auth/login/{id}`, which starts an
//! authorization code flow at the provider (RFC 6749 §4.1 with PKCE S256, RFC 7636, and
//! for OpenID Connect a `nonce`, OIDC Core §3.1.2.1); `/auth/callback/{id}` checks
//! `state`, exchanges the code, verifies the ID token (OIDC Core §3.1.3.7) or asks
//! GitHub's API who the user is, finds or creates the linked local user and accepts the
//! login challenge in process, as the password form does.
//!
//! - `flow_cookie`: `state`, `nonce`, the PKCE verifier and the challenge, sealed in
//!   the browser;
//! - `http`: bounded GETs and POSTs to the provider;
//! - `discovery`: the OIDC endpoints (configured presets or the discovery document);
//! - `cache`: the endpoints and JWK Sets kept between sign-ins;
//! - `id_token`: verifying the ID token (the provider's JWK Set, or the client secret
//!   when `id_token_signed_response_alg` is HS*) and its claims;
//! - `mac`: the HS* MAC keyed with the client secret (OIDC Core §10.1), constant-time;
//! - `github`: `/user` and `/user/emails`;
//! - `link`: the upstream identity → a local user (`users::UserIdentityStore`);
//! - `start`, `callback`: the two routes' logic.

pub mod cache;
pub mod callback;
pub mod discovery;
pub mod flow_cookie;
pub mod github;
pub mod http;
pub mod id_token;
pub mod link;
pub mod mac;
pub mod start;

use std::sync::Arc;

use super::pages::ProviderButton;
use crate::config::{Config, UpstreamProvider};
use crate::users::UserIdentityStore;

/// The path prefix that starts a flow: `/auth/login/{id}`.
pub const LOGIN_PREFIX: &str = "/auth/login";
/// The path prefix of the redirect URIs: `/auth/callback/{id}`.
pub const CALLBACK_PREFIX: &str = "/auth/callback";

/// What the upstream routes need beyond the flow's context: the HTTP client for the
/// providers, what is kept of them between sign-ins, and the store of users and their
/// links.
#[derive(Clone)]
pub struct Upstreams {
    pub http: http::ProviderHttp,
    pub cache: cache::ProviderCache,
    pub identities: Arc<dyn UserIdentityStore>,
}

impl Upstreams {
    pub fn new(identities: Arc<dyn UserIdentityStore>) -> Result<Self, String> {
        Ok(Self {
            http: http::ProviderHttp::new()?,
            cache: cache::ProviderCache::default(),
            identities,
        })
    }
}

/// The configured provider `id`.
pub fn provider<'a>(config: &'a Config, id: &str) -> Option<&'a UpstreamProvider> {
    config.login_ui.providers.iter().find(|p| p.id == id)
}

/// The redirect URI registered at the provider: always from `urls.self.public`, never
/// from the request's headers.
pub fn callback_url(config: &Config, id: &str) -> String {
    format!("{}{CALLBACK_PREFIX}/{id}", config.public_url())
}

/// The sign-in page's links, one per provider, carrying the login challenge.
pub fn buttons(config: &Config, challenge: &str) -> Vec<ProviderButton> {
    let challenge: String = url::form_urlencoded::byte_serialize(challenge.as_bytes()).collect();
    config
        .login_ui
        .providers
        .iter()
        .map(|p| ProviderButton {
            label: p.label().to_owned(),
            href: format!(
                "{}{LOGIN_PREFIX}/{}?login_challenge={challenge}",
                config.public_url(),
                p.id
            ),
        })
        .collect()
}

//! "Try a login" (issue 22 §3): in dev mode with the built-in pages, a demo client
//! and a walk-through of the authorization code flow that ends on a page showing the
//! tokens' claims. Dev mode only: outside it nothing here is created or served.
//!
//! - `seed`: the demo client, created at startup when absent;
//! - `flow_cookie`: the PKCE verifier, `state` and `nonce` kept, sealed, in the browser;
//! - `callback`: the redirect URI's page: checks `state`, exchanges the code in
//!   process and shows the claims.

pub mod callback;
pub mod flow_cookie;
pub mod seed;

use crate::config::Config;

/// The demo client's id.
pub const CLIENT_ID: &str = "portunus-demo";

/// The scopes the demo asks for: an ID token, a refresh token and the user's claims.
pub const SCOPE: &str = "openid offline profile email";

/// The path that starts a flow (the welcome page's "Try a login" link).
pub const START_PATH: &str = "/ui/demo/start";

/// The demo client's redirect URI path.
pub const CALLBACK_PATH: &str = "/ui/demo/callback";

/// Whether the demo is served: dev mode with the built-in login UI.
pub fn is_served(config: &Config) -> bool {
    config.dev && config.login_ui.enabled
}

/// The demo client's redirect URI, on this server's own public origin.
pub fn callback_url(config: &Config) -> String {
    format!("{}{CALLBACK_PATH}", config.public_url())
}

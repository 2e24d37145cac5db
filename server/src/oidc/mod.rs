//! OpenID Connect beside the OAuth 2.0 core: ID tokens and the hints that bring them
//! back, pairwise subjects, claims by scope, discovery, and logout tokens and pages.
//! `oauth2` issues ID tokens through this module, so it never imports `oauth2`; the
//! UserInfo endpoint, a protected resource on the OAuth 2.0 core, is `oauth2::userinfo`
//! (as in Hydra's `oauth2` package), and the logout flow is `flow::logout`.

pub mod discovery;
pub mod id_token;
pub mod id_token_hint;
pub mod logout;
pub mod scope_claims;
pub mod subject;

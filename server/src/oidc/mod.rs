//! OpenID Connect on top of the OAuth 2.0 core: ID tokens, and (from their
//! own files) discovery and userinfo.

pub mod discovery;
pub mod id_token;
pub mod id_token_hint;
pub mod logout;
pub mod scope_claims;
pub mod subject;
pub mod userinfo;

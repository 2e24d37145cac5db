//! The OAuth 2.0 protocol core, independent of HTTP (docs/architecture.md, "Layer
//! rules"): opaque tokens, client authentication, the token endpoint's grants,
//! introspection, revocation and the UserInfo endpoint. Handlers
//! in `http/` extract the request, call in here and write the response.

pub mod authorization_details;
pub mod authorize;
pub mod bearer;
pub mod client_auth;
pub mod context;
pub mod credentials;
pub mod device;
pub mod dpop;
pub mod fapi2;
pub mod form;
pub mod grants;
pub mod introspect;
pub mod issue;
pub mod jwt_access_token;
pub mod jwt_claims;
pub mod limits;
pub mod par;
pub mod pkce;
pub mod private_key_jwt;
pub mod request_context;
pub mod resource;
pub mod revoke;
pub mod scope;
pub mod secret_cache;
pub mod session;
pub mod token_format;
pub mod token_hook;
pub mod token_type;
pub mod userinfo;
pub mod webhook;

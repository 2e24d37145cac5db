//! The authorization endpoint (RFC 6749 §3.1, §4.1): where a request's parameters come
//! from (`source`), their validation by concern (`validate`), where errors go
//! (`request`), and how responses are encoded. The login/consent state machine is `crate::flow`.

pub mod code;
pub mod implicit;
pub mod oidc_params;
pub mod redirect_uri;
pub mod request;
pub mod request_object;
pub mod response;
pub mod response_type;
pub mod source;
pub mod validate;

//! OpenID Connect logout: RP-Initiated Logout 1.0 (the request a relying party sends
//! to `/oauth2/sessions/logout`), Front-Channel Logout 1.0 (iframes the user agent
//! loads) and Back-Channel Logout 1.0 (logout tokens POSTed server to server).
//!
//! - `hint`: verifying `id_token_hint` (signature and issuer; expiry not required);
//! - `request`: the RP's parameters, and where the user agent may go afterwards;
//! - `token`: the Back-Channel Logout token (§2.4);
//! - `backchannel`: delivering logout tokens (timeouts, retries, SSRF guard);
//! - `frontchannel`: the page of iframes (Front-Channel Logout §2–§4).
//!
//! The flow itself (challenge, verifier, the session's end) is `flow::logout`.

pub mod backchannel;
pub mod frontchannel;
pub mod hint;
pub mod request;
pub mod token;

//! OpenID Connect logout: RP-Initiated Logout 1.0's `id_token_hint`, Front-Channel Logout 1.0 (iframes the user agent
//! loads) and Back-Channel Logout 1.0 (logout tokens POSTed server to server).
//!
//! - `hint`: verifying `id_token_hint` (signature and issuer; expiry not required);
//! - `token`: the Back-Channel Logout token (§2.4);
//! - `backchannel`: delivering logout tokens (timeouts, retries, SSRF guard);
//! - `frontchannel`: the page of iframes (Front-Channel Logout §2–§4).
//!
//! The flow itself (the RP's request, challenge, verifier, the session's end) is
//! `flow::logout`.

pub mod backchannel;
pub mod frontchannel;
pub mod hint;
pub mod token;

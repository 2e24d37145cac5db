//! Logout (OIDC RP-Initiated Logout 1.0 with Hydra's logout challenge): the browser side
//! at `/oauth2/sessions/logout`, the admin side the logout app calls, the end of a logout
//! (session deleted, relying parties notified), and the sealed state that travels
//! between them. The protocol pieces without flow state (logout tokens, the iframe page,
//! the RP's parameters) are in `oidc::logout`.

pub mod admin;
pub mod browser;
pub mod challenge_state;
pub mod end;
pub mod request;
pub mod session_end;
pub mod sign_out;

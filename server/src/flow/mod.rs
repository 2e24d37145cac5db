//! Hydra's login → consent state machine (docs/login-consent.md). The authorization
//! endpoint hands the user agent to the operator's login app with a sealed login
//! challenge; the app accepts or rejects it over the admin API and sends the user agent
//! back with a sealed verifier; the same happens for consent; then the authorization code
//! is issued. Challenges and verifiers carry the whole flow state; the database only
//! records single-use steps, authentication sessions and granted consents. Logout, with
//! its own challenge, is in `logout/`.

pub mod admin;
pub mod authorize;
pub mod browser_session;
pub mod challenge_state;
mod consent_step;
pub mod context;
pub mod cookies;
pub mod device;
pub mod hint;
mod login_step;
pub mod logout;
pub mod remember;
pub mod sealed;
pub mod sessions;
pub mod wire;

/// A new flow id. Time-ordered (UUIDv7, RFC 9562 §5.7): flow steps and consent grants
/// are keyed by it, so new rows append to those indexes instead of dirtying a random
/// page of them per insert. It is no secret: challenges and verifiers are sealed, and a
/// step is only recorded after its sealed verifier opened.
pub fn new_flow_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A new authentication session id (the OIDC `sid`). Time-ordered like flow ids, for
/// the same reason: sessions and the consents that name them are indexed by it. It is
/// no secret either: `sid` is a claim of every ID token, the session cookie is sealed,
/// and the time it reveals is the `auth_time` of the session's first ID token.
pub fn new_session_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

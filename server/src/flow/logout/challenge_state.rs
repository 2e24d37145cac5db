//! The logout flow's sealed state (see `sealed.rs`) and its wire shape for the logout
//! app (Hydra's `oAuth2LogoutRequest`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::client::wire::OAuth2Client;

/// The logout challenge: a user agent's authentication session waiting for the logout
/// app's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogoutChallengeState {
    pub flow_id: String,
    pub subject: String,
    /// The authentication session to end (the `sid`).
    pub sid: String,
    /// The relying party that asked (from `id_token_hint` or `client_id`), if any.
    pub client_id: Option<String>,
    /// The validated `post_logout_redirect_uri` with `state`, if the RP gave one.
    pub post_logout_uri: Option<String>,
    /// The logout URL the user agent requested.
    pub request_url: String,
    /// SHA-256 (base64url) of the CSRF cookie that binds the flow to the user agent.
    pub csrf_hash: String,
    pub issued_at: DateTime<Utc>,
}

/// The logout verifier: an accepted logout challenge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogoutVerifierState {
    pub challenge: LogoutChallengeState,
}

/// A logout request, for the logout app to decide on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = oAuth2LogoutRequest)]
pub struct OAuth2LogoutRequest {
    /// The logout challenge.
    pub challenge: Option<String>,
    /// The user for whom the logout was requested.
    pub subject: Option<String>,
    /// The authentication session to end.
    pub sid: Option<String>,
    /// The original logout URL.
    pub request_url: Option<String>,
    /// True when a relying party (an OAuth 2.0 client) initiated the logout.
    pub rp_initiated: Option<bool>,
    /// The relying party, when `rp_initiated`.
    pub client: Option<OAuth2Client>,
    pub requested_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

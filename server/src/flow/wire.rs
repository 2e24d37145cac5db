//! Hydra's login/consent wire shapes, field for field (`oAuth2LoginRequest`,
//! `acceptOAuth2LoginRequest`, `rejectOAuth2Request`, `oAuth2RedirectTo`,
//! `oAuth2ConsentRequest`, `acceptOAuth2ConsentRequest`, `oAuth2ConsentSession`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::client::wire::OAuth2Client;

/// OpenID Connect context of a login or consent request (OIDC Core §3.1.2.1 parameters).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = oAuth2ConsentRequestOpenIDConnectContext)]
pub struct OidcContext {
    /// `acr_values`, split on spaces.
    pub acr_values: Option<Vec<String>>,
    /// `display`.
    pub display: Option<String>,
    /// Claims of the `id_token_hint`, when one was given and verified.
    pub id_token_hint_claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// The `claims` request parameter (OIDC Core §5.5), a JSON object: which claims the
    /// client asked for, for the consent app to put into `session.id_token` (a Portunus
    /// extension; Hydra does not pass it on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// `ui_locales`, split on spaces.
    pub ui_locales: Option<Vec<String>>,
}

/// A login request, for the login app to decide on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = oAuth2LoginRequest)]
pub struct OAuth2LoginRequest {
    /// The login challenge.
    pub challenge: String,
    /// True when the user has an authentication session: accept with its subject, without UI.
    pub skip: bool,
    /// The remembered subject when `skip` is true, else empty.
    pub subject: String,
    pub client: OAuth2Client,
    /// The original authorization URL.
    pub request_url: String,
    pub requested_scope: Vec<String>,
    pub requested_access_token_audience: Vec<String>,
    /// The authentication session id (`sid` of ID tokens).
    pub session_id: Option<String>,
    pub oidc_context: Option<OidcContext>,
}

/// The login app's verdict: the user authenticated as `subject`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = acceptOAuth2LoginRequest)]
pub struct AcceptOAuth2LoginRequest {
    pub subject: String,
    /// Remember the authentication in a session cookie.
    pub remember: Option<bool>,
    /// Seconds to remember it; 0 or absent: `ttl.authentication_session`.
    pub remember_for: Option<i64>,
    /// Authentication Context Class Reference (OIDC Core §2 `acr`).
    pub acr: Option<String>,
    /// Authentication Methods References (RFC 8176).
    pub amr: Option<Vec<String>>,
    /// Data for the consent app.
    pub context: Option<serde_json::Value>,
    /// Extend an existing authentication session by `remember_for`.
    pub extend_session_lifespan: Option<bool>,
    pub force_subject_identifier: Option<String>,
    pub identity_provider_session_id: Option<String>,
}

/// A refusal by the login, consent or logout app.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = rejectOAuth2Request)]
pub struct RejectOAuth2Request {
    /// An RFC 6749 error code; default `access_denied`.
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub error_hint: Option<String>,
    pub error_debug: Option<String>,
    pub status_code: Option<i64>,
}

/// Where the user agent goes next.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = oAuth2RedirectTo)]
pub struct OAuth2RedirectTo {
    pub redirect_to: String,
}

/// A consent request, for the consent app to decide on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = oAuth2ConsentRequest)]
pub struct OAuth2ConsentRequest {
    pub challenge: String,
    /// Identifies this consent request (the flow id).
    pub consent_request_id: Option<String>,
    pub acr: Option<String>,
    pub amr: Option<Vec<String>>,
    pub client: Option<OAuth2Client>,
    pub context: Option<serde_json::Value>,
    pub login_challenge: Option<String>,
    pub login_session_id: Option<String>,
    pub oidc_context: Option<OidcContext>,
    pub request_url: Option<String>,
    pub requested_access_token_audience: Option<Vec<String>>,
    /// RFC 8707 resource indicators: the `resource` values of the authorization
    /// request (a Portunus addition next to `requested_access_token_audience`). Grant a
    /// subset with `grant_resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_resource: Option<Vec<String>>,
    /// RFC 9396 §3: the `authorization_details` of the authorization request (a
    /// Portunus addition). Grant them, or narrowed ones of the requested types, with
    /// `grant_authorization_details`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub requested_authorization_details: Option<Vec<serde_json::Value>>,
    pub requested_scope: Option<Vec<String>>,
    /// True when this client was granted these scopes before with `remember`.
    pub skip: Option<bool>,
    pub subject: Option<String>,
}

/// Session data the consent app attaches to tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = acceptOAuth2ConsentRequestSession)]
pub struct ConsentSessionData {
    /// Claims for access tokens (`ext` in introspection, claims of JWT access tokens).
    pub access_token: Option<serde_json::Value>,
    /// Claims for ID tokens and userinfo.
    pub id_token: Option<serde_json::Value>,
}

/// The consent app's verdict.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = acceptOAuth2ConsentRequest)]
pub struct AcceptOAuth2ConsentRequest {
    pub grant_scope: Option<Vec<String>>,
    pub grant_access_token_audience: Option<Vec<String>>,
    /// RFC 8707: the resources granted, a subset of the consent request's
    /// `requested_resource` (a Portunus addition); they become the access token's
    /// audience next to `grant_access_token_audience`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_resource: Option<Vec<String>>,
    /// RFC 9396 §7: the authorization details granted (a Portunus addition): the
    /// requested ones, or changed (narrowed) objects of requested types only. Absent
    /// grants none, as an absent `grant_scope` grants no scope. They appear in the
    /// token response, JWT access tokens and introspection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub grant_authorization_details: Option<Vec<serde_json::Value>>,
    pub remember: Option<bool>,
    /// Seconds to remember the consent; 0 or absent: forever.
    pub remember_for: Option<i64>,
    pub session: Option<ConsentSessionData>,
    pub context: Option<serde_json::Value>,
}

/// A granted consent, as `GET /admin/oauth2/auth/sessions/consent` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = oAuth2ConsentSession)]
pub struct OAuth2ConsentSession {
    pub consent_request: Option<OAuth2ConsentRequest>,
    pub consent_request_id: Option<String>,
    pub context: Option<serde_json::Value>,
    pub grant_access_token_audience: Option<Vec<String>>,
    /// RFC 9396: the authorization details this consent granted (a Portunus addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub grant_authorization_details: Option<Vec<serde_json::Value>>,
    pub grant_scope: Option<Vec<String>>,
    pub handled_at: Option<DateTime<Utc>>,
    pub remember: Option<bool>,
    pub remember_for: Option<i64>,
    pub session: Option<ConsentSessionData>,
}

/// Hydra's `acceptDeviceUserCodeRequest`: the user code the user typed (RFC 8628 §3.3).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = acceptDeviceUserCodeRequest)]
pub struct AcceptDeviceUserCodeRequest {
    /// The user code as typed; case and separators (`-`, spaces) do not matter.
    #[serde(default)]
    pub user_code: Option<String>,
}

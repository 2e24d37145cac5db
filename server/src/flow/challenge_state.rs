//! The flow state sealed into challenges and verifiers (see `sealed.rs`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::wire::{ConsentSessionData, RejectOAuth2Request};
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::authorize::request::AuthorizeRequest;

/// The login challenge: an authorization request waiting for the login app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginChallengeState {
    pub flow_id: String,
    pub request: AuthorizeRequest,
    /// The user agent has a valid authentication session for `subject`.
    pub skip: bool,
    pub subject: String,
    /// The authentication session id (`sid`): the existing session's, or a new one.
    pub session_id: String,
    /// When the existing session authenticated.
    pub authenticated_at: Option<DateTime<Utc>>,
    /// SHA-256 (base64url) of the CSRF cookie that binds the flow to the user agent.
    pub csrf_hash: String,
    pub issued_at: DateTime<Utc>,
}

/// The login app's accepted login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedLogin {
    pub subject: String,
    pub remember: bool,
    pub remember_for: i64,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    pub context: Option<serde_json::Value>,
    pub extend_session_lifespan: bool,
}

/// A refusal by the login or consent app, as it will reach the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub error: String,
    pub error_description: Option<String>,
    pub error_hint: Option<String>,
}

impl Rejection {
    /// Hydra's defaults: `access_denied` when the app named no error.
    pub fn from_wire(body: RejectOAuth2Request) -> Self {
        Self {
            error: body
                .error
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "access_denied".into()),
            error_description: body.error_description.filter(|d| !d.is_empty()),
            error_hint: body.error_hint.filter(|h| !h.is_empty()),
        }
    }

    /// The error sent to the client. The code is the app's when it is one of RFC 6749's
    /// authorization errors or OIDC Core §3.1.2.6's; anything else becomes access_denied.
    pub fn to_error(&self) -> OAuth2Error {
        let kind = match self.error.as_str() {
            "invalid_request" => ErrorKind::InvalidRequest,
            "unauthorized_client" => ErrorKind::UnauthorizedClient,
            "invalid_scope" => ErrorKind::InvalidScope,
            "server_error" => ErrorKind::ServerError,
            "temporarily_unavailable" => ErrorKind::TemporarilyUnavailable,
            "login_required" => ErrorKind::LoginRequired,
            "consent_required" => ErrorKind::ConsentRequired,
            "interaction_required" => ErrorKind::InteractionRequired,
            _ => ErrorKind::AccessDenied,
        };
        let hint = [
            self.error_description.as_deref(),
            self.error_hint.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let err = OAuth2Error::new(kind);
        if hint.is_empty() {
            err
        } else {
            err.with_hint(hint)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LoginOutcome {
    Accepted(AcceptedLogin),
    Rejected(Rejection),
}

/// The login verifier: the challenge and the app's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginVerifierState {
    pub challenge: LoginChallengeState,
    pub outcome: LoginOutcome,
}

/// What the consent step knows of the login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginResult {
    pub subject: String,
    pub session_id: String,
    pub authenticated_at: DateTime<Utc>,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    pub context: Option<serde_json::Value>,
}

/// The consent challenge: an authenticated request waiting for the consent app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentChallengeState {
    pub flow_id: String,
    pub request: AuthorizeRequest,
    pub login: LoginResult,
    /// The client was granted these scopes before with `remember`.
    pub skip: bool,
    pub csrf_hash: String,
    pub issued_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedConsent {
    pub grant_scope: Vec<String>,
    pub grant_audience: Vec<String>,
    /// RFC 8707: the granted subset of the request's `resource` values; with
    /// `grant_audience`, the audience of the tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grant_resource: Vec<String>,
    /// RFC 9396 §7: the authorization details granted (the consent app may narrow the
    /// requested ones; only requested types).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grant_authorization_details: Vec<serde_json::Value>,
    pub remember: bool,
    pub remember_for: i64,
    pub session: ConsentSessionData,
    pub context: Option<serde_json::Value>,
    pub handled_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConsentOutcome {
    Accepted(Box<AcceptedConsent>),
    Rejected(Rejection),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentVerifierState {
    pub challenge: ConsentChallengeState,
    pub outcome: ConsentOutcome,
}

/// The session cookie's content: which authentication session this user agent has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionCookie {
    pub sid: String,
}

/// What a consent grant keeps sealed in storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentDetails {
    pub session: ConsentSessionData,
    pub context: Option<serde_json::Value>,
    pub remember_for: i64,
    pub requested_scope: Vec<String>,
    pub requested_audience: Vec<String>,
    /// RFC 9396: the authorization details granted, so a remembered consent covers
    /// them (absent in consents recorded before rich authorization requests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granted_authorization_details: Vec<serde_json::Value>,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    pub request_url: String,
    pub login_context: Option<serde_json::Value>,
}

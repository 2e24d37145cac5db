//! How a device authorization meets the login and consent steps: the authorization
//! request they run on (built from the stored authorization, not from query
//! parameters, so it is validated once, at the device authorization endpoint), the
//! link back to the device code it carries, and what an approval stores for the
//! token endpoint.

use serde::{Deserialize, Serialize};

use crate::error::OAuth2Error;
use crate::oauth2::authorize::request::{AuthorizeRequest, RedirectTarget, ResponseMode};
use crate::oauth2::authorize::response_type::ResponseType;
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::issue::Grant;
use crate::oauth2::session::{self, TokenSession};
use crate::storage::DeviceAuthorization;

/// Marks an authorization request as a device authorization's (RFC 8628 §3.3): the
/// flow ends by approving or denying the device code instead of answering a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLink {
    /// `storage::device_codes::device_code_key` of the device code.
    pub device_code_key: String,
}

/// What the user granted, stored sealed with the device authorization until the
/// device redeems it: the token family's subject, scope, audience and session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceApproval {
    pub subject: String,
    pub scope: Vec<String>,
    pub audience: Vec<String>,
    pub session: TokenSession,
}

impl DeviceApproval {
    pub fn of(grant: &Grant) -> Self {
        Self {
            subject: grant.subject.clone(),
            scope: grant.scope.clone(),
            audience: grant.audience.clone(),
            session: grant.session.clone(),
        }
    }

    /// Sealed to the device authorization's row.
    pub fn seal(&self, ctx: &OAuth2Context, device_code_key: &str) -> Result<String, OAuth2Error> {
        session::seal(&ctx.keys, device_code_key, self)
    }

    pub fn open(
        ctx: &OAuth2Context,
        device_code_key: &str,
        sealed: &str,
    ) -> Result<Self, OAuth2Error> {
        session::open(&ctx.keys, device_code_key, sealed)
    }
}

/// The authorization request the login and consent apps see for `authorization`: its
/// client, scope and audience. `target` is where the flow's end sends the browser
/// (`urls.device.success`); errors are shown, never sent to a client (there is no
/// redirect URI in the device flow). `request_url` is the verification endpoint, so
/// the login and consent verifiers return there.
pub fn authorize_request(
    ctx: &OAuth2Context,
    authorization: &DeviceAuthorization,
) -> AuthorizeRequest {
    let public = ctx.config.public_url();
    AuthorizeRequest {
        client_id: authorization.client_id.clone(),
        response_type: ResponseType::default(),
        target: RedirectTarget {
            redirect_uri: ctx.config.urls.device.success.clone().unwrap_or_default(),
            state: None,
            response_mode: ResponseMode::Query,
            issuer: ctx.config.issuer(),
        },
        redirect_uri_given: false,
        scope: authorization.requested_scope.clone(),
        audience: authorization.requested_audience.clone(),
        // RFC 8707 at the device authorization endpoint is not taken yet (docs).
        resource: Vec::new(),
        authorization_details: authorization.requested_authorization_details.clone(),
        // The FAPI 2.0 profile has no device flow (it allows the code flow only).
        fapi2: false,
        nonce: None,
        code_challenge: None,
        code_challenge_method: None,
        prompt: Vec::new(),
        max_age: None,
        login_hint: None,
        acr_values: Vec::new(),
        ui_locales: Vec::new(),
        display: None,
        id_token_hint: None,
        id_token_hint_claims: None,
        claims: None,
        dpop_jkt: None,
        request_url: format!(
            "{}{}",
            public.trim_end_matches('/'),
            super::VERIFICATION_PATH
        ),
        requested_at: authorization.requested_at,
        device: Some(DeviceLink {
            device_code_key: authorization.device_code_key.clone(),
        }),
    }
}

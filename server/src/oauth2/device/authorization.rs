//! The device authorization endpoint's protocol side (RFC 8628 §3.1, §3.2): the
//! client authenticates as at the token endpoint (public clients send `client_id`),
//! must be registered for the device code grant, and asks for a scope (and Hydra's
//! `audience`) within its registration; the answer is a fresh device code and user
//! code, valid for `ttl.device_user_code`, and where and how often to poll.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{VERIFICATION_PATH, new_device_code, user_code};
use crate::client::model::GrantType;
use crate::config::UserCodeFormat;
use crate::duration::later;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::authorize::validate;
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::form::FormParams;
use crate::oauth2::request_context::RequestContext;
use crate::storage::StorageError;
use crate::storage::device_codes::{DeviceAuthorization, DeviceCodeState, device_code_key};

/// How often a fresh user code is drawn when it clashes with a stored one.
const USER_CODE_TRIES: usize = 5;

/// RFC 8628 §3.2: the device authorization response (Hydra's `deviceAuthorization`).
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = deviceAuthorization, title = "OAuth2 Device Flow")]
pub struct DeviceAuthorizationResponse {
    /// The device verification code.
    pub device_code: String,
    /// The end-user verification code.
    pub user_code: String,
    /// The end-user verification URI on the authorization server.
    pub verification_uri: String,
    /// The verification URI with the user code, for non-textual transmission (QR codes).
    pub verification_uri_complete: String,
    /// The lifetime in seconds of the `device_code` and `user_code`.
    pub expires_in: i64,
    /// The minimum number of seconds the client should wait between polls.
    pub interval: i64,
}

/// Never prints the codes.
impl std::fmt::Debug for DeviceAuthorizationResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorizationResponse")
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Handles one device authorization request with the form `pairs`.
pub async fn authorize_device(
    ctx: &OAuth2Context,
    http: &RequestContext,
    pairs: Vec<(String, String)>,
) -> Result<DeviceAuthorizationResponse, OAuth2Error> {
    let form = FormParams::new(pairs);
    let client = ctx.client_auth.authenticate(http, &form).await?;
    if !client.has_grant(GrantType::DeviceCode) {
        return Err(
            OAuth2Error::new(ErrorKind::UnauthorizedClient).with_hint(format!(
                "The OAuth 2.0 Client is not allowed to use the grant_type '{}'.",
                GrantType::DeviceCode.as_str()
            )),
        );
    }
    let (scope, audience) = validate::scope_and_audience(&ctx.config, &client, &form)?;
    // RFC 9396 §3: details may come wherever `scope` does, the device authorization
    // request included; the consent app sees them, the user grants them.
    let authorization_details =
        crate::oauth2::authorization_details::from_form(&form, &ctx.config, &client)?;
    let settings = &ctx.config.oauth2.device_authorization;
    let format = UserCodeFormat::from_config(&settings.user_code)
        .map_err(|(key, message)| OAuth2Error::server_error(format!("{key}: {message}")))?;
    let now = ctx.clock.now();
    let lifetime = ctx.config.ttl.device_user_code.as_chrono();
    let interval = settings.token_polling_interval.as_secs_i64().max(1);
    let device_code = new_device_code();
    let mut authorization = DeviceAuthorization {
        device_code_key: device_code_key(&device_code),
        user_code_key: String::new(),
        client_id: client.client_id.clone(),
        requested_scope: scope,
        requested_audience: audience,
        requested_authorization_details: authorization_details,
        state: DeviceCodeState::Pending,
        approval: None,
        interval_secs: interval,
        // RFC 8628 §3.5: the first poll may come right away.
        next_poll_at: now,
        polls: 0,
        requested_at: now,
        expires_at: later(now, lifetime),
    };
    let mut tries = 0;
    let user_code = loop {
        let code = user_code::generate(&format);
        authorization.user_code_key = user_code::keys(&ctx.keys, &code)
            .into_iter()
            .next()
            .ok_or_else(|| OAuth2Error::server_error("no system secret to key user codes"))?;
        match ctx
            .device_codes
            .insert_device_authorization(&authorization)
            .await
        {
            Ok(()) => break code,
            // A user code still stored (until the janitor removes it): draw again.
            Err(StorageError::Conflict(_)) if tries + 1 < USER_CODE_TRIES => tries += 1,
            Err(err) => return Err(err.into()),
        }
    };
    let verification_uri = format!(
        "{}{VERIFICATION_PATH}",
        ctx.config.public_url().trim_end_matches('/')
    );
    Ok(DeviceAuthorizationResponse {
        device_code,
        verification_uri_complete: format!("{verification_uri}?user_code={user_code}"),
        user_code,
        verification_uri,
        expires_in: lifetime.num_seconds(),
        interval,
    })
}

//! RFC 8628 §3.4, §3.5: the device access token request,
//! `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
//!
//! The device polls with its device code. Until the user has approved it answers
//! `authorization_pending`; a poll sooner than `interval` after the last one answers
//! `slow_down` and adds 5 seconds to the interval for every later poll; a denial
//! answers `access_denied`, an expired code `expired_token`. An approved code is
//! claimed (approved → used, compare-and-set) before its tokens are stored, so of
//! concurrent polls at most one gets tokens, and never twice.
//!
//! Issued, in a new family: an access token (client's
//! `device_authorization_grant_access_token_lifespan` or `ttl.access_token`); a
//! refresh token with `offline`/`offline_access` and the `refresh_token` grant; an ID
//! token with `openid`.

use async_trait::async_trait;
use chrono::Duration;

use super::{GrantHandler, TokenRequest};
use crate::client::model::{Client, GrantType};
use crate::duration::{GoDuration, later};
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::device::MAX_DEVICE_CODE_LEN;
use crate::oauth2::device::approval::DeviceApproval;
use crate::oauth2::issue::{self, Grant, Plan, RefreshPlan, TokenResponse};
use crate::oauth2::token_type::TokenType;
use crate::oidc::id_token::{IdTokenContext, IdTokenPlan};
use crate::storage::device_codes::{DeviceAuthorization, DeviceCodeState, device_code_key};

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeviceCode;

/// RFC 8628 §3.5: "increased by 5 seconds for this and all subsequent requests".
const SLOW_DOWN_STEP: i64 = 5;
/// The interval stops growing here: a device this far behind will expire first.
const MAX_INTERVAL: i64 = 3600;

fn invalid_grant(hint: &str) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::InvalidGrant).with_hint(hint)
}

/// The stored authorization of the presented device code, issued to `client`.
async fn load(
    ctx: &OAuth2Context,
    client: &Client,
    device_code: &str,
) -> Result<DeviceAuthorization, OAuth2Error> {
    if device_code.len() > MAX_DEVICE_CODE_LEN {
        return Err(invalid_grant("The device_code is malformed."));
    }
    let found = ctx
        .device_codes
        .get_device_authorization(&device_code_key(device_code))
        .await?
        .ok_or_else(|| invalid_grant("The device_code has not been found."))?;
    if found.client_id != client.client_id {
        return Err(invalid_grant(
            "The OAuth 2.0 Client ID from this request does not match the one the device_code was issued to.",
        ));
    }
    Ok(found)
}

/// Records this poll; `Err(slow_down)` when it came before the interval was over (or
/// lost a race with a concurrent poll, which came too soon too).
async fn pace(ctx: &OAuth2Context, found: &DeviceAuthorization) -> Result<(), OAuth2Error> {
    let now = ctx.clock.now();
    let too_soon = now < found.next_poll_at;
    let interval = if too_soon {
        found
            .interval_secs
            .saturating_add(SLOW_DOWN_STEP)
            .min(MAX_INTERVAL)
    } else {
        found.interval_secs
    };
    let next = later(now, Duration::seconds(interval));
    let recorded = ctx
        .device_codes
        .record_poll(&found.device_code_key, found.polls, interval, next)
        .await?;
    if too_soon || !recorded {
        return Err(OAuth2Error::new(ErrorKind::SlowDown).with_hint(format!(
            "Poll at most every {interval} seconds (RFC 8628 Section 3.5)."
        )));
    }
    Ok(())
}

fn id_token_context(
    session: &crate::oauth2::session::TokenSession,
) -> Result<IdTokenContext, OAuth2Error> {
    match &session.id_token {
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| OAuth2Error::server_error(format!("stored ID token context: {e}"))),
        None => Ok(IdTokenContext::default()),
    }
}

/// What to issue for `client` given the approval.
fn plan(
    ctx: &OAuth2Context,
    client: &Client,
    approval: &DeviceApproval,
    token_type: TokenType,
) -> Result<Plan, OAuth2Error> {
    let ttl = &ctx.config.ttl;
    let lifespans = &client.lifespans;
    let pick = |own: Option<GoDuration>, default: GoDuration| own.unwrap_or(default).as_chrono();
    let granted = |name: &str| approval.scope.iter().any(|s| s == name);
    let offline = granted("offline") || granted("offline_access");
    let refresh = (offline && client.has_grant(GrantType::RefreshToken)).then(|| {
        RefreshPlan::new(
            pick(
                lifespans.device_authorization_grant_refresh_token_lifespan,
                ttl.refresh_token,
            ),
            approval.scope.clone(),
            client,
            &token_type,
        )
    });
    let id_token = if granted("openid") {
        Some(IdTokenPlan::for_client(
            client,
            id_token_context(&approval.session)?,
            true,
            pick(
                lifespans.device_authorization_grant_id_token_lifespan,
                ttl.id_token,
            ),
        )?)
    } else {
        None
    };
    Ok(Plan {
        grant_type: GrantType::DeviceCode,
        access_format: issue::access_format(ctx, client),
        access_lifespan: pick(
            lifespans.device_authorization_grant_access_token_lifespan,
            ttl.access_token,
        ),
        refresh,
        id_token,
        token_type,
    })
}

#[async_trait]
impl GrantHandler for DeviceCode {
    fn grant_type(&self) -> GrantType {
        GrantType::DeviceCode
    }

    /// RFC 8628 §3.4: devices are typically public clients ("client_id … REQUIRED if
    /// the client is not authenticating with the authorization server").
    fn allows_public_clients(&self) -> bool {
        true
    }

    async fn handle(
        &self,
        ctx: &OAuth2Context,
        client: &Client,
        request: TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuth2Error> {
        let device_code = request.form.require("device_code")?;
        let found = load(ctx, client, device_code).await?;
        let now = ctx.clock.now();
        match found.state {
            DeviceCodeState::Used => {
                return Err(invalid_grant("The device_code has been used already."));
            }
            _ if found.expires_at <= now => {
                return Err(OAuth2Error::new(ErrorKind::ExpiredToken).with_hint(
                    "The device_code expired; start a new device authorization request.",
                ));
            }
            _ => {}
        }
        pace(ctx, &found).await?;
        match found.state {
            DeviceCodeState::Pending | DeviceCodeState::Verifying => {
                Err(OAuth2Error::new(ErrorKind::AuthorizationPending)
                    .with_hint("The user has not approved the device yet."))
            }
            DeviceCodeState::Denied => {
                let mut err = OAuth2Error::new(ErrorKind::AccessDenied)
                    .with_hint("The user denied the authorization request.");
                // RFC 6749 §5.2: token endpoint errors are 400.
                err.status_override = Some(400);
                Err(err)
            }
            DeviceCodeState::Used => Err(invalid_grant("The device_code has been used already.")),
            DeviceCodeState::Approved => {
                issue_tokens(ctx, client, &found, request.token_type).await
            }
        }
    }
}

/// Mints the tokens, claims the device code (approved → used), then stores them.
async fn issue_tokens(
    ctx: &OAuth2Context,
    client: &Client,
    found: &DeviceAuthorization,
    token_type: TokenType,
) -> Result<TokenResponse, OAuth2Error> {
    let key = &found.device_code_key;
    let sealed = found
        .approval
        .as_deref()
        .ok_or_else(|| OAuth2Error::server_error("an approved device code has no approval"))?;
    let approval = DeviceApproval::open(ctx, key, sealed)?;
    let plan = plan(ctx, client, &approval, token_type)?;
    let grant = Grant::new(
        &client.client_id,
        &approval.subject,
        approval.scope.clone(),
        approval.audience.clone(),
        approval.session.clone(),
        ctx.clock.now(),
    );
    let issuance = issue::prepare(ctx, &grant, &plan).await?;
    let claimed = ctx
        .device_codes
        .transition_device_authorization(
            key,
            DeviceCodeState::Approved,
            DeviceCodeState::Used,
            None,
        )
        .await?;
    if !claimed {
        return Err(invalid_grant("The device_code has been used already."));
    }
    // A failure here loses the grant (the code is spent): the device starts again,
    // which is safe; a second issuance would not be.
    ctx.tokens
        .insert_tokens_reporting(&issuance.rows, &issuance.events)
        .await?;
    Ok(issuance.response)
}

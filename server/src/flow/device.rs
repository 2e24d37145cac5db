//! The browser side of the device flow (RFC 8628 §3.3), as Hydra does it:
//! `/oauth2/device/verify` hands the browser to the operator's device app
//! (`urls.device.verification`) with a sealed device challenge and a `device_csrf`
//! cookie; the app asks the user for the user code and submits it over the admin API
//! ([`accept_user_code`]), which answers where the browser goes next: back to
//! `/oauth2/device/verify` with a sealed device verifier. Taking the verifier starts
//! the ordinary login → consent steps on the device authorization's request; their
//! end approves (or denies) the device code and sends the browser to
//! `urls.device.success`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::authorize::{self, AuthorizeResult, Outcome, app_url};
use super::cookies::{SetCookie, csrf_matches, new_csrf};
use super::sealed::{self, SealedKind};
use super::wire::AcceptDeviceUserCodeRequest;
use crate::duration::later;
use crate::error::{ErrorKind, OAuth2Error};
use crate::flow::context::FlowContext;
use crate::oauth2::authorize::response::AuthorizeResponse;
use crate::oauth2::device::approval::{self, DeviceApproval, DeviceLink};
use crate::oauth2::device::{VERIFICATION_PATH, user_code};
use crate::oauth2::form::FormParams;
use crate::oauth2::issue::Grant;
use crate::storage::device_codes::DeviceCodeState;
use crate::storage::flows::{FlowStep, step_record_expiry};

/// The device challenge: a verification started in one browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceChallengeState {
    /// A fresh id: the key of its attempt count and of its single-use steps.
    pub challenge_id: String,
    /// SHA-256 (base64url) of the `device_csrf` cookie.
    pub csrf_hash: String,
    pub issued_at: DateTime<Utc>,
}

/// The device verifier: the challenge, and the device authorization whose user code
/// the app accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceVerifierState {
    pub challenge: DeviceChallengeState,
    pub device_code_key: String,
}

/// How long a device challenge lives: as long as the codes it is for.
fn expiry(ctx: &FlowContext, issued_at: DateTime<Utc>) -> DateTime<Utc> {
    later(issued_at, ctx.config.ttl.device_user_code.as_chrono())
}

/// `GET /oauth2/device/verify`: continues a flow (a device, login or consent
/// verifier) or starts a device verification.
pub async fn handle(
    ctx: &FlowContext,
    params: &FormParams,
    cookies: &HashMap<String, String>,
    request_url: &str,
) -> AuthorizeResult {
    let given = |name| params.get(name).ok().flatten().map(str::to_owned);
    if let Some(verifier) = given("device_verifier") {
        return verified(ctx, &verifier, cookies).await;
    }
    if params.has("login_verifier") || params.has("consent_verifier") {
        return authorize::handle(ctx, params, cookies, request_url).await;
    }
    start(ctx, given("user_code").as_deref())
}

/// Starts a verification: a new challenge and its CSRF cookie, and on to the device
/// app, with the `user_code` of `verification_uri_complete` for it to prefill.
fn start(ctx: &FlowContext, user_code: Option<&str>) -> AuthorizeResult {
    // Without a device app there is nothing to verify with: a 404 page, not a server
    // error (the endpoint exists; this server is not set up for it).
    if ctx.config.urls.device.verification.is_none() {
        return AuthorizeResult::new(Outcome::ErrorPage(
            OAuth2Error::new(ErrorKind::NotFound).with_hint(
                "This server has no urls.device.verification: the device flow needs the URL of a device verification app.",
            ),
        ));
    }
    let (csrf, csrf_hash) = new_csrf();
    let challenge = DeviceChallengeState {
        challenge_id: super::new_flow_id(),
        csrf_hash,
        issued_at: ctx.clock.now(),
    };
    let Some(sealed) = sealed::seal(&ctx.keys, SealedKind::DeviceChallenge, &challenge) else {
        return AuthorizeResult::new(Outcome::ErrorPage(OAuth2Error::server_error(
            "cannot seal the device challenge",
        )));
    };
    let url = app_url(
        ctx.config.urls.device.verification.as_ref(),
        "device_challenge",
        &sealed,
        "urls.device.verification",
    );
    let url = match (url, user_code) {
        (Ok(url), Some(code)) if code.len() <= user_code::MAX_USER_CODE_INPUT => {
            let code: String = url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
            Ok(format!("{url}&user_code={code}"))
        }
        (url, _) => url,
    };
    match url {
        Ok(url) => {
            let ttl = ctx.config.ttl.device_user_code.as_secs_i64();
            let name = &ctx.config.serve.cookies.names.device_csrf;
            AuthorizeResult {
                outcome: Outcome::Redirect(url),
                cookies: vec![SetCookie::new(&ctx.config, name, csrf, Some(ttl))],
            }
        }
        Err(err) => AuthorizeResult::new(Outcome::ErrorPage(err)),
    }
}

fn challenge_not_found() -> OAuth2Error {
    OAuth2Error::not_found(
        "The device challenge is unknown, expired, was tampered with, or was made with a system secret this server does not have.",
    )
}

fn wrong_user_code() -> OAuth2Error {
    OAuth2Error::invalid_request("The user code is unknown, expired, or was used already.")
}

/// `PUT /admin/oauth2/auth/requests/device/accept`: the device app submits the user
/// code the user typed for `challenge`. Each submission spends one of the challenge's
/// `max_attempts` (RFC 8628 §5.1: brute force); a locked challenge accepts nothing.
/// The code is looked up by its keyed hash and moved from pending to verifying
/// (compare-and-set: a user code is accepted once). Answers the `redirect_to` of the
/// device verifier; a second acceptance of the same challenge answers 410 with it.
pub async fn accept_user_code(
    ctx: &FlowContext,
    challenge: &str,
    body: AcceptDeviceUserCodeRequest,
) -> Result<String, OAuth2Error> {
    let challenge: DeviceChallengeState =
        sealed::open(&ctx.keys, SealedKind::DeviceChallenge, challenge)
            .ok_or_else(challenge_not_found)?;
    let now = ctx.clock.now();
    let expires_at = expiry(ctx, challenge.issued_at);
    if now > expires_at {
        return Err(challenge_not_found());
    }
    super::admin::ensure_unhandled(ctx, &challenge.challenge_id, FlowStep::DeviceHandled).await?;
    let typed = body
        .user_code
        .filter(|code| !code.is_empty())
        .ok_or_else(|| OAuth2Error::invalid_request("The user_code is missing."))?;
    let settings = &ctx.config.oauth2.device_authorization.user_code;
    let max = settings.max_attempts.clamp(1, 10);
    if !ctx
        .device_codes
        .take_user_code_attempt(&challenge.challenge_id, max, expires_at)
        .await?
    {
        return Err(OAuth2Error::new(ErrorKind::RequestForbidden).with_hint(format!(
            "This device challenge is locked after {max} wrong user codes (RFC 8628 Section 5.1); start the verification again."
        )));
    }
    let format = crate::config::UserCodeFormat::from_config(settings)
        .map_err(|(key, message)| OAuth2Error::server_error(format!("{key}: {message}")))?;
    let code = user_code::normalize(&typed, &format).ok_or_else(wrong_user_code)?;
    let keys = user_code::keys(&ctx.keys, &code);
    let found = ctx
        .device_codes
        .find_device_authorization_by_user_code(&keys)
        .await?
        .filter(|found| found.state == DeviceCodeState::Pending && found.expires_at > now)
        .ok_or_else(wrong_user_code)?;
    let taken = ctx
        .device_codes
        .transition_device_authorization(
            &found.device_code_key,
            DeviceCodeState::Pending,
            DeviceCodeState::Verifying,
            None,
        )
        .await?;
    if !taken {
        return Err(wrong_user_code());
    }
    let verifier = super::admin::seal(
        ctx,
        SealedKind::DeviceVerifier,
        &DeviceVerifierState {
            challenge: challenge.clone(),
            device_code_key: found.device_code_key,
        },
    )?;
    let redirect_to = format!(
        "{}{VERIFICATION_PATH}?device_verifier={verifier}",
        ctx.config.public_url().trim_end_matches('/')
    );
    let step_expiry = step_record_expiry(expires_at);
    match ctx
        .flow_steps
        .record_step(
            &challenge.challenge_id,
            FlowStep::DeviceHandled,
            &redirect_to,
            step_expiry,
        )
        .await?
    {
        None => Ok(redirect_to),
        Some(earlier) => Err(OAuth2Error::already_handled(earlier)),
    }
}

/// The browser returns with the device verifier: same browser (CSRF cookie), once,
/// in time; then the login step starts on the device authorization's request.
async fn verified(
    ctx: &FlowContext,
    verifier: &str,
    cookies: &HashMap<String, String>,
) -> AuthorizeResult {
    let Some(state) =
        sealed::open::<DeviceVerifierState>(&ctx.keys, SealedKind::DeviceVerifier, verifier)
    else {
        return AuthorizeResult::new(authorize::verifier_invalid("device"));
    };
    let name = &ctx.config.serve.cookies.names.device_csrf;
    let page = |err| AuthorizeResult::new(Outcome::ErrorPage(err));
    let now = ctx.clock.now();
    let expires_at = expiry(ctx, state.challenge.issued_at);
    if now > expires_at {
        return page(OAuth2Error::invalid_request(
            "The device verification took longer than ttl.device_user_code; start again.",
        ));
    }
    if !csrf_matches(
        cookies.get(name).map(String::as_str),
        &state.challenge.csrf_hash,
    ) {
        return page(OAuth2Error::new(ErrorKind::RequestForbidden).with_hint(
            "The CSRF cookie is missing or does not match: the verification must finish in the browser that started it.",
        ));
    }
    let step_expiry = step_record_expiry(expires_at);
    match ctx
        .flow_steps
        .record_step(
            &state.challenge.challenge_id,
            FlowStep::DeviceVerified,
            "",
            step_expiry,
        )
        .await
    {
        Ok(None) => {}
        Ok(Some(_)) => {
            return page(OAuth2Error::invalid_request(
                "The verifier has been used already.",
            ));
        }
        Err(err) => return page(err.into()),
    }
    let found = match ctx
        .device_codes
        .get_device_authorization(&state.device_code_key)
        .await
    {
        Ok(Some(found)) if found.state == DeviceCodeState::Verifying && found.expires_at > now => {
            found
        }
        Ok(_) => {
            return page(OAuth2Error::invalid_request(
                "The device code expired or was used already.",
            ));
        }
        Err(err) => return page(err.into()),
    };
    let client = match ctx.clients.get_client(&found.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => {
            return page(
                OAuth2Error::new(ErrorKind::InvalidClient)
                    .with_hint("The client no longer exists."),
            );
        }
        Err(err) => return page(err.into()),
    };
    let request = approval::authorize_request(ctx, &found);
    let mut result = super::login_step::start_login(ctx, &client, request, cookies).await;
    result.cookies.push(SetCookie::delete(&ctx.config, name));
    result
}

/// The end of a device authorization's consent: the grant is sealed into the device
/// authorization (verifying → approved) and the browser goes to `urls.device.success`.
pub(super) async fn approve(
    ctx: &FlowContext,
    link: &DeviceLink,
    family: &Grant,
) -> Result<AuthorizeResponse, OAuth2Error> {
    let success = ctx.config.urls.device.success.clone().ok_or_else(|| {
        OAuth2Error::server_error("urls.device.success is not configured").with_hint(
            "This server has no urls.device.success: set it to the page users see after authorizing a device.",
        )
    })?;
    let sealed = DeviceApproval::of(family).seal(ctx, &link.device_code_key)?;
    let approved = ctx
        .device_codes
        .transition_device_authorization(
            &link.device_code_key,
            DeviceCodeState::Verifying,
            DeviceCodeState::Approved,
            Some(&sealed),
        )
        .await?;
    if !approved {
        return Err(OAuth2Error::invalid_request(
            "The device code expired or was decided already.",
        ));
    }
    Ok(AuthorizeResponse::Redirect(success))
}

/// A login or consent refusal of a device authorization: the device's next poll gets
/// `access_denied` (RFC 8628 §3.5); the browser sees the error.
pub(super) async fn deny(ctx: &FlowContext, link: &DeviceLink, err: OAuth2Error) -> Outcome {
    match ctx
        .device_codes
        .transition_device_authorization(
            &link.device_code_key,
            DeviceCodeState::Verifying,
            DeviceCodeState::Denied,
            None,
        )
        .await
    {
        Ok(_) => Outcome::ErrorPage(err),
        Err(storage) => Outcome::ErrorPage(storage.into()),
    }
}

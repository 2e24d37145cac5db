//! The admin side of logout (Hydra's `/admin/oauth2/auth/requests/logout`): the logout
//! app reads the request, then accepts it (the user agent returns with a verifier and
//! the session ends) or rejects it (the user stays logged in). Each decision is
//! recorded once; a second one, or a read after it, answers 410 with `redirect_to`.

use super::challenge_state::{LogoutChallengeState, LogoutVerifierState, OAuth2LogoutRequest};
use crate::error::OAuth2Error;
use crate::flow::admin::{client_wire, ensure_public_url, ensure_unhandled, expired, record, seal};
use crate::flow::context::FlowContext;
use crate::flow::sealed::{self, SealedKind};
use crate::storage::flows::FlowStep;

fn open_logout(ctx: &FlowContext, challenge: &str) -> Result<LogoutChallengeState, OAuth2Error> {
    let logout: LogoutChallengeState =
        sealed::open(&ctx.keys, SealedKind::LogoutChallenge, challenge).ok_or_else(|| {
            OAuth2Error::not_found(
                "The logout challenge is unknown, was tampered with, or was made with a system secret this server does not have.",
            )
        })?;
    expired(ctx, logout.issued_at, "logout")?;
    Ok(logout)
}

pub async fn get_logout_request(
    ctx: &FlowContext,
    challenge: &str,
) -> Result<OAuth2LogoutRequest, OAuth2Error> {
    let logout = open_logout(ctx, challenge)?;
    ensure_unhandled(ctx, &logout.flow_id, FlowStep::LogoutHandled).await?;
    let client = match &logout.client_id {
        Some(id) => Some(client_wire(ctx, id).await?),
        None => None,
    };
    let ttl = ctx.config.ttl.login_consent_request.as_chrono();
    Ok(OAuth2LogoutRequest {
        challenge: Some(challenge.to_owned()),
        subject: Some(logout.subject),
        sid: Some(logout.sid),
        request_url: Some(logout.request_url),
        rp_initiated: Some(client.is_some()),
        client,
        requested_at: Some(logout.issued_at),
        expires_at: Some(logout.issued_at + ttl),
    })
}

/// The logout endpoint the user agent used (the request URL, built on
/// `urls.self.public`, without its query). Refused unless it is under the configured
/// public base: the logout app sends the user agent wherever this says.
fn verifier_url(
    ctx: &FlowContext,
    logout: &LogoutChallengeState,
    verifier: &str,
) -> Result<String, OAuth2Error> {
    let endpoint = logout
        .request_url
        .split_once('?')
        .map_or(logout.request_url.as_str(), |(endpoint, _)| endpoint);
    ensure_public_url(ctx, endpoint)?;
    let verifier: String = url::form_urlencoded::byte_serialize(verifier.as_bytes()).collect();
    Ok(format!("{endpoint}?logout_verifier={verifier}"))
}

/// Accepts the logout: returns where the user agent goes to end its session.
pub async fn accept_logout(ctx: &FlowContext, challenge: &str) -> Result<String, OAuth2Error> {
    let logout = open_logout(ctx, challenge)?;
    let (flow_id, issued_at) = (logout.flow_id.clone(), logout.issued_at);
    let verifier = seal(
        ctx,
        SealedKind::LogoutVerifier,
        &LogoutVerifierState {
            challenge: logout.clone(),
        },
    )?;
    let redirect_to = verifier_url(ctx, &logout, &verifier)?;
    record(
        ctx,
        &flow_id,
        FlowStep::LogoutHandled,
        redirect_to,
        issued_at,
    )
    .await
}

/// Rejects the logout: the user chose to stay logged in. As in Hydra the answer is
/// empty and the logout app decides what the user sees; the session is untouched and
/// no relying party is notified. The decision is recorded with the place the user
/// would have gone after logging out (the RP's `post_logout_redirect_uri` with
/// `state`, else `urls.post_logout_redirect`, else the issuer) as the 410's
/// `redirect_to` of a later decision.
pub async fn reject_logout(ctx: &FlowContext, challenge: &str) -> Result<(), OAuth2Error> {
    let logout = open_logout(ctx, challenge)?;
    let redirect_to = logout
        .post_logout_uri
        .clone()
        .or_else(|| ctx.config.urls.post_logout_redirect.clone())
        .unwrap_or_else(|| ctx.config.issuer());
    record(
        ctx,
        &logout.flow_id,
        FlowStep::LogoutHandled,
        redirect_to,
        logout.issued_at,
    )
    .await?;
    Ok(())
}

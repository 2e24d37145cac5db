//! The browser side of logout at `/oauth2/sessions/logout` (RP-Initiated Logout 1.0):
//! validate the RP's request, hand a user agent with a session to the logout app with a
//! sealed challenge, and when it returns with the verifier end the session, notify the
//! relying parties (Back-Channel Logout §2.5 in the background, Front-Channel Logout §2
//! with iframes) and continue to the post-logout redirect.
//!
//! Tokens are not revoked: as in Hydra, logout ends the OP's authentication session
//! and asks the RPs to end theirs; refresh tokens granted with `offline_access` outlive
//! it (OIDC Core §11). Revoke them with the admin consent-session API if needed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::challenge_state::{LogoutChallengeState, LogoutVerifierState};
use super::end::end_session;
use super::request;
use crate::duration::later;
use crate::error::{ErrorKind, OAuth2Error};
use crate::events::SessionEnd;
use crate::flow::challenge_state::SessionCookie;
use crate::flow::context::FlowContext;
use crate::flow::cookies::{SetCookie, csrf_matches, new_csrf};
use crate::flow::sealed::{self, SealedKind};
use crate::html::HtmlPage;
use crate::oauth2::form::FormParams;
use crate::oidc::logout::frontchannel;
use crate::oidc::subject;
use crate::storage::flows::{FlowStep, LoginSession, step_record_expiry};

/// What the user agent gets.
#[derive(Debug)]
pub enum LogoutOutcome {
    /// 303 to the logout app or the post-logout redirect.
    Redirect(String),
    /// A 200 page: the front-channel iframes, or "logged out" (with its CSP).
    Page(HtmlPage),
    /// The request cannot be honoured; never a redirect to an unvalidated URI.
    ErrorPage(OAuth2Error),
}

#[derive(Debug)]
pub struct LogoutResult {
    pub outcome: LogoutOutcome,
    pub cookies: Vec<SetCookie>,
}

impl LogoutResult {
    fn new(outcome: LogoutOutcome) -> Self {
        Self {
            outcome,
            cookies: Vec::new(),
        }
    }

    pub(super) fn error(err: OAuth2Error) -> Self {
        Self::new(LogoutOutcome::ErrorPage(err))
    }
}

/// Handles one request to the logout endpoint.
pub async fn handle(
    ctx: &FlowContext,
    params: &FormParams,
    cookies: &HashMap<String, String>,
    request_url: &str,
) -> LogoutResult {
    match params.get("logout_verifier") {
        Ok(Some(verifier)) if !verifier.is_empty() => verified(ctx, verifier, cookies).await,
        Ok(_) => start(ctx, params, cookies, request_url).await,
        Err(err) => LogoutResult::error(err),
    }
}

pub(super) async fn current_session(
    ctx: &FlowContext,
    cookies: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<Option<LoginSession>, OAuth2Error> {
    let Some(cookie) = cookies.get(&ctx.config.serve.cookies.names.session) else {
        return Ok(None);
    };
    let Some(content) =
        sealed::open::<SessionCookie>(&ctx.cookie_keys, SealedKind::SessionCookie, cookie)
    else {
        return Ok(None);
    };
    let session = ctx.login_sessions.get_login_session(&content.sid).await?;
    Ok(session.filter(|s| s.expires_at > now))
}

/// Where the user agent goes when the logout is over: the RP's validated URI, else
/// `urls.post_logout_redirect`.
pub(super) fn after_logout(ctx: &FlowContext, post_logout_uri: Option<String>) -> Option<String> {
    post_logout_uri.or_else(|| ctx.config.urls.post_logout_redirect.clone())
}

pub(super) fn finish_without_notifications(
    ctx: &FlowContext,
    post_logout_uri: Option<String>,
) -> LogoutOutcome {
    match after_logout(ctx, post_logout_uri) {
        Some(url) => LogoutOutcome::Redirect(url),
        None => LogoutOutcome::Page(frontchannel::logged_out_page()),
    }
}

async fn start(
    ctx: &FlowContext,
    params: &FormParams,
    cookies: &HashMap<String, String>,
    request_url: &str,
) -> LogoutResult {
    let rp = match request::validate(ctx, params).await {
        Ok(rp) => rp,
        Err(err) => return LogoutResult::error(err),
    };
    let now = ctx.clock.now();
    let session = match current_session(ctx, cookies, now).await {
        Ok(Some(session)) => session,
        // No session: nothing to end, straight on (RP-Initiated Logout §3).
        Ok(None) => {
            return LogoutResult::new(finish_without_notifications(ctx, rp.post_logout_uri));
        }
        Err(err) => return LogoutResult::error(err),
    };
    // OIDC Core §8: a pairwise client's hint names the subject as that client sees it.
    let expected_sub = match &rp.client {
        Some(client) => subject::for_client(&ctx.config, client, &session.subject),
        None => session.subject.clone(),
    };
    if rp.hint.as_ref().is_some_and(|h| h.subject != expected_sub) {
        return LogoutResult::error(OAuth2Error::invalid_request(
            "The subject of the id_token_hint is not the subject of this browser's session.",
        ));
    }
    // Hydra's `skip_logout_consent`, only when an id_token_hint proves the RP asks for
    // this session's user: a bare `client_id` would let any page log the user out.
    let skip_ui = rp.hint.is_some() && rp.client.as_ref().is_some_and(|c| c.skip_logout_consent);
    let (csrf, csrf_hash) = new_csrf();
    let challenge = LogoutChallengeState {
        flow_id: crate::flow::new_flow_id(),
        subject: session.subject,
        sid: session.id,
        client_id: rp.client.map(|c| c.client_id),
        post_logout_uri: rp.post_logout_uri,
        request_url: request_url.to_owned(),
        csrf_hash,
        issued_at: now,
    };
    if skip_ui {
        return ended(
            ctx,
            end_session(ctx, challenge, SessionEnd::Logout).await,
            false,
        );
    }
    let Some(logout_app) = ctx.config.urls.logout.as_ref() else {
        return LogoutResult::error(
            OAuth2Error::server_error("urls.logout is not configured")
                .with_hint("This server has no urls.logout: set it to the URL of your logout app."),
        );
    };
    let Some(sealed) = sealed::seal(&ctx.keys, SealedKind::LogoutChallenge, &challenge) else {
        return LogoutResult::error(OAuth2Error::server_error(
            "cannot seal the logout challenge",
        ));
    };
    let separator = if logout_app.contains('?') { '&' } else { '?' };
    let value: String = url::form_urlencoded::byte_serialize(sealed.as_bytes()).collect();
    let ttl = ctx.config.ttl.login_consent_request.as_secs_i64();
    let name = &ctx.config.serve.cookies.names.logout_csrf;
    LogoutResult {
        outcome: LogoutOutcome::Redirect(format!(
            "{logout_app}{separator}logout_challenge={value}"
        )),
        cookies: vec![SetCookie::new(&ctx.config, name, csrf, Some(ttl))],
    }
}

/// Checks the verifier (expiry, CSRF cookie, single use) like login and consent do.
async fn check_verifier(
    ctx: &FlowContext,
    challenge: &LogoutChallengeState,
    cookies: &HashMap<String, String>,
) -> Result<(), OAuth2Error> {
    let ttl = ctx.config.ttl.login_consent_request.as_chrono();
    if ctx.clock.now() > later(challenge.issued_at, ttl) {
        return Err(OAuth2Error::invalid_request(
            "The logout took longer than ttl.login_consent_request; start again.",
        ));
    }
    let cookie = cookies.get(&ctx.config.serve.cookies.names.logout_csrf);
    if !csrf_matches(cookie.map(String::as_str), &challenge.csrf_hash) {
        return Err(OAuth2Error::new(ErrorKind::RequestForbidden).with_hint(
            "The CSRF cookie is missing or does not match: the logout must finish in the browser that started it.",
        ));
    }
    let expires_at = step_record_expiry(later(challenge.issued_at, ttl));
    match ctx
        .flow_steps
        .record_step(&challenge.flow_id, FlowStep::LogoutVerified, "", expires_at)
        .await?
    {
        None => Ok(()),
        Some(_) => Err(OAuth2Error::invalid_request(
            "The logout verifier has been used already.",
        )),
    }
}

async fn verified(
    ctx: &FlowContext,
    verifier: &str,
    cookies: &HashMap<String, String>,
) -> LogoutResult {
    let Some(LogoutVerifierState { challenge }) =
        sealed::open(&ctx.keys, SealedKind::LogoutVerifier, verifier)
    else {
        return LogoutResult::error(OAuth2Error::invalid_request(
            "The logout verifier is invalid or was made with a system secret this server does not have.",
        ));
    };
    if let Err(err) = check_verifier(ctx, &challenge, cookies).await {
        return LogoutResult::error(err);
    }
    ended(
        ctx,
        end_session(ctx, challenge, SessionEnd::Logout).await,
        true,
    )
}

/// The answer after the session ended: its cookie (and the flow's CSRF cookie) cleared.
pub(super) fn ended(
    ctx: &FlowContext,
    outcome: Result<LogoutOutcome, OAuth2Error>,
    had_csrf: bool,
) -> LogoutResult {
    let names = &ctx.config.serve.cookies.names;
    match outcome {
        Ok(outcome) => {
            let mut cookies = vec![SetCookie::delete(&ctx.config, &names.session)];
            if had_csrf {
                cookies.push(SetCookie::delete(&ctx.config, &names.logout_csrf));
            }
            LogoutResult { outcome, cookies }
        }
        Err(err) => LogoutResult::error(err),
    }
}

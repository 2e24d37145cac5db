//! The end of a logout (RP-Initiated Logout 1.0 §2 after the OP's confirmation): the
//! authentication session is deleted, its relying parties are notified — Back-Channel
//! Logout §2.5 in the background, Front-Channel Logout §2 with iframes — and the user
//! agent continues to the post-logout redirect.

use std::collections::HashSet;

use super::browser::{LogoutOutcome, after_logout, finish_without_notifications};
use super::challenge_state::LogoutChallengeState;
use crate::client::model::Client;
use crate::client::validate::UriPolicy;
use crate::error::OAuth2Error;
use crate::events::{LoggedOut, SessionEnd};
use crate::flow::context::FlowContext;
use crate::oidc::logout::{backchannel, frontchannel};
use crate::storage::flows::ConsentListQuery;

/// Consents listed per storage call.
const PAGE: usize = 500;

/// The clients the subject used in the session `sid`: those it consented to with this
/// `sid`, and `asking` (the RP that asked for the logout, if one did).
pub(in crate::flow) async fn session_clients(
    ctx: &FlowContext,
    subject: &str,
    sid: &str,
    asking: Option<&String>,
) -> Result<Vec<Client>, OAuth2Error> {
    let mut ids: Vec<String> = asking.into_iter().cloned().collect();
    let mut after = None;
    loop {
        let page = ctx
            .consents
            .list_consents(&ConsentListQuery {
                subject: subject.to_owned(),
                login_session_id: Some(sid.to_owned()),
                after: after.clone(),
                limit: PAGE,
            })
            .await?;
        ids.extend(page.iter().map(|g| g.client_id.clone()));
        match page.last() {
            Some(last) if page.len() == PAGE => after = Some(last.id.clone()),
            _ => break,
        }
    }
    let mut seen = HashSet::new();
    let mut clients = Vec::new();
    for id in ids.into_iter().filter(|id| seen.insert(id.clone())) {
        if let Some(client) = ctx.clients.get_client(&id).await? {
            clients.push(client);
        }
    }
    Ok(clients)
}

/// Ends the authentication session (reporting `session.logged_out` with `why` when it
/// existed), notifies the RPs, and says where to go next.
pub async fn end_session(
    ctx: &FlowContext,
    challenge: LogoutChallengeState,
    why: SessionEnd,
) -> Result<LogoutOutcome, OAuth2Error> {
    let clients = session_clients(
        ctx,
        &challenge.subject,
        &challenge.sid,
        challenge.client_id.as_ref(),
    )
    .await?;
    let events = crate::events::session_logged_out(
        &ctx.config,
        ctx.clock.now(),
        LoggedOut {
            subject: &challenge.subject,
            session_id: Some(&challenge.sid),
            client_id: challenge.client_id.as_deref(),
            why,
        },
    )?;
    ctx.login_sessions
        .delete_login_session_reporting(&challenge.sid, &events)
        .await?;
    let issuer = ctx.config.issuer();
    let policy = UriPolicy::from_config(&ctx.config);
    let iframes: Vec<String> = clients
        .iter()
        .filter_map(|c| frontchannel::iframe_url(c, &issuer, &challenge.sid, policy))
        .collect();
    backchannel::notify(
        &ctx.oidc(),
        clients,
        challenge.subject.clone(),
        challenge.sid.clone(),
    );
    if iframes.is_empty() {
        return Ok(finish_without_notifications(ctx, challenge.post_logout_uri));
    }
    let next = after_logout(ctx, challenge.post_logout_uri);
    Ok(LogoutOutcome::Page(frontchannel::page(
        &iframes,
        next.as_deref(),
    )))
}

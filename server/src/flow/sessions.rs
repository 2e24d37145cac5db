//! Hydra's session administration: list a subject's granted consents, revoke consents
//! (and the tokens they issued), revoke authentication sessions.

use std::collections::HashMap;

use super::challenge_state::ConsentDetails;
use super::sealed::{self, SealedKind};
use super::wire::{OAuth2ConsentRequest, OAuth2ConsentSession};
use crate::client::wire::OAuth2Client;
use crate::error::OAuth2Error;
use crate::events::{LoggedOut, SessionEnd};
use crate::flow::context::FlowContext;
use crate::oidc::logout::backchannel;
use crate::pagination;
use crate::storage::OutboxEvent;
use crate::storage::flows::{ConsentGrant, ConsentListQuery};

const PAGE_TOKEN_KIND: &str = "s1";

pub struct ConsentPage {
    pub sessions: Vec<OAuth2ConsentSession>,
    pub page_size: usize,
    pub next_page_token: Option<String>,
}

/// The consents `subject` granted, oldest id first, one page.
pub async fn list_consents(
    ctx: &FlowContext,
    subject: &str,
    login_session_id: Option<&str>,
    page_size: Option<i64>,
    page_token: Option<&str>,
) -> Result<ConsentPage, OAuth2Error> {
    if subject.is_empty() {
        return Err(OAuth2Error::invalid_request(
            "The query parameter 'subject' is required.",
        ));
    }
    let size = pagination::page_size(page_size);
    let after = pagination::decode_token(PAGE_TOKEN_KIND, page_token)?;
    let mut grants = ctx
        .consents
        .list_consents(&ConsentListQuery {
            subject: subject.to_owned(),
            login_session_id: login_session_id
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            after,
            limit: size + 1,
        })
        .await?;
    let next_page_token = pagination::split_page(&mut grants, size, PAGE_TOKEN_KIND, |g| &g.id);
    let mut clients: HashMap<String, Option<OAuth2Client>> = HashMap::new();
    let mut sessions = Vec::with_capacity(grants.len());
    for grant in grants {
        if !clients.contains_key(&grant.client_id) {
            let client = ctx.clients.get_client(&grant.client_id).await?;
            let wire = client.map(|c| OAuth2Client::from_model(&c, None));
            clients.insert(grant.client_id.clone(), wire);
        }
        let client = clients.get(&grant.client_id).cloned().flatten();
        sessions.push(to_wire(ctx, grant, client)?);
    }
    Ok(ConsentPage {
        sessions,
        page_size: size,
        next_page_token,
    })
}

fn to_wire(
    ctx: &FlowContext,
    grant: ConsentGrant,
    client: Option<OAuth2Client>,
) -> Result<OAuth2ConsentSession, OAuth2Error> {
    let details: ConsentDetails = sealed::open(
        &ctx.keys,
        SealedKind::ConsentChallenge,
        &grant.sealed_details,
    )
    .ok_or_else(|| {
        OAuth2Error::server_error(format!(
            "consent {} cannot be unsealed with the configured secrets",
            grant.id
        ))
    })?;
    let request = OAuth2ConsentRequest {
        challenge: grant.id.clone(),
        consent_request_id: Some(grant.id.clone()),
        acr: details.acr.clone(),
        amr: Some(details.amr.clone()),
        client,
        context: details.login_context.clone(),
        login_challenge: None,
        login_session_id: grant.login_session_id.clone(),
        oidc_context: None,
        request_url: Some(details.request_url.clone()),
        requested_access_token_audience: Some(details.requested_audience.clone()),
        requested_resource: None,
        requested_authorization_details: None,
        requested_scope: Some(details.requested_scope.clone()),
        skip: Some(false),
        subject: Some(grant.subject.clone()),
    };
    Ok(OAuth2ConsentSession {
        consent_request: Some(request),
        consent_request_id: Some(grant.id),
        context: details.context,
        grant_access_token_audience: Some(grant.granted_audience),
        grant_authorization_details: (!details.granted_authorization_details.is_empty())
            .then(|| details.granted_authorization_details.clone()),
        grant_scope: Some(grant.granted_scope),
        handled_at: Some(grant.handled_at),
        remember: Some(grant.remember),
        remember_for: Some(details.remember_for),
        session: Some(details.session),
    })
}

/// Revokes the subject's consents for one client or all, and every token they issued.
pub async fn revoke_consents(
    ctx: &FlowContext,
    subject: &str,
    client_id: Option<&str>,
    all: bool,
) -> Result<(), OAuth2Error> {
    if subject.is_empty() {
        return Err(OAuth2Error::invalid_request(
            "The query parameter 'subject' is required.",
        ));
    }
    let client_id = client_id.filter(|c| !c.is_empty());
    if client_id.is_none() && !all {
        return Err(OAuth2Error::invalid_request(
            "Name the client with 'client', or revoke every client's consent with 'all=true'.",
        ));
    }
    let clients = ctx.consents.delete_consents(subject, client_id).await?;
    // Tokens are revoked even where no consent row is left (e.g. a skip_consent client).
    let mut targets = clients;
    if let Some(client) = client_id
        && !targets.iter().any(|c| c == client)
    {
        targets.push(client.to_owned());
    }
    for client in targets {
        ctx.tokens.revoke_subject_tokens(subject, &client).await?;
    }
    Ok(())
}

/// Ends authentication sessions: one (`sid`) or all of a subject's. As in Hydra, ending
/// one session by `sid` performs OIDC Back-Channel Logout (§2.5) to the relying parties
/// of that session; ending all of a subject's performs no logout notification.
pub async fn revoke_login_sessions(
    ctx: &FlowContext,
    subject: Option<&str>,
    sid: Option<&str>,
) -> Result<(), OAuth2Error> {
    match (
        subject.filter(|s| !s.is_empty()),
        sid.filter(|s| !s.is_empty()),
    ) {
        (_, Some(sid)) => {
            let Some(session) = ctx.login_sessions.get_login_session(sid).await? else {
                return Ok(());
            };
            let clients =
                super::logout::end::session_clients(ctx, &session.subject, sid, None).await?;
            let events = revoked(ctx, &session.subject, Some(sid))?;
            if ctx
                .login_sessions
                .delete_login_session_reporting(sid, &events)
                .await?
            {
                backchannel::notify(&ctx.oidc(), clients, session.subject, sid.to_owned());
            }
        }
        (Some(subject), None) => {
            let events = revoked(ctx, subject, None)?;
            ctx.login_sessions
                .delete_login_sessions_of_subject_reporting(subject, &events)
                .await?;
        }
        (None, None) => {
            return Err(OAuth2Error::invalid_request(
                "Give either 'subject' or 'sid'.",
            ));
        }
    }
    Ok(())
}

/// `session.logged_out` of an admin revocation: one session, or all of the subject's
/// (one event for them all).
fn revoked(
    ctx: &FlowContext,
    subject: &str,
    session_id: Option<&str>,
) -> Result<Vec<OutboxEvent>, OAuth2Error> {
    Ok(crate::events::session_logged_out(
        &ctx.config,
        ctx.clock.now(),
        LoggedOut {
            subject,
            session_id,
            client_id: None,
            why: SessionEnd::AdminRevocation,
        },
    )?)
}

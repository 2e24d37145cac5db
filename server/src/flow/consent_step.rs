//! The consent step of the browser flow: start a consent (or skip it), take the consent
//! verifier, record the grant and answer the client with code and tokens.

use std::collections::HashMap;

use super::challenge_state::{
    AcceptedConsent, ConsentChallengeState, ConsentDetails, ConsentOutcome, ConsentVerifierState,
    LoginResult,
};
use super::cookies::{SetCookie, new_csrf};
use super::sealed::{self, SealedKind};
use crate::client::model::Client;
use crate::error::{ErrorKind, OAuth2Error};
use crate::flow::context::FlowContext;
use crate::oauth2::authorize::code::{self, CodeGrant};
use crate::oauth2::authorize::implicit;
use crate::oauth2::authorize::request::{AuthorizeRequest, Prompt};
use crate::oauth2::authorize::response::AuthorizeResponse;
use crate::oidc::id_token::IdTokenContext;
use crate::oidc::subject;
use crate::storage::flows::{ConsentGrant, FlowStep};

use super::authorize::{
    AuthorizeResult, Outcome, app_url, check_verifier, to_client, verifier_invalid,
};

pub(super) async fn start_consent(
    ctx: &FlowContext,
    request: AuthorizeRequest,
    login: LoginResult,
) -> AuthorizeResult {
    let now = ctx.clock.now();
    let client: Client = match ctx.clients.get_client(&request.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => {
            return AuthorizeResult::new(to_client(
                OAuth2Error::new(ErrorKind::InvalidClient)
                    .with_hint("The client no longer exists."),
                &request,
            ));
        }
        Err(err) => return AuthorizeResult::new(to_client(err.into(), &request)),
    };
    if client.skip_consent {
        let consent = AcceptedConsent {
            grant_scope: request.scope.clone(),
            grant_audience: request.audience.clone(),
            grant_resource: request.resource.clone(),
            grant_authorization_details: request.authorization_details.clone(),
            remember: false,
            remember_for: 0,
            session: Default::default(),
            context: None,
            handled_at: now,
        };
        let flow_id = super::new_flow_id();
        return AuthorizeResult::new(finish(ctx, &flow_id, &request, &login, consent).await);
    }
    let remembered = match ctx
        .consents
        .find_remembered_consent(&login.subject, &client.client_id, now)
        .await
    {
        Ok(found) => found,
        Err(err) => return AuthorizeResult::new(to_client(err.into(), &request)),
    };
    let skip = !request.has_prompt(Prompt::Consent)
        && remembered.is_some_and(|grant| {
            request
                .scope
                .iter()
                .all(|s| grant.granted_scope.contains(s))
                && request
                    .audience
                    .iter()
                    .chain(&request.resource)
                    .all(|a| grant.granted_audience.contains(a))
                && remembered_details_cover(ctx, &grant, &request.authorization_details)
        });
    if request.has_prompt(Prompt::None) && !skip {
        let err = OAuth2Error::new(ErrorKind::ConsentRequired).with_hint(
            "prompt=none was requested but the user has not consented to this client and scope.",
        );
        return AuthorizeResult::new(to_client(err, &request));
    }
    let (csrf, csrf_hash) = new_csrf();
    let challenge = ConsentChallengeState {
        flow_id: super::new_flow_id(),
        request,
        login,
        skip,
        csrf_hash,
        issued_at: now,
    };
    let Some(sealed) = sealed::seal(&ctx.keys, SealedKind::ConsentChallenge, &challenge) else {
        return AuthorizeResult::new(to_client(
            OAuth2Error::server_error("cannot seal the consent challenge"),
            &challenge.request,
        ));
    };
    match app_url(
        ctx.config.urls.consent.as_ref(),
        "consent_challenge",
        &sealed,
        "urls.consent",
    ) {
        Ok(url) => {
            let ttl = ctx.config.ttl.login_consent_request.as_secs_i64();
            let name = &ctx.config.serve.cookies.names.consent_csrf;
            AuthorizeResult {
                outcome: Outcome::Redirect(url),
                cookies: vec![SetCookie::new(&ctx.config, name, csrf, Some(ttl))],
            }
        }
        Err(err) => AuthorizeResult::new(to_client(err, &challenge.request)),
    }
}

pub(super) async fn consent_verified(
    ctx: &FlowContext,
    verifier: &str,
    cookies: &HashMap<String, String>,
) -> AuthorizeResult {
    let Some(ConsentVerifierState { challenge, outcome }) =
        sealed::open::<ConsentVerifierState>(&ctx.keys, SealedKind::ConsentVerifier, verifier)
    else {
        return AuthorizeResult::new(verifier_invalid("consent"));
    };
    let name = &ctx.config.serve.cookies.names.consent_csrf;
    if let Err(outcome) = check_verifier(
        ctx,
        &challenge.request,
        &challenge.flow_id,
        challenge.issued_at,
        cookies.get(name),
        &challenge.csrf_hash,
        FlowStep::ConsentVerified,
    )
    .await
    {
        return AuthorizeResult::new(outcome);
    }
    let cookies = vec![SetCookie::delete(&ctx.config, name)];
    let outcome = match outcome {
        ConsentOutcome::Rejected(rejection) => {
            super::authorize::refuse(ctx, rejection.to_error(), &challenge.request).await
        }
        ConsentOutcome::Accepted(consent) => {
            finish(
                ctx,
                &challenge.flow_id,
                &challenge.request,
                &challenge.login,
                *consent,
            )
            .await
        }
    };
    AuthorizeResult { outcome, cookies }
}

/// RFC 9396: a remembered consent covers a request's authorization details when each
/// is within a detail it granted (`authorization_details::within`), so a new or wider
/// detail asks the consent app again.
fn remembered_details_cover(
    ctx: &FlowContext,
    grant: &ConsentGrant,
    requested: &[serde_json::Value],
) -> bool {
    if requested.is_empty() {
        return true;
    }
    let Some(details) = sealed::open::<ConsentDetails>(
        &ctx.keys,
        SealedKind::ConsentChallenge,
        &grant.sealed_details,
    ) else {
        return false;
    };
    requested.iter().all(|r| {
        details
            .granted_authorization_details
            .iter()
            .any(|g| crate::oauth2::authorization_details::within(r, g))
    })
}

/// Records the consent and issues the code.
pub(super) async fn finish(
    ctx: &FlowContext,
    flow_id: &str,
    request: &AuthorizeRequest,
    login: &LoginResult,
    consent: AcceptedConsent,
) -> Outcome {
    match record_and_issue(ctx, flow_id, request, login, consent).await {
        Ok(response) => Outcome::Client(response),
        Err(err) => to_client(err, request),
    }
}

async fn record_and_issue(
    ctx: &FlowContext,
    flow_id: &str,
    request: &AuthorizeRequest,
    login: &LoginResult,
    consent: AcceptedConsent,
) -> Result<AuthorizeResponse, OAuth2Error> {
    // RFC 8707: granted resources are audiences of the tokens like granted audiences.
    let mut audience = consent.grant_audience.clone();
    for resource in &consent.grant_resource {
        if !audience.contains(resource) {
            audience.push(resource.clone());
        }
    }
    let details = ConsentDetails {
        session: consent.session.clone(),
        context: consent.context.clone(),
        remember_for: consent.remember_for,
        requested_scope: request.scope.clone(),
        requested_audience: request.audience.clone(),
        granted_authorization_details: consent.grant_authorization_details.clone(),
        acr: login.acr.clone(),
        amr: login.amr.clone(),
        request_url: request.request_url.clone(),
        login_context: login.context.clone(),
    };
    let sealed_details = sealed::seal(&ctx.keys, SealedKind::ConsentChallenge, &details)
        .ok_or_else(|| OAuth2Error::server_error("cannot seal consent details"))?;
    // Hydra: remember_for 0 remembers for ever.
    let remember_until = if consent.remember && consent.remember_for > 0 {
        let lifespan = super::remember::lifespan(consent.remember_for)?;
        Some(super::remember::until(consent.handled_at, lifespan)?)
    } else {
        None
    };
    // Consents and tokens reference the clients table: a metadata document client
    // gets its anchor row now (`client::metadata_document::resolving`).
    ctx.resolving.anchor(&request.client_id).await?;
    ctx.consents
        .insert_consent(&ConsentGrant {
            id: flow_id.to_owned(),
            subject: login.subject.clone(),
            client_id: request.client_id.clone(),
            login_session_id: Some(login.session_id.clone()),
            granted_scope: consent.grant_scope.clone(),
            granted_audience: audience.clone(),
            remember: consent.remember,
            remember_until,
            handled_at: consent.handled_at,
            sealed_details,
        })
        .await?;
    let id_token = IdTokenContext {
        auth_time: Some(login.authenticated_at),
        acr: login.acr.clone(),
        amr: login.amr.clone(),
        sid: Some(login.session_id.clone()),
        nonce: request.nonce.clone(),
        claims: IdTokenContext::from_claims(consent.session.id_token),
    };
    let client = ctx
        .clients
        .get_client(&request.client_id)
        .await?
        .ok_or_else(|| {
            OAuth2Error::new(ErrorKind::InvalidClient).with_hint("The client no longer exists.")
        })?;
    let client_subject = subject::for_client(&ctx.config, &client, &login.subject);
    let grant = CodeGrant {
        obfuscated_subject: (client_subject != login.subject).then_some(client_subject),
        request,
        subject: &login.subject,
        scope: consent.grant_scope,
        audience,
        access_token_claims: consent.session.access_token,
        id_token,
        authorization_details: consent.grant_authorization_details,
    };
    if let Some(link) = &request.device {
        // RFC 8628 §3.3: the device, not a client redirect, receives this grant.
        return super::device::approve(ctx, link, &code::family(ctx, &grant)?).await;
    }
    if request.response_type.is_code_only() {
        code::issue_code(ctx, grant).await
    } else {
        implicit::issue_response(ctx, &client, grant).await
    }
}

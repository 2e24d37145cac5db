//! The admin side of the flow (Hydra's `/admin/oauth2/auth/requests/{login,consent}`):
//! read a request, accept or reject it. Each decision is recorded once; a second one, or
//! a read after it, answers 410 with the first decision's `redirect_to`. The decision
//! that is recorded reports `login.*` / `consent.*` in the same transaction.

use super::challenge_state::{
    AcceptedConsent, AcceptedLogin, ConsentChallengeState, ConsentOutcome, ConsentVerifierState,
    LoginChallengeState, LoginOutcome, LoginVerifierState, Rejection,
};
use super::sealed::{self, SealedKind};
use super::wire::{
    AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest, OAuth2ConsentRequest, OAuth2LoginRequest,
    OidcContext, RejectOAuth2Request,
};
use crate::client::wire::OAuth2Client;
use crate::duration::later;
use crate::error::OAuth2Error;
use crate::events::FlowRequest;
use crate::flow::context::FlowContext;
use crate::oauth2::authorize::request::AuthorizeRequest;
use crate::oauth2::scope;
use crate::storage::OutboxEvent;
use crate::storage::flows::{FlowStep, step_record_expiry};

fn not_found(what: &str) -> OAuth2Error {
    OAuth2Error::not_found(format!(
        "The {what} challenge is unknown, was tampered with, or was made with a system secret this server does not have."
    ))
}

pub(super) fn expired(
    ctx: &FlowContext,
    issued_at: chrono::DateTime<chrono::Utc>,
    what: &str,
) -> Result<(), OAuth2Error> {
    let ttl = ctx.config.ttl.login_consent_request.as_chrono();
    if ctx.clock.now() > later(issued_at, ttl) {
        return Err(OAuth2Error::not_found(format!(
            "The {what} request has expired (ttl.login_consent_request); the user must start again."
        )));
    }
    Ok(())
}

fn expires_at(
    ctx: &FlowContext,
    issued_at: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    let ttl = ctx.config.ttl.login_consent_request.as_chrono();
    step_record_expiry(later(issued_at, ttl))
}

fn oidc_context(request: &AuthorizeRequest) -> OidcContext {
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    OidcContext {
        acr_values: list(&request.acr_values),
        display: request.display.clone(),
        id_token_hint_claims: request.id_token_hint_claims.clone(),
        claims: request.claims.clone(),
        login_hint: request.login_hint.clone(),
        ui_locales: list(&request.ui_locales),
    }
}

/// Where the user agent returns with a verifier: the authorization endpoint it used
/// (the request URL, built on `urls.self.public`), with the original query (as Hydra
/// does) and the verifier. The login and consent apps send the user agent wherever
/// this says, so a URL not under the configured public base is refused rather than
/// handed out (defence in depth: the HTTP layer builds request URLs from configuration
/// only; a foreign one means the configuration changed mid-flow or a bug).
fn verifier_url(
    ctx: &FlowContext,
    request: &AuthorizeRequest,
    name: &str,
    verifier: &str,
) -> Result<String, OAuth2Error> {
    let (endpoint, query) = request
        .request_url
        .split_once('?')
        .unwrap_or((request.request_url.as_str(), ""));
    ensure_public_url(ctx, endpoint)?;
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k != "login_verifier" && k != "consent_verifier")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.push((name.to_owned(), verifier.to_owned()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    Ok(format!("{endpoint}?{query}"))
}

/// Refuses to hand out `url` as a `redirect_to` unless it is under `urls.self.public`.
pub(super) fn ensure_public_url(ctx: &FlowContext, url: &str) -> Result<(), OAuth2Error> {
    if ctx.config.is_public_url(url) {
        return Ok(());
    }
    Err(OAuth2Error::server_error(
        "The request URL of this flow is not under urls.self.public; the flow must start again.",
    )
    .with_hint("urls.self.public (or urls.self.issuer) changed while the flow was running."))
}

pub(super) async fn client_wire(
    ctx: &FlowContext,
    client_id: &str,
) -> Result<OAuth2Client, OAuth2Error> {
    let client =
        ctx.clients.get_client(client_id).await?.ok_or_else(|| {
            OAuth2Error::not_found("The client of this request no longer exists.")
        })?;
    Ok(OAuth2Client::from_model(&client, None))
}

fn open_login(ctx: &FlowContext, challenge: &str) -> Result<LoginChallengeState, OAuth2Error> {
    let login: LoginChallengeState = sealed::open(&ctx.keys, SealedKind::LoginChallenge, challenge)
        .ok_or_else(|| not_found("login"))?;
    expired(ctx, login.issued_at, "login")?;
    Ok(login)
}

fn open_consent(ctx: &FlowContext, challenge: &str) -> Result<ConsentChallengeState, OAuth2Error> {
    let consent: ConsentChallengeState =
        sealed::open(&ctx.keys, SealedKind::ConsentChallenge, challenge)
            .ok_or_else(|| not_found("consent"))?;
    expired(ctx, consent.issued_at, "consent")?;
    Ok(consent)
}

pub(super) async fn ensure_unhandled(
    ctx: &FlowContext,
    flow_id: &str,
    step: FlowStep,
) -> Result<(), OAuth2Error> {
    match ctx.flow_steps.get_step(flow_id, step).await? {
        Some(redirect_to) => Err(OAuth2Error::already_handled(redirect_to)),
        None => Ok(()),
    }
}

/// Records the decision once; a later one gets the first one's redirect as a 410.
pub(super) async fn record(
    ctx: &FlowContext,
    flow_id: &str,
    step: FlowStep,
    redirect_to: String,
    issued_at: chrono::DateTime<chrono::Utc>,
) -> Result<String, OAuth2Error> {
    record_reporting(ctx, flow_id, step, redirect_to, issued_at, &[]).await
}

/// [`record`], writing `events` with the decision: only the call that made it reports.
async fn record_reporting(
    ctx: &FlowContext,
    flow_id: &str,
    step: FlowStep,
    redirect_to: String,
    issued_at: chrono::DateTime<chrono::Utc>,
    events: &[OutboxEvent],
) -> Result<String, OAuth2Error> {
    let expires_at = expires_at(ctx, issued_at);
    match ctx
        .flow_steps
        .record_step_reporting(flow_id, step, &redirect_to, expires_at, events)
        .await?
    {
        None => Ok(redirect_to),
        Some(earlier) => Err(OAuth2Error::already_handled(earlier)),
    }
}

pub(super) fn seal<T: serde::Serialize>(
    ctx: &FlowContext,
    kind: SealedKind,
    value: &T,
) -> Result<String, OAuth2Error> {
    sealed::seal(&ctx.keys, kind, value)
        .ok_or_else(|| OAuth2Error::server_error("flow state cannot be sealed"))
}

pub async fn get_login_request(
    ctx: &FlowContext,
    challenge: &str,
) -> Result<OAuth2LoginRequest, OAuth2Error> {
    let login = open_login(ctx, challenge)?;
    ensure_unhandled(ctx, &login.flow_id, FlowStep::LoginHandled).await?;
    Ok(OAuth2LoginRequest {
        challenge: challenge.to_owned(),
        skip: login.skip,
        subject: login.subject.clone(),
        client: client_wire(ctx, &login.request.client_id).await?,
        request_url: login.request.request_url.clone(),
        requested_scope: login.request.scope.clone(),
        requested_access_token_audience: login.request.audience.clone(),
        session_id: Some(login.session_id.clone()),
        oidc_context: Some(oidc_context(&login.request)),
    })
}

pub async fn accept_login(
    ctx: &FlowContext,
    challenge: &str,
    body: AcceptOAuth2LoginRequest,
) -> Result<String, OAuth2Error> {
    let login = open_login(ctx, challenge)?;
    if body.subject.is_empty() {
        return Err(OAuth2Error::invalid_request(
            "Field 'subject' must not be empty.",
        ));
    }
    if login.skip && body.subject != login.subject {
        return Err(OAuth2Error::invalid_request(
            "Field 'subject' does not match subject from previous authentication.",
        ));
    }
    let remember_for = super::remember::checked(body.remember_for)?;
    let accepted = AcceptedLogin {
        subject: body.subject,
        remember: body.remember.unwrap_or(false),
        remember_for,
        acr: body.acr.filter(|a| !a.is_empty()),
        amr: body.amr.unwrap_or_default(),
        context: body.context,
        extend_session_lifespan: body.extend_session_lifespan.unwrap_or(false),
    };
    decide_login(ctx, login, LoginOutcome::Accepted(accepted)).await
}

pub async fn reject_login(
    ctx: &FlowContext,
    challenge: &str,
    body: RejectOAuth2Request,
) -> Result<String, OAuth2Error> {
    let login = open_login(ctx, challenge)?;
    decide_login(
        ctx,
        login,
        LoginOutcome::Rejected(Rejection::from_wire(body)),
    )
    .await
}

async fn decide_login(
    ctx: &FlowContext,
    login: LoginChallengeState,
    outcome: LoginOutcome,
) -> Result<String, OAuth2Error> {
    let (flow_id, issued_at) = (login.flow_id.clone(), login.issued_at);
    let request = login.request.clone();
    let about = FlowRequest {
        request_id: &flow_id,
        client_id: &request.client_id,
    };
    let now = ctx.clock.now();
    let events = match &outcome {
        LoginOutcome::Accepted(accepted) => crate::events::login_accepted(
            &ctx.config,
            now,
            about,
            &accepted.subject,
            accepted.remember,
            accepted.acr.as_deref(),
            &accepted.amr,
        )?,
        LoginOutcome::Rejected(rejection) => crate::events::login_rejected(
            &ctx.config,
            now,
            about,
            login.skip.then_some(login.subject.as_str()),
            &rejection.error,
        )?,
    };
    let verifier = seal(
        ctx,
        SealedKind::LoginVerifier,
        &LoginVerifierState {
            challenge: login,
            outcome,
        },
    )?;
    let redirect_to = verifier_url(ctx, &request, "login_verifier", &verifier)?;
    record_reporting(
        ctx,
        &flow_id,
        FlowStep::LoginHandled,
        redirect_to,
        issued_at,
        &events,
    )
    .await
}

pub async fn get_consent_request(
    ctx: &FlowContext,
    challenge: &str,
) -> Result<OAuth2ConsentRequest, OAuth2Error> {
    let consent = open_consent(ctx, challenge)?;
    ensure_unhandled(ctx, &consent.flow_id, FlowStep::ConsentHandled).await?;
    Ok(OAuth2ConsentRequest {
        challenge: challenge.to_owned(),
        consent_request_id: Some(consent.flow_id.clone()),
        acr: consent.login.acr.clone(),
        amr: Some(consent.login.amr.clone()),
        client: Some(client_wire(ctx, &consent.request.client_id).await?),
        context: consent.login.context.clone(),
        login_challenge: Some(consent.flow_id.clone()),
        login_session_id: Some(consent.login.session_id.clone()),
        oidc_context: Some(oidc_context(&consent.request)),
        request_url: Some(consent.request.request_url.clone()),
        requested_access_token_audience: Some(consent.request.audience.clone()),
        requested_resource: Some(consent.request.resource.clone()),
        requested_authorization_details: (!consent.request.authorization_details.is_empty())
            .then(|| consent.request.authorization_details.clone()),
        requested_scope: Some(consent.request.scope.clone()),
        skip: Some(consent.skip),
        subject: Some(consent.login.subject.clone()),
    })
}

pub async fn accept_consent(
    ctx: &FlowContext,
    challenge: &str,
    body: AcceptOAuth2ConsentRequest,
) -> Result<String, OAuth2Error> {
    let consent = open_consent(ctx, challenge)?;
    let client = ctx
        .clients
        .get_client(&consent.request.client_id)
        .await?
        .ok_or_else(|| OAuth2Error::not_found("The client of this request no longer exists."))?;
    let grant_scope = body.grant_scope.unwrap_or_default();
    let client_scopes: Vec<&str> = client.scope.split(' ').filter(|s| !s.is_empty()).collect();
    if let Some(denied) = grant_scope.iter().find(|s| {
        !scope::is_allowed(
            ctx.config.strategies.scope,
            client_scopes.iter().copied(),
            s,
        )
    }) {
        return Err(OAuth2Error::invalid_request(format!(
            "Field 'grant_scope' contains {denied:?}, which the client is not allowed to request."
        )));
    }
    let grant_audience = body.grant_access_token_audience.unwrap_or_default();
    if let Some(denied) = grant_audience.iter().find(|a| !client.audience.contains(a)) {
        return Err(OAuth2Error::invalid_request(format!(
            "Field 'grant_access_token_audience' contains {denied:?}, which the client is not allowed to request."
        )));
    }
    let grant_resource = body.grant_resource.unwrap_or_default();
    if let Some(denied) = grant_resource
        .iter()
        .find(|r| !consent.request.resource.contains(r))
    {
        return Err(OAuth2Error::invalid_request(format!(
            "Field 'grant_resource' contains {denied:?}, which the authorization request did not ask for (requested_resource)."
        )));
    }
    let grant_authorization_details = crate::oauth2::authorization_details::granted_by_consent(
        body.grant_authorization_details,
        &consent.request.authorization_details,
    )?;
    let session = body.session.unwrap_or_default();
    for (name, value) in [
        ("session.access_token", &session.access_token),
        ("session.id_token", &session.id_token),
    ] {
        if value
            .as_ref()
            .is_some_and(|v| !v.is_object() && !v.is_null())
        {
            return Err(OAuth2Error::invalid_request(format!(
                "Field '{name}' must be a JSON object."
            )));
        }
    }
    let remember_for = super::remember::checked(body.remember_for)?;
    let accepted = AcceptedConsent {
        grant_scope,
        grant_audience,
        grant_resource,
        grant_authorization_details,
        remember: body.remember.unwrap_or(false),
        remember_for,
        session,
        context: body.context,
        handled_at: ctx.clock.now(),
    };
    decide_consent(ctx, consent, ConsentOutcome::Accepted(Box::new(accepted))).await
}

pub async fn reject_consent(
    ctx: &FlowContext,
    challenge: &str,
    body: RejectOAuth2Request,
) -> Result<String, OAuth2Error> {
    let consent = open_consent(ctx, challenge)?;
    decide_consent(
        ctx,
        consent,
        ConsentOutcome::Rejected(Rejection::from_wire(body)),
    )
    .await
}

async fn decide_consent(
    ctx: &FlowContext,
    consent: ConsentChallengeState,
    outcome: ConsentOutcome,
) -> Result<String, OAuth2Error> {
    let (flow_id, issued_at) = (consent.flow_id.clone(), consent.issued_at);
    let request = consent.request.clone();
    let about = FlowRequest {
        request_id: &flow_id,
        client_id: &request.client_id,
    };
    let (now, subject) = (ctx.clock.now(), consent.login.subject.as_str());
    let events = match &outcome {
        ConsentOutcome::Accepted(accepted) => crate::events::consent_accepted(
            &ctx.config,
            now,
            about,
            subject,
            &accepted.grant_scope,
            &accepted.grant_audience,
            accepted.remember,
        )?,
        ConsentOutcome::Rejected(rejection) => {
            crate::events::consent_rejected(&ctx.config, now, about, subject, &rejection.error)?
        }
    };
    let verifier = seal(
        ctx,
        SealedKind::ConsentVerifier,
        &ConsentVerifierState {
            challenge: consent,
            outcome,
        },
    )?;
    let redirect_to = verifier_url(ctx, &request, "consent_verifier", &verifier)?;
    record_reporting(
        ctx,
        &flow_id,
        FlowStep::ConsentHandled,
        redirect_to,
        issued_at,
        &events,
    )
    .await
}

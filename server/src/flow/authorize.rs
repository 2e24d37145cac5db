//! The browser side of the flow at `/oauth2/auth`: start a login, take the login
//! verifier, take the consent verifier, issue the code. Errors go to the client once its
//! redirect URI is trusted (the sealed request carries a validated one).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::cookies::{SetCookie, csrf_matches, new_csrf};
use super::sealed::{self, SealedKind};
use super::state::{
    AcceptedConsent, ConsentChallengeState, ConsentDetails, ConsentOutcome, ConsentVerifierState,
    LoginChallengeState, LoginOutcome, LoginResult, LoginVerifierState, SessionCookie,
};
use crate::client::model::Client;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::authorize::code::{self, CodeGrant, IdTokenContext};
use crate::oauth2::authorize::implicit;
use crate::oauth2::authorize::request::{self, AuthorizeError, AuthorizeRequest, Prompt};
use crate::oauth2::authorize::response::{self, AuthorizeResponse};
use crate::oauth2::form::FormParams;
use crate::oidc::subject;
use crate::state::AppState;
use crate::storage::flows::{ConsentGrant, FlowStep, LoginSession};

/// What the user agent gets.
#[derive(Debug)]
pub enum Outcome {
    /// The authorization response (or error) for the client.
    Client(AuthorizeResponse),
    /// An error that cannot go to the client: shown, or sent to `urls.error`.
    ErrorPage(OAuth2Error),
    /// On to the login or consent app.
    Redirect(String),
}

#[derive(Debug)]
pub struct AuthorizeResult {
    pub outcome: Outcome,
    pub cookies: Vec<SetCookie>,
}

impl AuthorizeResult {
    fn new(outcome: Outcome) -> Self {
        Self {
            outcome,
            cookies: Vec::new(),
        }
    }
}

fn to_client(err: OAuth2Error, request: &AuthorizeRequest) -> Outcome {
    Outcome::Client(response::error(&err, &request.target))
}

/// Handles one request to the authorization endpoint.
pub async fn handle(
    state: &AppState,
    params: &FormParams,
    cookies: &HashMap<String, String>,
    request_url: &str,
) -> AuthorizeResult {
    let verifier = |name| params.get(name).ok().flatten().map(str::to_owned);
    if let Some(verifier) = verifier("consent_verifier") {
        return consent_verified(state, &verifier, cookies).await;
    }
    if let Some(verifier) = verifier("login_verifier") {
        return login_verified(state, &verifier, cookies).await;
    }
    match request::parse(state, params, request_url).await {
        Ok((request, client)) => start_login(state, &client, request, cookies).await,
        Err(AuthorizeError::Page(err)) => AuthorizeResult::new(Outcome::ErrorPage(err)),
        Err(AuthorizeError::Redirect(err, target)) => {
            AuthorizeResult::new(Outcome::Client(response::error(&err, &target)))
        }
    }
}

fn app_url(
    base: Option<&String>,
    name: &str,
    value: &str,
    setting: &str,
) -> Result<String, OAuth2Error> {
    let base = base.ok_or_else(|| {
        OAuth2Error::server_error(format!("{setting} is not configured")).with_hint(format!(
            "This server has no {setting}: set it to the URL of your login and consent app."
        ))
    })?;
    let separator = if base.contains('?') { '&' } else { '?' };
    let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    Ok(format!("{base}{separator}{name}={value}"))
}

async fn current_session(
    state: &AppState,
    cookies: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Option<LoginSession> {
    let cookie = cookies.get(&state.config.serve.cookies.names.session)?;
    let content: SessionCookie =
        sealed::open(&state.cookie_keys, SealedKind::SessionCookie, cookie)?;
    let session = state
        .login_sessions
        .get_login_session(&content.sid)
        .await
        .ok()??;
    (session.remember && session.expires_at > now).then_some(session)
}

/// OIDC Core §3.1.2.1 `max_age`: re-authenticate when the last authentication is older.
fn too_old(authenticated_at: DateTime<Utc>, max_age: Option<i64>, now: DateTime<Utc>) -> bool {
    max_age.is_some_and(|max| now - authenticated_at > Duration::seconds(max))
}

async fn start_login(
    state: &AppState,
    client: &Client,
    request: AuthorizeRequest,
    cookies: &HashMap<String, String>,
) -> AuthorizeResult {
    let now = state.clock.now();
    let session = current_session(state, cookies, now).await;
    // OIDC Core §3.1.2.1 id_token_hint: a session of another End-User must not be used.
    let hint_mismatch = session
        .as_ref()
        .is_some_and(|s| !super::hint::matches(state, client, &request, &s.subject));
    let skip = !hint_mismatch
        && session.as_ref().is_some_and(|s| {
            !request.has_prompt(Prompt::Login) && !too_old(s.authenticated_at, request.max_age, now)
        });
    if request.has_prompt(Prompt::None) && !skip {
        let hint = if hint_mismatch {
            "prompt=none was requested but the id_token_hint names another End-User than the authentication session."
        } else {
            "prompt=none was requested but there is no valid authentication session."
        };
        let err = OAuth2Error::new(ErrorKind::LoginRequired).with_hint(hint);
        return AuthorizeResult::new(to_client(err, &request));
    }
    let (csrf, csrf_hash) = new_csrf();
    let challenge = LoginChallengeState {
        flow_id: uuid::Uuid::new_v4().to_string(),
        skip,
        subject: session
            .as_ref()
            .filter(|_| skip)
            .map(|s| s.subject.clone())
            .unwrap_or_default(),
        session_id: session
            .as_ref()
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), |s| s.id.clone()),
        authenticated_at: session.as_ref().map(|s| s.authenticated_at),
        csrf_hash,
        issued_at: now,
        request,
    };
    let sealed = match sealed::seal(&state.keys, SealedKind::LoginChallenge, &challenge) {
        Some(sealed) => sealed,
        None => {
            return AuthorizeResult::new(Outcome::ErrorPage(OAuth2Error::server_error(
                "cannot seal the login challenge",
            )));
        }
    };
    match app_url(
        state.config.urls.login.as_ref(),
        "login_challenge",
        &sealed,
        "urls.login",
    ) {
        Ok(url) => {
            let ttl = state.config.ttl.login_consent_request.as_std().as_secs();
            let cookie = SetCookie::new(
                &state.config,
                &state.config.serve.cookies.names.login_csrf,
                csrf,
                Some(ttl as i64),
            );
            AuthorizeResult {
                outcome: Outcome::Redirect(url),
                cookies: vec![cookie],
            }
        }
        Err(err) => AuthorizeResult::new(Outcome::ErrorPage(err)),
    }
}

fn verifier_invalid(what: &str) -> Outcome {
    Outcome::ErrorPage(OAuth2Error::invalid_request(format!(
        "The {what} verifier is invalid or was made with a system secret this server does not have."
    )))
}

/// Common checks of a returning verifier: expiry, CSRF cookie, single use.
async fn check_verifier(
    state: &AppState,
    request: &AuthorizeRequest,
    flow_id: &str,
    issued_at: DateTime<Utc>,
    csrf_cookie: Option<&String>,
    csrf_hash: &str,
    step: FlowStep,
) -> Result<(), Outcome> {
    let ttl = state.config.ttl.login_consent_request.as_chrono();
    if state.clock.now() > issued_at + ttl {
        let err = OAuth2Error::invalid_request(
            "The login/consent flow took longer than ttl.login_consent_request; start again.",
        );
        return Err(to_client(err, request));
    }
    if !csrf_matches(csrf_cookie.map(String::as_str), csrf_hash) {
        let err = OAuth2Error::new(ErrorKind::RequestForbidden).with_hint(
            "The CSRF cookie is missing or does not match: the flow must finish in the browser that started it.",
        );
        return Err(to_client(err, request));
    }
    let expires_at = issued_at + ttl + Duration::hours(1);
    match state
        .flow_steps
        .record_step(flow_id, step, "", expires_at)
        .await
    {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(to_client(
            OAuth2Error::invalid_request("The verifier has been used already."),
            request,
        )),
        Err(err) => Err(to_client(err.into(), request)),
    }
}

async fn login_verified(
    state: &AppState,
    verifier: &str,
    cookies: &HashMap<String, String>,
) -> AuthorizeResult {
    let Some(LoginVerifierState { challenge, outcome }) =
        sealed::open::<LoginVerifierState>(&state.keys, SealedKind::LoginVerifier, verifier)
    else {
        return AuthorizeResult::new(verifier_invalid("login"));
    };
    let names = &state.config.serve.cookies.names;
    let request = &challenge.request;
    if let Err(outcome) = check_verifier(
        state,
        request,
        &challenge.flow_id,
        challenge.issued_at,
        cookies.get(&names.login_csrf),
        &challenge.csrf_hash,
        FlowStep::LoginVerified,
    )
    .await
    {
        return AuthorizeResult::new(outcome);
    }
    let mut result_cookies = vec![SetCookie::delete(&state.config, &names.login_csrf)];
    let accepted = match outcome {
        LoginOutcome::Rejected(rejection) => {
            return AuthorizeResult {
                outcome: to_client(rejection.to_error(), request),
                cookies: result_cookies,
            };
        }
        LoginOutcome::Accepted(accepted) => accepted,
    };
    let now = state.clock.now();
    let authenticated_at = if challenge.skip {
        challenge.authenticated_at.unwrap_or(now)
    } else {
        now
    };
    match remember_session(state, &challenge, &accepted, authenticated_at, now).await {
        Ok(Some(cookie)) => result_cookies.push(cookie),
        Ok(None) => {}
        Err(err) => {
            return AuthorizeResult {
                outcome: to_client(err, request),
                cookies: result_cookies,
            };
        }
    }
    let login = LoginResult {
        subject: accepted.subject,
        session_id: challenge.session_id.clone(),
        authenticated_at,
        acr: accepted.acr,
        amr: accepted.amr,
        context: accepted.context,
    };
    let mut result = start_consent(state, challenge.request, login).await;
    result_cookies.append(&mut result.cookies);
    result.cookies = result_cookies;
    result
}

/// Keeps the authentication session: remembered ones get a cookie; unremembered ones are
/// kept without a cookie so `sid` and logout can refer to them.
async fn remember_session(
    state: &AppState,
    challenge: &LoginChallengeState,
    accepted: &super::state::AcceptedLogin,
    authenticated_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<SetCookie>, OAuth2Error> {
    if challenge.skip && !accepted.extend_session_lifespan {
        return Ok(None);
    }
    let lifespan = if accepted.remember_for > 0 {
        Duration::seconds(accepted.remember_for)
    } else {
        state.config.ttl.authentication_session.as_chrono()
    };
    let remember = accepted.remember || challenge.skip;
    let session = LoginSession {
        id: challenge.session_id.clone(),
        subject: accepted.subject.clone(),
        authenticated_at,
        remember,
        expires_at: now + lifespan,
    };
    state.login_sessions.upsert_login_session(&session).await?;
    if !remember {
        return Ok(None);
    }
    let value = sealed::seal(
        &state.cookie_keys,
        SealedKind::SessionCookie,
        &SessionCookie { sid: session.id },
    )
    .ok_or_else(|| OAuth2Error::server_error("cannot seal the session cookie"))?;
    let name = &state.config.serve.cookies.names.session;
    Ok(Some(SetCookie::new(
        &state.config,
        name,
        value,
        Some(lifespan.num_seconds()),
    )))
}

async fn start_consent(
    state: &AppState,
    request: AuthorizeRequest,
    login: LoginResult,
) -> AuthorizeResult {
    let now = state.clock.now();
    let client: Client = match state.clients.get_client(&request.client_id).await {
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
            remember: false,
            remember_for: 0,
            session: Default::default(),
            context: None,
            handled_at: now,
        };
        let flow_id = uuid::Uuid::new_v4().to_string();
        return AuthorizeResult::new(finish(state, &flow_id, &request, &login, consent).await);
    }
    let remembered = match state
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
                    .all(|a| grant.granted_audience.contains(a))
        });
    if request.has_prompt(Prompt::None) && !skip {
        let err = OAuth2Error::new(ErrorKind::ConsentRequired).with_hint(
            "prompt=none was requested but the user has not consented to this client and scope.",
        );
        return AuthorizeResult::new(to_client(err, &request));
    }
    let (csrf, csrf_hash) = new_csrf();
    let challenge = ConsentChallengeState {
        flow_id: uuid::Uuid::new_v4().to_string(),
        request,
        login,
        skip,
        csrf_hash,
        issued_at: now,
    };
    let Some(sealed) = sealed::seal(&state.keys, SealedKind::ConsentChallenge, &challenge) else {
        return AuthorizeResult::new(to_client(
            OAuth2Error::server_error("cannot seal the consent challenge"),
            &challenge.request,
        ));
    };
    match app_url(
        state.config.urls.consent.as_ref(),
        "consent_challenge",
        &sealed,
        "urls.consent",
    ) {
        Ok(url) => {
            let ttl = state.config.ttl.login_consent_request.as_std().as_secs() as i64;
            let name = &state.config.serve.cookies.names.consent_csrf;
            AuthorizeResult {
                outcome: Outcome::Redirect(url),
                cookies: vec![SetCookie::new(&state.config, name, csrf, Some(ttl))],
            }
        }
        Err(err) => AuthorizeResult::new(to_client(err, &challenge.request)),
    }
}

async fn consent_verified(
    state: &AppState,
    verifier: &str,
    cookies: &HashMap<String, String>,
) -> AuthorizeResult {
    let Some(ConsentVerifierState { challenge, outcome }) =
        sealed::open::<ConsentVerifierState>(&state.keys, SealedKind::ConsentVerifier, verifier)
    else {
        return AuthorizeResult::new(verifier_invalid("consent"));
    };
    let name = &state.config.serve.cookies.names.consent_csrf;
    if let Err(outcome) = check_verifier(
        state,
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
    let cookies = vec![SetCookie::delete(&state.config, name)];
    let outcome = match outcome {
        ConsentOutcome::Rejected(rejection) => to_client(rejection.to_error(), &challenge.request),
        ConsentOutcome::Accepted(consent) => {
            finish(
                state,
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

/// Records the consent and issues the code.
async fn finish(
    state: &AppState,
    flow_id: &str,
    request: &AuthorizeRequest,
    login: &LoginResult,
    consent: AcceptedConsent,
) -> Outcome {
    match record_and_issue(state, flow_id, request, login, consent).await {
        Ok(response) => Outcome::Client(response),
        Err(err) => to_client(err, request),
    }
}

async fn record_and_issue(
    state: &AppState,
    flow_id: &str,
    request: &AuthorizeRequest,
    login: &LoginResult,
    consent: AcceptedConsent,
) -> Result<AuthorizeResponse, OAuth2Error> {
    let details = ConsentDetails {
        session: consent.session.clone(),
        context: consent.context.clone(),
        remember_for: consent.remember_for,
        requested_scope: request.scope.clone(),
        requested_audience: request.audience.clone(),
        acr: login.acr.clone(),
        amr: login.amr.clone(),
        request_url: request.request_url.clone(),
        login_context: login.context.clone(),
    };
    let sealed_details = sealed::seal(&state.keys, SealedKind::ConsentChallenge, &details)
        .ok_or_else(|| OAuth2Error::server_error("cannot seal consent details"))?;
    state
        .consents
        .insert_consent(&ConsentGrant {
            id: flow_id.to_owned(),
            subject: login.subject.clone(),
            client_id: request.client_id.clone(),
            login_session_id: Some(login.session_id.clone()),
            granted_scope: consent.grant_scope.clone(),
            granted_audience: consent.grant_audience.clone(),
            remember: consent.remember,
            remember_until: (consent.remember && consent.remember_for > 0)
                .then(|| consent.handled_at + Duration::seconds(consent.remember_for)),
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
    let client = state
        .clients
        .get_client(&request.client_id)
        .await?
        .ok_or_else(|| {
            OAuth2Error::new(ErrorKind::InvalidClient).with_hint("The client no longer exists.")
        })?;
    let client_subject = subject::for_client(&state.config, &client, &login.subject);
    let grant = CodeGrant {
        obfuscated_subject: (client_subject != login.subject).then_some(client_subject),
        request,
        subject: &login.subject,
        scope: consent.grant_scope,
        audience: consent.grant_audience,
        access_token_claims: consent.session.access_token,
        id_token,
    };
    if request.response_type.is_code_only() {
        code::issue_code(state, grant).await
    } else {
        implicit::issue_response(state, &client, grant).await
    }
}

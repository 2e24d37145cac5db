//! The login step of the browser flow: start a login (redirect to the login app with a
//! sealed challenge) and take the login verifier (remember the session, go on to consent).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::cookies::{SetCookie, new_csrf};
use super::sealed::{self, SealedKind};
use super::state::{
    LoginChallengeState, LoginOutcome, LoginResult, LoginVerifierState, SessionCookie,
};
use crate::client::model::Client;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::authorize::request::{AuthorizeRequest, Prompt};
use crate::state::AppState;
use crate::storage::flows::{FlowStep, LoginSession};

use super::authorize::{
    AuthorizeResult, Outcome, app_url, check_verifier, to_client, verifier_invalid,
};
use super::consent_step::start_consent;

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

pub(super) async fn start_login(
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
        flow_id: super::new_flow_id(),
        skip,
        subject: session
            .as_ref()
            .filter(|_| skip)
            .map(|s| s.subject.clone())
            .unwrap_or_default(),
        session_id: session
            .as_ref()
            .map_or_else(super::new_session_id, |s| s.id.clone()),
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

pub(super) async fn login_verified(
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

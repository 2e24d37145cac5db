//! The login step of the browser flow: start a login (redirect to the login app with a
//! sealed challenge) and take the login verifier (remember the session, go on to consent).

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::challenge_state::{
    LoginChallengeState, LoginOutcome, LoginResult, LoginVerifierState, SessionCookie,
};
use super::cookies::{SetCookie, new_csrf};
use super::sealed::{self, SealedKind};
use crate::client::model::Client;
use crate::error::{ErrorKind, OAuth2Error};
use crate::flow::context::FlowContext;
use crate::oauth2::authorize::request::{AuthorizeRequest, Prompt};
use crate::storage::flows::{FlowStep, LoginSession};

use super::authorize::{
    AuthorizeResult, Outcome, app_url, check_verifier, to_client, verifier_invalid,
};
use super::consent_step::start_consent;

async fn current_session(
    ctx: &FlowContext,
    cookies: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Option<LoginSession> {
    let cookie = cookies.get(&ctx.config.serve.cookies.names.session)?;
    super::browser_session::valid_session(ctx, cookie, now)
        .await
        .ok()?
}

/// OIDC Core §3.1.2.1 `max_age`: re-authenticate when the last authentication is older.
/// The age is compared with `max_age`, never `max_age` added to a time, so any
/// non-negative value is valid (§3.1.2.1 sets no upper bound; some RPs send `i32::MAX`
/// for "any age"): one beyond chrono's range is longer than any session's age.
fn too_old(authenticated_at: DateTime<Utc>, max_age: Option<i64>, now: DateTime<Utc>) -> bool {
    max_age.is_some_and(|max| match TimeDelta::try_seconds(max) {
        Some(limit) => now.signed_duration_since(authenticated_at) > limit,
        None => max < 0,
    })
}

pub(super) async fn start_login(
    ctx: &FlowContext,
    client: &Client,
    request: AuthorizeRequest,
    cookies: &HashMap<String, String>,
) -> AuthorizeResult {
    let now = ctx.clock.now();
    let session = current_session(ctx, cookies, now).await;
    // OIDC Core §3.1.2.1 id_token_hint: a session of another End-User must not be used.
    let hint_mismatch = session
        .as_ref()
        .is_some_and(|s| !super::hint::matches(ctx, client, &request, &s.subject));
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
    let sealed = match sealed::seal(&ctx.keys, SealedKind::LoginChallenge, &challenge) {
        Some(sealed) => sealed,
        None => {
            return AuthorizeResult::new(Outcome::ErrorPage(OAuth2Error::server_error(
                "cannot seal the login challenge",
            )));
        }
    };
    match app_url(
        ctx.config.urls.login.as_ref(),
        "login_challenge",
        &sealed,
        "urls.login",
    ) {
        Ok(url) => {
            let ttl = ctx.config.ttl.login_consent_request.as_secs_i64();
            let cookie = SetCookie::new(
                &ctx.config,
                &ctx.config.serve.cookies.names.login_csrf,
                csrf,
                Some(ttl),
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
    ctx: &FlowContext,
    verifier: &str,
    cookies: &HashMap<String, String>,
) -> AuthorizeResult {
    let Some(LoginVerifierState { challenge, outcome }) =
        sealed::open::<LoginVerifierState>(&ctx.keys, SealedKind::LoginVerifier, verifier)
    else {
        return AuthorizeResult::new(verifier_invalid("login"));
    };
    let names = &ctx.config.serve.cookies.names;
    let request = &challenge.request;
    if let Err(outcome) = check_verifier(
        ctx,
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
    let mut result_cookies = vec![SetCookie::delete(&ctx.config, &names.login_csrf)];
    let accepted = match outcome {
        LoginOutcome::Rejected(rejection) => {
            return AuthorizeResult {
                outcome: super::authorize::refuse(ctx, rejection.to_error(), request).await,
                cookies: result_cookies,
            };
        }
        LoginOutcome::Accepted(accepted) => accepted,
    };
    let now = ctx.clock.now();
    let authenticated_at = if challenge.skip {
        challenge.authenticated_at.unwrap_or(now)
    } else {
        now
    };
    let fail = |err: OAuth2Error, cookies: Vec<SetCookie>| AuthorizeResult {
        outcome: to_client(err, request),
        cookies,
    };
    let session = match session_for(ctx, &challenge, &accepted.subject).await {
        Ok(session) => session,
        Err(err) => return fail(err, result_cookies),
    };
    match remember_session(
        ctx,
        &challenge,
        &accepted,
        &session.id,
        authenticated_at,
        now,
    )
    .await
    {
        Ok(Some(cookie)) => result_cookies.push(cookie),
        // The browser's remembered session is another subject's: this login does not
        // continue it, and not remembering this one must not leave the other signed in.
        Ok(None) if session.replaces_other_subject => {
            let name = &ctx.config.serve.cookies.names.session;
            result_cookies.push(SetCookie::delete(&ctx.config, name));
        }
        Ok(None) => {}
        Err(err) => return fail(err, result_cookies),
    }
    let login = LoginResult {
        subject: accepted.subject,
        session_id: session.id,
        authenticated_at,
        acr: accepted.acr,
        amr: accepted.amr,
        context: accepted.context,
    };
    let mut result = start_consent(ctx, challenge.request, login).await;
    result_cookies.append(&mut result.cookies);
    result.cookies = result_cookies;
    result
}

/// The authentication session (`sid`) a login belongs to.
struct SessionChoice {
    id: String,
    /// The browser holds a remembered session of another subject, which this login
    /// does not continue.
    replaces_other_subject: bool,
}

/// Which session an accepted login belongs to. A skipped login continues the browser's
/// session (its subject is the session's: `accept_login` checks). A new login by the
/// session's own subject re-authenticates it and keeps its `sid`, so logging out still
/// reaches the relying parties of the earlier logins (Hydra gives every login that is
/// not skipped a new id). A login by a different subject starts a new session with a
/// new `sid`: reusing the browser's would rewrite the other subject's session, and its
/// `sid` (in that subject's ID tokens and consents) would name this subject's session
/// in ID tokens and front- and back-channel logout (session fixation across subjects).
async fn session_for(
    ctx: &FlowContext,
    challenge: &LoginChallengeState,
    subject: &str,
) -> Result<SessionChoice, OAuth2Error> {
    let continued = || SessionChoice {
        id: challenge.session_id.clone(),
        replaces_other_subject: false,
    };
    // `authenticated_at` is set exactly when the browser had a session at the start.
    if challenge.skip || challenge.authenticated_at.is_none() {
        return Ok(continued());
    }
    let existing = ctx
        .login_sessions
        .get_login_session(&challenge.session_id)
        .await?;
    Ok(match existing {
        Some(session) if session.subject == subject => continued(),
        // Another subject's, or ended (e.g. logged out) since the login started: a
        // session that ended is not brought back under its old id.
        other => SessionChoice {
            id: super::new_session_id(),
            replaces_other_subject: other.is_some(),
        },
    })
}

/// Keeps the authentication session: remembered ones get a cookie; unremembered ones are
/// kept without a cookie so `sid` and logout can refer to them.
async fn remember_session(
    ctx: &FlowContext,
    challenge: &LoginChallengeState,
    accepted: &super::challenge_state::AcceptedLogin,
    session_id: &str,
    authenticated_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<SetCookie>, OAuth2Error> {
    if challenge.skip && !accepted.extend_session_lifespan {
        return Ok(None);
    }
    let lifespan = if accepted.remember_for > 0 {
        super::remember::lifespan(accepted.remember_for)?
    } else {
        ctx.config.ttl.authentication_session.as_chrono()
    };
    let remember = accepted.remember || challenge.skip;
    let session = LoginSession {
        id: session_id.to_owned(),
        subject: accepted.subject.clone(),
        authenticated_at,
        remember,
        expires_at: super::remember::until(now, lifespan)?,
    };
    ctx.login_sessions.upsert_login_session(&session).await?;
    if !remember {
        return Ok(None);
    }
    let value = sealed::seal(
        &ctx.cookie_keys,
        SealedKind::SessionCookie,
        &SessionCookie { sid: session.id },
    )
    .ok_or_else(|| OAuth2Error::server_error("cannot seal the session cookie"))?;
    let name = &ctx.config.serve.cookies.names.session;
    Ok(Some(SetCookie::new(
        &ctx.config,
        name,
        value,
        Some(lifespan.num_seconds()),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `max_age` a request can carry (any `i64`; the parser admits the
    /// non-negative ones) is compared without panicking, and exactly.
    #[test]
    fn max_age_is_compared_never_added() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let hour_ago = now - TimeDelta::hours(1);
        let extremes = [
            (i64::MIN, true),
            (-1, true),
            (0, true),
            (3599, true),
            (3600, false),
            (i64::from(i32::MAX), false),
            (i64::MAX / 1000, false),
            (9_223_372_036_854_776, false),
            (i64::MAX - 1, false),
            (i64::MAX, false),
        ];
        for (max_age, expected) in extremes {
            assert_eq!(too_old(hour_ago, Some(max_age), now), expected, "{max_age}");
        }
        assert!(!too_old(hour_ago, None, now));
        // The extremes of chrono's own range, both ways.
        let oldest = DateTime::<Utc>::MIN_UTC;
        // chrono's whole range is ~1.65e13 s: longer than 1e13, shorter than i64::MAX ms.
        assert!(too_old(
            oldest,
            Some(10_000_000_000_000),
            DateTime::<Utc>::MAX_UTC
        ));
        assert!(!too_old(
            oldest,
            Some(i64::MAX / 1000),
            DateTime::<Utc>::MAX_UTC
        ));
        assert!(!too_old(DateTime::<Utc>::MAX_UTC, Some(0), oldest));
        assert!(!too_old(oldest, Some(i64::MAX), DateTime::<Utc>::MAX_UTC));
    }
}

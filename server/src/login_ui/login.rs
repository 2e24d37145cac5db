//! The sign-in page (`/ui/login?login_challenge=…`). A remembered session (`skip`) is
//! accepted at once with its subject, as Hydra asks of every login app; otherwise the
//! form takes a username and password, checked by `users::password::check`, and the
//! login is accepted with the user's id as the subject. "Cancel" rejects the login
//! with `access_denied` (RFC 6749 §4.1.2.1), which the client receives.
//!
//! A remembered session whose user has since been disabled or deleted is not
//! accepted: the login is rejected with `access_denied`.

use super::csrf::{self, FormKind};
use super::pages::{self, LoginPage, View};
use super::sign_in_limit::SignInLimiter;
use super::{Browser, Outcome, client_name, error_outcome, flow_targets};
use crate::config::Config;
use crate::error::OAuth2Error;
use crate::flow::admin;
use crate::flow::context::FlowContext;
use crate::flow::wire::{AcceptOAuth2LoginRequest, OAuth2LoginRequest, RejectOAuth2Request};
use crate::oauth2::form::FormParams;
use crate::users::{UserStore, password};

/// The one message of a failed sign-in: it never says whether the username or the
/// password was wrong (OWASP ASVS 2.2, no account enumeration).
pub const SIGN_IN_FAILED: &str = "The username or password is not right.";

/// The most characters of a username put back into the form after a failure.
const MAX_USERNAME_ECHO: usize = 256;

/// The form for `request`, with `username` filled in and `error` shown.
fn form(
    config: &Config,
    request: &OAuth2LoginRequest,
    browser: &Browser,
    keys: &crate::secrets::KeyRing,
    username: &str,
    error: Option<&str>,
    status: u16,
) -> Outcome {
    let token =
        csrf::token(keys, FormKind::Login, &request.challenge, &browser.nonce).unwrap_or_default();
    let action = super::page_url(config, "login");
    let name = client_name(&request.client);
    let username: String = username.chars().take(MAX_USERNAME_ECHO).collect();
    Outcome::Page(pages::page(
        View::Login(LoginPage {
            title: "Sign in".into(),
            action,
            client_name: name,
            challenge: request.challenge.clone(),
            csrf_token: token,
            username,
            error: error.map(str::to_owned),
            providers: super::upstream::buttons(config, &request.challenge),
            ..LoginPage::default()
        }),
        status,
        flow_targets(config, &request.client),
        None,
    ))
}

/// Rejects the login with `access_denied` (RFC 6749 §4.1.2.1): the client receives it.
async fn deny(ctx: &FlowContext, challenge: &str, description: &str) -> Outcome {
    let reject = RejectOAuth2Request {
        error: Some("access_denied".into()),
        error_description: Some(description.into()),
        ..RejectOAuth2Request::default()
    };
    match admin::reject_login(ctx, challenge, reject).await {
        Ok(redirect_to) => Outcome::Redirect(redirect_to),
        Err(err) => error_outcome(err),
    }
}

/// A remembered session (`skip`) is accepted with its subject, as Hydra requires of
/// a login app, while that subject is still an enabled local user: a session
/// remembered before the account was disabled or deleted signs no one in.
async fn accept_remembered(
    ctx: &FlowContext,
    users: &dyn UserStore,
    request: &OAuth2LoginRequest,
) -> Outcome {
    match users.get_user(&request.subject).await {
        Ok(Some(user)) if !user.disabled => {}
        Ok(_) => {
            return deny(
                ctx,
                &request.challenge,
                "The account of the remembered session is disabled or no longer exists.",
            )
            .await;
        }
        Err(err) => return error_outcome(err.into()),
    }
    let accept = AcceptOAuth2LoginRequest {
        subject: request.subject.clone(),
        ..AcceptOAuth2LoginRequest::default()
    };
    match admin::accept_login(ctx, &request.challenge, accept).await {
        Ok(redirect_to) => Outcome::Redirect(redirect_to),
        Err(err) => error_outcome(err),
    }
}

/// `GET /ui/login`.
pub async fn show(
    ctx: &FlowContext,
    users: &dyn UserStore,
    challenge: &str,
    browser: &Browser,
) -> Outcome {
    let request = match admin::get_login_request(ctx, challenge).await {
        Ok(request) => request,
        Err(err) => return error_outcome(err),
    };
    if request.skip {
        return accept_remembered(ctx, users, &request).await;
    }
    let hint = request
        .oidc_context
        .as_ref()
        .and_then(|c| c.login_hint.clone())
        .unwrap_or_default();
    form(
        &ctx.config,
        &request,
        browser,
        &ctx.cookie_keys,
        &hint,
        None,
        200,
    )
}

/// `POST /ui/login`: sign in, or cancel.
pub async fn submit(
    ctx: &FlowContext,
    users: &dyn UserStore,
    limiter: &SignInLimiter,
    form_params: &FormParams,
    browser: &Browser,
) -> Outcome {
    super::answered(submit_checked(ctx, users, limiter, form_params, browser).await)
}

async fn submit_checked(
    ctx: &FlowContext,
    users: &dyn UserStore,
    limiter: &SignInLimiter,
    params: &FormParams,
    browser: &Browser,
) -> Result<Outcome, OAuth2Error> {
    let challenge =
        match super::checked_challenge(ctx, params, browser, FormKind::Login, "login_challenge")? {
            Ok(challenge) => challenge,
            Err(refused) => return Ok(refused),
        };
    let request = match admin::get_login_request(ctx, challenge).await {
        Ok(request) => request,
        Err(err) => return Ok(error_outcome(err)),
    };
    if params.get("action")? == Some("cancel") {
        return Ok(deny(ctx, challenge, "The resource owner denied the request.").await);
    }
    let username = params.get("username")?.unwrap_or_default();
    let password = params.get("password")?.unwrap_or_default();
    let now = ctx.clock.now();
    if limiter.is_limited(username, browser.ip, now).await {
        return Ok(Outcome::Page(pages::error(
            429,
            "rate_limit_exceeded",
            "Too many failed sign-ins. Wait a few minutes, then try again.",
        )));
    }
    let Some(user) = password::check(users, username, password).await? else {
        limiter.record_failure(username, browser.ip, now).await;
        return Ok(form(
            &ctx.config,
            &request,
            browser,
            &ctx.cookie_keys,
            username,
            Some(SIGN_IN_FAILED),
            401,
        ));
    };
    let accept = AcceptOAuth2LoginRequest {
        subject: user.id,
        remember: Some(params.get("remember")? == Some("true")),
        // 0: the session lives as long as ttl.authentication_session.
        remember_for: Some(0),
        amr: Some(vec!["pwd".into()]),
        ..AcceptOAuth2LoginRequest::default()
    };
    Ok(match admin::accept_login(ctx, challenge, accept).await {
        Ok(redirect_to) => Outcome::Redirect(redirect_to),
        Err(err) => error_outcome(err),
    })
}

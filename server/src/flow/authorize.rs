//! The browser side of the flow at `/oauth2/auth`: dispatches each request to its step
//! (`login_step`: start a login, take the login verifier; `consent_step`: take the
//! consent verifier, answer the client) and holds what the steps share: the outcome
//! types and the checks of a returning verifier. Errors go to the client once its
//! redirect URI is trusted (the sealed request carries a validated one).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::cookies::{SetCookie, csrf_matches};
use super::{consent_step, login_step};
use crate::duration::later;
use crate::error::{ErrorKind, OAuth2Error};
use crate::flow::context::FlowContext;
use crate::oauth2::authorize::request::{self, AuthorizeError, AuthorizeRequest};
use crate::oauth2::authorize::response::{self, AuthorizeResponse};
use crate::oauth2::form::FormParams;
use crate::storage::flows::{FlowStep, step_record_expiry};

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
    pub(super) fn new(outcome: Outcome) -> Self {
        Self {
            outcome,
            cookies: Vec::new(),
        }
    }
}

/// An error of the flow of `request`: sent to the client, or shown when the request
/// is a device authorization's (RFC 8628: there is no client redirect to send it to).
pub(super) fn to_client(err: OAuth2Error, request: &AuthorizeRequest) -> Outcome {
    if request.device.is_some() {
        return Outcome::ErrorPage(err);
    }
    Outcome::Client(response::error(&err, &request.target))
}

/// The login or consent app refused `request`: the client hears of it, or for a
/// device authorization the device's next poll does (`access_denied`).
pub(super) async fn refuse(
    ctx: &FlowContext,
    err: OAuth2Error,
    request: &AuthorizeRequest,
) -> Outcome {
    match &request.device {
        Some(link) => super::device::deny(ctx, link, err).await,
        None => to_client(err, request),
    }
}

/// Handles one request to the authorization endpoint.
pub async fn handle(
    ctx: &FlowContext,
    params: &FormParams,
    cookies: &HashMap<String, String>,
    request_url: &str,
) -> AuthorizeResult {
    let verifier = |name| params.get(name).ok().flatten().map(str::to_owned);
    let (step, result) = if let Some(verifier) = verifier("consent_verifier") {
        (
            "consent",
            consent_step::consent_verified(ctx, &verifier, cookies).await,
        )
    } else if let Some(verifier) = verifier("login_verifier") {
        (
            "login",
            login_step::login_verified(ctx, &verifier, cookies).await,
        )
    } else {
        let result = match request::parse(ctx, params, request_url).await {
            Ok((request, client)) => login_step::start_login(ctx, &client, request, cookies).await,
            Err(AuthorizeError::Page(err)) => AuthorizeResult::new(Outcome::ErrorPage(err)),
            Err(AuthorizeError::Redirect(err, target)) => {
                AuthorizeResult::new(Outcome::Client(response::error(&err, &target)))
            }
        };
        ("authorize", result)
    };
    if crate::prometheus::enabled() {
        crate::prometheus::flow_step(step, outcome_label(&result.outcome));
    }
    result
}

/// The outcome of one authorization endpoint request, for the flow metric: the user
/// agent `continued` to the login or consent app, the client got its response
/// (`completed`), or an error: `denied` when the user or the app said no (or could not
/// be asked: `prompt=none`), `errored` otherwise.
fn outcome_label(outcome: &Outcome) -> &'static str {
    const DENIALS: [&str; 5] = [
        "access_denied",
        "login_required",
        "consent_required",
        "interaction_required",
        "account_selection_required",
    ];
    let error = match outcome {
        Outcome::Redirect(_) => return "continued",
        Outcome::ErrorPage(err) => Some(err.kind.code().to_owned()),
        Outcome::Client(AuthorizeResponse::FormPost { params, .. }) => params
            .iter()
            .find(|(name, _)| name == "error")
            .map(|(_, value)| value.clone()),
        Outcome::Client(AuthorizeResponse::Redirect(location)) => {
            url::Url::parse(location).ok().and_then(|url| {
                // The error is in the query, or in the fragment for fragment responses.
                let fragment = url.fragment().map(str::to_owned).unwrap_or_default();
                url.query_pairs()
                    .chain(url::form_urlencoded::parse(fragment.as_bytes()))
                    .find(|(name, _)| name == "error")
                    .map(|(_, value)| value.into_owned())
            })
        }
    };
    match error {
        None => "completed",
        Some(code) if DENIALS.contains(&code.as_str()) => "denied",
        Some(_) => "errored",
    }
}

pub(super) fn app_url(
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

pub(super) fn verifier_invalid(what: &str) -> Outcome {
    Outcome::ErrorPage(OAuth2Error::invalid_request(format!(
        "The {what} verifier is invalid or was made with a system secret this server does not have."
    )))
}

/// Common checks of a returning verifier: expiry, CSRF cookie, single use.
pub(super) async fn check_verifier(
    ctx: &FlowContext,
    request: &AuthorizeRequest,
    flow_id: &str,
    issued_at: DateTime<Utc>,
    csrf_cookie: Option<&String>,
    csrf_hash: &str,
    step: FlowStep,
) -> Result<(), Outcome> {
    let ttl = ctx.config.ttl.login_consent_request.as_chrono();
    if ctx.clock.now() > later(issued_at, ttl) {
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
    let expires_at = step_record_expiry(later(issued_at, ttl));
    match ctx
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

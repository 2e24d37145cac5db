//! The built-in login app (issue 22 §1; docs/login-ui.md): sign-in, consent, logout
//! and device user-code pages for local users, served under `/ui/` on the public listener when
//! `login_ui.enabled` is on. It is a client of the headless challenge API, not a branch
//! in it: every decision goes through the same in-process operations the admin API
//! exposes (`flow::admin`, `flow::logout::admin`, `flow::device`), so Ory's own login apps and this one
//! see exactly the same flow.
//!
//! HTTP-free: the handlers (`http/public/login_ui.rs`) parse the request, pass the
//! browser's CSRF nonce and address, and send what comes back.
//!
//! - `csrf`: tokens bound to the challenge and the browser's cookie;
//! - `sign_in_limit`: failed sign-ins per username and per address;
//! - `scopes`: the consent page's words for standard scopes;
//! - `claims`: the user record's claims for granted `profile`/`email`;
//! - `pages`: templates and their Content-Security-Policy;
//! - `look`, `overrides`: branding, stylesheet and template overrides of every page;
//! - `login`, `consent`, `logout`, `device`: what each page shows and which operation
//!   it calls;
//! - `demo`: dev mode's "Try a login" (demo client, sealed flow cookie, callback page);
//! - `upstream`: sign-in through upstream identity providers (`/auth/login/{id}`,
//!   `/auth/callback/{id}`), linked to local users;
//! - `session_logout`: `GET|POST /auth/logout`, ending the browser's session.

pub mod claims;
pub mod consent;
pub mod csrf;
pub mod demo;
pub mod device;
pub mod login;
pub mod logout;
pub mod look;
pub mod overrides;
pub mod pages;
pub mod scopes;
pub mod session_logout;
pub mod sign_in_limit;
pub mod upstream;

use std::net::IpAddr;

use crate::client::wire::OAuth2Client;
use crate::config::Config;
use crate::error::{ErrorKind, OAuth2Error};
use crate::html::origin_source;
use pages::Page;

/// What the handler sends: a 303 to a URL, or a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Redirect(String),
    Page(Page),
}

/// The browser a request came from, as far as the login UI needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browser {
    /// The CSRF nonce of its cookie (a fresh one when it had none).
    pub nonce: String,
    /// The client address (for the failed sign-in budget).
    pub ip: Option<IpAddr>,
}

/// The name shown for a client: `client_name`, else its id.
fn client_name(client: &OAuth2Client) -> String {
    client
        .client_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| client.client_id.clone())
        .unwrap_or_default()
}

/// The URL of a page of the login UI (`/ui/<page>` on the public base URL).
fn page_url(config: &Config, page: &str) -> String {
    format!("{}/ui/{page}", config.public_url())
}

/// Where a login or consent form's navigation may be redirected (see `pages`): the
/// public origin (the authorization endpoint), the client's redirect URIs,
/// `urls.error`, and `urls.device.success` (where a device flow ends).
fn flow_targets(config: &Config, client: &OAuth2Client) -> Vec<String> {
    let mut urls = vec![config.public_url()];
    urls.extend(client.redirect_uris.clone().unwrap_or_default());
    urls.extend(config.urls.error.clone());
    urls.extend(config.urls.device.success.clone());
    urls.iter().filter_map(|u| origin_source(u)).collect()
}

/// The page for an error of the headless API: a request handled before goes where
/// its first decision sent it (a double-submitted form, the back button); anything
/// else is an error page with the error's status.
fn error_outcome(err: OAuth2Error) -> Outcome {
    if let Some(redirect_to) = err.redirect_to.clone() {
        return Outcome::Redirect(redirect_to);
    }
    let message = match err.kind {
        ErrorKind::NotFound => {
            "This sign-in request is unknown or has expired. Go back to the application and start again."
                .to_owned()
        }
        _ => err.description(),
    };
    Outcome::Page(pages::error(err.status(), err.kind.code(), &message))
}

/// The challenge a posted form names in `field`, once its CSRF token is this
/// browser's for that challenge and form (`csrf::verify`, constant time); else the
/// 403 page. Every form of the login UI passes here first.
fn checked_challenge<'a>(
    ctx: &crate::flow::context::FlowContext,
    params: &'a crate::oauth2::form::FormParams,
    browser: &Browser,
    kind: csrf::FormKind,
    field: &str,
) -> Result<Result<&'a str, Outcome>, OAuth2Error> {
    let challenge = params.require(field)?;
    Ok(
        if csrf::verify(
            &ctx.cookie_keys,
            kind,
            challenge,
            Some(&browser.nonce),
            params.get("csrf_token")?,
        ) {
            Ok(challenge)
        } else {
            Err(csrf_failure())
        },
    )
}

/// The 403 page of a form without this browser's CSRF token.
fn csrf_failure() -> Outcome {
    Outcome::Page(pages::error(
        403,
        "request_forbidden",
        "This form has expired or was not sent from this browser. Go back, reload the page and try again.",
    ))
}

/// The page of a form missing a field or holding a bad value (400), or of a storage
/// failure while handling it (its own status).
/// A form's answer: its outcome, or the error page of a refused submission.
fn answered(result: Result<Outcome, OAuth2Error>) -> Outcome {
    result.unwrap_or_else(|err| bad_form(&err))
}

fn bad_form(err: &OAuth2Error) -> Outcome {
    Outcome::Page(pages::error(
        err.status(),
        err.kind.code(),
        &err.description(),
    ))
}

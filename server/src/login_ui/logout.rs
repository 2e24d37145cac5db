//! The logout confirmation page (`/ui/logout?logout_challenge=…`, OpenID Connect
//! RP-Initiated Logout 1.0 §2: the OP asks the End-User whether to log out). "Yes"
//! accepts the logout and sends the browser on to end its session; "No" rejects it
//! and the user stays signed in.

use super::csrf::{self, FormKind};
use super::pages::{self, LogoutPage, View};
use super::{Browser, Outcome, client_name, error_outcome};
use crate::error::OAuth2Error;
use crate::flow::context::FlowContext;
use crate::flow::logout::admin;
use crate::flow::logout::challenge_state::OAuth2LogoutRequest;
use crate::html::origin_source;
use crate::oauth2::form::FormParams;

/// Where the "Yes" navigation may be redirected: the public origin (the logout
/// endpoint and its front-channel page), the client's post-logout redirect URIs,
/// `urls.post_logout_redirect` and the issuer.
fn targets(ctx: &FlowContext, request: &OAuth2LogoutRequest) -> Vec<String> {
    let config = &ctx.config;
    let mut urls = vec![config.public_url(), config.issuer()];
    if let Some(client) = &request.client {
        urls.extend(client.post_logout_redirect_uris.clone().unwrap_or_default());
    }
    urls.extend(config.urls.post_logout_redirect.clone());
    urls.iter().filter_map(|u| origin_source(u)).collect()
}

/// `GET /ui/logout`.
pub async fn show(ctx: &FlowContext, challenge: &str, browser: &Browser) -> Outcome {
    let request = match admin::get_logout_request(ctx, challenge).await {
        Ok(request) => request,
        Err(err) => return error_outcome(err),
    };
    let token = csrf::token(
        &ctx.cookie_keys,
        FormKind::Logout,
        challenge,
        &browser.nonce,
    )
    .unwrap_or_default();
    let action = super::page_url(&ctx.config, "logout");
    let name = request.client.as_ref().map(client_name);
    Outcome::Page(pages::page(
        View::Logout(LogoutPage {
            title: "Sign out".into(),
            action,
            client_name: name,
            challenge: challenge.to_owned(),
            csrf_token: token,
            ..LogoutPage::default()
        }),
        200,
        targets(ctx, &request),
        None,
    ))
}

/// `POST /ui/logout`: sign out, or stay signed in.
pub async fn submit(ctx: &FlowContext, params: &FormParams, browser: &Browser) -> Outcome {
    super::answered(submit_checked(ctx, params, browser).await)
}

async fn submit_checked(
    ctx: &FlowContext,
    params: &FormParams,
    browser: &Browser,
) -> Result<Outcome, OAuth2Error> {
    let challenge =
        match super::checked_challenge(ctx, params, browser, FormKind::Logout, "logout_challenge")?
        {
            Ok(challenge) => challenge,
            Err(refused) => return Ok(refused),
        };
    if params.get("action")? == Some("accept") {
        return Ok(match admin::accept_logout(ctx, challenge).await {
            Ok(redirect_to) => Outcome::Redirect(redirect_to),
            Err(err) => error_outcome(err),
        });
    }
    Ok(match admin::reject_logout(ctx, challenge).await {
        Ok(()) => Outcome::Page(pages::notice(
            "You are still signed in",
            "You chose not to sign out. You can close this page.",
        )),
        Err(err) => error_outcome(err),
    })
}

//! The consent page (`/ui/consent?consent_challenge=…`). A remembered consent (`skip`)
//! is accepted at once with the requested scopes; otherwise the page shows the client
//! (its name, and its logo, privacy policy and terms only when they are `https` URLs),
//! the requested scopes as checkboxes and the audiences. Accepting grants the checked
//! scopes, which must be requested ones, with the user record's claims for `profile`
//! and `email` in the ID token session (`claims`); denying rejects the consent with
//! `access_denied` (RFC 6749 §4.1.2.1).

use super::csrf::{self, FormKind};
use super::pages::{self, ConsentPage, ScopeView, View};
use super::{Browser, Outcome, client_name, error_outcome, flow_targets};
use crate::client::wire::OAuth2Client;
use crate::error::OAuth2Error;
use crate::flow::admin;
use crate::flow::context::FlowContext;
use crate::flow::remember::MAX_REMEMBER_FOR;
use crate::flow::wire::{
    AcceptOAuth2ConsentRequest, ConsentSessionData, OAuth2ConsentRequest, RejectOAuth2Request,
};
use crate::html::origin_source;
use crate::oauth2::form::FormParams;
use crate::users::UserStore;

/// `url` when it is an absolute `https` URL (a client's logo and links are shown only
/// then: no `javascript:`, no mixed content).
fn https_only(url: Option<&String>) -> Option<String> {
    url.filter(|u| url::Url::parse(u).is_ok_and(|p| p.scheme() == "https" && p.has_host()))
        .cloned()
}

/// Accepts `request` granting `grant_scope`, with the subject's claims for them.
async fn accept(
    ctx: &FlowContext,
    users: &dyn UserStore,
    request: &OAuth2ConsentRequest,
    grant_scope: Vec<String>,
    remember: bool,
) -> Outcome {
    let user = match request.subject.as_deref() {
        Some(subject) => match users.get_user(subject).await {
            Ok(user) => user,
            Err(err) => return error_outcome(err.into()),
        },
        None => None,
    };
    let id_token = user
        .map(|u| super::claims::for_scopes(&u, &grant_scope))
        .filter(|claims| !claims.is_empty())
        .map(serde_json::Value::Object);
    // A remembered consent lasts as long as a remembered login
    // (ttl.authentication_session), not for ever.
    let remember_for = i64::try_from(ctx.config.ttl.authentication_session.as_std().as_secs())
        .unwrap_or(MAX_REMEMBER_FOR)
        .clamp(1, MAX_REMEMBER_FOR);
    let body = AcceptOAuth2ConsentRequest {
        grant_scope: Some(grant_scope),
        grant_access_token_audience: request.requested_access_token_audience.clone(),
        grant_resource: request.requested_resource.clone(),
        remember: Some(remember),
        remember_for: Some(remember_for),
        session: Some(ConsentSessionData {
            access_token: None,
            id_token,
        }),
        ..AcceptOAuth2ConsentRequest::default()
    };
    match admin::accept_consent(ctx, &request.challenge, body).await {
        Ok(redirect_to) => Outcome::Redirect(redirect_to),
        Err(err) => error_outcome(err),
    }
}

/// `GET /ui/consent`.
pub async fn show(
    ctx: &FlowContext,
    users: &dyn UserStore,
    challenge: &str,
    browser: &Browser,
) -> Outcome {
    let request = match admin::get_consent_request(ctx, challenge).await {
        Ok(request) => request,
        Err(err) => return error_outcome(err),
    };
    let requested = request.requested_scope.clone().unwrap_or_default();
    if request.skip == Some(true) {
        return accept(ctx, users, &request, requested, false).await;
    }
    let client = request.client.clone().unwrap_or_default();
    let signed_in_as = match request.subject.as_deref() {
        Some(subject) => match users.get_user(subject).await {
            Ok(user) => user.map(|u| u.username),
            Err(err) => return error_outcome(err.into()),
        },
        None => None,
    };
    let scopes: Vec<ScopeView> = requested
        .iter()
        .map(|name| ScopeView {
            name: name.clone(),
            description: super::scopes::describe(name),
        })
        .collect();
    let audiences = request
        .requested_access_token_audience
        .clone()
        .unwrap_or_default();
    page(
        ctx,
        &request,
        &client,
        browser,
        &scopes,
        &audiences,
        signed_in_as,
    )
}

fn page(
    ctx: &FlowContext,
    request: &OAuth2ConsentRequest,
    client: &OAuth2Client,
    browser: &Browser,
    scopes: &[ScopeView],
    audiences: &[String],
    signed_in_as: Option<String>,
) -> Outcome {
    let token = csrf::token(
        &ctx.cookie_keys,
        FormKind::Consent,
        &request.challenge,
        &browser.nonce,
    )
    .unwrap_or_default();
    let action = super::page_url(&ctx.config, "consent");
    let name = client_name(client);
    let logo = https_only(client.logo_uri.as_ref());
    let policy = https_only(client.policy_uri.as_ref());
    let tos = https_only(client.tos_uri.as_ref());
    let image_source = logo.as_deref().and_then(origin_source);
    Outcome::Page(pages::page(
        View::Consent(ConsentPage {
            title: "Allow access".into(),
            action,
            client_name: name,
            logo_uri: logo,
            policy_uri: policy,
            tos_uri: tos,
            signed_in_as,
            challenge: request.challenge.clone(),
            csrf_token: token,
            scopes: scopes.to_vec(),
            audiences: audiences.to_vec(),
            ..ConsentPage::default()
        }),
        200,
        flow_targets(&ctx.config, client),
        image_source,
    ))
}

/// `POST /ui/consent`: allow the checked scopes, or deny.
pub async fn submit(
    ctx: &FlowContext,
    users: &dyn UserStore,
    params: &FormParams,
    browser: &Browser,
) -> Outcome {
    super::answered(submit_checked(ctx, users, params, browser).await)
}

async fn submit_checked(
    ctx: &FlowContext,
    users: &dyn UserStore,
    params: &FormParams,
    browser: &Browser,
) -> Result<Outcome, OAuth2Error> {
    let challenge = match super::checked_challenge(
        ctx,
        params,
        browser,
        FormKind::Consent,
        "consent_challenge",
    )? {
        Ok(challenge) => challenge,
        Err(refused) => return Ok(refused),
    };
    let request = match admin::get_consent_request(ctx, challenge).await {
        Ok(request) => request,
        Err(err) => return Ok(error_outcome(err)),
    };
    if params.get("action")? != Some("accept") {
        let reject = RejectOAuth2Request {
            error: Some("access_denied".into()),
            error_description: Some("The resource owner denied the request.".into()),
            ..RejectOAuth2Request::default()
        };
        return Ok(match admin::reject_consent(ctx, challenge, reject).await {
            Ok(redirect_to) => Outcome::Redirect(redirect_to),
            Err(err) => error_outcome(err),
        });
    }
    let requested = request.requested_scope.clone().unwrap_or_default();
    let mut granted: Vec<String> = Vec::new();
    for scope in params.all("grant_scope")? {
        if !requested.iter().any(|r| r == scope) {
            return Err(OAuth2Error::invalid_request(
                "Field 'grant_scope' holds a scope the client did not request.",
            ));
        }
        if !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    let remember = params.get("remember")? == Some("true");
    Ok(accept(ctx, users, &request, granted, remember).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_links_are_shown() {
        let ok = "https://rp.example/logo.png".to_owned();
        assert_eq!(https_only(Some(&ok)), Some(ok));
        for bad in [
            "http://rp.example/logo.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "/relative.png",
        ] {
            assert_eq!(https_only(Some(&bad.to_owned())), None, "{bad}");
        }
    }
}

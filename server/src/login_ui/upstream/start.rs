//! `GET /auth/login/{id}?login_challenge=…`: starts the authorization code flow at the
//! provider (RFC 6749 §4.1.1) for a login challenge that exists, with PKCE S256 (RFC
//! 7636 §4.3), `state` and, for OpenID Connect, `nonce`; the flow is sealed in the
//! browser (`flow_cookie`). The redirect URI is `<urls.self.public>/auth/callback/{id}`.

use super::discovery;
use super::flow_cookie::UpstreamFlow;
use super::{Upstreams, callback_url, provider};
use crate::config::ProviderKind;
use crate::flow::admin;
use crate::flow::context::FlowContext;
use crate::login_ui::pages::{self, Page};

/// Where the browser goes (the provider's authorization URL) and the cookie value;
/// else the error page.
pub async fn begin(
    ctx: &FlowContext,
    upstreams: &Upstreams,
    provider_id: &str,
    login_challenge: &str,
) -> Result<(String, String), Page> {
    let Some(provider) = provider(&ctx.config, provider_id) else {
        return Err(pages::error(
            404,
            "not_found",
            "There is no such sign-in provider.",
        ));
    };
    // The challenge must be a live one before the user is sent anywhere.
    if let Err(err) = admin::get_login_request(ctx, login_challenge).await {
        return Err(match err.redirect_to {
            Some(_) => pages::error(
                410,
                "request_handled",
                "This sign-in request was already completed. Go back to the application and start again.",
            ),
            None => pages::error(
                err.status().min(499),
                err.kind.code(),
                "This sign-in request is unknown or has expired. Go back to the application and start again.",
            ),
        });
    }
    let endpoints = discovery::kept_endpoints(upstreams, provider)
        .await
        .map_err(|why| super::callback::upstream_failure(provider.label(), &why))?;
    let flow = UpstreamFlow::new(&provider.id, login_challenge, ctx.clock.now())
        .ok_or_else(|| pages::error(400, "invalid_request", "The time is out of range."))?;
    let cookie = flow
        .seal(&ctx.cookie_keys)
        .ok_or_else(|| pages::error(400, "invalid_request", "The sign-in could not be started."))?;
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", &callback_url(&ctx.config, &provider.id))
        .append_pair("scope", &provider.scope())
        .append_pair("state", &flow.state)
        .append_pair("code_challenge", &flow.code_challenge())
        .append_pair("code_challenge_method", "S256");
    if provider.kind != ProviderKind::Github {
        query.append_pair("nonce", &flow.nonce);
    }
    let separator = if endpoints.authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    Ok((
        format!(
            "{}{separator}{}",
            endpoints.authorization_endpoint,
            query.finish()
        ),
        cookie,
    ))
}

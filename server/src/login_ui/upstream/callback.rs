//! `GET /auth/callback/{id}`: the provider's answer (RFC 6749 §4.1.2). Checked in
//! order: the browser's sealed flow exists, is for this provider and its `state`
//! matches (RFC 6749 §10.12); the provider reported no error; the code is exchanged
//! with the PKCE verifier (RFC 7636 §4.5); the ID token is verified (OIDC Core
//! §3.1.3.7) or GitHub's API says who the user is; the identity maps to a local user
//! (`link`); then the flow's login challenge is accepted with that user's id as the
//! subject, exactly as the password form does. Every failure is an error page (4xx)
//! whose text names no secret; the reason is logged without tokens.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use subtle::ConstantTimeEq;

use super::discovery::{self, Endpoints};
use super::flow_cookie::UpstreamFlow;
use super::id_token::{self, Expected, Keys};
use super::link::{self, UpstreamUser};
use super::{Upstreams, callback_url, github, provider};
use crate::config::{ProviderKind, UpstreamProvider};
use crate::flow::admin;
use crate::flow::context::FlowContext;
use crate::flow::wire::AcceptOAuth2LoginRequest;
use crate::login_ui::pages::{self, Page};
use crate::login_ui::{Outcome, error_outcome};
use crate::oauth2::form::FormParams;

/// The most characters of the provider's `error` code shown.
const MAX_ERROR_ECHO: usize = 64;

fn bad_request(message: &str) -> Page {
    pages::error(400, "invalid_request", message)
}

/// The page of a provider that failed (unreachable, a bad answer, a token that does
/// not verify): 400, the reason logged, not shown.
pub(super) fn upstream_failure(label: &str, why: &str) -> Page {
    tracing::warn!(provider = label, reason = why, "upstream sign-in failed");
    pages::error(
        400,
        "upstream_error",
        &format!("The sign-in with {label} did not succeed. Go back and try again."),
    )
}

/// The outcome of the callback `query` for provider `provider_id`, with the browser's
/// flow cookie.
pub async fn finish(
    ctx: &FlowContext,
    upstreams: &Upstreams,
    provider_id: &str,
    query: &FormParams,
    cookie: Option<&str>,
) -> Outcome {
    match checked(ctx, upstreams, provider_id, query, cookie).await {
        Ok(outcome) => outcome,
        Err(page) => Outcome::Page(page),
    }
}

async fn checked(
    ctx: &FlowContext,
    upstreams: &Upstreams,
    provider_id: &str,
    query: &FormParams,
    cookie: Option<&str>,
) -> Result<Outcome, Page> {
    let now = ctx.clock.now();
    let flow = cookie
        .and_then(|c| UpstreamFlow::open(&ctx.cookie_keys, c, now))
        .filter(|f| f.provider == provider_id)
        .ok_or_else(|| {
            bad_request(
                "This sign-in has expired or was started in another browser. Go back to the application and start again.",
            )
        })?;
    let provider = provider(&ctx.config, provider_id)
        .ok_or_else(|| pages::error(404, "not_found", "There is no such sign-in provider."))?;
    let form_error = |err: crate::error::OAuth2Error| bad_request(&err.description());
    let state = query.get("state").map_err(form_error)?.unwrap_or_default();
    // RFC 6749 §10.12: an answer whose state is not this browser's is not its own.
    if !bool::from(state.as_bytes().ct_eq(flow.state.as_bytes())) {
        return Err(bad_request(
            "The state parameter does not match the sign-in this browser started (RFC 6749 section 10.12). Go back and try again.",
        ));
    }
    // RFC 6749 §4.1.2.1: the provider reported an error (the user cancelled there).
    if let Some(error) = query.get("error").map_err(form_error)? {
        let code = if !error.is_empty()
            && error.len() <= MAX_ERROR_ECHO
            && error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            error
        } else {
            "invalid_request"
        };
        return Err(pages::error(
            400,
            code,
            &format!(
                "{} did not sign you in. Go back to choose another way to sign in.",
                provider.label()
            ),
        ));
    }
    let code = query.require("code").map_err(form_error)?;
    let fail = |why: String| upstream_failure(provider.label(), &why);
    let endpoints = discovery::kept_endpoints(upstreams, provider)
        .await
        .map_err(fail)?;
    let upstream = match upstream_user(ctx, upstreams, provider, &endpoints, code, &flow).await {
        Ok(upstream) => upstream,
        Err(why) => {
            // The provider may have moved an endpoint: read its document next time.
            upstreams.cache.forget_endpoints(&provider.id);
            return Err(fail(why));
        }
    };
    let user = match link::local_user(upstreams.identities.as_ref(), provider, &upstream, now).await
    {
        Ok(Ok(user)) => user,
        Ok(Err(reason)) => return Err(pages::error(403, "access_denied", reason)),
        Err(err) => return Ok(error_outcome(err.into())),
    };
    let accept = AcceptOAuth2LoginRequest {
        subject: user.id,
        remember: Some(false),
        remember_for: Some(0),
        // RFC 8176 §2 has no value for federated sign-in; the provider is named in acr.
        acr: Some(format!("upstream:{}", provider.id)),
        ..AcceptOAuth2LoginRequest::default()
    };
    Ok(
        match admin::accept_login(ctx, &flow.login_challenge, accept).await {
            Ok(redirect_to) => Outcome::Redirect(redirect_to),
            Err(err) => error_outcome(err),
        },
    )
}

/// The code exchanged, and who the provider says the user is.
async fn upstream_user(
    ctx: &FlowContext,
    upstreams: &Upstreams,
    provider: &UpstreamProvider,
    endpoints: &Endpoints,
    code: &str,
    flow: &UpstreamFlow,
) -> Result<UpstreamUser, String> {
    let tokens = exchange(ctx, upstreams, provider, endpoints, code, flow).await?;
    match provider.kind {
        ProviderKind::Github => {
            let access_token =
                text(&tokens, "access_token").ok_or("the token response has no access_token")?;
            github::user(&upstreams.http, provider, access_token).await
        }
        _ => {
            identity_of(
                upstreams,
                provider,
                endpoints,
                &tokens,
                flow,
                ctx.clock.now(),
            )
            .await
        }
    }
}

fn text<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get(name).and_then(Value::as_str)
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.5: the code and the verifier for tokens.
async fn exchange(
    ctx: &FlowContext,
    upstreams: &Upstreams,
    provider: &UpstreamProvider,
    endpoints: &Endpoints,
    code: &str,
    flow: &UpstreamFlow,
) -> Result<Value, String> {
    let redirect_uri = callback_url(&ctx.config, &provider.id);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", flow.verifier.as_str()),
    ];
    let (status, body) = upstreams
        .http
        .post_token(
            &endpoints.token_endpoint,
            &form,
            &provider.client_id,
            &provider.client_secret,
            endpoints.auth,
        )
        .await?;
    // GitHub answers errors with 200 and an `error` member.
    if !(200..300).contains(&status) || body.get("error").is_some() {
        let error = text(&body, "error").unwrap_or("no error code");
        return Err(format!(
            "the token endpoint refused the code (HTTP {status}, {error})"
        ));
    }
    Ok(body)
}

/// The identity in the token response's ID token, verified; the claims the mapper
/// names that the ID token lacks are asked of the UserInfo endpoint (`userinfo`).
async fn identity_of(
    upstreams: &Upstreams,
    provider: &UpstreamProvider,
    endpoints: &Endpoints,
    tokens: &Value,
    flow: &UpstreamFlow,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<UpstreamUser, String> {
    let token = text(tokens, "id_token").ok_or("the token response has no id_token")?;
    let expected = Expected {
        issuer: endpoints.issuer.as_deref().unwrap_or_default(),
        client_id: &provider.client_id,
        nonce: &flow.nonce,
        now,
        // Startup refused a name that does not parse: `None` means unset.
        alg: provider
            .id_token_signed_response_alg
            .as_deref()
            .and_then(crate::jwk::Algorithm::parse),
    };
    let mut claims = match expected.alg {
        // OIDC Core §3.1.3.7 step 8: a MAC keyed with the client secret; no JWK Set.
        Some(alg) if alg.is_symmetric() => {
            id_token::verify(token, Keys::ClientSecret(&provider.client_secret), expected)?
        }
        _ => {
            let jwks_uri = endpoints.jwks_uri.as_deref().ok_or("no jwks_uri")?;
            verified_claims(upstreams, jwks_uri, token, expected).await?
        }
    };
    let wanted = [
        provider.mapper.email.as_str(),
        "email_verified",
        provider.mapper.name.as_str(),
        "preferred_username",
    ];
    if wanted.iter().any(|name| !claims.contains_key(*name))
        && let (Some(userinfo), Some(access_token)) = (
            endpoints.userinfo_endpoint.as_deref(),
            text(tokens, "access_token"),
        )
    {
        let answered = upstreams
            .http
            .get_json(userinfo, Some(access_token))
            .await?;
        // OIDC Core §5.3.2: the UserInfo `sub` MUST be the ID token's, else the
        // response must not be used.
        if answered.get("sub") != claims.get("sub") {
            return Err("the UserInfo response is for another subject than the ID token".into());
        }
        for name in wanted {
            if !claims.contains_key(name)
                && let Some(value) = answered.get(name)
            {
                claims.insert(name.to_owned(), value.clone());
            }
        }
    }
    let claim = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(UpstreamUser {
        subject: claim("sub").unwrap_or_default(),
        email: claim(&provider.mapper.email),
        email_verified: claims.get("email_verified").and_then(Value::as_bool) == Some(true),
        name: claim(&provider.mapper.name),
        preferred_username: claim("preferred_username"),
    })
}

/// The ID token's claims, verified with the provider's JWK Set as kept
/// (`cache::JWKS_TTL`); a token the kept set does not verify makes one fresh read of
/// the set (the provider may have rotated its keys), at most once per
/// `cache::JWKS_REFRESH_MIN_INTERVAL`.
async fn verified_claims(
    upstreams: &Upstreams,
    jwks_uri: &str,
    token: &str,
    expected: Expected<'_>,
) -> Result<serde_json::Map<String, Value>, String> {
    // An algorithm the configuration refuses is refused without reading the set again.
    id_token::accepted_alg(token, expected.alg)?;
    let cache = &upstreams.cache;
    if let Some(kept) = cache.jwks(jwks_uri, Instant::now()) {
        match id_token::verify(token, Keys::JwkSet(&kept), expected) {
            Ok(claims) => return Ok(claims),
            Err(why) if !cache.may_refresh_jwks(jwks_uri, Instant::now()) => return Err(why),
            Err(_) => {}
        }
    }
    let read = Arc::new(upstreams.http.get_json(jwks_uri, None).await?);
    cache.keep_jwks(jwks_uri, read.clone(), Instant::now());
    id_token::verify(token, Keys::JwkSet(&read), expected)
}

//! Forward authentication for reverse proxies (docs/forward-auth.md): nginx
//! `auth_request`, Traefik `forwardAuth` and Caddy `forward_auth` send each request's
//! credentials to `GET /oauth2/forward-auth` and let it through on a 2xx. The request
//! is authenticated by an access token (RFC 6750 §2.1 `Bearer`, or RFC 9449 §7.1 `DPoP`
//! with a proof, exactly as at the UserInfo endpoint) or, without one, by the Portunus
//! authentication session cookie the login flow sets; then the query's filters decide.
//! Nothing here redirects or builds a URL: the answer is a status and headers.

pub mod filters;
pub mod identity;
pub mod session_claims;

use serde_json::Map;

use crate::error::{ErrorKind, OAuth2Error};
use crate::flow::browser_session::valid_session;
use crate::flow::context::FlowContext;
use crate::oauth2::bearer::{MISSING_CHALLENGE, Scheme};
use crate::oauth2::introspect::ActiveToken;
use crate::oauth2::request_context::RequestContext;
use crate::oauth2::userinfo::{consent_claims, granted_scopes, presented_access_token};
use crate::oidc::scope_claims;
use crate::users::UserStore;

pub use filters::Filters;
pub use identity::{Grant, Identity};
use session_claims::{Refusal, session_identity};

/// The credential a proxied request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An access token and how it was presented.
    Token {
        token: String,
        scheme: Scheme,
    },
    /// The sealed value of the authentication session cookie.
    SessionCookie(String),
    None,
}

/// The decision for one request: the identity to pass on, or an error (401 with a
/// challenge, 403, 400 for bad filters). `users` gives a session cookie's local user
/// its claims (`session_claims`).
pub async fn authorize(
    ctx: &FlowContext,
    users: &dyn UserStore,
    http: &RequestContext,
    credential: &Credential,
    filters: &Filters,
) -> Result<Identity, OAuth2Error> {
    let identity = match credential {
        Credential::Token { token, scheme } => {
            let found = from_token(ctx, http, token, *scheme).await;
            match scheme {
                Scheme::Bearer => found?,
                // RFC 9449 §7.1: errors to a DPoP request carry a DPoP challenge.
                Scheme::DPoP => found.map_err(|err| ctx.dpop.for_resource(err))?,
            }
        }
        Credential::SessionCookie(cookie) => from_session(ctx, users, cookie).await?,
        Credential::None => {
            return Err(unauthenticated(
                "No access token and no authentication session cookie was sent.",
            ));
        }
    };
    identity.check(filters, ctx.config.strategies.scope)?;
    Ok(identity)
}

/// RFC 6750 §3.1: a request without usable authentication gets a bare challenge.
fn unauthenticated(hint: &str) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::Unauthorized)
        .with_hint(hint)
        .with_www_authenticate(MISSING_CHALLENGE)
}

/// An active access token (opaque or JWT, DPoP binding checked as at userinfo).
async fn from_token(
    ctx: &FlowContext,
    http: &RequestContext,
    token: &str,
    scheme: Scheme,
) -> Result<Identity, OAuth2Error> {
    let ActiveToken { stored, session } = presented_access_token(ctx, http, token, scheme).await?;
    let granted = granted_scopes(&stored);
    // A client's own token (client_credentials) has no subject; it stands for itself.
    let user = match session.obfuscated_subject.clone() {
        Some(pairwise) => pairwise,
        None if stored.subject.is_empty() => stored.client_id.clone(),
        None => stored.subject.clone(),
    };
    let id_token = scope_claims::filter(&consent_claims(session.clone())?, &granted);
    let access: &Map<_, _> = &session.ext;
    let grant = Grant {
        scopes: granted.iter().map(|s| (*s).to_owned()).collect(),
        audience: stored.granted_audience.clone(),
    };
    Ok(Identity::from_claims(
        user,
        &[&id_token, access],
        Some(grant),
    ))
}

/// A remembered, unexpired authentication session, with the claims of its local user
/// and of its newest consent (`session_claims`); it has no grant, so `scope` and
/// `audience` filters refuse it.
async fn from_session(
    ctx: &FlowContext,
    users: &dyn UserStore,
    cookie: &str,
) -> Result<Identity, OAuth2Error> {
    let Some(session) = valid_session(ctx, cookie, ctx.clock.now()).await? else {
        return Err(unauthenticated(
            "The session cookie names no valid authentication session: it expired, was revoked or logged out.",
        ));
    };
    match session_identity(ctx, users, &session).await? {
        Ok(identity) => Ok(identity),
        Err(Refusal::Disabled) => Err(unauthenticated("The session's user account is disabled.")),
    }
}

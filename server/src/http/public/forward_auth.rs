//! `GET /oauth2/forward-auth`: the reverse proxies' authentication subrequest
//! (docs/forward-auth.md). Thin: takes the access token (`Authorization`, with `DPoP`
//! as at userinfo) or else the session cookie, and the raw query, hands them to
//! `forward_auth::authorize`, and answers 202 with the user's headers.

use actix_web::http::header::{self, CacheControl, CacheDirective, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa::IntoParams;

use crate::error::{ErrorBody, ErrorKind, OAuth2Error};
use crate::forward_auth::{Credential, Identity, authorize, filters};
use crate::http::request_context::{authorization_header, request_context};
use crate::oauth2::bearer::{self, Scheme};
use crate::oauth2::dpop::NONCE_HEADER;
use crate::state::AppState;

/// The published path; DPoP proofs name it (with the public base URL) as `htu`.
pub const PATH: &str = "/oauth2/forward-auth";

pub const USER_HEADER: &str = "x-auth-request-user";
pub const EMAIL_HEADER: &str = "x-auth-request-email";
pub const PREFERRED_USERNAME_HEADER: &str = "x-auth-request-preferred-username";
pub const GROUPS_HEADER: &str = "x-auth-request-groups";
pub const ACCESS_TOKEN_HEADER: &str = "x-auth-request-access-token";

/// The query of `GET /oauth2/forward-auth` (for the API document; the handler parses
/// the raw query with `forward_auth::filters`, which bounds it).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents the query; forward_auth::filters parses it"
)]
pub struct ForwardAuthQuery {
    /// Comma-separated groups; the user must be in at least one (the `groups` claim).
    allowed_groups: Option<String>,
    /// Comma-separated e-mail addresses; the user's verified `email` must be one.
    allowed_emails: Option<String>,
    /// Comma-separated domains (`*.example.com` for subdomains); the user's verified
    /// e-mail must be in one.
    allowed_email_domains: Option<String>,
    /// Space-separated scopes the access token must have been granted.
    scope: Option<String>,
    /// Space-separated audiences the access token must have been granted.
    audience: Option<String>,
}

/// The request's credential: a `Bearer`/`DPoP` token if the `Authorization` header
/// carries one, else the session cookie, else none.
fn credential(state: &AppState, req: &HttpRequest) -> Result<Credential, OAuth2Error> {
    match bearer::extract_with_scheme(authorization_header(req)?, None) {
        Ok((token, scheme)) => return Ok(Credential::Token { token, scheme }),
        // No token (no header, or another scheme): the browser's session may do.
        Err(err) if err.kind == ErrorKind::Unauthorized => {}
        Err(err) => return Err(err),
    }
    Ok(req
        .cookie(&state.config.serve.cookies.names.session)
        .map_or(Credential::None, |c| {
            Credential::SessionCookie(c.value().to_owned())
        }))
}

fn insert(response: &mut actix_web::HttpResponseBuilder, name: &'static str, value: &str) {
    // Identity values were checked to be header-safe; one that still is not is left out.
    if let Ok(value) = HeaderValue::from_str(value) {
        response.insert_header((HeaderName::from_static(name), value));
    }
}

fn respond(state: &AppState, credential: &Credential, identity: &Identity) -> HttpResponse {
    let mut response = HttpResponse::Accepted();
    response
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, "no-cache"));
    insert(&mut response, USER_HEADER, &identity.user);
    if let Some(email) = &identity.email {
        insert(&mut response, EMAIL_HEADER, email);
    }
    if let Some(name) = &identity.preferred_username {
        insert(&mut response, PREFERRED_USERNAME_HEADER, name);
    }
    if !identity.groups.is_empty() {
        insert(&mut response, GROUPS_HEADER, &identity.groups.join(","));
    }
    if let Credential::Token { token, scheme } = credential {
        if state.config.oauth2.forward_auth.pass_access_token {
            insert(&mut response, ACCESS_TOKEN_HEADER, token);
        }
        if *scheme == Scheme::DPoP
            && let Some(nonce) = state.dpop.current_nonce()
        {
            response.insert_header((NONCE_HEADER, nonce));
        }
    }
    response.finish()
}

/// Forward authentication for reverse proxies
///
/// For nginx `auth_request`, Traefik `forwardAuth` and Caddy `forward_auth`
/// (docs/forward-auth.md). Answers 202 when the request carries an active access token
/// (`Authorization: Bearer <token>`; a DPoP-bound token as `Authorization: DPoP <token>`
/// with a `DPoP` proof for `GET` and this endpoint's published URL, RFC 9449 §7.1) or,
/// without one, a valid Portunus authentication session cookie, and the user passes the
/// query's filters. The answer's `X-Auth-Request-*` headers describe the user: the
/// subject, and the `email` (unless `email_verified` is false), `preferred_username`
/// and `groups` claims of the consent's session (ID-token claims within the granted
/// scopes, then access-token claims). For a session cookie they come from the local
/// user's record (username; e-mail only if verified) when the subject is a local user,
/// then from the newest consent granted in that session; a disabled user's session is
/// 401, and `scope`/`audience` filters refuse a session (it has no grant).
/// `X-Auth-Request-Access-Token` only with `oauth2.forward_auth.pass_access_token`.
/// 401 with `WWW-Authenticate` when not authenticated, 403 when a filter refuses, 404
/// unless `oauth2.forward_auth.enabled`.
#[utoipa::path(
    tag = "oAuth2",
    params(ForwardAuthQuery),
    responses(
        (status = 202, description = "Authenticated and allowed.",
            headers(
                ("X-Auth-Request-User" = String, description = "The subject"),
                ("X-Auth-Request-Email" = String, description = "The verified e-mail address, when granted"),
                ("X-Auth-Request-Preferred-Username" = String, description = "The preferred_username claim, when granted"),
                ("X-Auth-Request-Groups" = String, description = "The groups claim, comma-separated"),
                ("X-Auth-Request-Access-Token" = String, description = "The access token, only with oauth2.forward_auth.pass_access_token")
            )),
        (status = 400, description = "A malformed filter or Authorization header.", body = ErrorBody),
        (status = 401, description = "No credential, an inactive token or session, or a DPoP-bound token without a valid proof.", body = ErrorBody),
        (status = 403, description = "Authenticated, but a filter (groups, e-mails, domains, scope, audience) refuses the user.", body = ErrorBody),
        (status = 404, description = "Forward-auth is not enabled.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/oauth2/forward-auth")]
pub async fn forward_auth(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, OAuth2Error> {
    if !state.config.oauth2.forward_auth.enabled {
        return Err(OAuth2Error::not_found(
            "Forward-auth is not enabled (oauth2.forward_auth.enabled).",
        ));
    }
    let filters = filters::parse(req.query_string())?;
    let credential = credential(&state, &req)?;
    let http = request_context(&req, &state.config, PATH);
    let identity = authorize(&state, state.users.as_ref(), &http, &credential, &filters).await?;
    Ok(respond(&state, &credential, &identity))
}

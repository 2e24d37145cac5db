//! `GET /.well-known/openid-configuration` (OIDC Discovery 1.0 §4) and
//! `GET /.well-known/oauth-authorization-server` (RFC 8414 §3): the same metadata
//! document (`oidc::discovery`), cacheable by anyone.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpResponse, get, web};

use crate::error::{ErrorBody, OAuth2Error};
use crate::oidc::discovery::{self, OidcConfiguration};
use crate::state::AppState;

/// How long clients and proxies may cache the document. It changes only with the
/// configuration or with the ID token key set's algorithms.
pub const DISCOVERY_MAX_AGE_SECS: u32 = 3600;

async fn document(state: &AppState) -> Result<HttpResponse, OAuth2Error> {
    let metadata = discovery::configuration(&state.oidc(), &state.grants.grant_types()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(DISCOVERY_MAX_AGE_SECS),
        ]))
        .json(metadata))
}

/// OpenID Connect Discovery
///
/// The OpenID Provider's metadata (OIDC Discovery 1.0 §3): its endpoints, the grant
/// and response types, client authentication methods, PKCE methods, scopes, claims and
/// signing algorithms this instance supports. Popular libraries for OpenID Connect
/// clients read it to configure themselves.
#[utoipa::path(
    tag = "oidc",
    responses(
        (status = 200, description = "The provider metadata.", body = OidcConfiguration),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/.well-known/openid-configuration")]
pub async fn discover_oidc_configuration(
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuth2Error> {
    document(&state).await
}

/// OAuth 2.0 Authorization Server Metadata
///
/// The same document as OpenID Connect Discovery, at the RFC 8414 §3 well-known path,
/// for OAuth 2.0 clients that look there.
#[utoipa::path(
    tag = "oidc",
    responses(
        (status = 200, description = "The authorization server metadata.", body = OidcConfiguration),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/.well-known/oauth-authorization-server")]
pub async fn discover_o_auth2_authorization_server(
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuth2Error> {
    document(&state).await
}

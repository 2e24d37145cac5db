//! `/admin/oauth2/register/initial-access-tokens`: initial access tokens for dynamic
//! client registration (RFC 7591 §3), created, listed and revoked by the operator.
//! Thin handlers: extract, call `client::initial_access::admin`, respond.

use actix_web::http::header::{CACHE_CONTROL, LINK, LOCATION};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::client::initial_access::admin;
use crate::client::initial_access::wire::{
    CreateOAuth2InitialAccessToken, OAuth2InitialAccessToken,
};
use crate::error::{ErrorBody, OAuth2Error};
use crate::http::pagination::link_header;
use crate::state::AppState;

/// Query of `GET /admin/oauth2/register/initial-access-tokens`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListInitialAccessTokensQuery {
    /// Items per page: default 250, at most 1000.
    #[param(minimum = 1, maximum = 1000, default = 250)]
    pub page_size: Option<i64>,
    /// The next page token, taken from the `Link` header of the previous page.
    pub page_token: Option<String>,
}

/// Create an initial access token for dynamic client registration
///
/// A token that lets its holder register clients at `/oauth2/register` (RFC 7591 §3),
/// until `expires_at` (default: 24 hours; at most 366 days) and for at most `max_uses`
/// registrations (default: any number). The answer is the only time the token is
/// shown: the server keeps its SHA-256 hash. Registration asks for a token when
/// `oidc.dynamic_client_registration.require_initial_access_token` is on or
/// `initial_access_tokens` are configured.
#[utoipa::path(
    tag = "oAuth2",
    request_body(content = CreateOAuth2InitialAccessToken, description = "Expiry and number of uses"),
    responses(
        (status = 201, description = "The token, with its value.", body = OAuth2InitialAccessToken,
            headers(("Location" = String, description = "URL of the new token"))),
        (status = 400, description = "Invalid expiry or number of uses.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 409, description = "A token with the generated id exists (retry).", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[post("/oauth2/register/initial-access-tokens")]
pub async fn create_o_auth2_initial_access_token(
    state: web::Data<AppState>,
    body: web::Json<CreateOAuth2InitialAccessToken>,
) -> Result<HttpResponse, OAuth2Error> {
    let (stored, token) = admin::create(
        state.initial_access_tokens.as_ref(),
        state.clock.as_ref(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            LOCATION,
            format!("/admin/oauth2/register/initial-access-tokens/{}", stored.id),
        ))
        // The body carries a credential (RFC 6749 §5.1's rule for token responses).
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(OAuth2InitialAccessToken::from_model(&stored, Some(token))))
}

/// Get an initial access token
///
/// The token's expiry and uses, without its value.
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the initial access token")),
    responses(
        (status = 200, description = "The token, without its value.", body = OAuth2InitialAccessToken),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such token.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/oauth2/register/initial-access-tokens/{id}")]
pub async fn get_o_auth2_initial_access_token(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    let token = admin::get(state.initial_access_tokens.as_ref(), &id).await?;
    Ok(HttpResponse::Ok().json(OAuth2InitialAccessToken::from_model(&token, None)))
}

/// List initial access tokens
///
/// Tokens ordered by id, expired and used-up ones included, without their values.
/// Pages are linked with an RFC 8288 `Link` header (`rel="next"` while more follow, and
/// `rel="first"`).
#[utoipa::path(
    tag = "oAuth2",
    params(ListInitialAccessTokensQuery),
    responses(
        (status = 200, description = "A page of tokens.", body = Vec<OAuth2InitialAccessToken>,
            headers(("Link" = String, description = "RFC 8288 links to the first and next page"))),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/oauth2/register/initial-access-tokens")]
pub async fn list_o_auth2_initial_access_tokens(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ListInitialAccessTokensQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    let query = query.into_inner();
    let page = admin::list(
        state.initial_access_tokens.as_ref(),
        query.page_size,
        query.page_token.as_deref(),
    )
    .await?;
    let link = link_header(
        req.path(),
        page.page_size,
        &[],
        page.next_page_token.as_deref(),
    );
    let body: Vec<OAuth2InitialAccessToken> = page
        .tokens
        .iter()
        .map(|t| OAuth2InitialAccessToken::from_model(t, None))
        .collect();
    Ok(HttpResponse::Ok().insert_header((LINK, link)).json(body))
}

/// Revoke an initial access token
///
/// Deletes the token: registrations presenting it are refused from now on. Clients
/// registered with it stay. 204 on success, 404 when there is none.
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the initial access token")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such token.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/oauth2/register/initial-access-tokens/{id}")]
pub async fn delete_o_auth2_initial_access_token(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    admin::delete(state.initial_access_tokens.as_ref(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

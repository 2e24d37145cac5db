//! `/oauth2/register`: OpenID Connect Dynamic Client Registration (RFC 7591) and its
//! management protocol (RFC 7592), Hydra's `createOidcDynamicClient` and siblings, on
//! the public listener when `oidc.dynamic_client_registration.enabled`. Thin handlers:
//! extract, call `client::registration`, respond. `POST /clients/register` is an alias
//! of the registration endpoint (undocumented) for clients of the service Portunus
//! replaces.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};

use crate::client::model::Client;
use crate::client::registration::{self, Registered};
use crate::client::wire::OAuth2Client;
use crate::error::{ErrorBody, OAuth2Error};
use crate::events::ClientActor;
use crate::http::request_context::authorization_header;
use crate::oauth2::bearer;
use crate::state::AppState;

/// RFC 7591 §3.2.1 / RFC 7592 §3: responses carrying credentials are not cached.
fn respond(mut response: actix_web::HttpResponseBuilder, body: serde_json::Value) -> HttpResponse {
    response
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

fn token(req: &HttpRequest) -> Result<Option<String>, OAuth2Error> {
    Ok(bearer::from_header(authorization_header(req)?).filter(|t| !t.is_empty()))
}

/// RFC 7592 §2: the management endpoints' common first step — registration on, and
/// the client `id` whose registration access token the request presents.
async fn registered_client(
    state: &AppState,
    req: &HttpRequest,
    id: &str,
) -> Result<Client, OAuth2Error> {
    registration::ensure_enabled(&state.config)?;
    registration::authenticate(state.clients.as_ref(), id, token(req)?.as_deref()).await
}

async fn register(
    state: &AppState,
    req: &HttpRequest,
    body: OAuth2Client,
) -> Result<HttpResponse, OAuth2Error> {
    registration::ensure_enabled(&state.config)?;
    let registered = registration::register(
        &state.reporting_clients(ClientActor::Itself),
        state.clock.as_ref(),
        &state.keys,
        &state.config,
        state.initial_access_tokens.as_ref(),
        token(req)?.as_deref(),
        body,
    )
    .await?;
    let uri = registration::registration_client_uri(&state.config, &registered.client);
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, uri));
    Ok(respond(response, registered.into_wire(&state.config)))
}

/// Register OAuth2 Client using OpenID Dynamic Client Registration
///
/// Registers a client without the admin API (RFC 7591, OIDC Dynamic Client
/// Registration 1.0), when `oidc.dynamic_client_registration.enabled` is on (off by
/// default: then 404). The server picks the `client_id` and, for clients that
/// authenticate with a secret, the `client_secret`; both are in this response, with a
/// `registration_access_token` (Bearer) and the `registration_client_uri` to read,
/// replace or delete the registration. Fields only an operator sets (`metadata`,
/// `access_token_strategy`, `skip_consent`, `skip_logout_consent`, token lifespans)
/// are refused with `invalid_client_metadata`. A registration without `scope` gets
/// `oidc.dynamic_client_registration.default_scope`. When
/// `oidc.dynamic_client_registration.initial_access_tokens` is set, send one as
/// `Authorization: Bearer` (RFC 7591 §3).
#[utoipa::path(
    tag = "oidc",
    request_body(content = OAuth2Client, description = "Dynamic Client Registration Request Body"),
    responses(
        (status = 201, description = "The registered client, with its secret and registration access token.", body = OAuth2Client),
        (status = 400, description = "Invalid client metadata (error invalid_client_metadata or invalid_redirect_uri).", body = ErrorBody),
        (status = 401, description = "A required initial access token is missing or wrong (error invalid_token).", body = ErrorBody),
        (status = 404, description = "Dynamic client registration is not enabled.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[post("/oauth2/register")]
pub async fn create_oidc_dynamic_client(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<OAuth2Client>,
) -> Result<HttpResponse, OAuth2Error> {
    register(&state, &req, body.into_inner()).await
}

/// `POST /clients/register`: the registration endpoint under the path of the OAuth 2.0
/// service Portunus replaces. Not in the API document: one operation per path suffices.
pub async fn create_oidc_dynamic_client_alias(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<OAuth2Client>,
) -> Result<HttpResponse, OAuth2Error> {
    register(&state, &req, body.into_inner()).await
}

/// Get OAuth2 Client using OpenID Dynamic Client Registration
///
/// The registered client (RFC 7592 §2.1), without its secret, for the holder of its
/// registration access token (`Authorization: Bearer`). A wrong token, an unknown
/// client and a client the operator created all get 401 `invalid_token`.
#[utoipa::path(
    tag = "oidc",
    params(("id" = String, Path, description = "The id of the OAuth 2.0 Client.")),
    responses(
        (status = 200, description = "The client.", body = OAuth2Client),
        (status = 401, description = "Missing or wrong registration access token (error invalid_token).", body = ErrorBody),
        (status = 404, description = "Dynamic client registration is not enabled.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/oauth2/register/{id}")]
pub async fn get_oidc_dynamic_client(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    let client = registered_client(&state, &req, &id).await?;
    let read = Registered {
        client,
        secret: None,
        registration_access_token: None,
    };
    Ok(respond(HttpResponse::Ok(), read.into_wire(&state.config)))
}

/// Set OAuth2 Client using OpenID Dynamic Client Registration
///
/// Replaces the registered client's metadata (RFC 7592 §2.2) for the holder of its
/// registration access token. The secret is kept: a `client_secret` in the body must
/// be the current one. The response carries a new `registration_access_token`; the old
/// one stops working (as Hydra rotates it).
#[utoipa::path(
    tag = "oidc",
    params(("id" = String, Path, description = "OAuth 2.0 Client ID")),
    request_body(content = OAuth2Client, description = "OAuth 2.0 Client Request Body"),
    responses(
        (status = 200, description = "The updated client, with a new registration access token.", body = OAuth2Client),
        (status = 400, description = "Invalid client metadata (error invalid_client_metadata, invalid_redirect_uri or invalid_request).", body = ErrorBody),
        (status = 401, description = "Missing or wrong registration access token (error invalid_token).", body = ErrorBody),
        (status = 404, description = "Dynamic client registration is not enabled.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/oauth2/register/{id}")]
pub async fn set_oidc_dynamic_client(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<OAuth2Client>,
) -> Result<HttpResponse, OAuth2Error> {
    let existing = registered_client(&state, &req, &id).await?;
    let replaced = registration::replace(
        &state.reporting_clients(ClientActor::Itself),
        state.clock.as_ref(),
        &state.keys,
        &state.config,
        existing,
        body.into_inner(),
    )
    .await?;
    Ok(respond(
        HttpResponse::Ok(),
        replaced.into_wire(&state.config),
    ))
}

/// Delete OAuth 2.0 Client using the OpenID Dynamic Client Registration Management Protocol
///
/// Deletes the registered client (RFC 7592 §2.3) for the holder of its registration
/// access token.
#[utoipa::path(
    tag = "oidc",
    params(("id" = String, Path, description = "The id of the OAuth 2.0 Client.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Missing or wrong registration access token (error invalid_token).", body = ErrorBody),
        (status = 404, description = "Dynamic client registration is not enabled.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/oauth2/register/{id}")]
pub async fn delete_oidc_dynamic_client(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    let client = registered_client(&state, &req, &id).await?;
    registration::delete(&state.reporting_clients(ClientActor::Itself), &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

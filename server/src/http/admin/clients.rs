//! `/admin/clients`: Hydra's OAuth 2.0 client management API. Thin handlers: extract,
//! call `client::admin`, respond.

use actix_web::http::header::{LINK, LOCATION};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::client::admin::{self, ListRequest};
use crate::client::wire::{OAuth2Client, OAuth2ClientTokenLifespans};
use crate::error::{ErrorBody, OAuth2Error};
use crate::events::ClientActor;

/// RFC 3986 §3.3: what must be escaped in a path segment (a space is `%20`, not `+`).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');
use crate::http::pagination::link_header;
use crate::state::AppState;

/// Query of `GET /admin/clients`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListClientsQuery {
    /// Items per page: default 250, at most 1000.
    #[param(minimum = 1, maximum = 1000, default = 250)]
    pub page_size: Option<i64>,
    /// The next page token, taken from the `Link` header of the previous page.
    pub page_token: Option<String>,
    /// Only clients with exactly this name.
    pub client_name: Option<String>,
    /// Only clients with exactly this owner.
    pub owner: Option<String>,
}

/// One RFC 6902 operation (Hydra's `jsonPatch`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = jsonPatch)]
pub struct JsonPatchOperation {
    /// One of "add", "remove", "replace", "move", "copy", "test".
    pub op: String,
    /// JSON Pointer (RFC 6901) to the target.
    pub path: String,
    /// JSON Pointer of the source, for "move" and "copy".
    pub from: Option<String>,
    /// The value, for "add", "replace" and "test".
    pub value: Option<serde_json::Value>,
}

/// List OAuth 2.0 clients
///
/// Lists clients ordered by id, never with secrets. Pages are linked with an RFC 8288
/// `Link` header (`rel="next"` while more clients follow, and `rel="first"`).
#[utoipa::path(
    tag = "oAuth2",
    params(ListClientsQuery),
    responses(
        (status = 200, description = "A page of clients.", body = Vec<OAuth2Client>,
            headers(("Link" = String, description = "RFC 8288 links to the first and next page"))),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/clients")]
pub async fn list_o_auth2_clients(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ListClientsQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    let query = query.into_inner();
    let page = admin::list(
        state.clients.as_ref(),
        ListRequest {
            page_size: query.page_size,
            page_token: query.page_token,
            client_name: query.client_name.clone(),
            owner: query.owner.clone(),
        },
    )
    .await?;
    let link = link_header(
        req.path(),
        page.page_size,
        &[
            ("client_name", query.client_name.as_deref()),
            ("owner", query.owner.as_deref()),
        ],
        page.next_page_token.as_deref(),
    );
    let body: Vec<OAuth2Client> = page
        .clients
        .iter()
        .map(|c| OAuth2Client::from_model(c, None))
        .collect();
    Ok(HttpResponse::Ok().insert_header((LINK, link)).json(body))
}

/// Create an OAuth 2.0 client
///
/// Registers a client. Without `client_id` a UUIDv4 is assigned; without `client_secret`
/// a secret of 256 random bits is generated. The secret is in this response and never
/// again: only a hash is stored.
#[utoipa::path(
    tag = "oAuth2",
    request_body(content = OAuth2Client, description = "The client to create"),
    responses(
        (status = 201, description = "The created client, with its secret.", body = OAuth2Client,
            headers(("Location" = String, description = "URL of the new client"))),
        (status = 400, description = "Invalid client metadata.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 409, description = "A client with this id exists.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[post("/clients")]
pub async fn create_o_auth2_client(
    state: web::Data<AppState>,
    body: web::Json<OAuth2Client>,
) -> Result<HttpResponse, OAuth2Error> {
    let created = admin::create(
        &state.reporting_clients(ClientActor::Admin),
        state.clock.as_ref(),
        &state.keys,
        &state.config,
        body.into_inner(),
    )
    .await?;
    let location = format!(
        "/admin/clients/{}",
        percent_encoding::utf8_percent_encode(&created.client.client_id, PATH_SEGMENT)
    );
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .json(OAuth2Client::from_model(&created.client, created.secret)))
}

/// Get an OAuth 2.0 client
///
/// The client with this id, without its secret.
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the OAuth 2.0 client")),
    responses(
        (status = 200, description = "The client.", body = OAuth2Client),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such client.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/clients/{id}")]
pub async fn get_o_auth2_client(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    let client = admin::get(state.clients.as_ref(), &id).await?;
    Ok(HttpResponse::Ok().json(OAuth2Client::from_model(&client, None)))
}

/// Set an OAuth 2.0 client
///
/// Replaces the client with the body. The existing secret is kept unless the body sets
/// `client_secret`, which is then returned in this response only.
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the OAuth 2.0 client")),
    request_body(content = OAuth2Client, description = "The complete new client"),
    responses(
        (status = 200, description = "The updated client.", body = OAuth2Client),
        (status = 400, description = "Invalid client metadata.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such client.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/clients/{id}")]
pub async fn set_o_auth2_client(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<OAuth2Client>,
) -> Result<HttpResponse, OAuth2Error> {
    let updated = admin::replace(
        &state.reporting_clients(ClientActor::Admin),
        state.clock.as_ref(),
        &state.keys,
        &state.config,
        &id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(OAuth2Client::from_model(&updated.client, updated.secret)))
}

/// Patch an OAuth 2.0 client
///
/// Applies an RFC 6902 JSON Patch to the client. Patching `client_secret` sets a new
/// secret, returned in this response only; `client_id` cannot change.
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the OAuth 2.0 client")),
    request_body(content = Vec<JsonPatchOperation>, description = "RFC 6902 JSON Patch"),
    responses(
        (status = 200, description = "The patched client.", body = OAuth2Client),
        (status = 400, description = "Invalid patch or resulting metadata.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such client.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[patch("/clients/{id}")]
pub async fn patch_o_auth2_client(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<json_patch::Patch>,
) -> Result<HttpResponse, OAuth2Error> {
    let updated = admin::patch(
        &state.reporting_clients(ClientActor::Admin),
        state.clock.as_ref(),
        &state.keys,
        &state.config,
        &id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(OAuth2Client::from_model(&updated.client, updated.secret)))
}

/// Delete an OAuth 2.0 client
///
/// Deletes the client; 204 on success, 404 when there is none.
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the OAuth 2.0 client")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such client.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/clients/{id}")]
pub async fn delete_o_auth2_client(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    admin::delete(&state.reporting_clients(ClientActor::Admin), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set OAuth 2.0 client token lifespans
///
/// Sets the 13 token lifespans of the client (null: the server's `ttl.*` default) and
/// changes nothing else.
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the OAuth 2.0 client")),
    request_body(content = OAuth2ClientTokenLifespans, description = "The lifespans"),
    responses(
        (status = 200, description = "The updated client.", body = OAuth2Client),
        (status = 400, description = "Invalid duration.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such client.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/clients/{id}/lifespans")]
pub async fn set_o_auth2_client_lifespans(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<OAuth2ClientTokenLifespans>,
) -> Result<HttpResponse, OAuth2Error> {
    let client = admin::set_lifespans(
        &state.reporting_clients(ClientActor::Admin),
        state.clock.as_ref(),
        &id,
        &body,
    )
    .await?;
    Ok(HttpResponse::Ok().json(OAuth2Client::from_model(&client, None)))
}

//! `/admin/keys`: Hydra's JSON Web Key Set API. Thin handlers: extract, call
//! `KeyManager`, respond. Responses carry private keys, so they are never cached.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpResponse, HttpResponseBuilder, delete, get, post, put, web};

use crate::error::{ErrorBody, OAuth2Error};
use crate::jwk::admin::CreateKeyRequest;
use crate::jwk::wire::CreateJsonWebKeySet;
use crate::jwk::{JsonWebKey, JsonWebKeySet};
use crate::state::AppState;

fn no_store(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder.insert_header(CacheControl(vec![CacheDirective::NoStore]));
    builder
}

/// Create a JSON Web Key
///
/// Generates a key of `alg` for `use` and adds it to the set, creating the set when it
/// does not exist. The response holds the new key with its private part. In a set that
/// already has keys of this use, the new key is published at once and signs after
/// `oidc.jwks.publish_before_use`; the keys it replaces stay published (rotation).
#[utoipa::path(
    tag = "jwk",
    params(("set" = String, Path, description = "The JSON Web Key Set ID")),
    request_body(content = CreateJsonWebKeySet, description = "The key to generate"),
    responses(
        (status = 201, description = "The generated key, with its private part.", body = JsonWebKeySet),
        (status = 400, description = "Unsupported alg or use.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 409, description = "A key with this kid exists in the set.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[post("/keys/{set}")]
pub async fn create_json_web_key_set(
    state: web::Data<AppState>,
    set: web::Path<String>,
    body: web::Json<CreateJsonWebKeySet>,
) -> Result<HttpResponse, OAuth2Error> {
    let body = body.into_inner();
    let request = CreateKeyRequest {
        alg: body.alg,
        kid: body.kid,
        use_: body.use_,
    };
    let created = state.key_manager.create_key(&set, &request).await?;
    Ok(no_store(HttpResponse::Created()).json(created))
}

/// Retrieve a JSON Web Key Set
///
/// Every key of the set, private parts included.
#[utoipa::path(
    tag = "jwk",
    params(("set" = String, Path, description = "JSON Web Key Set ID")),
    responses(
        (status = 200, description = "The set.", body = JsonWebKeySet),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such set.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/keys/{set}")]
pub async fn get_json_web_key_set(
    state: web::Data<AppState>,
    set: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    let keys = state.key_manager.get_key_set(&set).await?;
    Ok(no_store(HttpResponse::Ok()).json(keys))
}

/// Update a JSON Web Key Set
///
/// Replaces every key of the set with the given keys (each needs `kid`, `alg`, `use`
/// and usable key material); they sign at once. Private parts are encrypted at rest.
#[utoipa::path(
    tag = "jwk",
    params(("set" = String, Path, description = "The JSON Web Key Set ID")),
    request_body(content = JsonWebKeySet, description = "The new keys of the set"),
    responses(
        (status = 200, description = "The stored set.", body = JsonWebKeySet),
        (status = 400, description = "Invalid key; the message names the member.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/keys/{set}")]
pub async fn set_json_web_key_set(
    state: web::Data<AppState>,
    set: web::Path<String>,
    body: web::Json<JsonWebKeySet>,
) -> Result<HttpResponse, OAuth2Error> {
    let keys = state
        .key_manager
        .set_key_set(&set, body.into_inner())
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(keys))
}

/// Delete JSON Web Key Set
///
/// Deletes every key of the set; 204 on success, 404 when there is none. The startup
/// sets (`hydra.openid.id-token`, `hydra.jwt.access-token`) get a new key at the next
/// start.
#[utoipa::path(
    tag = "jwk",
    params(("set" = String, Path, description = "The JSON Web Key Set")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such set.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/keys/{set}")]
pub async fn delete_json_web_key_set(
    state: web::Data<AppState>,
    set: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    state.key_manager.delete_key_set(&set).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Get JSON Web Key
///
/// The key with this kid, as a set of one, private part included.
#[utoipa::path(
    tag = "jwk",
    params(
        ("set" = String, Path, description = "JSON Web Key Set ID"),
        ("kid" = String, Path, description = "JSON Web Key ID")
    ),
    responses(
        (status = 200, description = "The key.", body = JsonWebKeySet),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such key.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/keys/{set}/{kid}")]
pub async fn get_json_web_key(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, OAuth2Error> {
    let (set, kid) = path.into_inner();
    let keys = state.key_manager.get_key(&set, &kid).await?;
    Ok(no_store(HttpResponse::Ok()).json(keys))
}

/// Set JSON Web Key
///
/// Adds or replaces the key with this kid in the set (creating the set). A replaced
/// key keeps its schedule; the body's `kid`, when given, must equal the path's.
#[utoipa::path(
    tag = "jwk",
    params(
        ("set" = String, Path, description = "The JSON Web Key Set ID"),
        ("kid" = String, Path, description = "JSON Web Key ID")
    ),
    request_body(content = JsonWebKey, description = "The key"),
    responses(
        (status = 200, description = "The stored key.", body = JsonWebKey),
        (status = 400, description = "Invalid key; the message names the member.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/keys/{set}/{kid}")]
pub async fn set_json_web_key(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<JsonWebKey>,
) -> Result<HttpResponse, OAuth2Error> {
    let (set, kid) = path.into_inner();
    let key = state
        .key_manager
        .set_key(&set, &kid, body.into_inner())
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(key))
}

/// Delete JSON Web Key
///
/// Deletes one key of the set; 204 on success, 404 when there is none.
#[utoipa::path(
    tag = "jwk",
    params(
        ("set" = String, Path, description = "The JSON Web Key Set"),
        ("kid" = String, Path, description = "The JSON Web Key ID (kid)")
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such key.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/keys/{set}/{kid}")]
pub async fn delete_json_web_key(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, OAuth2Error> {
    let (set, kid) = path.into_inner();
    state.key_manager.delete_key(&set, &kid).await?;
    Ok(HttpResponse::NoContent().finish())
}

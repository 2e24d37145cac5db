//! `/admin/users`: local users of the built-in login UI (issue 22 §1). Thin handlers:
//! extract, call `users::admin`, respond. No response carries a password or its hash.

use actix_web::http::header::{LINK, LOCATION};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ErrorBody, OAuth2Error};
use crate::http::admin::clients::JsonPatchOperation;
use crate::http::pagination::link_header;
use crate::state::AppState;
use crate::users::admin::{self, ListRequest};
use crate::users::wire::{SetUserPasswordBody, UserBody, UserResponse};

/// Query of `GET /admin/users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Items per page: default 250, at most 1000.
    #[param(minimum = 1, maximum = 1000, default = 250)]
    pub page_size: Option<i64>,
    /// The next page token, taken from the `Link` header of the previous page.
    pub page_token: Option<String>,
    /// Only the user with this username (matched regardless of case).
    pub username: Option<String>,
}

/// List users
///
/// Lists users ordered by id, never with passwords or their hashes. Pages are linked
/// with an RFC 8288 `Link` header (`rel="next"` while more users follow, and
/// `rel="first"`).
#[utoipa::path(
    tag = "users",
    params(ListUsersQuery),
    responses(
        (status = 200, description = "A page of users.", body = Vec<UserResponse>,
            headers(("Link" = String, description = "RFC 8288 links to the first and next page"))),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ListUsersQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    let query = query.into_inner();
    let page = admin::list(
        state.users.as_ref(),
        ListRequest {
            page_size: query.page_size,
            page_token: query.page_token,
            username: query.username.clone(),
        },
    )
    .await?;
    let link = link_header(
        req.path(),
        page.page_size,
        &[("username", query.username.as_deref())],
        page.next_page_token.as_deref(),
    );
    let body: Vec<UserResponse> = page.users.iter().map(UserResponse::from).collect();
    Ok(HttpResponse::Ok().insert_header((LINK, link)).json(body))
}

/// Create a user
///
/// Creates a local user with a generated id (a UUID, the subject of its sessions). The
/// password, when given, is stored as an Argon2id hash only. 409 when the username is
/// taken (usernames compare regardless of case).
#[utoipa::path(
    tag = "users",
    request_body(content = UserBody, description = "The user to create"),
    responses(
        (status = 201, description = "The created user.", body = UserResponse,
            headers(("Location" = String, description = "URL of the new user"))),
        (status = 400, description = "Invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 409, description = "A user with this username exists.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    body: web::Json<UserBody>,
) -> Result<HttpResponse, OAuth2Error> {
    let user = admin::create(
        state.users.as_ref(),
        state.clock.as_ref(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/admin/users/{}", user.id)))
        .json(UserResponse::from(&user)))
}

/// Get a user
///
/// The user with this id, without its password.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The id of the user")),
    responses(
        (status = 200, description = "The user.", body = UserResponse),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such user.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    let user = admin::get(state.users.as_ref(), &id).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(&user)))
}

/// Set a user
///
/// Replaces the user with the body: omitted fields get their defaults. The password is
/// kept unless the body sets one. 409 when another user has the username.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The id of the user")),
    request_body(content = UserBody, description = "The complete new user"),
    responses(
        (status = 200, description = "The updated user.", body = UserResponse),
        (status = 400, description = "Invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such user.", body = ErrorBody),
        (status = 409, description = "Another user has this username.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/users/{id}")]
pub async fn set_user(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UserBody>,
) -> Result<HttpResponse, OAuth2Error> {
    let user = admin::replace(
        state.users.as_ref(),
        state.clock.as_ref(),
        &id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(&user)))
}

/// Patch a user
///
/// Applies an RFC 6902 JSON Patch to the user as `getUser` shows it. `id`,
/// `created_at`, `updated_at` and `has_password` are read-only; `add /password` sets a
/// new password.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The id of the user")),
    request_body(content = Vec<JsonPatchOperation>, description = "RFC 6902 JSON Patch"),
    responses(
        (status = 200, description = "The patched user.", body = UserResponse),
        (status = 400, description = "Invalid patch or resulting field.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such user.", body = ErrorBody),
        (status = 409, description = "Another user has this username.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[patch("/users/{id}")]
pub async fn patch_user(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<json_patch::Patch>,
) -> Result<HttpResponse, OAuth2Error> {
    let user = admin::patch(
        state.users.as_ref(),
        state.clock.as_ref(),
        &id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(&user)))
}

/// Set a user's password
///
/// Replaces the user's password (8 to 1024 characters), stored as an Argon2id hash
/// only; changes nothing else.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The id of the user")),
    request_body(content = SetUserPasswordBody, description = "The new password"),
    responses(
        (status = 200, description = "The user.", body = UserResponse),
        (status = 400, description = "Invalid password.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such user.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/users/{id}/password")]
pub async fn set_user_password(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<SetUserPasswordBody>,
) -> Result<HttpResponse, OAuth2Error> {
    let user = admin::set_password(
        state.users.as_ref(),
        state.clock.as_ref(),
        &id,
        &body.password,
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(&user)))
}

/// Delete a user
///
/// Deletes the user; 204 on success, 404 when there is none. Sessions and consents of
/// the subject are not revoked by this (use `revokeOAuth2LoginSessions` and
/// `revokeOAuth2ConsentSessions` with the user's id).
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The id of the user")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such user.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    admin::delete(state.users.as_ref(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

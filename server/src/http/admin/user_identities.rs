//! `/admin/users/{id}/identities`: the upstream identities linked to a local user
//! (issue 22 §1, docs/login-ui.md "Linking"). Thin handlers over `users::identity_admin`.

use actix_web::{HttpResponse, delete, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ErrorBody, OAuth2Error};
use crate::state::AppState;
use crate::users::identity_admin;
use crate::users::wire::UserIdentityResponse;

/// Query of `DELETE /admin/users/{id}/identities`: the link to delete. Query
/// parameters rather than path segments, because an upstream subject may hold any
/// character, `/` included.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnlinkUserIdentityQuery {
    /// The provider's `id` in `login_ui.providers`.
    pub provider: String,
    /// The provider's subject for the person.
    pub upstream_subject: String,
}

/// List a user's linked identities
///
/// The upstream identities (provider and the provider's subject) that sign in as this
/// user, by provider then subject, at most 100.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The id of the user")),
    responses(
        (status = 200, description = "The user's links.", body = Vec<UserIdentityResponse>),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such user.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/users/{id}/identities")]
pub async fn list_user_identities(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    let links = identity_admin::list(state.upstreams.identities.as_ref(), &id).await?;
    let body: Vec<UserIdentityResponse> = links.iter().map(UserIdentityResponse::from).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Unlink an identity from a user
///
/// Deletes the link; the identity's next sign-in through its provider is treated as a
/// first one (`login_ui.providers[].on_first_login`). 204 on success, 404 when the user
/// has no such link.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The id of the user"), UnlinkUserIdentityQuery),
    responses(
        (status = 204, description = "Unlinked."),
        (status = 400, description = "A missing or too long provider or upstream_subject.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such link of this user.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/users/{id}/identities")]
pub async fn unlink_user_identity(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<UnlinkUserIdentityQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    identity_admin::unlink(
        state.upstreams.identities.as_ref(),
        &id,
        &query.provider,
        &query.upstream_subject,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

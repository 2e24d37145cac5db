//! `/admin/clients/{id}/secret/…`: client secret rotation without downtime. The new
//! secret works at once, the replaced one until its grace period ends (or it is
//! deleted), so a client's instances can be updated one by one. Thin handlers over
//! `client::admin::{rotate_secret, delete_previous_secret}`.

use actix_web::{HttpResponse, delete, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::client::admin;
use crate::error::{ErrorBody, OAuth2Error};
use crate::events::ClientActor;
use crate::state::AppState;

/// The body of a rotation (`{}` for a generated secret and the configured period).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = rotateOAuth2ClientSecretBody)]
pub struct RotateSecretBody {
    /// The new secret; generated (256 random bits) when absent.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// How long the replaced secret keeps working, as a duration (`1h30m`); at most
    /// `720h`. Default: `oauth2.client_secret_rotation.grace_period`.
    #[serde(default)]
    pub grace_period: Option<String>,
}

/// The outcome of a rotation.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(as = rotatedOAuth2ClientSecret)]
pub struct RotatedSecret {
    pub client_id: String,
    /// The new secret; shown in this response only.
    pub client_secret: String,
    /// When the new secret expires, in seconds since the epoch; 0: never (RFC 7591 §3.2.1).
    pub client_secret_expires_at: i64,
    /// When the replaced secret stops working, in seconds since the epoch.
    pub previous_secret_expires_at: i64,
}

/// Rotate an OAuth 2.0 client's secret
///
/// Sets a new secret (generated unless given) for a `client_secret_basic` or
/// `client_secret_post` client; the replaced secret keeps authenticating for the grace
/// period. One replaced secret is kept: rotating again ends the earlier one's period.
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the OAuth 2.0 client")),
    request_body = RotateSecretBody,
    responses(
        (status = 200, description = "The new secret and when the old one stops working.", body = RotatedSecret),
        (status = 400, description = "The client does not use a secret at Basic/post, or a bad field.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such client.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[post("/clients/{id}/secret/rotate")]
pub async fn rotate_o_auth2_client_secret(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<RotateSecretBody>,
) -> Result<HttpResponse, OAuth2Error> {
    let body = body.into_inner();
    let rotated = admin::rotate_secret(
        &state.reporting_clients(ClientActor::Admin),
        state.clock.as_ref(),
        &state.config,
        &id,
        body.client_secret.filter(|s| !s.is_empty()),
        body.grace_period.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(RotatedSecret {
        client_id: rotated.client.client_id,
        client_secret: rotated.secret,
        client_secret_expires_at: 0,
        previous_secret_expires_at: rotated.previous_secret_expires_at.timestamp(),
    }))
}

/// Delete an OAuth 2.0 client's previous secret
///
/// Ends a rotation's grace period now: only the current secret authenticates. 204 also
/// when there was no previous secret.
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the OAuth 2.0 client")),
    responses(
        (status = 204, description = "The previous secret no longer authenticates."),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such client.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/clients/{id}/secret/previous")]
pub async fn delete_o_auth2_client_previous_secret(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    admin::delete_previous_secret(
        &state.reporting_clients(ClientActor::Admin),
        state.clock.as_ref(),
        &id,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

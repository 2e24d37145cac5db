//! `PUT /admin/oauth2/auth/requests/device/accept`: Hydra's API for the operator's
//! device app to submit the user code a user typed (RFC 8628 §3.3).

use actix_web::{HttpResponse, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ErrorBody, OAuth2Error};
use crate::flow::device;
use crate::flow::wire::{AcceptDeviceUserCodeRequest, OAuth2RedirectTo};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceChallengeQuery {
    /// The device challenge from the device app's URL.
    pub device_challenge: String,
}

/// Accepts a device grant user_code request
///
/// The device app submits the user code the user entered for `device_challenge`. On a
/// match the answer's `redirect_to` continues the flow (login, then consent). Each
/// challenge allows `oauth2.device_authorization.user_code.max_attempts` submissions;
/// after that it is locked (403) and the user must start again.
#[utoipa::path(
    tag = "oAuth2",
    params(DeviceChallengeQuery),
    request_body(content = AcceptDeviceUserCodeRequest, description = "The user code"),
    responses(
        (status = 200, description = "Where the user agent goes next.", body = OAuth2RedirectTo),
        (status = 400, description = "The user code is missing, wrong, expired or used (error invalid_request).", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 403, description = "The challenge is locked after too many wrong user codes (error request_forbidden).", body = ErrorBody),
        (status = 404, description = "Unknown, tampered or expired challenge.", body = ErrorBody),
        (status = 410, description = "Already handled; `redirect_to` says where the user goes.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/oauth2/auth/requests/device/accept")]
pub async fn accept_user_code_request(
    state: web::Data<AppState>,
    query: web::Query<DeviceChallengeQuery>,
    body: web::Json<AcceptDeviceUserCodeRequest>,
) -> Result<HttpResponse, OAuth2Error> {
    let redirect_to =
        device::accept_user_code(&state, &query.device_challenge, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(OAuth2RedirectTo { redirect_to }))
}

//! The device flow's public endpoints (RFC 8628): `POST /oauth2/device/auth`, the
//! device authorization endpoint (§3.1), and `GET /oauth2/device/verify`, the
//! verification URI users open (§3.3). Thin: extract, call `oauth2::device` or
//! `flow::device`, respond.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa::ToSchema;

use super::authorize::{cookies_of, pairs, request_url, respond};
use crate::error::{ErrorBody, OAuth2Error};
use crate::flow::device;
use crate::http::form_body::FormPairs;
use crate::http::request_context::{expose_client, request_context};
use crate::oauth2::device::authorization::{self, DeviceAuthorizationResponse};
use crate::oauth2::form::FormParams;
use crate::state::AppState;

/// The device authorization request (RFC 8628 §3.1) and the client's authentication
/// as at the token endpoint.
#[derive(ToSchema)]
pub struct DeviceAuthorizationForm {
    /// The client; required for public clients and `client_secret_post`.
    pub client_id: Option<String>,
    /// The client's secret, for `client_secret_post`.
    pub client_secret: Option<String>,
    /// Space-separated scopes to request.
    pub scope: Option<String>,
    /// Audiences to request, space-separated (or the parameter repeated).
    pub audience: Option<String>,
    /// RFC 9396 authorization details: a JSON array of typed objects, each of a type
    /// the client may use.
    pub authorization_details: Option<String>,
}

/// The OAuth 2.0 Device Authorize Endpoint
///
/// Starts the device authorization grant (RFC 8628 §3.1): the client, registered for
/// `urn:ietf:params:oauth:grant-type:device_code`, gets a device code to poll the token
/// endpoint with and a user code for the user to enter at `verification_uri`. Use an
/// OAuth 2.0 library rather than this SDK method.
#[utoipa::path(
    tag = "oAuth2",
    request_body(
        content = inline(DeviceAuthorizationForm),
        content_type = "application/x-www-form-urlencoded",
        description = "The device authorization request"
    ),
    responses(
        (status = 200, description = "The device and user codes.", body = DeviceAuthorizationResponse),
        (status = 400, description = "The request is invalid (e.g. invalid_request, invalid_scope, unauthorized_client, invalid_authorization_details).", body = ErrorBody),
        (status = 401, description = "Client authentication failed.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/x-www-form-urlencoded (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable, or the queue of client secret verifications is full (error temporarily_unavailable, Retry-After).", body = ErrorBody)
    )
)]
#[post("/oauth2/device/auth")]
pub async fn o_auth2_device_flow(
    state: web::Data<AppState>,
    req: HttpRequest,
    FormPairs(form): FormPairs,
) -> Result<HttpResponse, OAuth2Error> {
    let http = request_context(&req, &state.config, "/oauth2/device/auth");
    let response = authorization::authorize_device(&state, &http, form).await;
    expose_client(&req, &http);
    let response = response?;
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .json(response))
}

/// OAuth 2.0 Device Verification Endpoint
///
/// The `verification_uri` users open (RFC 8628 §3.3). Redirects the browser to the
/// device app (`urls.device.verification`) with a `device_challenge` (and the
/// `user_code` of `verification_uri_complete`), and later takes the device, login and
/// consent verifiers of the flow, ending at `urls.device.success`. Not for API clients.
#[utoipa::path(
    tag = "oAuth2",
    responses(
        (status = 303, description = "On to the device app, the login or consent app, urls.device.success, or urls.error."),
        (status = 400, description = "An error page (e.g. an invalid or used verifier).", content_type = "text/html", body = String),
        (status = 403, description = "An error page (the CSRF cookie does not match, or the user refused).", content_type = "text/html", body = String),
        (status = 404, description = "An error page: urls.device.verification is not configured, so this server serves no device flow.", content_type = "text/html", body = String),
        (status = 500, description = "An error page (internal error).", content_type = "text/html", body = String),
        (status = 503, description = "An error page (database unavailable).", content_type = "text/html", body = String)
    )
)]
#[get("/oauth2/device/verify")]
pub async fn perform_o_auth2_device_verification_flow(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> HttpResponse {
    let params = FormParams::new(pairs(req.query_string()));
    let url = request_url(&state, &req, req.query_string());
    let result = device::handle(&state, &params, &cookies_of(&req), &url).await;
    respond(&state, &req, result)
}

//! `/admin/oauth2/auth/requests/{login,consent}`: Hydra's challenge API for the
//! operator's login and consent apps.

use actix_web::{HttpResponse, get, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ErrorBody, OAuth2Error};
use crate::flow::admin;
use crate::flow::wire::{
    AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest, OAuth2ConsentRequest, OAuth2LoginRequest,
    OAuth2RedirectTo, RejectOAuth2Request,
};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoginChallengeQuery {
    /// The login challenge from the login app's URL.
    pub login_challenge: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsentChallengeQuery {
    /// The consent challenge from the consent app's URL.
    pub consent_challenge: String,
}

fn redirect(redirect_to: String) -> HttpResponse {
    HttpResponse::Ok().json(OAuth2RedirectTo { redirect_to })
}

/// Get an OAuth 2.0 login request
///
/// The login app calls this with the `login_challenge` it received. With `skip: true` the
/// user has an authentication session: accept it without showing a UI.
#[utoipa::path(
    tag = "oAuth2",
    params(LoginChallengeQuery),
    responses(
        (status = 200, description = "The login request.", body = OAuth2LoginRequest),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "Unknown, tampered or expired challenge.", body = ErrorBody),
        (status = 410, description = "Already handled; `redirect_to` says where the user goes.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/oauth2/auth/requests/login")]
pub async fn get_o_auth2_login_request(
    state: web::Data<AppState>,
    query: web::Query<LoginChallengeQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    let request = admin::get_login_request(&state, &query.login_challenge).await?;
    Ok(HttpResponse::Ok().json(request))
}

/// Accept an OAuth 2.0 login request
///
/// The user authenticated as `subject`; send the user agent to `redirect_to`.
#[utoipa::path(
    tag = "oAuth2",
    params(LoginChallengeQuery),
    request_body(content = AcceptOAuth2LoginRequest, description = "The authenticated subject"),
    responses(
        (status = 200, description = "Where the user agent goes next.", body = OAuth2RedirectTo),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "Unknown, tampered or expired challenge.", body = ErrorBody),
        (status = 410, description = "Already handled.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/oauth2/auth/requests/login/accept")]
pub async fn accept_o_auth2_login_request(
    state: web::Data<AppState>,
    query: web::Query<LoginChallengeQuery>,
    body: web::Json<AcceptOAuth2LoginRequest>,
) -> Result<HttpResponse, OAuth2Error> {
    Ok(redirect(
        admin::accept_login(&state, &query.login_challenge, body.into_inner()).await?,
    ))
}

/// Reject an OAuth 2.0 login request
///
/// The user could not or would not authenticate; the client receives the error.
#[utoipa::path(
    tag = "oAuth2",
    params(LoginChallengeQuery),
    request_body(content = RejectOAuth2Request, description = "The error for the client"),
    responses(
        (status = 200, description = "Where the user agent goes next.", body = OAuth2RedirectTo),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "Unknown, tampered or expired challenge.", body = ErrorBody),
        (status = 410, description = "Already handled.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/oauth2/auth/requests/login/reject")]
pub async fn reject_o_auth2_login_request(
    state: web::Data<AppState>,
    query: web::Query<LoginChallengeQuery>,
    body: web::Json<RejectOAuth2Request>,
) -> Result<HttpResponse, OAuth2Error> {
    Ok(redirect(
        admin::reject_login(&state, &query.login_challenge, body.into_inner()).await?,
    ))
}

/// Get an OAuth 2.0 consent request
///
/// The consent app calls this with the `consent_challenge` it received. With
/// `skip: true` the user granted these scopes to this client before with `remember`.
#[utoipa::path(
    tag = "oAuth2",
    params(ConsentChallengeQuery),
    responses(
        (status = 200, description = "The consent request.", body = OAuth2ConsentRequest),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "Unknown, tampered or expired challenge.", body = ErrorBody),
        (status = 410, description = "Already handled; `redirect_to` says where the user goes.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/oauth2/auth/requests/consent")]
pub async fn get_o_auth2_consent_request(
    state: web::Data<AppState>,
    query: web::Query<ConsentChallengeQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    let request = admin::get_consent_request(&state, &query.consent_challenge).await?;
    Ok(HttpResponse::Ok().json(request))
}

/// Accept an OAuth 2.0 consent request
///
/// The user granted `grant_scope` and `grant_access_token_audience`; `session` data goes
/// into the tokens.
#[utoipa::path(
    tag = "oAuth2",
    params(ConsentChallengeQuery),
    request_body(content = AcceptOAuth2ConsentRequest, description = "What the user granted"),
    responses(
        (status = 200, description = "Where the user agent goes next.", body = OAuth2RedirectTo),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "Unknown, tampered or expired challenge.", body = ErrorBody),
        (status = 410, description = "Already handled.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/oauth2/auth/requests/consent/accept")]
pub async fn accept_o_auth2_consent_request(
    state: web::Data<AppState>,
    query: web::Query<ConsentChallengeQuery>,
    body: web::Json<AcceptOAuth2ConsentRequest>,
) -> Result<HttpResponse, OAuth2Error> {
    Ok(redirect(
        admin::accept_consent(&state, &query.consent_challenge, body.into_inner()).await?,
    ))
}

/// Reject an OAuth 2.0 consent request
///
/// The user refused; the client receives the error.
#[utoipa::path(
    tag = "oAuth2",
    params(ConsentChallengeQuery),
    request_body(content = RejectOAuth2Request, description = "The error for the client"),
    responses(
        (status = 200, description = "Where the user agent goes next.", body = OAuth2RedirectTo),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "Unknown, tampered or expired challenge.", body = ErrorBody),
        (status = 410, description = "Already handled.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/oauth2/auth/requests/consent/reject")]
pub async fn reject_o_auth2_consent_request(
    state: web::Data<AppState>,
    query: web::Query<ConsentChallengeQuery>,
    body: web::Json<RejectOAuth2Request>,
) -> Result<HttpResponse, OAuth2Error> {
    Ok(redirect(
        admin::reject_consent(&state, &query.consent_challenge, body.into_inner()).await?,
    ))
}

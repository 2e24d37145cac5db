//! `/admin/oauth2/auth/requests/logout`: Hydra's challenge API for the operator's logout
//! app (OIDC RP-Initiated Logout 1.0 with a logout UI).

use actix_web::{HttpResponse, get, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ErrorBody, OAuth2Error};
use crate::flow::logout::admin as logout_admin;
use crate::flow::logout::challenge_state::OAuth2LogoutRequest;
use crate::flow::wire::OAuth2RedirectTo;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogoutChallengeQuery {
    /// The logout challenge from the logout app's URL.
    pub logout_challenge: String,
}

/// Get an OAuth 2.0 logout request
///
/// The logout app calls this with the `logout_challenge` it received: who is logging
/// out of which session, and which relying party asked (`rp_initiated`).
#[utoipa::path(
    tag = "oAuth2",
    params(LogoutChallengeQuery),
    responses(
        (status = 200, description = "The logout request.", body = OAuth2LogoutRequest),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "Unknown, tampered or expired challenge.", body = ErrorBody),
        (status = 410, description = "Already handled; `redirect_to` says where the user goes.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/oauth2/auth/requests/logout")]
pub async fn get_o_auth2_logout_request(
    state: web::Data<AppState>,
    query: web::Query<LogoutChallengeQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    let request = logout_admin::get_logout_request(&state, &query.logout_challenge).await?;
    Ok(HttpResponse::Ok().json(request))
}

/// Accept an OAuth 2.0 logout request
///
/// The user confirmed the logout: send the user agent to `redirect_to`, where its
/// session ends and the relying parties are notified.
#[utoipa::path(
    tag = "oAuth2",
    params(LogoutChallengeQuery),
    responses(
        (status = 200, description = "Where the user agent goes next.", body = OAuth2RedirectTo),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "Unknown, tampered or expired challenge.", body = ErrorBody),
        (status = 410, description = "Already handled.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/oauth2/auth/requests/logout/accept")]
pub async fn accept_o_auth2_logout_request(
    state: web::Data<AppState>,
    query: web::Query<LogoutChallengeQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    let redirect_to = logout_admin::accept_logout(&state, &query.logout_challenge).await?;
    Ok(HttpResponse::Ok().json(OAuth2RedirectTo { redirect_to }))
}

/// Reject an OAuth 2.0 logout request
///
/// The user chose to stay logged in: the session is kept and nobody is notified. The
/// answer is empty, as in Hydra; the logout app decides what the user sees next.
#[utoipa::path(
    tag = "oAuth2",
    params(LogoutChallengeQuery),
    responses(
        (status = 204, description = "Rejected; the session is kept."),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "Unknown, tampered or expired challenge.", body = ErrorBody),
        (status = 410, description = "Already handled.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[put("/oauth2/auth/requests/logout/reject")]
pub async fn reject_o_auth2_logout_request(
    state: web::Data<AppState>,
    query: web::Query<LogoutChallengeQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    logout_admin::reject_logout(&state, &query.logout_challenge).await?;
    Ok(HttpResponse::NoContent().finish())
}

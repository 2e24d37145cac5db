//! Admin token operations: RFC 7662 introspection (`POST /admin/oauth2/introspect`) and
//! deleting a client's access tokens (`DELETE /admin/oauth2/tokens`).

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpResponse, delete, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ErrorBody, OAuth2Error};
use crate::http::form_body::FormPairs;
use crate::oauth2::form::FormParams;
use crate::oauth2::introspect::{self, IntrospectedToken};
use crate::oauth2::revoke;
use crate::state::AppState;

/// The introspection request (RFC 7662 §2.1).
#[derive(Debug, ToSchema)]
pub struct IntrospectForm {
    /// The access or refresh token.
    pub token: String,
    /// Space-separated scopes the token must have been granted; otherwise it is
    /// reported inactive.
    pub scope: Option<String>,
}

/// Query of `DELETE /admin/oauth2/tokens`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteTokensQuery {
    /// OAuth 2.0 Client ID
    pub client_id: String,
}

/// Introspect OAuth2 Access and Refresh Tokens
///
/// Says whether a token is active (RFC 7662): issued by this server, neither expired
/// nor revoked, and granted every scope in `scope`. Active tokens come with their
/// metadata; inactive ones are exactly `{"active":false}`.
#[utoipa::path(
    tag = "oAuth2",
    request_body(
        content = inline(IntrospectForm),
        content_type = "application/x-www-form-urlencoded",
        description = "The token to introspect"
    ),
    responses(
        (status = 200, description = "The token's state.", body = IntrospectedToken),
        (status = 400, description = "Invalid request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/x-www-form-urlencoded (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[post("/oauth2/introspect")]
pub async fn introspect_o_auth2_token(
    state: web::Data<AppState>,
    FormPairs(form): FormPairs,
) -> Result<HttpResponse, OAuth2Error> {
    // An empty `token=` is a token that is not active (RFC 7662 §2.2), not a missing one.
    let sent = form.iter().any(|(name, _)| name == "token");
    let form = FormParams::new(form);
    let token = match form.get("token")? {
        Some(token) => token,
        None if sent => "",
        None => form.require("token")?,
    };
    let result = introspect::introspect(&state, token, form.get("scope")?).await?;
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .json(result))
}

/// Delete OAuth 2.0 Access Tokens from specific OAuth 2.0 Client
///
/// Deletes every access token issued to the client. Refresh tokens stay valid.
#[utoipa::path(
    tag = "oAuth2",
    params(DeleteTokensQuery),
    responses(
        (status = 204, description = "Deleted (also when there was nothing to delete)."),
        (status = 400, description = "Missing client_id.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/oauth2/tokens")]
pub async fn delete_o_auth2_token(
    state: web::Data<AppState>,
    query: web::Query<DeleteTokensQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    revoke::delete_client_access_tokens(&state, &query.client_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

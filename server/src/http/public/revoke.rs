//! `POST /oauth2/revoke`: RFC 7009 token revocation. The client authenticates as at the
//! token endpoint; `oauth2::revoke` does the rest.

use actix_web::{HttpRequest, HttpResponse, post, web};
use utoipa::ToSchema;

use crate::error::{ErrorBody, OAuth2Error};
use crate::http::form_body::FormPairs;
use crate::http::request_context::{expose_client, request_context};
use crate::oauth2::form::FormParams;
use crate::oauth2::revoke;
use crate::state::AppState;

/// The revocation request (RFC 7009 §2.1).
#[derive(ToSchema)]
pub struct RevokeForm {
    /// The access or refresh token to revoke.
    pub token: String,
    /// `access_token` or `refresh_token`; optional, since tokens name their kind.
    pub token_type_hint: Option<String>,
    /// The client, for `client_secret_post` and public clients.
    pub client_id: Option<String>,
    /// The client's secret, for `client_secret_post`.
    pub client_secret: Option<String>,
}

/// Revoke OAuth 2.0 Access or Refresh Token
///
/// Revokes the token and every token issued with it by the same grant (RFC 7009): the
/// access and refresh tokens of its family. A client may only revoke its own tokens;
/// unknown and already revoked tokens are answered with 200.
#[utoipa::path(
    tag = "oAuth2",
    request_body(
        content = inline(RevokeForm),
        content_type = "application/x-www-form-urlencoded",
        description = "The token to revoke"
    ),
    responses(
        (status = 200, description = "Revoked, or nothing to revoke."),
        (status = 400, description = "Invalid request, or the token belongs to another client.", body = ErrorBody),
        (status = 401, description = "Client authentication failed.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/x-www-form-urlencoded (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable, or the queue of client secret verifications is full (error temporarily_unavailable, Retry-After; oauth2.client_secret_verification).", body = ErrorBody)
    )
)]
#[post("/oauth2/revoke")]
pub async fn revoke_o_auth2_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    FormPairs(form): FormPairs,
) -> Result<HttpResponse, OAuth2Error> {
    revoke_at(&state, &req, form, "/oauth2/revoke").await
}

/// The revocation endpoint at `path` (canonical or the seed service's alias).
pub(crate) async fn revoke_at(
    state: &AppState,
    req: &HttpRequest,
    form: Vec<(String, String)>,
    path: &str,
) -> Result<HttpResponse, OAuth2Error> {
    let form = FormParams::new(form);
    let token = form.require("token")?;
    let http = request_context(req, &state.config, path);
    let client = state.client_auth.authenticate(&http, &form).await;
    expose_client(req, &http);
    let client = client?;
    revoke::revoke(state, &client, token).await?;
    Ok(HttpResponse::Ok().finish())
}

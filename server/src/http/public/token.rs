//! `POST /oauth2/token`: the OAuth 2.0 token endpoint (RFC 6749 §3.2). Thin: builds the
//! request's context and the form pairs, hands them to the grant registry, and
//! writes the response with `Cache-Control: no-store` (RFC 6749 §5.1).

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, post, web};
use utoipa::ToSchema;

use crate::error::{ErrorBody, OAuth2Error};
use crate::http::form_body::FormPairs;
use crate::http::request_context::{expose_client, request_context};
use crate::oauth2::credentials;
use crate::oauth2::dpop::NONCE_HEADER;
use crate::oauth2::form::FormParams;
use crate::oauth2::issue::TokenResponse;
use crate::state::AppState;

/// The token request (RFC 6749 §4.1.3, §4.4.2, §6). Client credentials go in the
/// `Authorization: Basic` header or, for `client_secret_post`, in the form.
#[derive(ToSchema)]
pub struct TokenRequestForm {
    /// `authorization_code`, `refresh_token` or `client_credentials`.
    pub grant_type: String,
    /// The client, for `client_secret_post` and public clients.
    pub client_id: Option<String>,
    /// The client's secret, for `client_secret_post`.
    pub client_secret: Option<String>,
    /// Space-separated scopes to request.
    pub scope: Option<String>,
    /// Audiences to request, space-separated (or the parameter repeated).
    pub audience: Option<String>,
    /// The authorization code (`authorization_code`).
    pub code: Option<String>,
    /// The redirect URI of the authorization request (`authorization_code`).
    pub redirect_uri: Option<String>,
    /// The PKCE code verifier (RFC 7636 §4.5).
    pub code_verifier: Option<String>,
    /// The refresh token (`refresh_token`).
    pub refresh_token: Option<String>,
    /// The device code (`urn:ietf:params:oauth:grant-type:device_code`, RFC 8628 §3.4).
    pub device_code: Option<String>,
}

/// The OAuth 2.0 Token Endpoint
///
/// Issues tokens for a grant (RFC 6749 §3.2). Served: `authorization_code` (RFC 6749
/// §4.1.3, with PKCE, RFC 7636 §4.5, and an ID token when `openid` was granted),
/// `refresh_token` (RFC 6749 §6, rotating the refresh token on every use) and
/// `client_credentials` (RFC 6749 §4.4). Access tokens are opaque or RFC 9068 JWTs, as
/// configured. Clients authenticate as registered; public clients send `client_id`.
/// With a valid `DPoP` proof header (RFC 9449 §5) the access token (and a public
/// client's refresh token) is bound to the proof's key and `token_type` is `DPoP`.
/// Use an OAuth 2.0 library rather than this SDK method.
#[utoipa::path(
    tag = "oAuth2",
    request_body(
        content = inline(TokenRequestForm),
        content_type = "application/x-www-form-urlencoded",
        description = "The token request"
    ),
    responses(
        (status = 200, description = "The issued tokens.", body = TokenResponse),
        (status = 400, description = "The request or grant is invalid, or the DPoP proof is (error invalid_dpop_proof; use_dpop_nonce with a DPoP-Nonce header when a server nonce is required).", body = ErrorBody),
        (status = 401, description = "Client authentication failed.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/x-www-form-urlencoded (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable, or the queue of client secret verifications is full (error temporarily_unavailable, Retry-After; oauth2.client_secret_verification).", body = ErrorBody)
    )
)]
#[post("/oauth2/token")]
pub async fn oauth2_token_exchange(
    state: web::Data<AppState>,
    req: HttpRequest,
    FormPairs(form): FormPairs,
) -> Result<HttpResponse, OAuth2Error> {
    token_at(&state, &req, form, "/oauth2/token").await
}

/// The token endpoint at `path` (its canonical path or the seed service's alias, which a
/// DPoP proof's `htu` names).
pub(crate) async fn token_at(
    state: &AppState,
    req: &HttpRequest,
    form: Vec<(String, String)>,
    path: &str,
) -> Result<HttpResponse, OAuth2Error> {
    let form = FormParams::new(form);
    let http = request_context(req, &state.config, path);
    let response = state.grants.exchange(state, &http, &form).await;
    expose_client(req, &http);
    let mut response = response?;
    credentials::add_nonce_to_token_response(state, &mut response)?;
    let mut ok = HttpResponse::Ok();
    ok.insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, "no-cache"));
    // RFC 9449 §8.2: the nonce to use next, with every DPoP answer.
    if http.header_count("dpop") > 0
        && let Some(nonce) = state.dpop.current_nonce()
    {
        ok.insert_header((NONCE_HEADER, nonce));
    }
    Ok(ok.json(response))
}

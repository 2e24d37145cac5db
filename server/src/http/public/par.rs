//! `POST /oauth2/par`: the pushed authorization request endpoint (RFC 9126 §2). Thin:
//! the request's context and form pairs go to `oauth2::par`; the answer is 201 with
//! `Cache-Control: no-store`.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, post, web};
use utoipa::ToSchema;

use crate::error::{ErrorBody, OAuth2Error};
use crate::http::form_body::FormPairs;
use crate::http::request_context::{expose_client, request_context};
use crate::oauth2::dpop::NONCE_HEADER;
use crate::oauth2::par::{self, PushedAuthorizationResponse};
use crate::state::AppState;

/// A pushed authorization request (RFC 9126 §2.1): the parameters of an authorization
/// request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), or a `request` object carrying them,
/// and the client's authentication as at the token endpoint.
#[derive(ToSchema)]
pub struct PushedAuthorizationRequestForm {
    /// The client; required for `client_secret_post` and public clients.
    pub client_id: Option<String>,
    /// The client's secret, for `client_secret_post`.
    pub client_secret: Option<String>,
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` for `private_key_jwt`.
    pub client_assertion_type: Option<String>,
    /// The client assertion, for `private_key_jwt` (RFC 7523 §2.2).
    pub client_assertion: Option<String>,
    /// A signed request object (RFC 9101) holding the request's parameters.
    pub request: Option<String>,
    pub response_type: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub nonce: Option<String>,
    /// RFC 9449 §10: the JWK thumbprint of the DPoP key to bind the code to; with a
    /// `DPoP` header as well, both must name the same key.
    pub dpop_jkt: Option<String>,
}

/// OAuth 2.0 Pushed Authorization Request
///
/// Stores an authorization request before the browser is sent to the authorization
/// endpoint (RFC 9126). The client authenticates as at the token endpoint; the request
/// is validated as `/oauth2/auth` validates it; the answer's `request_uri` is passed
/// to `/oauth2/auth` with the `client_id`, once, within `expires_in` seconds
/// (`ttl.par`). A `DPoP` proof header (RFC 9449 §10.1) binds the authorization code to
/// the proof's key, as `dpop_jkt` does. Use an OAuth 2.0 library rather than this SDK
/// method.
#[utoipa::path(
    tag = "oAuth2",
    request_body(
        content = inline(PushedAuthorizationRequestForm),
        content_type = "application/x-www-form-urlencoded",
        description = "The authorization request to push"
    ),
    responses(
        (status = 201, description = "The request is stored; use its request_uri once.", body = PushedAuthorizationResponse),
        (status = 400, description = "The request is invalid (e.g. invalid_request, invalid_scope, invalid_request_object, invalid_dpop_proof, use_dpop_nonce).", body = ErrorBody),
        (status = 401, description = "Client authentication failed.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/x-www-form-urlencoded (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable, or the queue of client secret verifications is full (error temporarily_unavailable, Retry-After).", body = ErrorBody)
    )
)]
#[post("/oauth2/par")]
pub async fn o_auth2_pushed_authorization_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    FormPairs(form): FormPairs,
) -> Result<HttpResponse, OAuth2Error> {
    let http = request_context(&req, &state.config, "/oauth2/par");
    let response = par::push(&state, &http, form).await;
    expose_client(&req, &http);
    let response = response?;
    let mut created = HttpResponse::Created();
    created.insert_header(CacheControl(vec![CacheDirective::NoStore]));
    // RFC 9449 §8.2: the nonce to use next, with every DPoP answer.
    if http.header_count("dpop") > 0
        && let Some(nonce) = state.dpop.current_nonce()
    {
        created.insert_header((NONCE_HEADER, nonce));
    }
    Ok(created.json(response))
}

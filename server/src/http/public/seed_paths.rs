//! The path surface of the reference OAuth2 service Portunus replaces, on the public
//! listener: `/oauth/authorize`, `/oauth/token`, `/oauth/revoke` (aliases of Hydra's
//! `/oauth2/*` endpoints, which discovery keeps advertising) and `/oauth/introspect`,
//! RFC 7662 introspection for authenticated clients (Hydra's introspection is on the
//! admin listener only, out of reach of resource servers outside the admin network).
//!
//! A DPoP proof sent to an alias names the alias in `htu` (RFC 9449 §4.3: the URI of
//! the request it is sent with); a client assertion's `aud` is still the canonical token
//! endpoint or the issuer (RFC 7523 §3).

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::error::{ErrorBody, ErrorKind, OAuth2Error};
use crate::http::admin::tokens::IntrospectForm;
use crate::http::form_body::FormPairs;
use crate::http::public::revoke::RevokeForm;
use crate::http::public::token::TokenRequestForm;
use crate::http::public::{authorize, revoke, token};
use crate::http::request_context::{expose_client, request_context};
use crate::oauth2::form::FormParams;
use crate::oauth2::introspect::{self, IntrospectedToken};
use crate::oauth2::issue::TokenResponse;
use crate::state::AppState;

/// OAuth 2.0 authorize endpoint (alias)
///
/// `/oauth2/auth` under the reference OAuth2 service's path; same behaviour. Not for
/// API clients.
#[utoipa::path(
    tag = "oidc",
    responses(
        (status = 200, description = "The form_post response page (response_mode=form_post).", content_type = "text/html", body = String),
        (status = 303, description = "On to the login app, the consent app, the client, or urls.error."),
        (status = 400, description = "An error page (e.g. the client or redirect URI is invalid).", content_type = "text/html", body = String),
        (status = 401, description = "An error page (the client is unknown).", content_type = "text/html", body = String),
        (status = 500, description = "An error page (internal error).", content_type = "text/html", body = String),
        (status = 503, description = "An error page (database unavailable).", content_type = "text/html", body = String)
    )
)]
#[get("/oauth/authorize")]
pub async fn oauth_authorize(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    authorize::authorize_get(state, req).await
}

/// The token endpoint (alias)
///
/// `/oauth2/token` under the reference OAuth2 service's path; same behaviour.
#[utoipa::path(
    tag = "oAuth2",
    request_body(
        content = inline(TokenRequestForm),
        content_type = "application/x-www-form-urlencoded",
        description = "The token request"
    ),
    responses(
        (status = 200, description = "The issued tokens.", body = TokenResponse),
        (status = 400, description = "The request or grant is invalid, or the DPoP proof is.", body = ErrorBody),
        (status = 401, description = "Client authentication failed.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/x-www-form-urlencoded (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable, or the queue of client secret verifications is full.", body = ErrorBody)
    )
)]
#[post("/oauth/token")]
pub async fn oauth_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    FormPairs(form): FormPairs,
) -> Result<HttpResponse, OAuth2Error> {
    token::token_at(&state, &req, form, "/oauth/token").await
}

/// Revoke a token (alias)
///
/// `/oauth2/revoke` (RFC 7009) under the reference OAuth2 service's path; same
/// behaviour.
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
        (status = 503, description = "Database unavailable, or the queue of client secret verifications is full.", body = ErrorBody)
    )
)]
#[post("/oauth/revoke")]
pub async fn oauth_revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    FormPairs(form): FormPairs,
) -> Result<HttpResponse, OAuth2Error> {
    revoke::revoke_at(&state, &req, form, "/oauth/revoke").await
}

/// Introspect a token as an authenticated client
///
/// RFC 7662 §2.1 on the public listener: the client authenticates as at the token
/// endpoint and learns about tokens issued to it; a client whose registered `scope`
/// includes `introspect` (a resource server) learns about every token. Any other token
/// is exactly `{"active":false}`. Public clients are refused (`invalid_client`).
#[utoipa::path(
    tag = "oAuth2",
    request_body(
        content = inline(IntrospectForm),
        content_type = "application/x-www-form-urlencoded",
        description = "The token to introspect, and the client's credentials"
    ),
    responses(
        (status = 200, description = "The token's state.", body = IntrospectedToken),
        (status = 400, description = "Invalid request.", body = ErrorBody),
        (status = 401, description = "Client authentication failed.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/x-www-form-urlencoded (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable, or the queue of client secret verifications is full.", body = ErrorBody)
    )
)]
#[post("/oauth/introspect")]
pub async fn oauth_introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    FormPairs(form): FormPairs,
) -> Result<HttpResponse, OAuth2Error> {
    // An empty `token=` is a token that is not active (RFC 7662 §2.2), not a missing one.
    let sent = form.iter().any(|(name, _)| name == "token");
    let form = FormParams::new(form);
    let http = request_context(&req, &state.config, "/oauth/introspect");
    let client = state.client_auth.authenticate(&http, &form).await;
    expose_client(&req, &http);
    let client = client?;
    // RFC 7662 §2.1: the endpoint MUST require authorization; a public client proves
    // nothing by naming its id.
    if client.is_public() {
        return Err(OAuth2Error::new(ErrorKind::InvalidClient).with_hint(
            "A public client (token_endpoint_auth_method none) cannot introspect tokens.",
        ));
    }
    let token = match form.get("token")? {
        Some(token) => token,
        None if sent => "",
        None => form.require("token")?,
    };
    let result =
        introspect::introspect_as_client(&state, &client, token, form.get("scope")?).await?;
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .json(result))
}

//! `/admin/trust/grants/jwt-bearer/issuers`: Hydra's trust API for the JWT bearer grant
//! (RFC 7523 §2.1). Thin handlers: extract, call `trust::admin`, respond.

use actix_web::http::header::{LINK, LOCATION};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ErrorBody, OAuth2Error};
use crate::events::ReportingTrusts;
use crate::http::pagination::link_header;
use crate::state::AppState;
use crate::trust::admin::{self, ListRequest};
use crate::trust::wire::{TrustOAuth2JwtGrantIssuer, TrustedOAuth2JwtGrantIssuer};

/// Query of `GET /admin/trust/grants/jwt-bearer/issuers`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTrustsQuery {
    /// Items per page: default 250, at most 1000.
    #[param(minimum = 1, maximum = 1000, default = 250)]
    pub page_size: Option<i64>,
    /// The next page token, taken from the `Link` header of the previous page.
    pub page_token: Option<String>,
    /// Only relationships of exactly this issuer.
    pub issuer: Option<String>,
}

/// Trust an OAuth 2.0 JWT bearer grant issuer
///
/// Establishes a trust relationship for the JSON Web Token (JWT) Profile for OAuth 2.0
/// Authorization Grants (RFC 7523 §2.1): assertions of `issuer` about `subject` (or any
/// subject, with `allow_any_subject`), signed with the private key of `jwk`, may be
/// exchanged for access tokens with at most `scope`, until `expires_at`. `jwk` must be
/// a public signing key with `kid`, `alg` and `use`. 409 when the issuer already trusts
/// a key with this kid for this subject.
#[utoipa::path(
    tag = "oAuth2",
    request_body(content = TrustOAuth2JwtGrantIssuer, description = "The trust relationship"),
    responses(
        (status = 201, description = "The trust relationship.", body = TrustedOAuth2JwtGrantIssuer,
            headers(("Location" = String, description = "URL of the new relationship"))),
        (status = 400, description = "Invalid relationship.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 409, description = "The issuer already trusts this key for this subject.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[post("/trust/grants/jwt-bearer/issuers")]
pub async fn trust_o_auth2_jwt_grant_issuer(
    state: web::Data<AppState>,
    body: web::Json<TrustOAuth2JwtGrantIssuer>,
) -> Result<HttpResponse, OAuth2Error> {
    let trust = admin::create(
        &ReportingTrusts::new(state.trusts.as_ref(), &state.config, state.clock.as_ref()),
        state.clock.as_ref(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            LOCATION,
            format!("/admin/trust/grants/jwt-bearer/issuers/{}", trust.id),
        ))
        .json(TrustedOAuth2JwtGrantIssuer::from(&trust)))
}

/// Get a trusted OAuth 2.0 JWT bearer grant issuer
///
/// The trust relationship with this id (the one returned when it was created).
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the trust relationship")),
    responses(
        (status = 200, description = "The trust relationship.", body = TrustedOAuth2JwtGrantIssuer),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such relationship.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/trust/grants/jwt-bearer/issuers/{id}")]
pub async fn get_trusted_o_auth2_jwt_grant_issuer(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    let trust = admin::get(state.trusts.as_ref(), &id).await?;
    Ok(HttpResponse::Ok().json(TrustedOAuth2JwtGrantIssuer::from(&trust)))
}

/// List trusted OAuth 2.0 JWT bearer grant issuers
///
/// Trust relationships ordered by id, expired ones included, optionally only those of
/// one `issuer`. Pages are linked with an RFC 8288 `Link` header (`rel="next"` while
/// more follow, and `rel="first"`).
#[utoipa::path(
    tag = "oAuth2",
    params(ListTrustsQuery),
    responses(
        (status = 200, description = "A page of trust relationships.", body = Vec<TrustedOAuth2JwtGrantIssuer>,
            headers(("Link" = String, description = "RFC 8288 links to the first and next page"))),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/trust/grants/jwt-bearer/issuers")]
pub async fn list_trusted_o_auth2_jwt_grant_issuers(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ListTrustsQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    let query = query.into_inner();
    let page = admin::list(
        state.trusts.as_ref(),
        ListRequest {
            page_size: query.page_size,
            page_token: query.page_token,
            issuer: query.issuer.clone(),
        },
    )
    .await?;
    let link = link_header(
        req.path(),
        page.page_size,
        &[("issuer", query.issuer.as_deref())],
        page.next_page_token.as_deref(),
    );
    let body: Vec<TrustedOAuth2JwtGrantIssuer> = page
        .trusts
        .iter()
        .map(TrustedOAuth2JwtGrantIssuer::from)
        .collect();
    Ok(HttpResponse::Ok().insert_header((LINK, link)).json(body))
}

/// Delete a trusted OAuth 2.0 JWT bearer grant issuer
///
/// Deletes the trust relationship; assertions it covered are refused from now on. 204
/// on success, 404 when there is none.
#[utoipa::path(
    tag = "oAuth2",
    params(("id" = String, Path, description = "The id of the trust relationship")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "No such relationship.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/trust/grants/jwt-bearer/issuers/{id}")]
pub async fn delete_trusted_o_auth2_jwt_grant_issuer(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, OAuth2Error> {
    let trusts = ReportingTrusts::new(state.trusts.as_ref(), &state.config, state.clock.as_ref());
    admin::delete(&trusts, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

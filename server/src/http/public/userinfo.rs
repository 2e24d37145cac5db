//! `GET|POST /userinfo` (OIDC Core §5.3). Thin: reads the bearer token from the
//! `Authorization` header or, on POST, from a form body (RFC 6750 §2.1, §2.2), hands it
//! to `oauth2::userinfo`, and writes JSON or a signed JWT, never cached.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::error::{ErrorBody, OAuth2Error};
use crate::http::request_context::{authorization_header, expose_client, request_context};
use crate::oauth2::bearer::{self, Scheme};
use crate::oauth2::dpop::NONCE_HEADER;
use crate::oauth2::form::FormParams;
use crate::oauth2::userinfo::{self, OidcUserInfo, UserInfo};
use crate::state::AppState;

/// The answer; a request with the `DPoP` scheme also gets the nonce to use next when
/// `oauth2.dpop.nonce` is on (RFC 9449 §9: a resource server supplies nonces as §8.2
/// says the authorization server does, so the client need not fail once to learn it).
fn respond(state: &AppState, scheme: Scheme, info: UserInfo) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, "no-cache"));
    if scheme == Scheme::DPoP
        && let Some(nonce) = state.dpop.current_nonce()
    {
        response.insert_header((NONCE_HEADER, nonce));
    }
    match info {
        UserInfo::Json(claims) => response.json(claims),
        UserInfo::Jwt(token) => response.content_type("application/jwt").body(token),
    }
}

/// OpenID Connect Userinfo
///
/// Returns the claims about the End-User that the access token's consent granted
/// (OIDC Core §5.3): `sub`, and the consent's `session.id_token` claims, standard
/// claims only with their scope (§5.4: `profile`, `email`, `address`, `phone`). The
/// token must be an active access token granted `openid`; send it as
/// `Authorization: Bearer <token>` (or, with POST, as the form parameter
/// `access_token`). A DPoP-bound token (RFC 9449) must come as
/// `Authorization: DPoP <token>` with a `DPoP` proof header whose `ath` is the token's
/// hash; presented as `Bearer` it is refused. Errors carry a `WWW-Authenticate`
/// challenge (RFC 6750 §3; `DPoP` with `algs`, RFC 9449 §7.1); with server nonces on,
/// a DPoP answer carries the next nonce in `DPoP-Nonce` (RFC 9449 §9). Clients
/// that registered `userinfo_signed_response_alg` receive a signed JWT
/// (`application/jwt`) instead of JSON.
#[utoipa::path(
    tag = "oidc",
    responses(
        (status = 200, description = "The End-User's claims.", body = OidcUserInfo),
        (status = 400, description = "The token was sent in more than one place.", body = ErrorBody),
        (status = 401, description = "No token, not an active access token, a DPoP-bound token without a valid DPoP proof (error invalid_token, invalid_dpop_proof or use_dpop_nonce with a DPoP-Nonce header).", body = ErrorBody),
        (status = 403, description = "The token was not granted `openid`.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/userinfo")]
pub async fn get_oidc_user_info(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, OAuth2Error> {
    let (token, scheme) = bearer::extract_with_scheme(authorization_header(&req)?, None)?;
    let http = request_context(&req, &state.config, "/userinfo");
    let info = userinfo::userinfo(&state, &http, &token, scheme).await;
    expose_client(&req, &http);
    Ok(respond(&state, scheme, info?))
}

/// `POST /userinfo` (OIDC Core §5.3.1: "MUST support the use of the HTTP GET and HTTP
/// POST methods"): as GET, and the token may come in an
/// `application/x-www-form-urlencoded` body (RFC 6750 §2.2). Not in the API document:
/// one operation per path suffices for the SDK.
pub async fn get_oidc_user_info_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, OAuth2Error> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let form = is_form.then(|| {
        FormParams::new(
            url::form_urlencoded::parse(&body)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    });
    let (token, scheme) = bearer::extract_with_scheme(authorization_header(&req)?, form.as_ref())?;
    let http = request_context(&req, &state.config, "/userinfo");
    let info = userinfo::userinfo(&state, &http, &token, scheme).await;
    expose_client(&req, &http);
    Ok(respond(&state, scheme, info?))
}

//! `GET /.well-known/jwks.json`: the public keys relying parties and resource servers
//! verify our ID tokens and JWT access tokens with (RFC 7517 §5, OIDC Discovery §3
//! `jwks_uri`).

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpResponse, get, web};

use crate::error::{ErrorBody, OAuth2Error};
use crate::jwk::{ACCESS_TOKEN_SET, ID_TOKEN_SET, JsonWebKeySet};
use crate::state::AppState;

/// How long clients may cache the document. Short, because a rotated-in key must reach
/// verifiers before it signs: with `oidc.jwks.publish_before_use` at least this plus
/// the key cache's 10 s refresh, every verifier that honours the header knows a key
/// before the first token it signs. Long enough to spare the server most fetches.
pub const JWKS_MAX_AGE_SECS: u32 = 60;

/// Discover Well-Known JSON Web Keys
///
/// The public parts of the keys of the ID token set (`hydra.openid.id-token`) and the
/// JWT access token set (`hydra.jwt.access-token`), each with `kid`, `alg` and `use`.
/// Keys that were rotated out stay listed, so tokens they signed still verify; keys
/// waiting to sign are listed already. Private and symmetric key material never appears.
#[utoipa::path(
    tag = "oidc",
    responses(
        (status = 200, description = "The JSON Web Key Set.", body = JsonWebKeySet),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/.well-known/jwks.json")]
pub async fn discover_json_web_keys(
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuth2Error> {
    let jwks = state
        .key_manager
        .public_jwks(&[ID_TOKEN_SET, ACCESS_TOKEN_SET])
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(JWKS_MAX_AGE_SECS),
        ]))
        .json(jwks))
}

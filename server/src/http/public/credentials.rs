//! `POST /credentials`: Hydra's `createVerifiableCredential` (OpenID Connect UserInfo
//! VC draft 00). Thin: the access token from the `Authorization` header, the JSON body,
//! `oauth2::credentials`, and the answer (200 credential, 400 priming with a nonce),
//! never cached.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::error::OAuth2Error;
use crate::http::request_context::{authorization_header, expose_client, request_context};
use crate::oauth2::bearer;
use crate::oauth2::credentials::{
    self, CreateVerifiableCredentialRequestBody, CredentialAnswer,
    VerifiableCredentialPrimingResponse, VerifiableCredentialResponse,
};
use crate::state::AppState;

/// Issues a Verifiable Credential
///
/// Creates a verifiable credential attesting that the End-User of the access token
/// holds a key pair (OpenID Connect UserInfo Verifiable Credentials, draft 00). The
/// access token must be active and granted `openid` and `userinfo_credential_draft_00`
/// (as `Authorization: Bearer`, or `DPoP` with a proof for a DPoP-bound token). The
/// body names `format: jwt_vc_json` and a `proof` of `proof_type: jwt`: a JWS whose
/// `jwk` header is the holder's public key, with claims `nonce` (the `c_nonce` of the
/// token response or of a priming request) and `aud` (this issuer). Without a proof
/// the answer is the 400 priming response carrying a fresh `c_nonce`. The credential
/// is a JWT (`credential_draft_00`) signed with the ID-token keys, whose `sub` is the
/// holder key as a `did:jwk` and whose `vc.credentialSubject` carries the End-User's
/// `sub` and the userinfo claims the token's consent released.
#[utoipa::path(
    tag = "oidc",
    request_body(content = CreateVerifiableCredentialRequestBody),
    responses(
        (status = 200, description = "The credential.", body = VerifiableCredentialResponse),
        (status = 400, description = "No proof (error missing_proof, with c_nonce: a priming response), or an invalid request or proof (error invalid_request).", body = VerifiableCredentialPrimingResponse),
        (status = 401, description = "No token, or not an active access token (error invalid_token).", body = VerifiableCredentialPrimingResponse),
        (status = 403, description = "The token was not granted openid and userinfo_credential_draft_00 (error insufficient_scope).", body = VerifiableCredentialPrimingResponse),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = VerifiableCredentialPrimingResponse),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = VerifiableCredentialPrimingResponse),
        (status = 500, description = "Internal error.", body = VerifiableCredentialPrimingResponse),
        (status = 503, description = "Database unavailable.", body = VerifiableCredentialPrimingResponse)
    )
)]
#[post("/credentials")]
pub async fn create_verifiable_credential(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<CreateVerifiableCredentialRequestBody>,
) -> Result<HttpResponse, OAuth2Error> {
    let (token, scheme) = bearer::extract_with_scheme(authorization_header(&req)?, None)?;
    let http = request_context(&req, &state.config, "/credentials");
    let answer =
        credentials::create_credential(&state, &http, &token, scheme, body.into_inner()).await;
    expose_client(&req, &http);
    let (mut response, body) = match answer? {
        CredentialAnswer::Issued(issued) => (HttpResponse::Ok(), serde_json::to_value(issued)),
        CredentialAnswer::Priming(priming) => {
            (HttpResponse::BadRequest(), serde_json::to_value(priming))
        }
    };
    let body = body.map_err(|e| OAuth2Error::server_error(format!("credential answer: {e}")))?;
    Ok(response
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body))
}

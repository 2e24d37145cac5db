//! Verifiable credentials (OpenID Connect UserInfo Verifiable Credentials, draft 00,
//! as Hydra's `POST /credentials`, `createVerifiableCredential`): the holder of an
//! access token granted `openid` and `userinfo_credential_draft_00` proves possession
//! of a key with a JWT carrying the server's `c_nonce`, and receives a credential, a
//! JWT signed with the ID-token key set, binding the token's subject (and its consented
//! userinfo claims) to that key as a `did:jwk`.
//!
//! The nonce comes with the token response (`c_nonce_draft_00`) or from a priming
//! request without a proof (400 `missing_proof` with `c_nonce`); see [`nonce`]. The
//! proof is a JWS whose `jwk` header holds the holder's public key; its claims must
//! carry the nonce and name this issuer in `aud`.

pub mod nonce;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::error::{ErrorKind, OAuth2Error};
use crate::jwk::{Algorithm, ID_TOKEN_SET};
use crate::oauth2::bearer::{Scheme, insufficient_scope};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::introspect::ActiveToken;
use crate::oauth2::issue::TokenResponse;
use crate::oauth2::jwt_claims::{JwtReader, audience, string};
use crate::oauth2::private_key_jwt::CLOCK_SKEW;
use crate::oauth2::request_context::RequestContext;
use crate::oauth2::userinfo::{consent_claims, granted_scopes, presented_access_token};
use crate::oidc::scope_claims;
pub use crate::oidc::verifiable_credentials::{FORMAT, PROOF_TYPE, SCOPE, TYPES};

/// The longest proof JWT accepted (an RSA-4096 `jwk` fits with room to spare).
pub const MAX_PROOF_LEN: usize = 8192;
/// How long an issued credential is valid (as Hydra: one hour).
pub const CREDENTIAL_LIFETIME: Duration = Duration::hours(1);

const READER: JwtReader = JwtReader {
    what: "The proof JWT",
    kind: ErrorKind::InvalidRequest,
};

/// Hydra's `CreateVerifiableCredentialRequestBody`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = CreateVerifiableCredentialRequestBody)]
pub struct CreateVerifiableCredentialRequestBody {
    /// The credential format: `jwt_vc_json`.
    #[serde(default)]
    pub format: Option<String>,
    /// The proof of possession of the holder's key; absent in a priming request.
    #[serde(default)]
    pub proof: Option<VerifiableCredentialProof>,
    /// The credential types asked for (informational: `UserInfoCredential` is issued).
    #[serde(default)]
    pub types: Option<Vec<String>>,
}

/// Hydra's `VerifiableCredentialProof`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = VerifiableCredentialProof)]
pub struct VerifiableCredentialProof {
    /// `jwt`.
    #[serde(default)]
    pub proof_type: Option<String>,
    /// A JWS signed by the holder's key, with that public key in its `jwk` header and
    /// the `c_nonce` in its `nonce` claim.
    #[serde(default)]
    pub jwt: Option<String>,
}

/// Hydra's `verifiableCredentialResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = verifiableCredentialResponse)]
pub struct VerifiableCredentialResponse {
    pub format: String,
    /// The credential: a JWT signed with the ID-token key set.
    pub credential_draft_00: String,
}

/// Hydra's `verifiableCredentialPrimingResponse`: a 400 that carries a nonce. The
/// document gives every error of the endpoint this shape (the nonce members only in
/// the priming answer), since an SDK reads one error type per operation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = verifiableCredentialPrimingResponse)]
pub struct VerifiableCredentialPrimingResponse {
    /// `missing_proof` for the priming answer, else an RFC 6749 error code.
    pub error: String,
    pub error_description: String,
    /// The nonce the proof must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce: Option<String>,
    /// Seconds until the nonce expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce_expires_in: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// What a credential request gets.
#[derive(Debug, Clone)]
pub enum CredentialAnswer {
    Issued(VerifiableCredentialResponse),
    /// No proof yet: the nonce to put in one.
    Priming(VerifiableCredentialPrimingResponse),
}

/// The nonce and its lifetime in seconds for `access_token`, from now.
fn new_nonce(ctx: &OAuth2Context, access_token: &str) -> Result<(String, i64), OAuth2Error> {
    let lifespan = ctx.config.ttl.vc_nonce.as_chrono();
    let expires_at = ctx
        .clock
        .now()
        .checked_add_signed(lifespan)
        .ok_or_else(|| OAuth2Error::server_error("ttl.vc_nonce overflows the clock"))?;
    let nonce = nonce::issue(&ctx.keys, access_token, expires_at)
        .ok_or_else(|| OAuth2Error::server_error("no system secret to sign the nonce"))?;
    Ok((nonce, lifespan.num_seconds()))
}

/// Hydra's token endpoint handler for the draft: a token granted `openid` and
/// [`SCOPE`] comes with `c_nonce_draft_00` and `c_nonce_expires_in_draft_00`.
pub fn add_nonce_to_token_response(
    ctx: &OAuth2Context,
    response: &mut TokenResponse,
) -> Result<(), OAuth2Error> {
    let granted: Vec<&str> = response
        .scope
        .as_deref()
        .unwrap_or_default()
        .split(' ')
        .collect();
    if !(granted.contains(&"openid") && granted.contains(&SCOPE)) {
        return Ok(());
    }
    let (nonce, expires_in) = new_nonce(ctx, &response.access_token)?;
    response.c_nonce_draft_00 = Some(nonce);
    response.c_nonce_expires_in_draft_00 = Some(expires_in);
    Ok(())
}

/// `POST /credentials` for the access token `token` (presented with `scheme`; with
/// `DPoP` every error carries a `DPoP` challenge, RFC 9449 §7.1, as at userinfo).
pub async fn create_credential(
    ctx: &OAuth2Context,
    http: &RequestContext,
    token: &str,
    scheme: Scheme,
    body: CreateVerifiableCredentialRequestBody,
) -> Result<CredentialAnswer, OAuth2Error> {
    let answer = credential_for(ctx, http, token, scheme, body).await;
    match scheme {
        Scheme::Bearer => answer,
        Scheme::DPoP => answer.map_err(|err| ctx.dpop.for_resource(err)),
    }
}

async fn credential_for(
    ctx: &OAuth2Context,
    http: &RequestContext,
    token: &str,
    scheme: Scheme,
    body: CreateVerifiableCredentialRequestBody,
) -> Result<CredentialAnswer, OAuth2Error> {
    let ActiveToken { stored, session } = presented_access_token(ctx, http, token, scheme).await?;
    let granted = granted_scopes(&stored);
    if !granted.contains(&"openid") || !granted.contains(&SCOPE) {
        return Err(insufficient_scope(format!(
            "The access token was not granted the scopes 'openid' and '{SCOPE}'."
        )));
    }
    match body.format.as_deref() {
        Some(FORMAT) => {}
        other => {
            return Err(OAuth2Error::invalid_request(format!(
                "The credential format {} is not supported; use '{FORMAT}'.",
                crate::error::quoted(other.unwrap_or_default())
            )));
        }
    }
    let Some(proof) = body.proof else {
        let (c_nonce, c_nonce_expires_in) = new_nonce(ctx, token)?;
        return Ok(CredentialAnswer::Priming(
            VerifiableCredentialPrimingResponse {
                error: "missing_proof".to_owned(),
                error_description:
                    "Could not issue a verifiable credential because the proof is missing in the request."
                        .to_owned(),
                c_nonce: Some(c_nonce),
                c_nonce_expires_in: Some(c_nonce_expires_in),
                format: Some(FORMAT.to_owned()),
            },
        ));
    };
    if proof.proof_type.as_deref() != Some(PROOF_TYPE) {
        return Err(OAuth2Error::invalid_request(format!(
            "The proof type {} is not supported; use '{PROOF_TYPE}'.",
            crate::error::quoted(proof.proof_type.as_deref().unwrap_or_default())
        )));
    }
    let jwt = proof
        .jwt
        .ok_or_else(|| OAuth2Error::invalid_request("The proof has no 'jwt'."))?;
    let holder_key = verify_proof(ctx, &jwt, token)?;

    let subject = session
        .obfuscated_subject
        .clone()
        .unwrap_or_else(|| stored.subject.clone());
    let holder = format!(
        "did:jwk:{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(&holder_key)
                .map_err(|e| OAuth2Error::server_error(format!("holder key: {e}")))?
        )
    );
    let mut subject_claims: Map<String, Value> =
        scope_claims::filter(&consent_claims(session)?, &granted);
    subject_claims.insert("id".to_owned(), Value::String(holder.clone()));
    subject_claims.insert("sub".to_owned(), Value::String(subject));
    let now = ctx.clock.now();
    let expires = now
        .checked_add_signed(CREDENTIAL_LIFETIME)
        .ok_or_else(|| OAuth2Error::server_error("credential expiry overflows the clock"))?;
    let claims = json!({
        "iss": ctx.config.issuer(),
        "jti": uuid::Uuid::new_v4().to_string(),
        "iat": now.timestamp(),
        "nbf": now.timestamp(),
        "exp": expires.timestamp(),
        "sub": holder,
        "vc": {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": TYPES,
            "credentialSubject": subject_claims,
        },
    });
    let signed = ctx
        .key_manager
        .sign_with(ID_TOKEN_SET, claims, "JWT", None)
        .await
        .map_err(|e| OAuth2Error::server_error(format!("signing the credential: {e}")))?;
    Ok(CredentialAnswer::Issued(VerifiableCredentialResponse {
        format: FORMAT.to_owned(),
        credential_draft_00: signed.token,
    }))
}

/// The holder's public key, after the proof verified: an asymmetric algorithm, the
/// key in its `jwk` header, the nonce issued for `access_token`, this issuer in `aud`,
/// `iat`/`nbf` not in the future and `exp` (if any) not passed.
fn verify_proof(
    ctx: &OAuth2Context,
    jwt: &str,
    access_token: &str,
) -> Result<crate::jwk::JsonWebKey, OAuth2Error> {
    if jwt.len() > MAX_PROOF_LEN {
        return Err(READER.invalid(format!(
            "The proof JWT is longer than {MAX_PROOF_LEN} bytes."
        )));
    }
    let [header, _, _] = READER.segments(jwt)?;
    let header = READER.json(header, "header")?;
    let alg_name = string(&header, "alg").unwrap_or_default();
    let alg = Algorithm::parse(alg_name)
        .filter(|alg| !alg.is_symmetric())
        .ok_or_else(|| {
            READER.invalid(format!(
                "The proof JWT's algorithm {} is not accepted; sign it with the holder's private key (e.g. ES256, PS256, EdDSA).",
                crate::error::quoted(alg_name)
            ))
        })?;
    let (key, claims) = READER.verify_with_embedded_key(jwt, &header, alg)?;
    let now = ctx.clock.now();
    let sent = string(&claims, "nonce")
        .ok_or_else(|| READER.invalid("The proof JWT did not contain the 'nonce' claim."))?;
    match nonce::check(&ctx.keys, sent, access_token, now) {
        Ok(()) => {}
        Err(nonce::NonceError::Invalid) => {
            return Err(READER.invalid(
                "The proof JWT's nonce is invalid: it was not issued for this access token.",
            ));
        }
        Err(nonce::NonceError::Expired) => {
            return Err(READER
                .invalid("The proof JWT's nonce has expired; request a new one without a proof."));
        }
    }
    let issuer = ctx.config.issuer();
    if !audience(&claims).contains(&issuer.as_str()) {
        return Err(READER.invalid(format!(
            "The proof JWT's claim 'aud' must contain the issuer {}.",
            crate::error::quoted(&issuer)
        )));
    }
    READER.not_in_future(&claims, now, CLOCK_SKEW)?;
    if let Some(exp) = READER.numeric_date(&claims, "exp")?
        && exp <= now
    {
        return Err(READER.invalid(format!("The proof JWT expired at {exp}.")));
    }
    Ok(key)
}

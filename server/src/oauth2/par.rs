//! The pushed authorization request endpoint's protocol side (RFC 9126 §2): the client
//! authenticates as at the token endpoint, the request is resolved (a `request` object
//! becomes its parameters) and validated as `/oauth2/auth` would validate it, then
//! stored, bound to the client, for `ttl.par`, under a fresh `request_uri` that the
//! authorization endpoint accepts once (`authorize::source`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::duration::later;
use crate::error::OAuth2Error;
use crate::oauth2::authorize::request::{source_context, validate_pushed};
use crate::oauth2::authorize::source::{
    PUSHED_REQUEST_URI_PREFIX, RequestSource, new_pushed_reference,
};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::form::FormParams;
use crate::oauth2::request_context::RequestContext;
use crate::storage::PushedRequest;
use crate::storage::pushed_requests::pushed_request_key;

/// The parameters of client authentication (RFC 6749 §2.3.1, RFC 7523 §2.2), which are
/// not part of the authorization request and are not stored with it.
const CLIENT_AUTHENTICATION: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

/// RFC 9126 §2.2: the successful response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = pushedAuthorizationResponse)]
pub struct PushedAuthorizationResponse {
    /// The reference to pass as `request_uri` to the authorization endpoint, once.
    pub request_uri: String,
    /// Seconds the `request_uri` stays usable (`ttl.par`).
    pub expires_in: i64,
}

/// Handles one pushed authorization request with the form `pairs`.
pub async fn push(
    ctx: &OAuth2Context,
    http: &RequestContext,
    pairs: Vec<(String, String)>,
) -> Result<PushedAuthorizationResponse, OAuth2Error> {
    let form = FormParams::new(pairs);
    let client = ctx.client_auth.authenticate(http, &form).await?;
    if form.has("request_uri") {
        return Err(OAuth2Error::invalid_request(
            "The request_uri parameter must not be pushed (RFC 9126 Section 2.1).",
        ));
    }
    if form
        .get("client_id")?
        .is_some_and(|id| id != client.client_id)
    {
        return Err(OAuth2Error::invalid_request(
            "The client_id parameter differs from the authenticated client.",
        ));
    }
    let mut own: Vec<(String, String)> = form
        .to_pairs()?
        .into_iter()
        .filter(|(name, _)| !CLIENT_AUTHENTICATION.contains(&name.as_str()))
        .collect();
    if !form.has("client_id") {
        own.push(("client_id".to_owned(), client.client_id.clone()));
    }
    // RFC 9449 §10.1: a proof at PAR binds the code to its key, as `dpop_jkt` would.
    // It is checked before anything is resolved: a bad proof is the first error.
    let proof = ctx.dpop.at_token_endpoint(http).await?;
    let own = FormParams::new(own);
    let source = RequestSource::of(&own)?;
    let effective = source.resolve(&source_context(ctx), &client, &own).await?;
    let effective = match &proof {
        Some(proof) => bind_to_proof(&effective, &proof.jkt)?,
        None => effective.into_owned(),
    };
    validate_pushed(ctx, &client, &effective).await?;
    let now = ctx.clock.now();
    let ttl = ctx.config.ttl.par.as_chrono();
    let reference = new_pushed_reference();
    let request = PushedRequest {
        client_id: client.client_id.clone(),
        parameters: effective.to_pairs()?,
        expires_at: later(now, ttl),
    };
    ctx.pushed_requests
        .push_request(&pushed_request_key(&reference), &request)
        .await?;
    Ok(PushedAuthorizationResponse {
        request_uri: format!("{PUSHED_REQUEST_URI_PREFIX}{reference}"),
        expires_in: ttl.num_seconds(),
    })
}

/// RFC 9449 §10.1: the effective parameters with `dpop_jkt` set to the proof's key.
/// "If both mechanisms are used at the same time, the authorization server MUST reject
/// the request if the JWK Thumbprint in dpop_jkt does not match the public key in the
/// DPoP header"; the RFC names no error code, and the proof itself is valid, so the
/// request is `invalid_request`.
fn bind_to_proof(params: &FormParams, jkt: &str) -> Result<FormParams, OAuth2Error> {
    match params.get("dpop_jkt")? {
        Some(given) if given == jkt => Ok(params.clone()),
        Some(_) => Err(OAuth2Error::invalid_request(
            "The dpop_jkt parameter is not the JWK thumbprint of the DPoP proof's key (RFC 9449 Section 10.1).",
        )),
        None => {
            let mut pairs = params.to_pairs()?;
            pairs.push(("dpop_jkt".to_owned(), jkt.to_owned()));
            Ok(FormParams::new(pairs))
        }
    }
}

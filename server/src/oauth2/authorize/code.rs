//! Issuing the authorization code at the end of the flow (RFC 6749 §4.1.2). The code
//! row carries, sealed, what the token endpoint must check (redirect URI, PKCE) and
//! what the ID token will need (OIDC Core §3.1.3.6).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::request::AuthorizeRequest;
use super::response::{self, AuthorizeResponse};
use crate::error::OAuth2Error;
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::issue::Grant;
use crate::oauth2::pkce::PkceMethod;
use crate::oauth2::session::TokenSession;
use crate::oidc::id_token::IdTokenContext;
use crate::storage::{StoredToken, TokenKind};

/// What the token endpoint checks when the code is exchanged (RFC 6749 §4.1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeRequestData {
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<PkceMethod>,
    pub requested_at: DateTime<Utc>,
    /// RFC 9449 §10: the thumbprint of the key the code's token request must prove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
}

/// The authenticated, consented facts the code is issued for.
pub struct CodeGrant<'a> {
    pub request: &'a AuthorizeRequest,
    pub subject: &'a str,
    pub scope: Vec<String>,
    pub audience: Vec<String>,
    pub access_token_claims: Option<serde_json::Value>,
    pub id_token: IdTokenContext,
    /// The pairwise `sub` of the client (OIDC Core §8.1), when it differs.
    pub obfuscated_subject: Option<String>,
    /// RFC 9396: the authorization details the consent granted.
    pub authorization_details: Vec<serde_json::Value>,
}

fn object(value: Option<serde_json::Value>) -> serde_json::Map<String, serde_json::Value> {
    match value {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// Mints and stores the code (one row), and answers the client.
pub async fn issue_code(
    ctx: &OAuth2Context,
    grant: CodeGrant<'_>,
) -> Result<AuthorizeResponse, OAuth2Error> {
    let family = family(ctx, &grant)?;
    let (code, row) = mint_code(ctx, &family, grant.request)?;
    let events = crate::events::code_issued(
        &ctx.config,
        family.issued_at,
        &family.client_id,
        &family.subject,
        &family.family_id,
        &family.scope,
    )?;
    ctx.tokens.insert_tokens_reporting(&[row], &events).await?;
    let mut params = vec![("code".to_owned(), code)];
    if !grant.scope.is_empty() {
        params.push(("scope".to_owned(), grant.scope.join(" ")));
    }
    Ok(response::success(&grant.request.target, params))
}

/// The token family of `grant`: its session carries the access-token claims and the
/// [`IdTokenContext`].
pub fn family(ctx: &OAuth2Context, grant: &CodeGrant<'_>) -> Result<Grant, OAuth2Error> {
    let id_token = serde_json::to_value(&grant.id_token)
        .map_err(|e| OAuth2Error::server_error(format!("id token context: {e}")))?;
    let session = TokenSession {
        ext: object(grant.access_token_claims.clone()),
        id_token: Some(id_token),
        obfuscated_subject: grant.obfuscated_subject.clone(),
        dpop_jkt: None,
        act: None,
        authorization_details: grant.authorization_details.clone(),
    };
    Ok(Grant::new(
        &grant.request.client_id,
        grant.subject,
        grant.scope.clone(),
        grant.audience.clone(),
        session,
        ctx.clock.now(),
    ))
}

/// Mints the code of `family` and its row (not stored yet).
pub fn mint_code(
    ctx: &OAuth2Context,
    family: &Grant,
    request: &AuthorizeRequest,
) -> Result<(String, StoredToken), OAuth2Error> {
    let data = serde_json::to_value(CodeRequestData {
        redirect_uri: request.target.redirect_uri.clone(),
        redirect_uri_given: request.redirect_uri_given,
        code_challenge: request.code_challenge.clone(),
        code_challenge_method: request.code_challenge_method,
        requested_at: request.requested_at,
        dpop_jkt: request.dpop_jkt.clone(),
    })
    .map_err(|e| OAuth2Error::server_error(format!("code request data: {e}")))?;
    let configured = ctx.config.ttl.auth_code.as_chrono();
    let lifespan = if request.fapi2 {
        crate::oauth2::fapi2::code_lifetime(configured)
    } else {
        configured
    };
    let (code, row) = family.mint(
        &ctx.keys,
        TokenKind::AuthorizationCode,
        lifespan,
        Some(&data),
    )?;
    Ok((code.value, row))
}

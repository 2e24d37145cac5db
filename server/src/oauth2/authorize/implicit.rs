//! The implicit and hybrid flows' authorization response (RFC 6749 §4.2.2, OIDC Core
//! §3.2.2.5, §3.3.2.5): the code, access token and ID token the `response_type` asks
//! for, minted for one token family and stored in one step at the end of the flow.
//!
//! - the access token (opaque or RFC 9068 JWT, as for the client's other grants) lives
//!   for the client's `implicit_grant_access_token_lifespan` or `ttl.access_token`, and
//!   no refresh token is ever issued (RFC 6749 §4.2.2);
//! - the ID token lives for `implicit_grant_id_token_lifespan` or `ttl.id_token`,
//!   always echoes `nonce`, and carries `at_hash` with an access token and `c_hash`
//!   with a code (OIDC Core §3.3.2.11);
//! - a code of a hybrid response is the same code the code flow issues;
//! - with an access token, the granted `authorization_details` (RFC 9396 §7).

use chrono::Duration;

use super::code::{self, CodeGrant};
use super::response::{self, AuthorizeResponse};
use crate::client::model::{AccessTokenStrategy, Client};
use crate::duration::GoDuration;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::issue::{self, Grant};
use crate::oauth2::jwt_access_token;
use crate::oauth2::token_type::TokenType;
use crate::oidc::id_token::{self, IdTokenPlan};
use crate::storage::{StoredToken, TokenKind};

/// Issues what `grant.request.response_type` asks for and answers the client.
pub async fn issue_response(
    ctx: &OAuth2Context,
    client: &Client,
    grant: CodeGrant<'_>,
) -> Result<AuthorizeResponse, OAuth2Error> {
    let request = grant.request;
    let response_type = request.response_type;
    let family = code::family(ctx, &grant)?;
    let mut rows: Vec<StoredToken> = Vec::new();
    let mut params: Vec<(String, String)> = Vec::new();

    let code = if response_type.code {
        let (code, row) = code::mint_code(ctx, &family, request)?;
        rows.push(row);
        params.push(("code".to_owned(), code.clone()));
        Some(code)
    } else {
        None
    };
    let access_token = if response_type.token {
        let lifespan = lifespan(
            client.lifespans.implicit_grant_access_token_lifespan,
            ctx.config.ttl.access_token,
        );
        let (token, row) = mint_access_token(ctx, client, &family, lifespan).await?;
        rows.push(row);
        params.push(("access_token".to_owned(), token.clone()));
        params.push((
            "token_type".to_owned(),
            TokenType::Bearer.as_str().to_owned(),
        ));
        params.push(("expires_in".to_owned(), lifespan.num_seconds().to_string()));
        // RFC 9396 §7: the granted details come with the access token they belong to,
        // here in the fragment (a JSON array, form-encoded like every other value).
        if !family.session.authorization_details.is_empty() {
            let details = serde_json::to_string(&family.session.authorization_details)
                .map_err(|e| OAuth2Error::server_error(e.to_string()))?;
            params.push(("authorization_details".to_owned(), details));
        }
        Some(token)
    } else {
        None
    };
    if response_type.id_token {
        if !grant.scope.iter().any(|s| s == "openid") {
            return Err(OAuth2Error::new(ErrorKind::InvalidScope)
                .with_hint("An ID token was requested but the openid scope was not granted."));
        }
        let plan = IdTokenPlan::for_client(
            client,
            grant.id_token.clone(),
            true,
            lifespan(
                client.lifespans.implicit_grant_id_token_lifespan,
                ctx.config.ttl.id_token,
            ),
        )?;
        let signed = id_token::sign_with_code(
            &ctx.oidc(),
            &client.client_id,
            family.session.client_subject(grant.subject),
            &plan,
            access_token.as_deref(),
            code.as_deref(),
        )
        .await?;
        params.push(("id_token".to_owned(), signed));
    }
    if !grant.scope.is_empty() {
        params.push(("scope".to_owned(), grant.scope.join(" ")));
    }
    if !rows.is_empty() {
        let mut events = Vec::new();
        if code.is_some() {
            events.extend(crate::events::code_issued(
                &ctx.config,
                family.issued_at,
                &family.client_id,
                &family.subject,
                &family.family_id,
                &family.scope,
            )?);
        }
        if access_token.is_some() {
            let kinds: &[&str] = if response_type.id_token {
                &["access_token", "id_token"]
            } else {
                &["access_token"]
            };
            events.extend(crate::events::token_issued(
                &ctx.config,
                family.issued_at,
                &crate::events::Issued {
                    grant_type: "implicit",
                    client_id: &family.client_id,
                    subject: &family.subject,
                    family_id: &family.family_id,
                    scopes: &family.scope,
                    audience: &family.audience,
                    token_kinds: kinds,
                },
            )?);
        }
        ctx.tokens.insert_tokens_reporting(&rows, &events).await?;
    }
    Ok(response::success(&request.target, params))
}

fn lifespan(own: Option<GoDuration>, default: GoDuration) -> Duration {
    own.unwrap_or(default).as_chrono()
}

/// The access token of the response, in the client's format (RFC 6749 §4.2.2).
async fn mint_access_token(
    ctx: &OAuth2Context,
    client: &Client,
    family: &Grant,
    lifespan: Duration,
) -> Result<(String, StoredToken), OAuth2Error> {
    match issue::access_format(ctx, client) {
        AccessTokenStrategy::Opaque => {
            let (token, row) = family.mint(&ctx.keys, TokenKind::AccessToken, lifespan, None)?;
            Ok((token.value, row))
        }
        AccessTokenStrategy::Jwt => jwt_access_token::mint(ctx, family, lifespan).await,
    }
}

//! Issuing what a token exchange asks for (RFC 8693 §2.2.1), in a new token family
//! whose rows name the subject token's family as their `parent_family_id`, so that
//! revoking the subject token's family revokes the exchanged tokens too (the family
//! rule, `storage::TokenStore::revoke_family`).
//!
//! - `access_token` (the default): an access token in the client's format;
//! - `jwt`: an RFC 9068 JWT access token whatever the client's format;
//! - `refresh_token`: only for clients registered for the `refresh_token` grant when
//!   `offline` or `offline_access` is in the exchanged scope, as the authorization
//!   code grant decides; the refresh token is then in `access_token`;
//! - `id_token`: when `openid` is in the exchanged scope; not stored (an ID token is
//!   not revocable), its audience is the client.
//!
//! A token other than an access token has `token_type` `N_A` (§2.2.1). Access tokens
//! never outlive the subject token.

use chrono::Duration;
use serde_json::Value;

use super::presented::Presented;
use super::token_types::TokenTypeUri;
use crate::client::model::{AccessTokenStrategy, Client, GrantType};
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::issue::{self, Grant, Plan, RefreshPlan, TokenResponse};
use crate::oauth2::session::TokenSession;
use crate::oauth2::token_type::TokenType;
use crate::oidc::id_token::{self, IdTokenContext, IdTokenPlan};
use crate::oidc::subject;

/// §2.2.1: "If the issued token is not an access token or usable as an access token,
/// then the token_type value N_A is used".
const NOT_AN_ACCESS_TOKEN: &str = "N_A";

/// What the exchange decided to issue.
#[derive(Debug)]
pub struct Exchange<'a> {
    pub subject: &'a Presented,
    pub scope: Vec<String>,
    /// RFC 9396: the details the issued token carries (within the subject token's).
    pub authorization_details: Vec<Value>,
    pub audience: Vec<String>,
    pub act: Option<Value>,
    pub requested: TokenTypeUri,
}

fn granted(scope: &[String], name: &str) -> bool {
    scope.iter().any(|s| s == name)
}

/// Issues, stores and answers.
pub async fn issue(
    ctx: &OAuth2Context,
    client: &Client,
    exchange: &Exchange<'_>,
    token_type: TokenType,
) -> Result<TokenResponse, OAuth2Error> {
    let now = ctx.clock.now();
    let presented = exchange.subject;
    let client_subject = subject::for_client(&ctx.config, client, &presented.subject);
    let session = TokenSession {
        act: exchange.act.clone(),
        id_token: presented.id_token.clone(),
        authorization_details: exchange.authorization_details.clone(),
        obfuscated_subject: (client_subject != presented.subject).then_some(client_subject),
        ..TokenSession::default()
    };
    let grant = Grant::new(
        &client.client_id,
        &presented.subject,
        exchange.scope.clone(),
        exchange.audience.clone(),
        session,
        now,
    );
    let ttl = &ctx.config.ttl;
    let capped = |lifespan: Duration| match presented.expires_at {
        Some(expires_at) => lifespan.min(expires_at.signed_duration_since(now)),
        None => lifespan,
    };
    let mut plan = Plan {
        grant_type: GrantType::TokenExchange,
        access_format: issue::access_format(ctx, client),
        access_lifespan: capped(ttl.access_token.as_chrono()),
        refresh: None,
        id_token: None,
        token_type,
    };
    match exchange.requested {
        TokenTypeUri::IdToken => {
            return issue_id_token(
                ctx,
                client,
                exchange,
                &grant,
                capped(ttl.id_token.as_chrono()),
            )
            .await;
        }
        TokenTypeUri::Jwt => plan.access_format = AccessTokenStrategy::Jwt,
        TokenTypeUri::RefreshToken => {
            let offline =
                granted(&exchange.scope, "offline") || granted(&exchange.scope, "offline_access");
            if !offline || !client.has_grant(GrantType::RefreshToken) {
                return Err(OAuth2Error::invalid_request(
                    "A refresh token is issued only to clients registered for the refresh_token grant, with offline or offline_access in the exchanged scope.",
                ));
            }
            plan.refresh = Some(RefreshPlan::new(
                ttl.refresh_token.as_chrono(),
                exchange.scope.clone(),
                client,
                &plan.token_type,
            ));
        }
        TokenTypeUri::AccessToken => {}
    }
    let mut issuance = issue::prepare(ctx, &grant, &plan).await?;
    for row in &mut issuance.rows {
        row.parent_family_id = presented.family_id.clone();
    }
    let mut response = issuance.response;
    if exchange.requested == TokenTypeUri::RefreshToken {
        // Only the refresh token is issued: the access token minted beside it is dropped
        // unstored, so it never becomes active.
        issuance
            .rows
            .retain(|row| row.kind == crate::storage::TokenKind::RefreshToken);
        response.access_token = response.refresh_token.take().unwrap_or_default();
        response.token_type = NOT_AN_ACCESS_TOKEN.to_owned();
        response.expires_in = ttl.refresh_token.as_chrono().num_seconds();
    }
    ctx.tokens
        .insert_tokens_reporting(&issuance.rows, &issuance.events)
        .await?;
    response.issued_token_type = Some(exchange.requested.as_str().to_owned());
    Ok(response)
}

async fn issue_id_token(
    ctx: &OAuth2Context,
    client: &Client,
    exchange: &Exchange<'_>,
    grant: &Grant,
    lifespan: Duration,
) -> Result<TokenResponse, OAuth2Error> {
    if !granted(&exchange.scope, "openid") {
        return Err(OAuth2Error::new(ErrorKind::InvalidScope)
            .with_hint("An ID token is issued only when 'openid' is in the exchanged scope."));
    }
    if !exchange.audience.is_empty() {
        return Err(crate::oauth2::resource::invalid_target(
            "An ID token's audience is the OAuth 2.0 Client itself; send no audience or resource with requested_token_type id_token.",
        ));
    }
    let context: IdTokenContext = match &exchange.subject.id_token {
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| OAuth2Error::server_error(format!("stored ID token context: {e}")))?,
        None => IdTokenContext::default(),
    };
    let plan = IdTokenPlan::for_client(client, context, false, lifespan)?;
    let token = id_token::sign(
        &ctx.oidc(),
        &client.client_id,
        grant.session.client_subject(&grant.subject),
        &plan,
        None,
    )
    .await?;
    Ok(TokenResponse {
        access_token: token,
        expires_in: lifespan.num_seconds(),
        id_token: None,
        refresh_token: None,
        scope: (!grant.scope.is_empty()).then(|| grant.scope.join(" ")),
        token_type: NOT_AN_ACCESS_TOKEN.to_owned(),
        issued_token_type: Some(TokenTypeUri::IdToken.as_str().to_owned()),
        c_nonce_draft_00: None,
        c_nonce_expires_in_draft_00: None,
        authorization_details: None,
    })
}

//! RFC 8693: OAuth 2.0 token exchange
//! (`grant_type=urn:ietf:params:oauth:grant-type:token-exchange`). A client presents a
//! `subject_token` (and, for delegation, an `actor_token`) and receives a token for the
//! same subject, for the audiences and resources it names.
//!
//! The steps:
//! 1. the client's `token_exchange` policy must exist (absent means deny:
//!    `unauthorized_client`) and allow impersonation (no actor token) or delegation (an
//!    actor token); otherwise `invalid_request` (§2.2.2: "unacceptable based on policy");
//! 2. parameters: `subject_token` and `subject_token_type` required, `actor_token_type`
//!    exactly when `actor_token` (§2.1), token type identifiers parsed
//!    (`token_types.rs`), unknown ones `invalid_request`;
//! 3. `audience` and `resource` (§2.1, RFC 8707 §2: absolute URIs without fragment)
//!    must be in the policy's `allowed_audiences`, else `invalid_target`; they become
//!    the issued token's `aud`;
//! 4. the tokens are resolved (`presented.rs`): invalid or unacceptable ones are
//!    `invalid_request` (§2.2.2);
//! 5. §4.4 `may_act` of the subject token must name the actor (the actor token's
//!    subject, or the client itself when impersonating), else `invalid_request`;
//! 6. the scope never exceeds the subject token's nor the client's (`invalid_scope`);
//!    without `scope`, the subject token's scope the client may request;
//! 7. RFC 9396 `authorization_details` narrow the subject token's granted details,
//!    never widen them (`invalid_authorization_details`, as at a refresh, §6.2);
//!    without them, the exchanged token carries the subject token's details;
//! 8. issue `requested_token_type` (`issue.rs`) in a new token family linked to the
//!    subject token's: revoking the subject token's family revokes it (the family rule,
//!    docs/architecture.md "Storage"). The response names `issued_token_type` (§2.2.1).
//!
//! Only confidential clients exchange tokens: the policy is about who the client is.

mod act;
mod issue;
mod presented;
mod token_types;

use async_trait::async_trait;

use super::{GrantHandler, TokenRequest};
use crate::client::model::Client;
use crate::client::model::GrantType;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::form::FormParams;
use crate::oauth2::issue::TokenResponse;
use crate::oauth2::{authorization_details, resource, scope};

pub use token_types::TokenTypeUri;

use presented::{Presented, Resolver};

/// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenExchange;

/// The actor token and its type, both or neither (RFC 8693 §2.1: `actor_token_type`
/// "is REQUIRED when the actor_token parameter is present … and MUST NOT be included
/// otherwise").
fn actor_parameters(form: &FormParams) -> Result<Option<(&str, TokenTypeUri)>, OAuth2Error> {
    match (form.get("actor_token")?, form.get("actor_token_type")?) {
        (Some(token), Some(kind)) => Ok(Some((
            token,
            TokenTypeUri::parse_presented("actor_token_type", kind)?,
        ))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(OAuth2Error::invalid_request(
            "The actor_token_type is required with an actor_token (RFC 8693 Section 2.1).",
        )),
        (None, Some(_)) => Err(OAuth2Error::invalid_request(
            "The actor_token_type must not be sent without an actor_token (RFC 8693 Section 2.1).",
        )),
    }
}

/// `audience` and `resource` (RFC 8693 §2.1), each allowed by the policy.
fn targets(form: &FormParams, allowed: &[String]) -> Result<Vec<String>, OAuth2Error> {
    let mut targets = scope::parse_audience(&form.all("audience")?)?;
    for uri in resource::parse(&form.all("resource")?)? {
        if !targets.contains(&uri) {
            targets.push(uri);
        }
    }
    if let Some(refused) = targets.iter().find(|t| !allowed.contains(t)) {
        return Err(resource::invalid_target(format!(
            "The OAuth 2.0 Client may not exchange tokens for '{}': it is not in its token_exchange.allowed_audiences.",
            refused.chars().take(200).collect::<String>()
        )));
    }
    Ok(targets)
}

/// The issued token's scope: the requested scope, which must be within the subject
/// token's and the client's; without `scope`, the subject token's scopes the client
/// may request.
fn granted_scope(
    ctx: &OAuth2Context,
    client: &Client,
    subject: &Presented,
    form: &FormParams,
) -> Result<Vec<String>, OAuth2Error> {
    let strategy = ctx.config.strategies.scope;
    let allowed: Vec<&str> = client.scope.split(' ').filter(|s| !s.is_empty()).collect();
    let requested = scope::parse_scope(form.get("scope")?)?;
    if requested.is_empty() {
        return Ok(subject
            .scope
            .iter()
            .filter(|s| scope::is_allowed(strategy, allowed.iter().copied(), s))
            .cloned()
            .collect());
    }
    let ceiling: Vec<&str> = subject.scope.iter().map(String::as_str).collect();
    if let Some(wider) = scope::first_not_allowed(strategy, &ceiling, &requested) {
        return Err(OAuth2Error::new(ErrorKind::InvalidScope).with_hint(format!(
            "The scope '{wider}' is not in the subject_token's scope; an exchanged token never carries more."
        )));
    }
    if let Some(refused) = scope::first_not_allowed(strategy, &allowed, &requested) {
        return Err(OAuth2Error::new(ErrorKind::InvalidScope).with_hint(format!(
            "The OAuth 2.0 Client is not allowed to request scope '{refused}'."
        )));
    }
    Ok(requested)
}

#[async_trait]
impl GrantHandler for TokenExchange {
    fn grant_type(&self) -> GrantType {
        GrantType::TokenExchange
    }

    fn allows_public_clients(&self) -> bool {
        false
    }

    async fn handle(
        &self,
        ctx: &OAuth2Context,
        client: &Client,
        request: TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuth2Error> {
        let form = request.form;
        let policy = client.token_exchange.as_ref().ok_or_else(|| {
            OAuth2Error::new(ErrorKind::UnauthorizedClient).with_hint(
                "The OAuth 2.0 Client has no token_exchange policy, so it may not exchange tokens.",
            )
        })?;
        let subject_token = form.require("subject_token")?;
        let subject_type = TokenTypeUri::parse_presented(
            "subject_token_type",
            form.require("subject_token_type")?,
        )?;
        let actor_token = actor_parameters(form)?;
        let requested = match form.get("requested_token_type")? {
            Some(value) => TokenTypeUri::parse_requested(value)?,
            None => TokenTypeUri::AccessToken,
        };
        match (
            &actor_token,
            policy.allow_delegation,
            policy.allow_impersonation,
        ) {
            (Some(_), false, _) => {
                return Err(OAuth2Error::invalid_request(
                    "The OAuth 2.0 Client may not exchange tokens by delegation (token_exchange.allow_delegation).",
                ));
            }
            (None, _, false) => {
                return Err(OAuth2Error::invalid_request(
                    "The OAuth 2.0 Client may not exchange tokens by impersonation (token_exchange.allow_impersonation); send an actor_token.",
                ));
            }
            _ => {}
        }
        let audience = targets(form, &policy.allowed_audiences)?;
        let resolver = |parameter| Resolver {
            ctx,
            client,
            policy,
            parameter,
        };
        let subject = resolver("subject_token")
            .resolve(subject_token, subject_type)
            .await?;
        let actor = match actor_token {
            Some((token, kind)) => Some(resolver("actor_token").resolve(token, kind).await?),
            None => None,
        };
        let acting = match &actor {
            Some(actor) => act::Actor {
                subject: &actor.subject,
                issuer: Some(actor.issuer.as_str()),
            },
            None => act::Actor {
                subject: &client.client_id,
                issuer: None,
            },
        };
        act::check_may_act(&subject, acting)?;
        let act = act::issued_act(&subject, actor.as_ref(), &ctx.config.issuer())?;
        let scope = granted_scope(ctx, client, &subject, form)?;
        let details = authorization_details::narrowed(form, &subject.authorization_details)?;
        let exchange = issue::Exchange {
            subject: &subject,
            scope,
            authorization_details: details,
            audience,
            act,
            requested,
        };
        issue::issue(ctx, client, &exchange, request.token_type).await
    }
}

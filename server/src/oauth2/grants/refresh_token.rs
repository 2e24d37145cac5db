//! RFC 6749 §6: the refresh token grant, with rotation and reuse detection (RFC 6749
//! §10.4, RFC 9700 §4.14.2) and ID tokens re-issued per OIDC Core §12.2.
//!
//! Every use rotates (except for clients under the FAPI 2.0 Security Profile, which
//! forbids rotation: they get a new access token and keep their refresh token): the presented refresh token is consumed, the family's earlier
//! access tokens are revoked (as Hydra does) and a new access and refresh token of the
//! same family are stored, in one transaction (`TokenStore::redeem`). Presenting a
//! consumed or revoked refresh token again revokes the whole family and fails with
//! `invalid_grant`. With `oauth2.grant.refresh_token.rotation_grace_period` set, a used
//! token keeps working for that long after its first use (clients racing their own
//! refreshes); revoking the family ends that window. Without it, of concurrent uses
//! exactly one succeeds and the others fail with `invalid_grant` (and revoke the family:
//! the race looks like reuse).
//!
//! `scope` may narrow the access token's scope, never widen it (`invalid_scope`); the
//! new refresh token keeps the scope of the one presented (§6). Scopes the client may
//! no longer request are refused. An ID token is issued when `openid` is in the new
//! access token's scope, with the original `sub`, `auth_time`, `acr`, `amr` and `sid`.
//! Lifespans: the client's `refresh_token_grant_*_lifespan`, else `ttl.*`; the new
//! refresh token's lifetime starts now.

use async_trait::async_trait;
use chrono::Duration;

use super::{GrantHandler, TokenRequest, keep_granted_audience, presented};
use crate::client::model::{Client, GrantType};
use crate::duration::GoDuration;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::fapi2;
use crate::oauth2::form::FormParams;
use crate::oauth2::issue::{self, Grant, Plan, RefreshPlan, TokenResponse};
use crate::oauth2::session::{self, TokenSession};
use crate::oauth2::token_type::TokenType;
use crate::oauth2::{authorization_details, resource, scope};
use crate::oidc::id_token::IdTokenContext;
use crate::oidc::id_token::IdTokenPlan;
use crate::storage::{StoredToken, TokenKind};

/// `grant_type=refresh_token`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefreshToken;

/// RFC 6749 §6: "The requested scope MUST NOT include any scope not originally granted
/// by the resource owner, and if omitted is treated as equal to the scope originally
/// granted". Granted scopes the client may no longer request are refused as well.
fn narrowed_scope(
    ctx: &OAuth2Context,
    client: &Client,
    stored: &StoredToken,
    form: &FormParams,
) -> Result<Vec<String>, OAuth2Error> {
    let granted = &stored.granted_scope;
    let requested = scope::parse_scope(form.get("scope")?)?;
    if let Some(wider) = requested.iter().find(|s| !granted.contains(s)) {
        return Err(OAuth2Error::new(ErrorKind::InvalidScope).with_hint(format!(
            "The scope '{wider}' was not granted to the refresh token; a refresh may narrow the scope, never widen it."
        )));
    }
    let strategy = ctx.config.strategies.scope;
    let allowed = || client.scope.split(' ').filter(|s| !s.is_empty());
    if let Some(revoked) = granted
        .iter()
        .find(|s| !scope::is_allowed(strategy, allowed(), s))
    {
        return Err(OAuth2Error::new(ErrorKind::InvalidScope).with_hint(format!(
            "The OAuth 2.0 Client is no longer allowed to request scope '{revoked}'."
        )));
    }
    Ok(if requested.is_empty() {
        granted.clone()
    } else {
        requested
    })
}

fn plan(
    ctx: &OAuth2Context,
    client: &Client,
    stored: &StoredToken,
    scope: &[String],
    session: &TokenSession,
    token_type: TokenType,
) -> Result<Plan, OAuth2Error> {
    let ttl = &ctx.config.ttl;
    let lifespans = &client.lifespans;
    let pick = |own: Option<GoDuration>, default: GoDuration| own.unwrap_or(default).as_chrono();
    let id_token = match (&session.id_token, scope.iter().any(|s| s == "openid")) {
        (Some(context), true) => {
            let context: IdTokenContext = serde_json::from_value(context.clone())
                .map_err(|e| OAuth2Error::server_error(format!("stored ID token context: {e}")))?;
            let lifespan = pick(
                lifespans.refresh_token_grant_id_token_lifespan,
                ttl.id_token,
            );
            Some(IdTokenPlan::for_client(client, context, false, lifespan)?)
        }
        _ => None,
    };
    Ok(Plan {
        grant_type: GrantType::RefreshToken,
        access_format: issue::access_format(ctx, client),
        access_lifespan: pick(
            lifespans.refresh_token_grant_access_token_lifespan,
            ttl.access_token,
        ),
        refresh: Some(RefreshPlan::new(
            pick(
                lifespans.refresh_token_grant_refresh_token_lifespan,
                ttl.refresh_token,
            ),
            stored.granted_scope.clone(),
            client,
            &token_type,
        )),
        id_token,
        token_type,
    })
}

/// RFC 9449 §5: a refresh token bound to a key (a public client's) is used only with a
/// proof by that key.
fn check_binding(session: &TokenSession, token_type: &TokenType) -> Result<(), OAuth2Error> {
    match (&session.dpop_jkt, token_type.jkt()) {
        (None, _) => Ok(()),
        (Some(bound), Some(jkt)) if bound == jkt => Ok(()),
        (Some(_), None) => Err(OAuth2Error::new(ErrorKind::InvalidGrant).with_hint(
            "The refresh token is bound to a DPoP key: the request needs a DPoP proof by that key.",
        )),
        (Some(_), Some(_)) => Err(OAuth2Error::new(ErrorKind::InvalidGrant).with_hint(
            "The DPoP proof's key is not the key the refresh token is bound to (RFC 9449 Section 5).",
        )),
    }
}

#[async_trait]
impl GrantHandler for RefreshToken {
    fn grant_type(&self) -> GrantType {
        GrantType::RefreshToken
    }

    /// RFC 6749 §6: public clients refresh too (RFC 9700 §4.14.2: rotation protects
    /// their tokens).
    fn allows_public_clients(&self) -> bool {
        true
    }

    async fn handle(
        &self,
        ctx: &OAuth2Context,
        client: &Client,
        request: TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuth2Error> {
        let form = request.form;
        let value = form.require("refresh_token")?;
        let stored = presented::load(ctx, client, TokenKind::RefreshToken, value).await?;
        let now = ctx.clock.now();
        let grace = ctx
            .config
            .oauth2
            .grant
            .refresh_token
            .rotation_grace_period
            .as_chrono();
        let outside_grace = stored.used_at.is_some_and(|used| {
            grace <= Duration::zero() || now > crate::duration::later(used, grace)
        });
        if !stored.active || outside_grace {
            return Err(presented::reused(ctx, &stored).await);
        }
        let scope = narrowed_scope(ctx, client, &stored, form)?;
        let mut session: TokenSession =
            session::open(&ctx.keys, &stored.signature_hash, &stored.session)?;
        check_binding(&session, &request.token_type)?;
        // RFC 9396 §6.2: the access token may carry fewer details; the new refresh
        // token keeps them all.
        let granted_details = session.authorization_details.clone();
        session.authorization_details = authorization_details::narrowed(form, &granted_details)?;
        let mut plan = plan(ctx, client, &stored, &scope, &session, request.token_type)?;
        let grant = Grant {
            family_id: stored.family_id.clone(),
            client_id: client.client_id.clone(),
            subject: stored.subject.clone(),
            scope,
            audience: resource::narrowed(form, &stored.granted_audience)?,
            session,
            issued_at: now,
        };
        // FAPI 2.0 Security Profile §5.3.2.1: "shall not use refresh token rotation
        // except in extraordinary circumstances". The refresh token stays as it is
        // (sender-constrained by private_key_jwt) and only an access token is issued.
        if fapi2::covers(&ctx.config, client) {
            plan.refresh = None;
            return issue::issue_plan(ctx, &grant, &plan).await;
        }
        let mut issuance = issue::prepare(ctx, &grant, &plan).await?;
        keep_granted_audience(&mut issuance.rows, &stored.granted_audience);
        authorization_details::keep_granted(&ctx.keys, &mut issuance.rows, &granted_details)?;
        // An exchanged family stays linked to its parent (RFC 8693, the family rule).
        for row in &mut issuance.rows {
            row.parent_family_id = stored.parent_family_id.clone();
        }
        let redeemed = ctx
            .tokens
            .redeem_reporting(
                TokenKind::RefreshToken,
                &stored.signature_hash,
                now,
                grace.max(Duration::zero()),
                Some(&stored.family_id),
                &issuance.rows,
                &issuance.events,
            )
            .await?;
        if !redeemed {
            return Err(presented::reused(ctx, &stored).await);
        }
        Ok(issuance.response)
    }
}

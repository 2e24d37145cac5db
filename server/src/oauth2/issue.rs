//! Issuing a token family: the access token (opaque or RFC 9068 JWT), where the grant
//! allows a refresh token, and for OpenID Connect an ID token, of one grant, stored in
//! one transaction, and the RFC 6749 §5.1 response. Every grant ends here, so all
//! tokens are minted, sealed and stored the same way; grants that consume a code or a
//! refresh token [`prepare`] the rows and store them with `TokenStore::redeem`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::client::model::{AccessTokenStrategy, Client, GrantType};
use crate::config::AccessTokenStrategyConfig;
use crate::error::OAuth2Error;
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::jwt_access_token;
use crate::oauth2::session::{self, TokenSession};
use crate::oauth2::token_format::{self, OpaqueToken};
use crate::oauth2::token_type::TokenType;
use crate::oidc::id_token::{self, IdTokenPlan};
use crate::secrets::KeyRing;
use crate::storage::{OutboxEvent, StoredToken, TokenKind};

/// RFC 6749 §5.1: the successful token response (Hydra's `oAuth2TokenExchange`).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = oAuth2TokenExchange, title = "OAuth2 Token Exchange Result")]
pub struct TokenResponse {
    /// The access token issued by the authorization server.
    pub access_token: String,
    /// The lifetime in seconds of the access token.
    pub expires_in: i64,
    /// The ID token, for OpenID Connect flows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The refresh token, when the grant issues one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scope, space-separated (omitted when nothing was granted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The type of the token issued: `bearer` (RFC 6750), or `DPoP` when a DPoP proof
    /// bound it to the client's key (RFC 9449 §5); `N_A` when a token exchange issued
    /// something other than an access token (RFC 8693 §2.2.1).
    pub token_type: String,
    /// OpenID Connect UserInfo VC draft 00 (as Hydra): with the scopes `openid` and
    /// `userinfo_credential_draft_00`, the nonce for a credential request's proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce_draft_00: Option<String>,
    /// Seconds until `c_nonce_draft_00` expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce_expires_in_draft_00: Option<i64>,
    /// RFC 8693 §2.2.1: the type of the token in `access_token`, for token exchange
    /// responses only (e.g. `urn:ietf:params:oauth:token-type:access_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<String>,
    /// RFC 9396 §7: the authorization details the access token carries, when the grant
    /// has any (for a code grant, those the user granted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub authorization_details: Option<Vec<serde_json::Value>>,
}

/// Never prints the tokens.
impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("token_type", &self.token_type)
            .finish_non_exhaustive()
    }
}

/// What every token of one family shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// A new UUID per grant; revocation works on it.
    pub family_id: String,
    pub client_id: String,
    pub subject: String,
    pub scope: Vec<String>,
    pub audience: Vec<String>,
    pub session: TokenSession,
    pub issued_at: DateTime<Utc>,
}

impl Grant {
    /// A grant with a fresh family id.
    pub fn new(
        client_id: &str,
        subject: &str,
        scope: Vec<String>,
        audience: Vec<String>,
        session: TokenSession,
        issued_at: DateTime<Utc>,
    ) -> Self {
        Self {
            // Time-ordered (RFC 9562 §5.7): new families append to the family index
            // instead of dirtying a random page of it on every insert.
            family_id: uuid::Uuid::now_v7().to_string(),
            client_id: client_id.to_owned(),
            subject: subject.to_owned(),
            scope,
            audience,
            session,
            issued_at,
        }
    }

    /// Mints one token of this family and the row that stores it (session and
    /// `request_data` sealed to the row). Storing it is the caller's.
    pub fn mint(
        &self,
        keys: &KeyRing,
        kind: TokenKind,
        lifespan: Duration,
        request_data: Option<&serde_json::Value>,
    ) -> Result<(OpaqueToken, StoredToken), OAuth2Error> {
        let token = token_format::generate(keys, kind, self.issued_at)?;
        let row = self.row(keys, kind, &token.signature_hash, lifespan, request_data)?;
        Ok((token, row))
    }

    /// The row of a token of this family stored under `hash` (an opaque token's, or a
    /// JWT access token's), its session and `request_data` sealed to it.
    pub fn row(
        &self,
        keys: &KeyRing,
        kind: TokenKind,
        hash: &str,
        lifespan: Duration,
        request_data: Option<&serde_json::Value>,
    ) -> Result<StoredToken, OAuth2Error> {
        let expires_at = self
            .issued_at
            .checked_add_signed(lifespan)
            .ok_or_else(|| OAuth2Error::server_error("token lifespan out of range"))?;
        Ok(StoredToken {
            signature_hash: hash.to_owned(),
            kind,
            family_id: self.family_id.clone(),
            client_id: self.client_id.clone(),
            subject: self.subject.clone(),
            granted_scope: self.scope.clone(),
            granted_audience: self.audience.clone(),
            session: session::seal(keys, hash, &self.session)?,
            request_data: request_data
                .map(|data| session::seal(keys, hash, data))
                .transpose()?,
            issued_at: self.issued_at,
            expires_at,
            active: true,
            used_at: None,
            parent_family_id: None,
        })
    }
}

/// What one token response issues for a grant.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The grant whose token request this answers: the token hooks see it, and choose
    /// by it (`oauth2::token_hook`).
    pub grant_type: GrantType,
    /// Opaque or RFC 9068 JWT ([`access_format`]).
    pub access_format: AccessTokenStrategy,
    pub access_lifespan: Duration,
    /// A refresh token (always opaque).
    pub refresh: Option<RefreshPlan>,
    /// An ID token (OIDC Core §3.1.3.3), when `openid` was granted.
    pub id_token: Option<IdTokenPlan>,
    /// How the access token is presented (the request's, `grants::TokenRequest`).
    pub token_type: TokenType,
}

/// The refresh token of a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshPlan {
    pub lifespan: Duration,
    /// RFC 6749 §6: a new refresh token's scope is "identical to that of the refresh
    /// token included by the client in the request", even when the access token's
    /// scope was narrowed.
    pub scope: Vec<String>,
    /// RFC 9449 §5: the key a public client's refresh token is bound to (confidential
    /// clients' refresh tokens are bound by client authentication instead).
    pub dpop_jkt: Option<String>,
}

impl RefreshPlan {
    /// A refresh plan whose binding follows RFC 9449 §5: the access token's key for a
    /// public client, none for a confidential one.
    pub fn new(
        lifespan: Duration,
        scope: Vec<String>,
        client: &Client,
        token_type: &TokenType,
    ) -> Self {
        Self {
            lifespan,
            scope,
            dpop_jkt: client
                .is_public()
                .then(|| token_type.jkt().map(str::to_owned))
                .flatten(),
        }
    }
}

/// The minted tokens of a [`Plan`], not yet stored, and the response that hands them
/// out once they are.
pub struct Issuance {
    pub rows: Vec<StoredToken>,
    /// `token.issued` for the outbox when `events.enabled`, stored with `rows`.
    pub events: Vec<OutboxEvent>,
    pub response: TokenResponse,
}

/// The access-token format for `client`: its `access_token_strategy`, else
/// `strategies.access_token`.
pub fn access_format(ctx: &OAuth2Context, client: &Client) -> AccessTokenStrategy {
    client
        .access_token_strategy
        .unwrap_or(match ctx.config.strategies.access_token {
            AccessTokenStrategyConfig::Opaque => AccessTokenStrategy::Opaque,
            AccessTokenStrategyConfig::Jwt => AccessTokenStrategy::Jwt,
        })
}

/// Mints (and signs) every token of `plan` for `grant`, after the token hooks had their
/// say over the extra claims; storing the rows is the caller's, in the same step as
/// whatever the exchange consumes.
pub async fn prepare(
    ctx: &OAuth2Context,
    grant: &Grant,
    plan: &Plan,
) -> Result<Issuance, OAuth2Error> {
    if ctx.token_hooks.applies(plan.grant_type) {
        let (mut grant, mut plan) = (grant.clone(), plan.clone());
        let id_claims = plan.id_token.as_mut().map(|id| &mut id.context.claims);
        ctx.token_hooks
            .run(plan.grant_type, &mut grant, id_claims)
            .await?;
        return mint(ctx, &grant, &plan).await;
    }
    mint(ctx, grant, plan).await
}

/// [`prepare`] after the hooks.
async fn mint(ctx: &OAuth2Context, grant: &Grant, plan: &Plan) -> Result<Issuance, OAuth2Error> {
    let keys = ctx.keys.as_ref();
    let bound = |jkt: Option<&str>| Grant {
        session: TokenSession {
            dpop_jkt: jkt.map(str::to_owned),
            ..grant.session.clone()
        },
        ..grant.clone()
    };
    let access = bound(plan.token_type.jkt());
    let (access_token, access_row) = match plan.access_format {
        AccessTokenStrategy::Opaque => {
            let (token, row) =
                access.mint(keys, TokenKind::AccessToken, plan.access_lifespan, None)?;
            (token.value, row)
        }
        AccessTokenStrategy::Jwt => {
            jwt_access_token::mint(ctx, &access, plan.access_lifespan).await?
        }
    };
    let mut rows = vec![access_row];
    let mut refresh_token = None;
    if let Some(refresh) = &plan.refresh {
        let family = Grant {
            scope: refresh.scope.clone(),
            ..bound(refresh.dpop_jkt.as_deref())
        };
        let (token, row) = family.mint(keys, TokenKind::RefreshToken, refresh.lifespan, None)?;
        rows.push(row);
        refresh_token = Some(token.value);
    }
    let id_token = match &plan.id_token {
        Some(id) => Some(
            id_token::sign(
                &ctx.oidc(),
                &grant.client_id,
                grant.session.client_subject(&grant.subject),
                id,
                Some(&access_token),
            )
            .await?,
        ),
        None => None,
    };
    let mut kinds = vec![TokenKind::AccessToken.as_str()];
    if refresh_token.is_some() {
        kinds.push(TokenKind::RefreshToken.as_str());
    }
    if id_token.is_some() {
        kinds.push("id_token");
    }
    let events = crate::events::token_issued(
        &ctx.config,
        grant.issued_at,
        &crate::events::Issued {
            grant_type: plan.grant_type.as_str(),
            client_id: &grant.client_id,
            subject: &grant.subject,
            family_id: &grant.family_id,
            scopes: &grant.scope,
            audience: &grant.audience,
            token_kinds: &kinds,
        },
    )?;
    Ok(Issuance {
        rows,
        events,
        response: TokenResponse {
            access_token,
            expires_in: plan.access_lifespan.num_seconds(),
            id_token,
            refresh_token,
            scope: (!grant.scope.is_empty()).then(|| grant.scope.join(" ")),
            token_type: plan.token_type.as_str().to_owned(),
            c_nonce_draft_00: None,
            c_nonce_expires_in_draft_00: None,
            issued_token_type: None,
            authorization_details: (!grant.session.authorization_details.is_empty())
                .then(|| grant.session.authorization_details.clone()),
        },
    })
}

/// Mints the tokens of `plan`, stores them in one transaction, and answers as RFC 6749
/// §5.1 says (grants that consume nothing: client credentials).
pub async fn issue_plan(
    ctx: &OAuth2Context,
    grant: &Grant,
    plan: &Plan,
) -> Result<TokenResponse, OAuth2Error> {
    let issuance = prepare(ctx, grant, plan).await?;
    ctx.tokens
        .insert_tokens_reporting(&issuance.rows, &issuance.events)
        .await?;
    Ok(issuance.response)
}

/// [`issue_plan`] for a code grant's family: an opaque access token and, with
/// `refresh_lifespan`, a refresh token of the grant's scope (tests and tools that need
/// a family without walking a flow).
pub async fn issue(
    ctx: &OAuth2Context,
    grant: &Grant,
    access_lifespan: Duration,
    refresh_lifespan: Option<Duration>,
) -> Result<TokenResponse, OAuth2Error> {
    let plan = Plan {
        grant_type: GrantType::AuthorizationCode,
        access_format: AccessTokenStrategy::Opaque,
        access_lifespan,
        refresh: refresh_lifespan.map(|lifespan| RefreshPlan {
            lifespan,
            scope: grant.scope.clone(),
            dpop_jkt: None,
        }),
        id_token: None,
        token_type: TokenType::Bearer,
    };
    issue_plan(ctx, grant, &plan).await
}

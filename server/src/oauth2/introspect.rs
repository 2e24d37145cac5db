//! RFC 7662 token introspection. A token is active when this server made it (its MAC
//! verifies under a configured secret, or, for an RFC 9068 JWT access token, its
//! signature verifies against the access-token key set), it is stored, not revoked or
//! used, not expired by the server's clock, and covers every scope the caller requires
//! (`scope`, Hydra's extension, matched with `strategies.scope`). Anything else is
//! exactly `{"active":false}` (RFC 7662 §2.2: no further information about inactive
//! tokens). Authorization codes are never active here: they are not access tokens.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::OAuth2Error;
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::session::{self, TokenSession};
use crate::oauth2::{jwt_access_token, scope};
use crate::storage::{StoredToken, TokenKind};

/// RFC 7662 §2.2 (Hydra's `introspectedOAuth2Token`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = introspectedOAuth2Token)]
pub struct IntrospectedToken {
    /// Whether the token is currently active.
    pub active: bool,
    /// The token's intended audiences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Vec<String>>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// RFC 7800 §3.1 confirmation: `{"jkt": …}`, the JWK SHA-256 thumbprint of the key a
    /// DPoP-bound token is bound to (RFC 9449 §6.2). A resource server accepts the
    /// token only with a DPoP proof by that key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// RFC 8693 §4.1: for a token issued by delegation, the actor (`{"sub": …}`, with
    /// earlier actors nested as `act`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub act: Option<serde_json::Value>,
    /// RFC 9396 §9.2: the authorization details the token carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub authorization_details: Option<Vec<serde_json::Value>>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Extra data set by the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext: Option<BTreeMap<String, serde_json::Value>>,
    /// Issue time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The issuer URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Not-before time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The subject of the ID token, when pairwise subject identifiers are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obfuscated_subject: Option<String>,
    /// The granted scopes, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The subject: the resource owner, or the client for client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `Bearer`, or `DPoP` for a DPoP-bound token (RFC 9449 §6.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// `access_token` or `refresh_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_use: Option<String>,
    /// A human-readable identifier of the resource owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// RFC 7800 §3.1 `cnf` of a DPoP-bound token (RFC 9449 §6).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = tokenConfirmation)]
pub struct Confirmation {
    /// RFC 9449 §6.1: the base64url SHA-256 JWK thumbprint (RFC 7638) of the DPoP key.
    pub jkt: String,
}

impl IntrospectedToken {
    /// `{"active":false}`.
    pub fn inactive() -> Self {
        Self::default()
    }
}

/// An active token (RFC 7662 §2.2 "active"): its stored row and unsealed session.
pub struct ActiveToken {
    pub stored: StoredToken,
    pub session: TokenSession,
}

/// Finds `token` if it is active and carries every scope of `required_scope`: known
/// (MAC or JWT signature), not a code, active, unused, unexpired. Storage failures are
/// errors, not inactive tokens.
pub async fn find_active(
    ctx: &OAuth2Context,
    token: &str,
    required_scope: Option<&str>,
) -> Result<Option<ActiveToken>, OAuth2Error> {
    let Some(verified) = jwt_access_token::identify(ctx, token).await else {
        return Ok(None);
    };
    if verified.kind == TokenKind::AuthorizationCode {
        return Ok(None);
    }
    let Some(stored) = ctx
        .tokens
        .get_token(verified.kind, &verified.signature_hash)
        .await?
    else {
        return Ok(None);
    };
    // A used refresh token may stay active during the rotation grace period, for the
    // token endpoint only; to everyone else it is spent.
    if !stored.active || stored.used_at.is_some() || stored.expires_at <= ctx.clock.now() {
        return Ok(None);
    }
    let strategy = ctx.config.strategies.scope;
    let granted = || stored.granted_scope.iter().map(String::as_str);
    if !scope::parse_scope(required_scope)?
        .iter()
        .all(|required| scope::is_allowed(strategy, granted(), required))
    {
        return Ok(None);
    }
    let session: TokenSession = session::open(&ctx.keys, &stored.signature_hash, &stored.session)?;
    Ok(Some(ActiveToken { stored, session }))
}

/// Introspects `token`; `required_scope` is the space-separated `scope` parameter.
/// Storage failures are errors, not inactive tokens.
pub async fn introspect(
    ctx: &OAuth2Context,
    token: &str,
    required_scope: Option<&str>,
) -> Result<IntrospectedToken, OAuth2Error> {
    let Some(ActiveToken { stored, session }) = find_active(ctx, token, required_scope).await?
    else {
        return Ok(IntrospectedToken::inactive());
    };
    let issued_at = stored.issued_at.timestamp();
    let token_type = if session.dpop_jkt.is_some() {
        "DPoP"
    } else {
        "Bearer"
    };
    Ok(IntrospectedToken {
        active: true,
        act: session.act,
        aud: Some(stored.granted_audience),
        authorization_details: (!session.authorization_details.is_empty())
            .then_some(session.authorization_details),
        client_id: Some(stored.client_id),
        cnf: session.dpop_jkt.map(|jkt| Confirmation { jkt }),
        exp: Some(stored.expires_at.timestamp()),
        ext: (!session.ext.is_empty()).then(|| session.ext.into_iter().collect()),
        iat: Some(issued_at),
        iss: Some(ctx.config.issuer()),
        nbf: Some(issued_at),
        obfuscated_subject: session.obfuscated_subject,
        scope: Some(stored.granted_scope.join(" ")),
        sub: Some(stored.subject),
        token_type: Some(token_type.to_owned()),
        token_use: Some(stored.kind.as_str().to_owned()),
        username: None,
    })
}

/// The scope value in a client's registered `scope` that lets it introspect tokens
/// issued to other clients at the public introspection endpoint (resource servers).
pub const INTROSPECT_PERMISSION: &str = "introspect";

/// RFC 7662 §2.1 introspection by an authenticated client (the public
/// `/oauth/introspect`): as [`introspect`], but a token issued to another client is
/// reported inactive unless `client` holds [`INTROSPECT_PERMISSION`]. RFC 7662 §4: the
/// endpoint must not tell a client about tokens it has no business with, and an
/// inactive answer says nothing about whether the token exists.
pub async fn introspect_as_client(
    ctx: &OAuth2Context,
    client: &crate::client::model::Client,
    token: &str,
    required_scope: Option<&str>,
) -> Result<IntrospectedToken, OAuth2Error> {
    let result = introspect(ctx, token, required_scope).await?;
    let own = result.client_id.as_deref() == Some(client.client_id.as_str());
    let permitted = client
        .scope
        .split(' ')
        .any(|scope| scope == INTROSPECT_PERMISSION);
    Ok(if own || permitted {
        result
    } else {
        IntrospectedToken::inactive()
    })
}

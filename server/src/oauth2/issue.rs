//! Issuing a token family: the access token (and, where the grant allows, a refresh
//! token) of one grant, stored in one transaction, and the RFC 6749 §5.1 response.
//! Every grant ends here, so all tokens are minted, sealed and stored the same way.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::OAuth2Error;
use crate::oauth2::session::{self, TokenSession};
use crate::oauth2::token_format::{self, OpaqueToken};
use crate::secrets::KeyRing;
use crate::state::AppState;
use crate::storage::{StoredToken, TokenKind};

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
    /// The type of the token issued: `bearer` (RFC 6750).
    pub token_type: String,
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
            family_id: uuid::Uuid::new_v4().to_string(),
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
        let token = token_format::generate(keys, kind)?;
        let expires_at = self
            .issued_at
            .checked_add_signed(lifespan)
            .ok_or_else(|| OAuth2Error::server_error("token lifespan out of range"))?;
        let hash = &token.signature_hash;
        let row = StoredToken {
            signature_hash: hash.clone(),
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
        };
        Ok((token, row))
    }
}

/// Mints the access token and, with `refresh_lifespan`, a refresh token for `grant`,
/// stores both in one transaction, and answers as RFC 6749 §5.1 says.
pub async fn issue(
    state: &AppState,
    grant: &Grant,
    access_lifespan: Duration,
    refresh_lifespan: Option<Duration>,
) -> Result<TokenResponse, OAuth2Error> {
    let keys = state.keys.as_ref();
    let (access, access_row) = grant.mint(keys, TokenKind::AccessToken, access_lifespan, None)?;
    let mut rows = vec![access_row];
    let mut refresh_token = None;
    if let Some(lifespan) = refresh_lifespan {
        let (refresh, refresh_row) = grant.mint(keys, TokenKind::RefreshToken, lifespan, None)?;
        rows.push(refresh_row);
        refresh_token = Some(refresh.value);
    }
    state.tokens.insert_tokens(&rows).await?;
    Ok(TokenResponse {
        access_token: access.value,
        expires_in: access_lifespan.num_seconds(),
        id_token: None,
        refresh_token,
        scope: (!grant.scope.is_empty()).then(|| grant.scope.join(" ")),
        token_type: "bearer".to_owned(),
    })
}

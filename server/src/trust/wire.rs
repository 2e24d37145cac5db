//! Hydra's JSON shapes of the trust API, with Hydra's schema names.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::TrustRelationship;
use crate::jwk::JsonWebKey;

/// Hydra's `trustOAuth2JwtGrantIssuer`: the body of a new trust relationship.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = trustOAuth2JwtGrantIssuer)]
pub struct TrustOAuth2JwtGrantIssuer {
    /// The `iss` claim of the assertions this issuer signs.
    #[schema(example = "https://jwt-idp.example.com")]
    pub issuer: String,
    /// The `sub` the issuer may assert; set this or `allow_any_subject`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "mike@example.com")]
    pub subject: Option<String>,
    /// The issuer may assert any subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_any_subject: Option<bool>,
    /// The scope values (RFC 6749 §3.3) an assertion may be exchanged for, at most.
    #[schema(example = json!(["openid", "offline"]))]
    pub scope: Vec<String>,
    /// The issuer's public signing key, with `kid` (no private member).
    pub jwk: JsonWebKey,
    /// When the relationship ends; must lie in the future.
    pub expires_at: DateTime<Utc>,
}

/// Hydra's `trustedOAuth2JwtGrantJsonWebKey`: which key a relationship holds.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = trustedOAuth2JwtGrantJsonWebKey)]
pub struct TrustedOAuth2JwtGrantJsonWebKey {
    /// The key's set: the issuer, as in Hydra.
    #[schema(example = "https://jwt-idp.example.com")]
    pub set: String,
    /// The key's `kid`.
    #[schema(example = "123e4567-e89b-12d3-a456-426655440000")]
    pub kid: String,
}

/// Hydra's `trustedOAuth2JwtGrantIssuer`: a stored trust relationship.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = trustedOAuth2JwtGrantIssuer)]
pub struct TrustedOAuth2JwtGrantIssuer {
    #[schema(example = "9edc811f-4e28-453c-9b46-4de65f00217f")]
    pub id: String,
    pub issuer: String,
    /// Empty when `allow_any_subject` is true.
    pub subject: String,
    pub allow_any_subject: bool,
    pub scope: Vec<String>,
    pub public_key: TrustedOAuth2JwtGrantJsonWebKey,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<&TrustRelationship> for TrustedOAuth2JwtGrantIssuer {
    fn from(trust: &TrustRelationship) -> Self {
        Self {
            id: trust.id.clone(),
            issuer: trust.issuer.clone(),
            subject: trust.subject.clone(),
            allow_any_subject: trust.allow_any_subject,
            scope: trust.scope.clone(),
            public_key: TrustedOAuth2JwtGrantJsonWebKey {
                set: trust.issuer.clone(),
                kid: trust.kid.clone(),
            },
            created_at: trust.created_at,
            expires_at: trust.expires_at,
        }
    }
}

//! The admin API's JSON shapes of initial access tokens, named in Hydra's style.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::InitialAccessToken;

/// The body of a new initial access token.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = createOAuth2InitialAccessToken)]
#[serde(deny_unknown_fields)]
pub struct CreateOAuth2InitialAccessToken {
    /// When the token stops allowing registrations: in the future and at most a year
    /// ahead. Default: 24 hours from now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// How many clients may be registered with the token, 1 to 1,000,000. Default: any
    /// number until it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1000000, example = 1)]
    pub max_uses: Option<i64>,
}

/// A stored initial access token. `token` is present only in the answer to its
/// creation: the server keeps only a hash and cannot show it again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = oAuth2InitialAccessToken)]
pub struct OAuth2InitialAccessToken {
    #[schema(example = "9edc811f-4e28-453c-9b46-4de65f00217f")]
    pub id: String,
    /// The token, sent to `POST /oauth2/register` as `Authorization: Bearer` (RFC 7591
    /// §3). Only in the creation's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// How many registrations the token allows; absent for any number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u64>,
    /// How many clients were registered with it.
    pub uses: u64,
}

impl OAuth2InitialAccessToken {
    /// The stored token, with the token itself when it was just created.
    pub fn from_model(token: &InitialAccessToken, secret: Option<String>) -> Self {
        Self {
            id: token.id.clone(),
            token: secret,
            created_at: token.created_at,
            expires_at: token.expires_at,
            max_uses: token.max_uses,
            uses: token.uses,
        }
    }
}

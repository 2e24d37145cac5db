//! An initial access token (RFC 7591 §3) as the server keeps it: never the token
//! itself, only its SHA-256 (`client::secret::hash_generated`), which is its lookup key.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialAccessToken {
    /// A UUID assigned at creation: how the admin API names the token.
    pub id: String,
    /// `client::secret::hash_generated` of the token.
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    /// Registrations presenting the token are refused from this instant on.
    pub expires_at: DateTime<Utc>,
    /// How many registrations the token allows; `None` for any number until it expires.
    pub max_uses: Option<u64>,
    /// How many registrations it has been used for.
    pub uses: u64,
}

impl InitialAccessToken {
    /// Whether a registration presenting the token at `now` is allowed.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at && self.max_uses.is_none_or(|max| self.uses < max)
    }
}

//! The `TokenStore` port: opaque tokens (access, refresh, authorization code) as rows
//! keyed by a hash of the token's MAC, grouped in families (docs/architecture.md, "Storage").
//!
//! A *family* is every token one grant issued (the authorization code, the access and
//! refresh tokens it was exchanged for, and the tokens refreshes derive from it): they
//! share a `family_id`. Revocation works on families, as Hydra revokes by request id.
//! A token exchange (RFC 8693) starts a new family whose tokens name the subject
//! token's family as their `parent_family_id`: revoking a family revokes its
//! descendants as well.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::storage::StorageError;
use crate::storage::outbox::{OutboxEvent, no_outbox};

/// What a stored token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    AccessToken,
    RefreshToken,
    AuthorizationCode,
}

impl TokenKind {
    pub const ALL: [Self; 3] = [
        Self::AccessToken,
        Self::RefreshToken,
        Self::AuthorizationCode,
    ];

    /// The stored name, also the `token_use` of introspection (RFC 7662 §2.2).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
            Self::AuthorizationCode => "authorization_code",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// One stored token. The token itself is never stored: only `signature_hash`, the hex
/// SHA-256 of its MAC, which the server recomputes from a presented token to look it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// Hex SHA-256 (64 lowercase characters) of the token's MAC; the primary key.
    pub signature_hash: String,
    pub kind: TokenKind,
    /// UUID shared by every token of one grant.
    pub family_id: String,
    /// The client the token was issued to; deleting the client deletes its tokens.
    pub client_id: String,
    pub subject: String,
    pub granted_scope: Vec<String>,
    pub granted_audience: Vec<String>,
    /// Session data sealed by the caller (claims are encrypted at rest); opaque here.
    pub session: String,
    /// For authorization codes: the authorization request (redirect URI, PKCE, nonce),
    /// sealed by the caller; opaque here.
    pub request_data: Option<String>,
    /// Stored at microsecond precision on every implementation.
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// `false` once revoked or used.
    pub active: bool,
    /// When a single-use token (code, rotated refresh token) was used.
    pub used_at: Option<DateTime<Utc>>,
    /// RFC 8693: for a token issued by token exchange, the family of the subject token
    /// it was exchanged from; revoking that family revokes this one too.
    pub parent_family_id: Option<String>,
}

/// Opaque tokens. Every method is atomic: it either happens completely or not at all,
/// also under concurrent calls on other connections or nodes.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Inserts the tokens, normally the family one grant issues, in one transaction:
    /// all or none. Fails, writing nothing, with `Conflict` when a `signature_hash`
    /// exists or a token names a client that does not exist.
    async fn insert_tokens(&self, tokens: &[StoredToken]) -> Result<(), StorageError>;

    /// The token of this kind with this hash, active or not, expired or not (the
    /// caller judges expiry with its clock).
    async fn get_token(
        &self,
        kind: TokenKind,
        signature_hash: &str,
    ) -> Result<Option<StoredToken>, StorageError>;

    /// Deactivates every token of the family (RFC 7009 §2.1: revoking a refresh token
    /// revokes the tokens of the same grant) and, transitively, of every family whose
    /// tokens name it as `parent_family_id` (tokens exchanged from it, RFC 8693), in
    /// one transaction. Returns how many were active before.
    async fn revoke_family(&self, family_id: &str) -> Result<u64, StorageError>;

    /// Deactivates every token issued to `subject` through `client_id` (consent
    /// revocation: "revokes the tokens too"), and the families exchanged from their
    /// families as [`revoke_family`](Self::revoke_family) does. Returns how many were
    /// active before.
    async fn revoke_subject_tokens(
        &self,
        subject: &str,
        client_id: &str,
    ) -> Result<u64, StorageError>;

    /// Deletes every access token issued to the client (Hydra's `DELETE
    /// /admin/oauth2/tokens`); refresh tokens and codes stay. Returns the number deleted.
    async fn delete_client_access_tokens(&self, client_id: &str) -> Result<u64, StorageError>;

    /// Compare-and-set for single-use tokens: if the token is active, marks it inactive
    /// and used at `at`, and returns `true`. Returns `false`, changing nothing, when it
    /// is unknown or already inactive. Of concurrent calls on one token exactly one gets
    /// `true` (RFC 6749 §4.1.2: a code is used once; §10.4: refresh rotation).
    async fn mark_used(
        &self,
        kind: TokenKind,
        signature_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError>;

    /// Redeems a single-use token and stores what it is exchanged for, in one
    /// transaction: either both happen or neither does, so a code can never be redeemed
    /// without its tokens being stored, nor its tokens stored twice.
    ///
    /// With `grace` zero the token must be active; it is marked inactive and used at
    /// `at`, exactly as [`mark_used`](Self::mark_used) does, and of concurrent calls on
    /// one token exactly one returns `true` (RFC 6749 §4.1.2, §10.4). With a positive
    /// `grace` (the refresh rotation grace period) the token stays active: its first
    /// redemption records `used_at = at`, and later ones succeed, keeping that
    /// `used_at`, while `at <= used_at + grace`; revoking the family ends the window.
    ///
    /// With `revoke_access_of_family`, the active access tokens of that family are made
    /// inactive in the same transaction, before `tokens` are stored (a refresh replaces
    /// the grant's access tokens, as fosite's refresh handler revokes them).
    ///
    /// Returns `false`, writing nothing, when the token is unknown, of another kind,
    /// inactive, or was used more than `grace` before `at`. Fails, writing nothing,
    /// with `Conflict` when `tokens` cannot be inserted (see
    /// [`insert_tokens`](Self::insert_tokens)).
    async fn redeem(
        &self,
        kind: TokenKind,
        signature_hash: &str,
        at: DateTime<Utc>,
        grace: Duration,
        revoke_access_of_family: Option<&str>,
        tokens: &[StoredToken],
    ) -> Result<bool, StorageError>;

    /// Deletes every token that expired strictly before `before` (the janitor); returns
    /// the number deleted.
    async fn delete_expired(&self, before: DateTime<Utc>) -> Result<u64, StorageError>;

    /// [`insert_tokens`](Self::insert_tokens), writing `events` to the outbox in the
    /// same transaction: the events exist iff the tokens were stored. A store without an
    /// outbox fails, writing nothing, when `events` is not empty.
    async fn insert_tokens_reporting(
        &self,
        tokens: &[StoredToken],
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        no_outbox(events)?;
        self.insert_tokens(tokens).await
    }

    /// [`revoke_family`](Self::revoke_family), writing `events` to the outbox in the
    /// same transaction when it deactivated at least one token.
    async fn revoke_family_reporting(
        &self,
        family_id: &str,
        events: &[OutboxEvent],
    ) -> Result<u64, StorageError> {
        no_outbox(events)?;
        self.revoke_family(family_id).await
    }

    /// [`redeem`](Self::redeem), writing `events` to the outbox in the same transaction
    /// when the redemption succeeded.
    #[expect(
        clippy::too_many_arguments,
        reason = "redeem's arguments and the events of the same transaction"
    )]
    async fn redeem_reporting(
        &self,
        kind: TokenKind,
        signature_hash: &str,
        at: DateTime<Utc>,
        grace: Duration,
        revoke_access_of_family: Option<&str>,
        tokens: &[StoredToken],
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        no_outbox(events)?;
        self.redeem(
            kind,
            signature_hash,
            at,
            grace,
            revoke_access_of_family,
            tokens,
        )
        .await
    }
}

//! A trust relationship as the server reasons about it.

use chrono::{DateTime, Utc};

use crate::jwk::JsonWebKey;

/// One trusted issuer key for the JWT bearer grant (RFC 7523 §2.1): assertions whose
/// `iss` is `issuer`, whose `sub` is `subject` (or any, with `allow_any_subject`) and
/// which `public_key` verifies.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustRelationship {
    /// A UUID assigned at creation.
    pub id: String,
    /// RFC 7519 §4.1.1 `iss` of the assertions.
    pub issuer: String,
    /// RFC 7519 §4.1.2 `sub` the issuer may assert; empty with `allow_any_subject`.
    pub subject: String,
    pub allow_any_subject: bool,
    /// The most an assertion may be exchanged for (RFC 6749 §3.3 scope tokens).
    pub scope: Vec<String>,
    /// The public key (no private member), with its `kid`.
    pub public_key: JsonWebKey,
    /// `public_key.kid`, never empty.
    pub kid: String,
    pub created_at: DateTime<Utc>,
    /// Assertions are refused from this instant on.
    pub expires_at: DateTime<Utc>,
}

impl TrustRelationship {
    /// Whether the relationship covers assertions about `subject`.
    pub fn allows_subject(&self, subject: &str) -> bool {
        self.allow_any_subject || self.subject == subject
    }
}

//! Data stored with a token that must be encrypted at rest (docs/security.md, "A stolen copy of the database"): the token's
//! session (extra claims, later the ID token's claims) and, for authorization codes,
//! the authorization request. Sealed with XChaCha20-Poly1305 under the system secret's
//! session key, bound to the token's `signature_hash` (so a sealed value cannot be
//! moved to another row), then base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::OAuth2Error;
use crate::secrets::{KeyRing, Purpose};

/// The session of a token family.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenSession {
    /// Extra claims of the access token, shown as `ext` by introspection (Hydra's
    /// `session.access_token` from the consent flow).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub ext: serde_json::Map<String, serde_json::Value>,
    /// Claims of the ID token, for the flows that issue one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<serde_json::Value>,
    /// The pairwise `sub` the client sees (OIDC Core §8.1), when it is not the local
    /// subject: in ID tokens, JWT access tokens and userinfo, and introspection's
    /// `obfuscated_subject` (as Hydra).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obfuscated_subject: Option<String>,
    /// RFC 9449 §6: the JWK thumbprint the token is bound to (DPoP), shown as
    /// `cnf.jkt`. Set per token by `issue::prepare`, never inherited by a family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// RFC 8693 §4.1: the `act` claim of a token issued by delegation (who acts for
    /// the subject, earlier actors nested inside), shown in JWT access tokens and by
    /// introspection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<serde_json::Value>,
    /// RFC 9396 §9: the authorization details this token carries (the granted ones,
    /// or a narrowing of them, §6.2), shown in the token response, JWT access tokens and
    /// introspection.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_details: Vec<serde_json::Value>,
}

impl TokenSession {
    /// The `sub` the client sees: the pairwise one, else `subject`.
    pub fn client_subject<'a>(&'a self, subject: &'a str) -> &'a str {
        self.obfuscated_subject.as_deref().unwrap_or(subject)
    }
}

/// Seals `value` as JSON for the row keyed by `signature_hash`.
pub fn seal<T: Serialize>(
    keys: &KeyRing,
    signature_hash: &str,
    value: &T,
) -> Result<String, OAuth2Error> {
    let json = serde_json::to_vec(value)
        .map_err(|e| OAuth2Error::server_error(format!("session cannot be encoded: {e}")))?;
    let sealed = keys
        .seal(Purpose::SessionData, &json, signature_hash.as_bytes())
        .ok_or_else(|| OAuth2Error::server_error("no system secret to seal sessions with"))?;
    Ok(STANDARD.encode(sealed))
}

/// Opens what [`seal`] made for this row, under any configured secret.
pub fn open<T: DeserializeOwned>(
    keys: &KeyRing,
    signature_hash: &str,
    sealed: &str,
) -> Result<T, OAuth2Error> {
    let bytes = STANDARD
        .decode(sealed)
        .map_err(|e| OAuth2Error::server_error(format!("sealed session is not base64: {e}")))?;
    let json = keys
        .open(Purpose::SessionData, &bytes, signature_hash.as_bytes())
        .map_err(|e| OAuth2Error::server_error(format!("sealed session: {e}")))?;
    serde_json::from_slice(&json)
        .map_err(|e| OAuth2Error::server_error(format!("session cannot be decoded: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_round_trip_bound_to_their_row() {
        let keys = KeyRing::new(&["session-secret-0123456789".to_owned()]);
        let mut session = TokenSession::default();
        session.ext.insert("tier".into(), serde_json::json!("gold"));
        let sealed = seal(&keys, "hash-a", &session).unwrap();
        assert!(!sealed.contains("gold"));
        assert_eq!(
            open::<TokenSession>(&keys, "hash-a", &sealed).unwrap(),
            session
        );
        assert!(open::<TokenSession>(&keys, "hash-b", &sealed).is_err());
    }
}

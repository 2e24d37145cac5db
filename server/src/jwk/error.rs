//! What can go wrong with keys, and how each case reaches a client as `OAuth2Error`.

use crate::error::StorageError;
use crate::error::{ErrorKind, OAuth2Error};

#[derive(Debug, Clone, thiserror::Error)]
pub enum JwkError {
    /// A value given by the caller is not acceptable; `field` names it (`alg`, `use`,
    /// `keys[0].kty`, …).
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// No such set or key.
    #[error("{0}")]
    NotFound(String),
    /// A key with this kid already exists.
    #[error("{0}")]
    Conflict(String),
    /// The set has no key that may sign now.
    #[error("JSON Web Key Set {0:?} has no key that can sign now")]
    NoSigningKey(String),
    /// A token failed verification (malformed, unknown key, bad signature).
    #[error("the token cannot be verified: {0}")]
    Unverifiable(String),
    /// A stored private key cannot be opened (e.g. its secret was removed from
    /// `secrets.system`) or decoded.
    #[error("stored key {0}")]
    Corrupt(String),
    /// josekit or OpenSSL failed where it should not (generation, signing).
    #[error("cryptography failed: {0}")]
    Crypto(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl JwkError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<JwkError> for OAuth2Error {
    fn from(err: JwkError) -> Self {
        match err {
            JwkError::Invalid { field, message } => {
                OAuth2Error::invalid_request(format!("Field {field} is invalid: {message}."))
            }
            JwkError::NotFound(what) => OAuth2Error::not_found(what),
            JwkError::Conflict(what) => OAuth2Error::new(ErrorKind::Conflict).with_hint(what),
            JwkError::Storage(storage) => storage.into(),
            JwkError::Unverifiable(why) => {
                OAuth2Error::new(ErrorKind::InvalidRequest).with_debug(why)
            }
            other => OAuth2Error::server_error(other.to_string()),
        }
    }
}

//! Why a client authentication failed, as the `auth.client_failed` audit event
//! classifies it (`events::report_auth`). The class never reaches the client, which
//! gets the one `invalid_client` answer (see `client_auth.rs`, "Client enumeration").

use crate::error::{OAuth2Error, StorageError};

/// Why an authentication was refused: the reason class `auth.client_failed` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// The request carried no client credentials at all.
    NoCredentials,
    /// Credentials without a client_id.
    MissingClientId,
    /// No such client (or an unusable Client ID Metadata Document).
    UnknownClient,
    /// The client is registered for another `token_endpoint_auth_method`.
    WrongMethod,
    /// The secret did not match (or the client's secret cannot be opened).
    WrongSecret,
    /// A client assertion that is malformed or fails verification (RFC 7523 §3).
    BadAssertion,
    /// The method is not enabled on this server, or not allowed for this client
    /// (FAPI 2.0).
    MethodNotAllowed,
    /// Anything else refused with `invalid_client`.
    Other,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoCredentials => "no_credentials",
            Self::MissingClientId => "missing_client_id",
            Self::UnknownClient => "unknown_client",
            Self::WrongMethod => "wrong_method",
            Self::WrongSecret => "wrong_secret",
            Self::BadAssertion => "bad_assertion",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Other => "other",
        }
    }
}

/// A refusal and its reason class, inside [`ClientAuthenticator`].
pub(super) struct Refusal {
    pub(super) error: OAuth2Error,
    pub(super) reason: FailureReason,
    /// The client the request named, once known (the assertion's `sub` included).
    pub(super) client_id: Option<String>,
}

impl From<OAuth2Error> for Refusal {
    fn from(error: OAuth2Error) -> Self {
        Self {
            error,
            reason: FailureReason::Other,
            client_id: None,
        }
    }
}

impl From<StorageError> for Refusal {
    fn from(error: StorageError) -> Self {
        OAuth2Error::from(error).into()
    }
}

/// `error` as a refusal for `reason`.
pub(super) fn refused(reason: FailureReason) -> impl FnOnce(OAuth2Error) -> Refusal {
    move |error| Refusal {
        error,
        reason,
        client_id: None,
    }
}

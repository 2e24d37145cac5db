//! The one error type every client-visible failure becomes, so every endpoint answers
//! errors in the one shape Hydra and RFC 6749 §5.2 give them.
//!
//! Which type to use where:
//! - protocol and admin handlers return [`OAuth2Error`]; its [`ErrorKind`] fixes the RFC
//!   code, the HTTP status and a fixed description, the hint names the bad value;
//! - the storage ports return [`StorageError`] (defined here, so that `client` and `jwk`,
//!   whose ports they are, need not depend on `storage`), which converts into
//!   `OAuth2Error` (`Conflict` → 409, `Unavailable` → 503, the rest → 500); a missing
//!   row is not a storage error but an `Option`, which the caller turns into its own 404;
//! - startup code (config, migrations) returns `anyhow`-style errors in `cmd/`.
//!
//! The wire shape is Hydra's `errorOAuth2`: `{"error","error_description"}`, where the
//! description carries the fixed text followed by the hint; `error_hint` and
//! `error_debug` are added only when `oauth2.expose_internal_errors` is set.

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

/// The error codes Portunus sends, each with its status and fixed description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// RFC 6749 §5.2
    InvalidRequest,
    /// RFC 6749 §5.2 — 401
    InvalidClient,
    /// RFC 6749 §5.2
    InvalidGrant,
    /// RFC 6749 §5.2
    UnauthorizedClient,
    /// RFC 6749 §5.2
    UnsupportedGrantType,
    /// RFC 6749 §5.2
    InvalidScope,
    /// RFC 6749 §4.1.2.1 — 403
    AccessDenied,
    /// RFC 6749 §4.1.2.1
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1 — 500
    ServerError,
    /// RFC 6749 §4.1.2.1 — 503
    TemporarilyUnavailable,
    /// RFC 7591 §3.2.2
    InvalidClientMetadata,
    /// RFC 7591 §3.2.2
    InvalidRedirectUri,
    /// OIDC Core §3.1.2.6
    LoginRequired,
    /// OIDC Core §3.1.2.6
    ConsentRequired,
    /// OIDC Core §3.1.2.6
    InteractionRequired,
    /// RFC 6750 §3.1 — 401
    InvalidToken,
    /// RFC 6750 §3.1 — 403
    InsufficientScope,
    /// Hydra's `request_forbidden` — 403
    RequestForbidden,
    /// Admin API key missing or wrong — 401
    Unauthorized,
    /// 404
    NotFound,
    /// 409
    Conflict,
    /// 410: a login, consent or logout request that was already handled.
    Gone,
    /// 413
    PayloadTooLarge,
    /// 405
    MethodNotAllowed,
    /// RFC 9449 §5, §7.1: a DPoP proof that is missing where required or invalid.
    InvalidDpopProof,
    /// RFC 9449 §8: the proof must carry the server's nonce (`DPoP-Nonce` header).
    UseDpopNonce,
    /// RFC 9101 §6.3 / OIDC Core §3.1.2.6: the request object is invalid.
    InvalidRequestObject,
    /// RFC 9126 §4 / OIDC Core §3.1.2.6: the `request_uri` is invalid, expired or used.
    InvalidRequestUri,
    /// RFC 8628 §3.5: the user has not finished authorizing the device yet.
    AuthorizationPending,
    /// RFC 8628 §3.5: the device polls faster than its interval (which grows by 5 s).
    SlowDown,
    /// RFC 8628 §3.5: the device code expired; the device must start again.
    ExpiredToken,
    /// RFC 8707 §2, RFC 8693 §2.2.2: a `resource` or `audience` that is invalid,
    /// unknown or not allowed.
    InvalidTarget,
    /// RFC 9396 §5: `authorization_details` that is malformed, of an unknown type or of
    /// a type the client may not use.
    InvalidAuthorizationDetails,
}

impl ErrorKind {
    /// Every kind, for tests that must cover each description.
    pub const ALL: [ErrorKind; 33] = [
        Self::InvalidRequest,
        Self::InvalidClient,
        Self::InvalidGrant,
        Self::UnauthorizedClient,
        Self::UnsupportedGrantType,
        Self::InvalidScope,
        Self::AccessDenied,
        Self::UnsupportedResponseType,
        Self::ServerError,
        Self::TemporarilyUnavailable,
        Self::InvalidClientMetadata,
        Self::InvalidRedirectUri,
        Self::LoginRequired,
        Self::ConsentRequired,
        Self::InteractionRequired,
        Self::InvalidToken,
        Self::InsufficientScope,
        Self::RequestForbidden,
        Self::Unauthorized,
        Self::NotFound,
        Self::Conflict,
        Self::Gone,
        Self::PayloadTooLarge,
        Self::MethodNotAllowed,
        Self::InvalidDpopProof,
        Self::UseDpopNonce,
        Self::InvalidRequestObject,
        Self::InvalidRequestUri,
        Self::AuthorizationPending,
        Self::SlowDown,
        Self::ExpiredToken,
        Self::InvalidTarget,
        Self::InvalidAuthorizationDetails,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::RequestForbidden => "request_forbidden",
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Gone => "request_already_handled",
            Self::PayloadTooLarge => "request_too_large",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::InvalidRequestObject => "invalid_request_object",
            Self::InvalidRequestUri => "invalid_request_uri",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::InvalidTarget => "invalid_target",
            Self::InvalidAuthorizationDetails => "invalid_authorization_details",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Self::InvalidClient | Self::InvalidToken | Self::Unauthorized => 401,
            Self::AccessDenied | Self::InsufficientScope | Self::RequestForbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::Gone => 410,
            Self::PayloadTooLarge => 413,
            Self::ServerError => 500,
            Self::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }

    /// Fixed descriptions, worded as fosite/Hydra word them so clients see familiar text.
    pub fn description(self) -> &'static str {
        match self {
            Self::InvalidRequest => {
                "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed."
            }
            Self::InvalidClient => {
                "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."
            }
            Self::InvalidGrant => {
                "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
            }
            Self::UnauthorizedClient => {
                "The client is not authorized to request a token using this method."
            }
            Self::UnsupportedGrantType => {
                "The authorization grant type is not supported by the authorization server."
            }
            Self::InvalidScope => "The requested scope is invalid, unknown, or malformed.",
            Self::AccessDenied => "The resource owner or authorization server denied the request.",
            Self::UnsupportedResponseType => {
                "The authorization server does not support obtaining a token using this method."
            }
            Self::ServerError => {
                "The authorization server encountered an unexpected condition that prevented it from fulfilling the request."
            }
            Self::TemporarilyUnavailable => {
                "The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the server."
            }
            Self::InvalidClientMetadata => {
                "The value of one of the Client Metadata fields is invalid and the server has rejected this request. Note that an Authorization Server MAY choose to substitute a valid value for any requested parameter of a Client's Metadata."
            }
            Self::InvalidRedirectUri => "The value of one or more redirect_uris is invalid.",
            Self::LoginRequired => "The Authorization Server requires End-User authentication.",
            Self::ConsentRequired => "The Authorization Server requires End-User consent.",
            Self::InteractionRequired => {
                "The Authorization Server requires End-User interaction of some form to proceed."
            }
            Self::InvalidToken => {
                "The access token provided is expired, revoked, malformed, or invalid for other reasons."
            }
            Self::InsufficientScope => {
                "The request requires higher privileges than provided by the access token."
            }
            Self::RequestForbidden => "The request is not allowed.",
            Self::Unauthorized => "The request could not be authorized.",
            Self::NotFound => "Unable to locate the resource.",
            Self::Gone => "The request has already been handled; follow redirect_to.",
            Self::Conflict => {
                "Unable to process the requested resource because of conflict in the current state."
            }
            Self::PayloadTooLarge => "The request body is larger than the server accepts.",
            Self::MethodNotAllowed => "The HTTP method is not allowed on this resource.",
            Self::InvalidDpopProof => "The DPoP proof is missing, malformed or invalid.",
            Self::UseDpopNonce => {
                "The authorization server requires a nonce in the DPoP proof: use the one of the DPoP-Nonce header."
            }
            Self::InvalidRequestObject => {
                "The request parameter contains an invalid Request Object."
            }
            Self::InvalidRequestUri => {
                "The request_uri in the authorization request returns an error or contains invalid data."
            }
            Self::AuthorizationPending => {
                "The authorization request is still pending as the end user has not yet completed the user-interaction steps."
            }
            Self::SlowDown => {
                "The authorization request is still pending and polling should continue, but the interval must be increased by 5 seconds for this and all subsequent requests."
            }
            Self::ExpiredToken => {
                "The device_code has expired, and the device authorization session has concluded."
            }
            Self::InvalidTarget => {
                "The requested resource is invalid, missing, unknown, or malformed."
            }
            Self::InvalidAuthorizationDetails => {
                "The authorization_details parameter is malformed, names an unknown type, or names a type the client is not allowed to use."
            }
        }
    }
}

/// The longest `error_description` sent, in characters: hints may carry values from the
/// request or from a login/consent app, and the description travels in redirect URLs.
pub const MAX_DESCRIPTION_LEN: usize = 1024;
/// The longest request value [`quoted`] shows.
pub const MAX_QUOTED_LEN: usize = 80;

/// RFC 6749 §5.2: `error_description` "MUST NOT include characters outside the set
/// %x20-21 / %x23-5B / %x5D-7E".
pub fn is_description_char(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

/// A request value for a hint: in single quotes, cut to [`MAX_QUOTED_LEN`] characters
/// (ending in `...`), each character RFC 6749 §5.2 forbids shown as `?`.
pub fn quoted(value: &str) -> String {
    let shown = |c: char| if is_description_char(c) { c } else { '?' };
    let mut out = String::with_capacity(value.len().min(MAX_QUOTED_LEN) + 2);
    out.push('\'');
    if value.chars().count() > MAX_QUOTED_LEN {
        out.extend(value.chars().take(MAX_QUOTED_LEN - 3).map(shown));
        out.push_str("...");
    } else {
        out.extend(value.chars().map(shown));
    }
    out.push('\'');
    out
}

/// Makes `text` a valid `error_description` (RFC 6749 §5.2): `"` becomes `'`, `§`
/// becomes `Section`, typographic punctuation its ASCII form, white space and control
/// characters a space; `\\` is dropped and any other character becomes `?`. Cut to
/// [`MAX_DESCRIPTION_LEN`] characters, ending in `...` when cut. Applied when the error
/// is rendered, so no hint written anywhere can break the rule.
fn sanitize_description(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_DESCRIPTION_LEN));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if is_description_char(c) => out.push(c),
            '"' | '\u{2018}' | '\u{2019}' | '\u{201c}' | '\u{201d}' => out.push('\''),
            '\\' => {}
            '\u{a7}' => {
                out.push_str("Section");
                if chars.peek().is_some_and(|next| !next.is_whitespace()) {
                    out.push(' ');
                }
            }
            '\u{2010}'..='\u{2015}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{2192}' => out.push_str("->"),
            '\u{2264}' => out.push_str("<="),
            '\u{2265}' => out.push_str(">="),
            c if c.is_whitespace() || c.is_control() => out.push(' '),
            _ => out.push('?'),
        }
        if out.len() > MAX_DESCRIPTION_LEN {
            // Only ASCII was pushed, so byte lengths are character counts.
            out.truncate(MAX_DESCRIPTION_LEN - 3);
            out.push_str("...");
            break;
        }
    }
    out
}

/// A client-visible error: kind, optional hint (shown in `error_description`), optional
/// debug text (shown only when internal errors are exposed, always logged for 5xx).
#[derive(Debug, Clone)]
pub struct OAuth2Error {
    pub kind: ErrorKind,
    pub hint: Option<String>,
    pub debug: Option<String>,
    /// The `WWW-Authenticate` challenge to send with the error (RFC 6749 §5.2: a 401
    /// `invalid_client` after an `Authorization` header attempt).
    pub www_authenticate: Option<String>,
    /// Where the user agent goes next (the 410 of an already handled flow request).
    pub redirect_to: Option<String>,
    /// RFC 9449 §8: the `DPoP-Nonce` header to send with the error.
    pub dpop_nonce: Option<Box<str>>,
    /// The status where the code's own does not apply: a resource server answers
    /// `invalid_dpop_proof` and `use_dpop_nonce` with 401 (RFC 9449 §7.1, §9).
    pub status_override: Option<u16>,
}

impl OAuth2Error {
    pub fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            hint: None,
            debug: None,
            www_authenticate: None,
            redirect_to: None,
            dpop_nonce: None,
            status_override: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_debug(mut self, debug: impl Into<String>) -> Self {
        self.debug = Some(debug.into());
        self
    }

    pub fn with_www_authenticate(mut self, challenge: impl Into<String>) -> Self {
        self.www_authenticate = Some(challenge.into());
        self
    }

    pub fn invalid_request(hint: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest).with_hint(hint)
    }

    pub fn invalid_client_metadata(hint: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidClientMetadata).with_hint(hint)
    }

    pub fn not_found(hint: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound).with_hint(hint)
    }

    /// Hydra's 410 for a request handled before, with the earlier `redirect_to`.
    pub fn already_handled(redirect_to: String) -> Self {
        let mut err = Self::new(ErrorKind::Gone);
        err.redirect_to = Some(redirect_to);
        err
    }

    pub fn server_error(debug: impl Into<String>) -> Self {
        Self::new(ErrorKind::ServerError).with_debug(debug)
    }

    pub fn status(&self) -> u16 {
        self.status_override.unwrap_or(self.kind.status())
    }

    /// `error_description`: the fixed description, then the hint, in RFC 6749 §5.2's
    /// characters and at most [`MAX_DESCRIPTION_LEN`] long.
    pub fn description(&self) -> String {
        match &self.hint {
            Some(hint) => sanitize_description(&format!("{} {}", self.kind.description(), hint)),
            None => sanitize_description(self.kind.description()),
        }
    }

    /// The JSON body; `expose` adds `error_hint` and `error_debug`.
    pub fn body(&self, expose: bool) -> ErrorBody {
        ErrorBody {
            error: self.kind.code().to_owned(),
            error_description: self.description(),
            error_hint: if expose {
                self.hint.as_deref().map(sanitize_description)
            } else {
                None
            },
            error_debug: if expose { self.debug.clone() } else { None },
            status_code: None,
            redirect_to: self.redirect_to.clone(),
        }
    }
}

impl fmt::Display for OAuth2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.description())
    }
}

impl std::error::Error for OAuth2Error {}

/// Hydra's `errorOAuth2`, the one error schema of every operation. `redirect_to` is set
/// only by the 410 answer of an already handled login/consent/logout request.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(as = errorOAuth2)]
pub struct ErrorBody {
    /// Error
    pub error: String,
    /// Error Description
    pub error_description: String,
    /// Error Hint: helps the user identify the error cause (only when internal errors are exposed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_hint: Option<String>,
    /// Error Debug Information (only when internal errors are exposed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_debug: Option<String>,
    /// HTTP Status Code
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i64>,
    /// Where the user agent goes next (410 on an already handled request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_to: Option<String>,
}

/// What can go wrong below the ports. "Not found" is not an error: lookups return
/// `Option`, updates and deletes return whether a row was affected.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// A unique key already exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached (pool timeout, connection refused, file missing).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A transaction lost a lock race and was rolled back (a deadlock, a serialization
    /// failure, a lock wait timeout). The SQL store runs such work again a bounded number
    /// of times; only a transaction that keeps losing reaches the caller, as a 503.
    #[error("database contention: {0}")]
    Contention(String),
    /// A statement the database cut off at `database.statement_timeout`.
    #[error("the database statement timed out: {0}")]
    Timeout(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(String),
    /// A stored value could not be decoded.
    #[error("stored data could not be decoded: {0}")]
    Corrupt(String),
}

impl StorageError {
    /// The kind's name, for metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Conflict(_) => "conflict",
            Self::Unavailable(_) => "unavailable",
            Self::Contention(_) => "contention",
            Self::Timeout(_) => "timeout",
            Self::Database(_) => "database",
            Self::Corrupt(_) => "corrupt",
        }
    }
}

impl From<StorageError> for OAuth2Error {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Conflict(what) => OAuth2Error::new(ErrorKind::Conflict).with_hint(what),
            StorageError::Unavailable(why)
            | StorageError::Contention(why)
            | StorageError::Timeout(why) => {
                OAuth2Error::new(ErrorKind::TemporarilyUnavailable).with_debug(why)
            }
            other => OAuth2Error::server_error(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_carries_hint_and_body_hides_debug() {
        let err = OAuth2Error::invalid_client_metadata("Field redirect_uris[0] must be absolute.")
            .with_debug("internal detail");
        let body = err.body(false);
        assert_eq!(body.error, "invalid_client_metadata");
        assert!(
            body.error_description
                .ends_with("Field redirect_uris[0] must be absolute.")
        );
        assert!(body.error_debug.is_none() && body.error_hint.is_none());
        let exposed = err.body(true);
        assert_eq!(exposed.error_debug.as_deref(), Some("internal detail"));
    }

    /// RFC 6749 §5.2: `%x20-21 / %x23-5B / %x5D-7E` only.
    fn assert_rfc6749_chars(text: &str) {
        let bad: Vec<char> = text
            .chars()
            .filter(|c| !matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
            .collect();
        assert!(bad.is_empty(), "characters {bad:?} in {text:?}");
    }

    #[test]
    fn every_fixed_description_uses_only_rfc6749_characters() {
        assert_eq!(ErrorKind::ALL.len(), 33);
        for kind in ErrorKind::ALL {
            assert_rfc6749_chars(kind.description());
            let err = OAuth2Error::new(kind);
            assert_rfc6749_chars(&err.description());
            assert_rfc6749_chars(&err.body(true).error_description);
        }
    }

    #[test]
    fn hints_are_sanitised_when_rendered() {
        let err = OAuth2Error::invalid_request(
            "The code_challenge must be 43 to 128 characters (RFC 7636 §4.2) \"x\" a\\b\tc\u{e9}",
        );
        let description = err.description();
        assert_rfc6749_chars(&description);
        assert!(
            description.ends_with("(RFC 7636 Section 4.2) 'x' ab c?"),
            "{description}"
        );
        assert_rfc6749_chars(err.body(true).error_hint.as_deref().unwrap());
        assert_rfc6749_chars(&err.to_string());
        // A space after the section sign is not doubled.
        let spaced = OAuth2Error::invalid_request("see § 3").description();
        assert!(spaced.ends_with("see Section 3"), "{spaced}");
    }

    #[test]
    fn arbitrary_hints_render_only_rfc6749_characters() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(6749);
        let interesting = [
            '"',
            '\\',
            '§',
            '\n',
            '\r',
            '\t',
            '\0',
            '\u{7f}',
            '\u{2019}',
            '\u{1F600}',
            'é',
            ' ',
            'a',
            '\'',
        ];
        for _ in 0..2000 {
            let len = rng.random_range(0..64);
            let hint: String = (0..len)
                .map(|_| match rng.random_range(0..3) {
                    0 => interesting[rng.random_range(0..interesting.len())],
                    1 => char::from(rng.random_range(0u8..=127)),
                    _ => char::from_u32(rng.random_range(0..0x11_0000)).unwrap_or('x'),
                })
                .collect();
            let err = OAuth2Error::invalid_request(hint.clone());
            assert_rfc6749_chars(&err.description());
            assert_rfc6749_chars(err.body(true).error_hint.as_deref().unwrap_or_default());
        }
    }

    #[test]
    fn descriptions_are_bounded() {
        let err = OAuth2Error::invalid_request("x".repeat(100_000));
        let description = err.description();
        assert_eq!(description.len(), MAX_DESCRIPTION_LEN);
        assert!(description.ends_with("..."));
        assert_eq!(quoted(&"y".repeat(1000)).len(), MAX_QUOTED_LEN + 2);
        assert_eq!(quoted("a\"b\u{e9}"), "'a?b?'");
    }

    #[test]
    fn statuses_follow_the_rfcs() {
        assert_eq!(ErrorKind::InvalidClient.status(), 401);
        assert_eq!(ErrorKind::ServerError.status(), 500);
        assert_eq!(ErrorKind::TemporarilyUnavailable.status(), 503);
        assert_eq!(ErrorKind::InvalidGrant.status(), 400);
        assert_eq!(ErrorKind::NotFound.status(), 404);
        // RFC 9449 §5, §8: 400 at the token endpoint; a resource overrides it to 401.
        assert_eq!(ErrorKind::InvalidDpopProof.status(), 400);
        assert_eq!(ErrorKind::UseDpopNonce.status(), 400);
        let mut at_resource = OAuth2Error::new(ErrorKind::InvalidDpopProof);
        at_resource.status_override = Some(401);
        assert_eq!(at_resource.status(), 401);
    }
}

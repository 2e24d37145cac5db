//! How much one request may carry: the caps on parameter counts and lengths of the
//! public endpoints, in one place. The request body limit (`serve.request_body_limit`,
//! 1 MiB) bounds the bytes; these bound what the bytes may turn into (items to
//! de-duplicate and match, values sealed into challenges and stored with tokens), and
//! answer a request over a cap with an error that names the parameter and the limit.
//!
//! Each value is far above what a real client sends: Hydra and Keycloak have no such
//! caps, so a cap an operator could meet would be a break of compatibility.

use crate::error::{ErrorKind, OAuth2Error};

/// Name/value pairs in one form body or query string. The largest real requests (an
/// authorization request with every OpenID Connect parameter and `audience` repeated
/// for each of its [`AUDIENCE`] values) have fewer than a hundred.
pub const MAX_PARAMETERS: usize = 1000;

/// The `claims` parameter (OIDC Core §5.5), in bytes of JSON. A request for every
/// standard claim with values and `essential` flags is about 2 KiB.
pub const MAX_CLAIMS_LEN: usize = 16 * 1024;

/// The `assertion` of the JWT bearer grant (RFC 7523 §2.1), in bytes: a JWS with a few
/// kilobytes of claims and an RSA-4096 signature is far below it.
pub const MAX_ASSERTION_LEN: usize = 16 * 1024;

/// The caps of one space-separated list parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListLimit {
    /// The parameter's name, for the error description.
    pub parameter: &'static str,
    /// Items in the request, repeats included (so the work before de-duplication is
    /// bounded too).
    pub max_values: usize,
    /// Bytes of one item.
    pub max_value_len: usize,
    /// The error code of a request over a cap.
    pub error: ErrorKind,
}

/// `scope` (RFC 6749 §3.3): over a cap is `invalid_scope` ("the requested scope is
/// invalid, unknown, or malformed", §5.2). Real clients ask for tens of scopes of tens
/// of characters; URL-shaped scopes stay under 200.
pub const SCOPE: ListLimit = ListLimit {
    parameter: "scope",
    max_values: 256,
    max_value_len: 512,
    error: ErrorKind::InvalidScope,
};

/// `audience` (Hydra's parameter, given once space-separated or repeated): each value
/// must be one of the client's registered audiences, usually a few URLs; 2048 bytes is
/// the longest URL browsers handle everywhere.
pub const AUDIENCE: ListLimit = ListLimit {
    parameter: "audience",
    max_values: 64,
    max_value_len: 2048,
    error: ErrorKind::InvalidRequest,
};

/// `acr_values` (OIDC Core §3.1.2.1): a handful of ACR names or URNs.
pub const ACR_VALUES: ListLimit = ListLimit {
    parameter: "acr_values",
    max_values: 32,
    max_value_len: 512,
    error: ErrorKind::InvalidRequest,
};

/// `ui_locales` (OIDC Core §3.1.2.1): BCP 47 language tags in order of preference.
pub const UI_LOCALES: ListLimit = ListLimit {
    parameter: "ui_locales",
    max_values: 32,
    max_value_len: 128,
    error: ErrorKind::InvalidRequest,
};

/// `prompt` (OIDC Core §3.1.2.1): four values are defined.
pub const PROMPT: ListLimit = ListLimit {
    parameter: "prompt",
    max_values: 8,
    max_value_len: 64,
    error: ErrorKind::InvalidRequest,
};

impl ListLimit {
    pub(crate) fn too_many(&self) -> OAuth2Error {
        OAuth2Error::new(self.error).with_hint(format!(
            "The {} parameter has more than {} values; at most {} are accepted.",
            self.parameter, self.max_values, self.max_values
        ))
    }

    pub(crate) fn too_long(&self) -> OAuth2Error {
        OAuth2Error::new(self.error).with_hint(format!(
            "A value of the {} parameter is longer than {} bytes, the most accepted.",
            self.parameter, self.max_value_len
        ))
    }
}

/// The error for a request with more than [`MAX_PARAMETERS`] pairs.
pub(crate) fn too_many_parameters(count: usize) -> OAuth2Error {
    OAuth2Error::invalid_request(format!(
        "The request has {count} parameters; at most {MAX_PARAMETERS} are accepted."
    ))
}

/// The error for a `claims` parameter over [`MAX_CLAIMS_LEN`].
pub(crate) fn claims_too_long() -> OAuth2Error {
    OAuth2Error::invalid_request(format!(
        "The claims parameter is longer than {MAX_CLAIMS_LEN} bytes, the most accepted."
    ))
}

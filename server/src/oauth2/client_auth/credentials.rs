//! The credentials a request presents (RFC 6749 §2.3), parsed at the edge into one
//! [`Credentials`] value: exactly one method per request.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::client::model::TokenEndpointAuthMethod;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::form::FormParams;
use crate::oauth2::private_key_jwt::JWT_BEARER;

/// Padding is optional in what clients send.
const BASIC_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The credentials a request presents: one method, parsed at the edge.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// RFC 6749 §2.3.1: HTTP Basic, with id and secret each form-urlencoded first.
    ClientSecretBasic { client_id: String, secret: String },
    /// RFC 6749 §2.3.1: `client_id` and `client_secret` in the request body.
    ClientSecretPost { client_id: String, secret: String },
    /// A public client (RFC 7591 §2 `none`) naming itself with `client_id`
    /// (RFC 6749 §3.2.1).
    None { client_id: String },
    /// RFC 7523 §2.2 `client_assertion` (OIDC Core §9 `private_key_jwt`). The client
    /// is the assertion's `sub`; a `client_id` in the body must name the same client
    /// (RFC 7521 §4.2).
    PrivateKeyJwt {
        assertion: String,
        client_id: Option<String>,
    },
    /// RFC 7523 §2.2 `client_assertion` MACed with the client secret (OIDC Core §9
    /// `client_secret_jwt`): an assertion whose header names an HMAC algorithm.
    ClientSecretJwt {
        assertion: String,
        client_id: Option<String>,
    },
}

/// Never prints the secret or the assertion.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}", self.method().as_str())?;
        if let Some(id) = self.client_id() {
            write!(f, ", {id:?}")?;
        }
        f.write_str(")")
    }
}

fn malformed_basic(what: &str) -> OAuth2Error {
    OAuth2Error::invalid_request(format!(
        "The HTTP Basic authorization header is malformed: {what}."
    ))
}

/// RFC 6749 §2.3.1 / Appendix B: id and secret are `application/x-www-form-urlencoded`.
fn form_decode(value: &str, what: &str) -> Result<String, OAuth2Error> {
    percent_encoding::percent_decode_str(&value.replace('+', " "))
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| malformed_basic(&format!("the {what} is not form-urlencoded UTF-8")))
}

/// `Basic <base64(id:secret)>` → (id, secret); `None` for another scheme.
fn parse_basic(header: &str) -> Result<Option<(String, String)>, OAuth2Error> {
    let Some((scheme, encoded)) = header.trim().split_once(' ') else {
        return Ok(None);
    };
    // RFC 9110 §11.1: the scheme is case-insensitive.
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = BASIC_B64
        .decode(encoded.trim())
        .map_err(|_| malformed_basic("the credentials are not base64"))?;
    let decoded =
        String::from_utf8(decoded).map_err(|_| malformed_basic("the credentials are not UTF-8"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| malformed_basic("the credentials have no ':'"))?;
    Ok(Some((
        form_decode(id, "client id")?,
        form_decode(secret, "client secret")?,
    )))
}

fn two_methods(second: &str) -> OAuth2Error {
    OAuth2Error::invalid_request(format!(
        "Client authentication must use exactly one method (RFC 6749 §2.3), but the request uses {second}."
    ))
}

/// RFC 7521 §4.2: both parameters, and the one assertion type this server accepts.
fn assertion(form: &FormParams) -> Result<Credentials, OAuth2Error> {
    let missing = |name: &str| {
        OAuth2Error::invalid_request(format!(
            "The request parameter '{name}' is missing (private_key_jwt sends client_assertion and client_assertion_type)."
        ))
    };
    let kind = form
        .get("client_assertion_type")?
        .ok_or_else(|| missing("client_assertion_type"))?;
    if kind != JWT_BEARER {
        return Err(OAuth2Error::invalid_request(format!(
            "The client_assertion_type {kind:?} is not supported; use {JWT_BEARER:?} (RFC 7523 §2.2)."
        )));
    }
    let assertion = form
        .get("client_assertion")?
        .ok_or_else(|| missing("client_assertion"))?
        .to_owned();
    let client_id = form.get("client_id")?.map(str::to_owned);
    Ok(if names_hmac(&assertion) {
        Credentials::ClientSecretJwt {
            assertion,
            client_id,
        }
    } else {
        Credentials::PrivateKeyJwt {
            assertion,
            client_id,
        }
    })
}

/// Whether the assertion's JOSE header names an HMAC algorithm (`HS256`…): the method
/// is then `client_secret_jwt`. Only the header is read; anything unreadable counts as
/// `private_key_jwt`, whose parser gives the precise error.
fn names_hmac(assertion: &str) -> bool {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Some(header) = assertion.split('.').next() else {
        return false;
    };
    // A JOSE header of an HMAC JWT is tens of bytes; a huge one is not worth decoding.
    if header.len() > 4096 {
        return false;
    }
    URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|header| {
            header
                .get("alg")
                .and_then(serde_json::Value::as_str)
                .and_then(crate::jwk::Algorithm::parse)
        })
        .is_some_and(|alg| alg.is_symmetric())
}

impl Credentials {
    /// The method these credentials use.
    pub fn method(&self) -> TokenEndpointAuthMethod {
        match self {
            Self::ClientSecretBasic { .. } => TokenEndpointAuthMethod::ClientSecretBasic,
            Self::ClientSecretPost { .. } => TokenEndpointAuthMethod::ClientSecretPost,
            Self::None { .. } => TokenEndpointAuthMethod::None,
            Self::PrivateKeyJwt { .. } => TokenEndpointAuthMethod::PrivateKeyJwt,
            Self::ClientSecretJwt { .. } => TokenEndpointAuthMethod::ClientSecretJwt,
        }
    }

    /// The client the request names outright (for `private_key_jwt`, the body's
    /// optional `client_id`; the assertion names it too).
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::ClientSecretBasic { client_id, .. }
            | Self::ClientSecretPost { client_id, .. }
            | Self::None { client_id } => Some(client_id),
            Self::PrivateKeyJwt { client_id, .. } | Self::ClientSecretJwt { client_id, .. } => {
                client_id.as_deref()
            }
        }
    }

    pub(super) fn secret(&self) -> Option<&str> {
        match self {
            Self::ClientSecretBasic { secret, .. } | Self::ClientSecretPost { secret, .. } => {
                Some(secret)
            }
            Self::None { .. } | Self::PrivateKeyJwt { .. } | Self::ClientSecretJwt { .. } => None,
        }
    }

    /// Reads the credentials from the `Authorization` header value and the form.
    /// A malformed Basic header, two methods at once, a `client_id` in the body that
    /// differs from the Basic one, or an incomplete assertion is `invalid_request`; no
    /// credentials at all is `invalid_client`.
    pub fn extract(authorization: Option<&str>, form: &FormParams) -> Result<Self, OAuth2Error> {
        let form_id = form.get("client_id")?;
        let form_secret = form.get("client_secret")?;
        let has_assertion = form.has("client_assertion") || form.has("client_assertion_type");
        if let Some((client_id, secret)) = authorization.map(parse_basic).transpose()?.flatten() {
            if form_secret.is_some() {
                return Err(two_methods("HTTP Basic and client_secret in the body"));
            }
            if has_assertion {
                return Err(two_methods("HTTP Basic and client_assertion"));
            }
            if form_id.is_some_and(|id| id != client_id) {
                return Err(OAuth2Error::invalid_request(
                    "The client_id in the body differs from the one in the HTTP Basic authorization header.",
                ));
            }
            return Ok(Self::ClientSecretBasic { client_id, secret });
        }
        if has_assertion {
            if form_secret.is_some() {
                return Err(two_methods("client_secret and client_assertion"));
            }
            return assertion(form);
        }
        match (form_id, form_secret) {
            (Some(id), Some(secret)) => Ok(Self::ClientSecretPost {
                client_id: id.to_owned(),
                secret: secret.to_owned(),
            }),
            (None, Some(_)) => Err(OAuth2Error::invalid_request(
                "The request parameter 'client_id' is missing (client_secret_post sends both client_id and client_secret).",
            )),
            (Some(id), None) => Ok(Self::None {
                client_id: id.to_owned(),
            }),
            (None, None) => Err(OAuth2Error::new(ErrorKind::InvalidClient)
                .with_hint("The request carries no client authentication.")),
        }
    }
}

//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3).
//!
//! A request uses exactly one method (RFC 6749 §2.3: "MUST NOT use more than one
//! authentication method in each request"), and it must be the method the client
//! registered as `token_endpoint_auth_method`. Failures are `401 invalid_client`, with
//! `WWW-Authenticate: Basic` when the request tried HTTP Basic (RFC 6749 §5.2).
//!
//! Secrets the server generated verify with one SHA-256; operator-chosen ones use
//! Argon2id, which runs on the blocking pool and, once it succeeded, is remembered in a
//! [`SecretCache`] so the token endpoint does not become CPU-bound (DESIGN §5).

use std::sync::Arc;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::client::model::{Client, TokenEndpointAuthMethod};
use crate::client::secret;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::form::FormParams;
use crate::oauth2::secret_cache::SecretCache;
use crate::secrets::KeyRing;
use crate::storage::ClientStore;

#[cfg(test)]
mod tests;

/// The challenge sent with `invalid_client` after an HTTP Basic attempt.
pub const BASIC_CHALLENGE: &str = "Basic realm=\"portunus\"";

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
    /// RFC 7523 §2.2 `client_assertion` (OIDC Core §9 `private_key_jwt`): recognised,
    /// but not enabled on this server yet.
    PrivateKeyJwt,
}

/// Never prints the secret.
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

impl Credentials {
    /// The method these credentials use.
    pub fn method(&self) -> TokenEndpointAuthMethod {
        match self {
            Self::ClientSecretBasic { .. } => TokenEndpointAuthMethod::ClientSecretBasic,
            Self::ClientSecretPost { .. } => TokenEndpointAuthMethod::ClientSecretPost,
            Self::None { .. } => TokenEndpointAuthMethod::None,
            Self::PrivateKeyJwt => TokenEndpointAuthMethod::PrivateKeyJwt,
        }
    }

    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::ClientSecretBasic { client_id, .. }
            | Self::ClientSecretPost { client_id, .. }
            | Self::None { client_id } => Some(client_id),
            Self::PrivateKeyJwt => None,
        }
    }

    fn secret(&self) -> Option<&str> {
        match self {
            Self::ClientSecretBasic { secret, .. } | Self::ClientSecretPost { secret, .. } => {
                Some(secret)
            }
            Self::None { .. } | Self::PrivateKeyJwt => None,
        }
    }

    /// Reads the credentials from the `Authorization` header value and the form.
    /// A malformed Basic header, two methods at once, or a `client_id` in the body
    /// that differs from the Basic one is `invalid_request`; no credentials at all is
    /// `invalid_client`.
    pub fn extract(authorization: Option<&str>, form: &FormParams) -> Result<Self, OAuth2Error> {
        let form_id = form.get("client_id")?;
        let form_secret = form.get("client_secret")?;
        let assertion = form.has("client_assertion") || form.has("client_assertion_type");
        if let Some((client_id, secret)) = authorization.map(parse_basic).transpose()?.flatten() {
            if form_secret.is_some() {
                return Err(two_methods("HTTP Basic and client_secret in the body"));
            }
            if assertion {
                return Err(two_methods("HTTP Basic and client_assertion"));
            }
            if form_id.is_some_and(|id| id != client_id) {
                return Err(OAuth2Error::invalid_request(
                    "The client_id in the body differs from the one in the HTTP Basic authorization header.",
                ));
            }
            return Ok(Self::ClientSecretBasic { client_id, secret });
        }
        if assertion {
            if form_secret.is_some() {
                return Err(two_methods("client_secret and client_assertion"));
            }
            return Ok(Self::PrivateKeyJwt);
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

/// Authenticates clients against the client store.
pub struct ClientAuthenticator {
    clients: Arc<dyn ClientStore>,
    keys: Arc<KeyRing>,
    cache: SecretCache,
}

impl std::fmt::Debug for ClientAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuthenticator")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl ClientAuthenticator {
    /// `keys` keys the cache's HMACs; the cache holds [`SecretCache::new`]'s `capacity`.
    pub fn new(clients: Arc<dyn ClientStore>, keys: Arc<KeyRing>, cache: SecretCache) -> Self {
        Self {
            clients,
            keys,
            cache,
        }
    }

    /// The cache of verified secrets (for tests and metrics).
    pub fn cache(&self) -> &SecretCache {
        &self.cache
    }

    /// Authenticates the request's client (RFC 6749 §2.3) and returns it.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        form: &FormParams,
    ) -> Result<Client, OAuth2Error> {
        let credentials = Credentials::extract(authorization, form)?;
        let basic = matches!(credentials, Credentials::ClientSecretBasic { .. });
        let fail = |hint: String| {
            let err = OAuth2Error::new(ErrorKind::InvalidClient).with_hint(hint);
            if basic {
                err.with_www_authenticate(BASIC_CHALLENGE)
            } else {
                err
            }
        };
        let Some(client_id) = credentials.client_id() else {
            return Err(fail(
                "private_key_jwt authentication is not enabled on this server.".to_owned(),
            ));
        };
        let client = self
            .clients
            .get_client(client_id)
            .await?
            .ok_or_else(|| fail("The requested OAuth 2.0 Client does not exist.".to_owned()))?;
        let registered = client.token_endpoint_auth_method;
        if registered != credentials.method() {
            return Err(fail(format!(
                "The OAuth 2.0 Client supports client authentication method '{}', but method '{}' was requested.",
                registered.as_str(),
                credentials.method().as_str()
            )));
        }
        if let Some(presented) = credentials.secret() {
            let verified = match client.secret_hash.as_deref() {
                Some(stored) => self.verify(&client.client_id, stored, presented).await?,
                None => false,
            };
            if !verified {
                return Err(fail("The provided client secret did not match.".to_owned()));
            }
        }
        Ok(client)
    }

    /// Fast hashes are checked directly; slow ones through the cache, computing off the
    /// async workers on a miss.
    async fn verify(
        &self,
        client_id: &str,
        stored: &str,
        presented: &str,
    ) -> Result<bool, OAuth2Error> {
        if !secret::is_slow(stored) {
            return Ok(secret::verify(presented, stored));
        }
        if self
            .cache
            .contains(&self.keys, client_id, stored, presented)
        {
            return Ok(true);
        }
        let (secret_copy, stored_copy) = (presented.to_owned(), stored.to_owned());
        let verified =
            tokio::task::spawn_blocking(move || secret::verify(&secret_copy, &stored_copy))
                .await
                .map_err(|e| OAuth2Error::server_error(format!("secret verification: {e}")))?;
        if verified {
            self.cache.insert(&self.keys, client_id, stored, presented);
        }
        Ok(verified)
    }
}

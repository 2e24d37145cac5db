//! Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), as
//! Hydra serves them at `/oauth2/register` (OIDC Dynamic Client Registration 1.0),
//! independent of HTTP. A registration is a client creation with the fields only an
//! operator may set refused, and a registration access token issued with it: 256
//! random bits, stored as a SHA-256 hash (`client::secret`), presented as a bearer
//! token to read, replace or delete the client, and rotated on every replacement
//! (RFC 7592 §2.2, as Hydra does).

use subtle::ConstantTimeEq;

use super::admin::{self, ClientWithSecret};
use super::initial_access::{self, InitialAccessTokenStore};
use super::model::{Client, GrantType};
use super::secret;
use super::store::ClientStore;
use crate::client::wire::{OAuth2Client, OAuth2ClientTokenLifespans};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{ErrorKind, OAuth2Error};
use crate::secrets::KeyRing;

/// RFC 6750 §3.1's challenge for a missing or wrong registration access token.
const INVALID_TOKEN_CHALLENGE: &str = "Bearer error=\"invalid_token\"";

/// A client as a registration answers it: the client, its secret when this call set
/// it, and the registration access token when this call issued one.
#[derive(Debug)]
pub struct Registered {
    pub client: Client,
    pub secret: Option<String>,
    pub registration_access_token: Option<String>,
}

impl Registered {
    /// The response body (RFC 7591 §3.2.1, RFC 7592 §3): the client with
    /// `registration_client_uri` and, when issued now, `registration_access_token`.
    /// Metadata the client does not have is left out rather than sent as `""` (as the
    /// admin API does, like Hydra): RFC 7591 §2 values such as `policy_uri` are URIs,
    /// and registration clients parse them as such.
    pub fn into_wire(self, config: &Config) -> serde_json::Value {
        let mut body = OAuth2Client::from_model(&self.client, self.secret);
        body.registration_client_uri = Some(registration_client_uri(config, &self.client));
        body.registration_access_token = self.registration_access_token;
        let mut value = serde_json::to_value(body).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.retain(|_, v| !(v.is_null() || v.as_str() == Some("")));
        }
        value
    }
}

/// Where the client manages its registration (RFC 7592 §1): the configured public URL,
/// never a request header.
pub fn registration_client_uri(config: &Config, client: &Client) -> String {
    let id = percent_encoding::utf8_percent_encode(&client.client_id, UNRESERVED);
    format!("{}/oauth2/register/{id}", config.public_url())
}

/// RFC 3986 §2.3: everything but the unreserved characters is escaped in the id.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Registration is off unless `oidc.dynamic_client_registration.enabled`: the
/// endpoints then answer as unknown routes do (Hydra does not mount them).
pub fn ensure_enabled(config: &Config) -> Result<(), OAuth2Error> {
    if config.oidc.dynamic_client_registration.enabled {
        Ok(())
    } else {
        Err(OAuth2Error::not_found(
            "Dynamic client registration is not enabled (oidc.dynamic_client_registration.enabled).",
        ))
    }
}

fn invalid_token(hint: &str) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::InvalidToken)
        .with_hint(hint)
        .with_www_authenticate(INVALID_TOKEN_CHALLENGE)
}

/// How a registration was allowed (RFC 7591 §3).
#[derive(Debug, PartialEq, Eq)]
enum InitialAccess {
    /// Open registration: no initial access token is required (Hydra's behaviour).
    Open,
    /// A token from `oidc.dynamic_client_registration.initial_access_tokens`.
    Configured,
    /// An admin-created token (`client::initial_access`), by hash: one use is counted
    /// when the client is created.
    Created(String),
}

/// Whether registrations must present an initial access token: when any is configured
/// or `require_initial_access_token` says so (then admin-created tokens are the way in).
fn token_required(config: &Config) -> bool {
    let dcr = &config.oidc.dynamic_client_registration;
    dcr.require_initial_access_token || !dcr.initial_access_tokens.is_empty()
}

/// RFC 7591 §3: when registration requires an initial access token, a registration
/// presents one as a bearer token — a configured one or a usable admin-created one;
/// without one, or with another, it is `invalid_token` (RFC 6750).
async fn check_initial_access_token(
    config: &Config,
    created: &dyn InitialAccessTokenStore,
    now: chrono::DateTime<chrono::Utc>,
    presented: Option<&str>,
) -> Result<InitialAccess, OAuth2Error> {
    if !token_required(config) {
        return Ok(InitialAccess::Open);
    }
    let Some(presented) = presented else {
        return Err(invalid_token(
            "This server requires an initial access token to register a client (RFC 7591 section 3).",
        ));
    };
    // Every configured token is compared, each in constant time, so the time taken
    // says nothing about which one nearly matched.
    let tokens = &config
        .oidc
        .dynamic_client_registration
        .initial_access_tokens;
    let matched = tokens.iter().fold(false, |found, token| {
        found | bool::from(presented.as_bytes().ct_eq(token.as_bytes()))
    });
    if matched {
        return Ok(InitialAccess::Configured);
    }
    match initial_access::admin::usable(created, presented, now).await? {
        Some(hash) => Ok(InitialAccess::Created(hash)),
        None => Err(invalid_token(
            "The initial access token is not valid: unknown, expired, revoked or used up.",
        )),
    }
}

/// Fields only an operator sets (Hydra's `ValidateDynamicRegistration`, plus the
/// lifespans): a self-registered client may not skip consent, choose its token format,
/// carry operator metadata or lengthen its tokens' lives. The empty values a read of
/// the client returns are accepted, so a read-modify-replace round trip works.
pub(crate) fn refuse_operator_fields(body: &OAuth2Client) -> Result<(), OAuth2Error> {
    let refuse = |field: &str| {
        Err(OAuth2Error::invalid_client_metadata(format!(
            "Field {field} cannot be set by dynamic client registration; an operator sets it over the admin API."
        )))
    };
    if body
        .metadata
        .as_ref()
        .is_some_and(|m| !(m.is_null() || m.as_object().is_some_and(|o| o.is_empty())))
    {
        return refuse("metadata");
    }
    if body
        .access_token_strategy
        .as_deref()
        .is_some_and(|s| !s.is_empty())
    {
        return refuse("access_token_strategy");
    }
    if body.skip_consent == Some(true) {
        return refuse("skip_consent");
    }
    if body.skip_logout_consent == Some(true) {
        return refuse("skip_logout_consent");
    }
    if body.token_exchange.is_some() {
        return refuse("token_exchange");
    }
    // RFC 6749 §4.3.1: the password grant hands the client the resource owner's
    // credentials; only a client the operator trusts with them may use it.
    if body
        .grant_types
        .as_ref()
        .is_some_and(|grants| grants.iter().any(|g| g == GrantType::Password.as_str()))
    {
        return refuse("grant_types (password)");
    }
    let lifespans = serde_json::to_value(OAuth2ClientTokenLifespans::from_client_body(body))
        .unwrap_or_default();
    if let Some((field, _)) = lifespans.as_object().and_then(|o| {
        o.iter()
            .find(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty()))
    }) {
        return refuse(field);
    }
    Ok(())
}

/// A new registration access token and its stored hash.
fn new_registration_access_token() -> (String, String) {
    let token = secret::generate_secret();
    let hash = secret::hash_generated(&token);
    (token, hash)
}

/// `POST /oauth2/register` (RFC 7591 §3.1): the server picks the id and, for clients
/// that authenticate with a secret, the secret (Hydra: "It is not allowed to choose your
/// own OAuth2 Client secret"); a registration without `scope` gets
/// `oidc.dynamic_client_registration.default_scope`.
pub async fn register(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    keys: &KeyRing,
    config: &Config,
    created_tokens: &dyn InitialAccessTokenStore,
    initial_access_token: Option<&str>,
    mut body: OAuth2Client,
) -> Result<Registered, OAuth2Error> {
    let access =
        check_initial_access_token(config, created_tokens, clock.now(), initial_access_token)
            .await?;
    refuse_operator_fields(&body)?;
    if body.client_secret.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(OAuth2Error::invalid_client_metadata(
            "Field client_secret cannot be chosen by dynamic client registration; the server generates the secret.",
        ));
    }
    // RFC 7591 §3.2.1: the server issues the identifier.
    body.client_id = None;
    let default_scope = &config.oidc.dynamic_client_registration.default_scope;
    if body.scope.as_deref().is_none_or(str::is_empty) && !default_scope.is_empty() {
        body.scope = Some(default_scope.join(" "));
    }
    let (token, hash) = new_registration_access_token();
    // An admin-created token's use is counted before the client is written (so
    // concurrent registrations cannot pass `max_uses`) and given back when the
    // registration is refused, so an invalid body does not use the token up.
    if let InitialAccess::Created(token_hash) = &access
        && !created_tokens
            .use_initial_access_token(token_hash, clock.now())
            .await?
    {
        return Err(invalid_token(
            "The initial access token is not valid: unknown, expired, revoked or used up.",
        ));
    }
    let created = admin::create_with(store, clock, keys, config, body, Some(hash)).await;
    let ClientWithSecret { client, secret } = match created {
        Ok(created) => created,
        Err(refused) => {
            if let InitialAccess::Created(token_hash) = &access
                && let Err(e) = created_tokens
                    .return_initial_access_token_use(token_hash)
                    .await
            {
                tracing::warn!(error = %e, "could not give back an initial access token's use");
            }
            return Err(refused);
        }
    };
    Ok(Registered {
        client,
        secret,
        registration_access_token: Some(token),
    })
}

/// The client `id` if `token` is its registration access token (RFC 7592 §2). An
/// unknown client, a client the operator created and a wrong token all get the same
/// `invalid_token`, so the endpoint does not tell which clients exist.
pub async fn authenticate(
    store: &dyn ClientStore,
    id: &str,
    token: Option<&str>,
) -> Result<Client, OAuth2Error> {
    let Some(token) = token else {
        return Err(invalid_token(
            "The registration access token is missing: send it as Authorization: Bearer (RFC 7592 section 2).",
        ));
    };
    let client = store.get_client(id).await?;
    let matches = client.as_ref().is_some_and(|c| {
        c.registration_access_token_hash
            .as_deref()
            .is_some_and(|stored| secret::verify(token, stored))
    });
    match client {
        Some(client) if matches => Ok(client),
        _ => Err(invalid_token(
            "The registration access token is not valid for this client.",
        )),
    }
}

/// `PUT /oauth2/register/{id}` (RFC 7592 §2.2): replaces the client's metadata, keeps
/// its secret (a `client_secret` in the body must be the current one) and issues a
/// new registration access token in the same write.
pub async fn replace(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    keys: &KeyRing,
    config: &Config,
    existing: Client,
    mut body: OAuth2Client,
) -> Result<Registered, OAuth2Error> {
    refuse_operator_fields(&body)?;
    if let Some(presented) = body.client_secret.take().filter(|s| !s.is_empty()) {
        let stored = existing.secret_hash.clone().unwrap_or_default();
        let matches = tokio::task::spawn_blocking(move || secret::verify(&presented, &stored))
            .await
            .map_err(|e| OAuth2Error::server_error(format!("secret check failed: {e}")))?;
        if !matches {
            return Err(OAuth2Error::invalid_client_metadata(
                "Field client_secret must be the current secret: a client cannot choose its own secret (RFC 7592 section 2.2).",
            ));
        }
    }
    // RFC 7592 §2.2: the body's client_id must be the current one; the admin
    // replacement refuses another.
    let (token, hash) = new_registration_access_token();
    let ClientWithSecret { client, secret } =
        admin::replace_existing(store, clock, keys, config, existing, body, Some(hash)).await?;
    Ok(Registered {
        client,
        secret,
        registration_access_token: Some(token),
    })
}

/// `DELETE /oauth2/register/{id}` (RFC 7592 §2.3).
pub async fn delete(store: &dyn ClientStore, client: &Client) -> Result<(), OAuth2Error> {
    admin::delete(store, &client.client_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_fields_are_refused_by_name_and_read_values_pass() {
        let read_back = OAuth2Client {
            metadata: Some(serde_json::json!({})),
            access_token_strategy: Some(String::new()),
            skip_consent: Some(false),
            skip_logout_consent: Some(false),
            ..OAuth2Client::default()
        };
        assert!(refuse_operator_fields(&read_back).is_ok());
        let cases = [
            (
                OAuth2Client {
                    metadata: Some(serde_json::json!({"tier": "gold"})),
                    ..OAuth2Client::default()
                },
                "metadata",
            ),
            (
                OAuth2Client {
                    access_token_strategy: Some("jwt".into()),
                    ..OAuth2Client::default()
                },
                "access_token_strategy",
            ),
            (
                OAuth2Client {
                    skip_consent: Some(true),
                    ..OAuth2Client::default()
                },
                "skip_consent",
            ),
            (
                OAuth2Client {
                    skip_logout_consent: Some(true),
                    ..OAuth2Client::default()
                },
                "skip_logout_consent",
            ),
            (
                OAuth2Client {
                    refresh_token_grant_refresh_token_lifespan: Some("8760h".into()),
                    ..OAuth2Client::default()
                },
                "refresh_token_grant_refresh_token_lifespan",
            ),
        ];
        for (body, field) in cases {
            let err = refuse_operator_fields(&body).unwrap_err();
            assert_eq!(err.status(), 400, "{field}");
            let description = err.description();
            assert!(description.contains(field), "{field}: {description}");
        }
    }

    #[tokio::test]
    async fn initial_access_tokens_are_required_only_when_configured() {
        let mut config = Config::default();
        let store = crate::storage::memory::MemoryStore::new();
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let check = |config: &Config, presented: Option<&str>| {
            let config = config.clone();
            let presented = presented.map(str::to_owned);
            let store = &store;
            async move { check_initial_access_token(&config, store, now, presented.as_deref()).await }
        };
        assert_eq!(check(&config, None).await.ok(), Some(InitialAccess::Open));
        config
            .oidc
            .dynamic_client_registration
            .initial_access_tokens = vec!["a".repeat(32), "b".repeat(32)];
        assert_eq!(check(&config, None).await.unwrap_err().status(), 401);
        assert_eq!(
            check(&config, Some("wrong")).await.unwrap_err().status(),
            401
        );
        assert_eq!(
            check(&config, Some(&"b".repeat(32))).await.ok(),
            Some(InitialAccess::Configured)
        );
        // Required without configured tokens: only admin-created ones let a client in.
        config
            .oidc
            .dynamic_client_registration
            .initial_access_tokens
            .clear();
        config
            .oidc
            .dynamic_client_registration
            .require_initial_access_token = true;
        assert_eq!(check(&config, None).await.unwrap_err().status(), 401);
        let clock = crate::clock::FixedClock::new(now);
        let (stored, token) = initial_access::admin::create(
            &store,
            &clock,
            initial_access::wire::CreateOAuth2InitialAccessToken::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            check(&config, Some(&token)).await.ok(),
            Some(InitialAccess::Created(stored.token_hash))
        );
    }
}

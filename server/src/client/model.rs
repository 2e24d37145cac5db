//! The OAuth 2.0 client as the server reasons about it (RFC 7591 §2 metadata plus Hydra's
//! extensions). The wire shape lives in `client::wire`; storage keeps this struct as a JSON
//! document beside a few indexed columns, so every field here has a serde default and old
//! rows keep reading when fields are added.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::SecurityProfile;
use crate::duration::GoDuration;

/// RFC 7591 §2 `token_endpoint_auth_method`, plus OIDC Core §9's `private_key_jwt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
    /// RFC 7523 §2.2 / OIDC Core §9: a JWT MACed (HS256/384/512) with the client secret;
    /// the secret is kept sealed, not hashed (`client::secret::seal`).
    ClientSecretJwt,
    PrivateKeyJwt,
    /// A public client: no secret (RFC 7591 §2).
    None,
}

impl TokenEndpointAuthMethod {
    pub const ALL: [Self; 5] = [
        Self::ClientSecretBasic,
        Self::ClientSecretPost,
        Self::ClientSecretJwt,
        Self::PrivateKeyJwt,
        Self::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }

    /// Methods that authenticate with a shared secret.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            Self::ClientSecretBasic | Self::ClientSecretPost | Self::ClientSecretJwt
        )
    }

    /// Methods that present a JWT client assertion (RFC 7523 §2.2).
    pub fn uses_assertion(self) -> bool {
        matches!(self, Self::ClientSecretJwt | Self::PrivateKeyJwt)
    }
}

/// The grant types a client may register (Hydra's list, RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GrantType {
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
    #[serde(rename = "refresh_token")]
    RefreshToken,
    #[serde(rename = "client_credentials")]
    ClientCredentials,
    #[serde(rename = "implicit")]
    Implicit,
    /// RFC 7523 §2.1
    #[serde(rename = "urn:ietf:params:oauth:grant-type:jwt-bearer")]
    JwtBearer,
    /// RFC 8628 §3.4
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
    /// RFC 8693 §2.1
    #[serde(rename = "urn:ietf:params:oauth:grant-type:token-exchange")]
    TokenExchange,
    /// RFC 6749 §4.3, served only when `oauth2.grant.password.enabled`.
    #[serde(rename = "password")]
    Password,
}

impl GrantType {
    pub const ALL: [Self; 8] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::Implicit,
        Self::JwtBearer,
        Self::DeviceCode,
        Self::TokenExchange,
        Self::Password,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::Implicit => "implicit",
            Self::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            Self::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
            Self::Password => "password",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == value)
    }
}

/// `access_token_strategy`: overrides `strategies.access_token` for one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessTokenStrategy {
    Opaque,
    Jwt,
}

impl AccessTokenStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opaque => "opaque",
            Self::Jwt => "jwt",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "opaque" => Some(Self::Opaque),
            "jwt" => Some(Self::Jwt),
            _ => None,
        }
    }
}

/// OIDC Core §8 subject identifier types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SubjectType {
    #[default]
    Public,
    Pairwise,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "public" => Some(Self::Public),
            "pairwise" => Some(Self::Pairwise),
            _ => None,
        }
    }
}

/// Per-client token lifespans (Hydra's `oAuth2ClientTokenLifespans`); `None` falls back
/// to the matching `ttl.*` key. Each is at most [`GoDuration::MAX`] (Go's
/// `time.Duration`, ~292 years): the admin API refuses longer ones, and one stored
/// before that bound loads as `MAX`, so no `issued_at + lifespan` can overflow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientLifespans {
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub authorization_code_grant_access_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub authorization_code_grant_id_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub authorization_code_grant_refresh_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub client_credentials_grant_access_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub device_authorization_grant_access_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub device_authorization_grant_id_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub device_authorization_grant_refresh_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub implicit_grant_access_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub implicit_grant_id_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub jwt_bearer_grant_access_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub refresh_token_grant_access_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub refresh_token_grant_id_token_lifespan: Option<GoDuration>,
    #[serde(deserialize_with = "crate::duration::deserialize_stored")]
    pub refresh_token_grant_refresh_token_lifespan: Option<GoDuration>,
}

/// A registered client. Values here are already validated (`client::validate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Client {
    pub client_id: String,
    pub client_name: String,
    /// The stored form of the secret (`client::secret`): a hash, or for
    /// `client_secret_jwt` (whose MAC needs the secret itself) the secret sealed under
    /// the system secret; never serialized into the document column nor onto the wire.
    #[serde(skip)]
    pub secret_hash: Option<String>,
    /// The stored form of the secret the last rotation replaced
    /// (`client::admin::rotate_secret`), which keeps authenticating until
    /// `previous_secret_expires_at`; kept out of the document like `secret_hash`.
    #[serde(skip)]
    pub previous_secret_hash: Option<String>,
    #[serde(skip)]
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<String>,
    pub scope: String,
    pub audience: Vec<String>,
    pub owner: String,
    pub policy_uri: String,
    pub tos_uri: String,
    pub client_uri: String,
    pub logo_uri: String,
    pub contacts: Vec<String>,
    pub allowed_cors_origins: Vec<String>,
    pub subject_type: SubjectType,
    pub sector_identifier_uri: String,
    /// RFC 7517 JWK Set, kept as JSON: only `jwk/` parses keys.
    pub jwks: Option<serde_json::Value>,
    pub jwks_uri: String,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub token_endpoint_auth_signing_alg: String,
    pub request_object_signing_alg: String,
    pub request_uris: Vec<String>,
    /// RFC 9126 §6: this client's authorization requests must come through `/oauth2/par`.
    pub require_pushed_authorization_requests: bool,
    pub userinfo_signed_response_alg: String,
    pub id_token_signed_response_alg: String,
    pub post_logout_redirect_uris: Vec<String>,
    pub frontchannel_logout_uri: String,
    pub frontchannel_logout_session_required: bool,
    pub backchannel_logout_uri: String,
    pub backchannel_logout_session_required: bool,
    pub skip_consent: bool,
    pub skip_logout_consent: bool,
    /// Free-form JSON object owned by the operator.
    pub metadata: serde_json::Value,
    pub access_token_strategy: Option<AccessTokenStrategy>,
    /// RFC 9449 §5.2: token requests must carry a DPoP proof.
    pub dpop_bound_access_tokens: bool,
    /// RFC 8693: what this client may exchange; `None` denies token exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_exchange: Option<crate::client::token_exchange::TokenExchangePolicy>,
    /// RFC 9396 §10: the `authorization_details` types this client may request, each
    /// in `oauth2.authorization_details.types_supported`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_details_types: Vec<String>,
    /// The security profile this client is held to even when `oauth2.profile` is
    /// `none` (`fapi2`: the FAPI 2.0 Security Profile, docs/fapi2.md).
    pub fapi_profile: SecurityProfile,
    #[serde(flatten)]
    pub lifespans: ClientLifespans,
    /// SHA-256 of the RFC 7592 registration access token of a dynamically registered
    /// client (`client::registration`); kept in the document, never on the wire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_access_token_hash: Option<String>,
    /// Resolved from the Client ID Metadata Document at its `client_id` URL
    /// (`client::metadata_document`), not registered by the operator. Stored only in
    /// the anchor row that tokens and consents of such a client reference, which is
    /// never read as the client's metadata.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub metadata_document: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Client {
    /// The stored form of the rotated-out secret while it still authenticates at `now`
    /// (until `previous_secret_expires_at`, exclusive).
    pub fn previous_secret_at(&self, now: DateTime<Utc>) -> Option<&str> {
        match (&self.previous_secret_hash, self.previous_secret_expires_at) {
            (Some(stored), Some(expires_at)) if now < expires_at => Some(stored),
            _ => None,
        }
    }
}

impl Default for Client {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            client_name: String::new(),
            secret_hash: None,
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            redirect_uris: Vec::new(),
            grant_types: Vec::new(),
            response_types: Vec::new(),
            scope: String::new(),
            audience: Vec::new(),
            owner: String::new(),
            policy_uri: String::new(),
            tos_uri: String::new(),
            client_uri: String::new(),
            logo_uri: String::new(),
            contacts: Vec::new(),
            allowed_cors_origins: Vec::new(),
            subject_type: SubjectType::Public,
            sector_identifier_uri: String::new(),
            jwks: None,
            jwks_uri: String::new(),
            token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
            token_endpoint_auth_signing_alg: String::new(),
            request_object_signing_alg: String::new(),
            request_uris: Vec::new(),
            require_pushed_authorization_requests: false,
            userinfo_signed_response_alg: String::new(),
            id_token_signed_response_alg: String::new(),
            post_logout_redirect_uris: Vec::new(),
            frontchannel_logout_uri: String::new(),
            frontchannel_logout_session_required: false,
            backchannel_logout_uri: String::new(),
            backchannel_logout_session_required: false,
            skip_consent: false,
            skip_logout_consent: false,
            metadata: serde_json::Value::Object(serde_json::Map::new()),
            access_token_strategy: None,
            dpop_bound_access_tokens: false,
            token_exchange: None,
            authorization_details_types: Vec::new(),
            fapi_profile: SecurityProfile::None,
            lifespans: ClientLifespans::default(),
            registration_access_token_hash: None,
            metadata_document: false,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == TokenEndpointAuthMethod::None
    }

    pub fn has_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

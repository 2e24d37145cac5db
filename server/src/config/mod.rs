//! Typed configuration with Hydra's key names (`../shared/reference/hydra-config-schema.json`).
//! Loaded once at startup from an optional YAML file and the environment (`load.rs`),
//! validated (`validate.rs`), then passed by value. Every key is documented in
//! `docs/configuration.md`.

mod cidr;
mod client_id_metadata_document;
mod cors;
mod database;
mod derived;
mod dev;
mod device;
mod events;
mod janitor;
mod listener_limits;
mod load;
mod login_ui;
mod login_ui_branding;
mod login_ui_providers;
mod password_grant;
mod profile;
mod rate_limit;
mod return_domains;
mod tls;
mod traces;
mod validate;
mod webhook;

pub use cidr::{Cidr, CidrError};
pub use client_id_metadata_document::{
    ClientIdMetadataDocumentCacheConfig, ClientIdMetadataDocumentConfig,
};
pub use cors::{CorsConfig, origin_pattern_error};
pub use database::{DatabaseConfig, SqliteConfig, SqliteSynchronousMode};
pub use dev::{DEV_DSN, DEV_SECRET_FILE, DevNotes};
pub use device::{DeviceAuthorizationConfig, UserCodeConfig, UserCodeFormat};
pub use events::{
    EventDeliveryConfig, EventSamplingConfig, EventSinkConfig, EventsConfig, MIN_EVENT_SECRET_LEN,
    NatsSinkConfig, WebhookSinkConfig,
};
pub use janitor::{
    JanitorConfig, MAX_JANITOR_BATCH_SIZE, MAX_JANITOR_INTERVAL_SECS, MAX_JANITOR_LIMIT,
    MIN_JANITOR_INTERVAL_SECS,
};
pub use listener_limits::{
    DEFAULT_MAX_CONNECTIONS, ListenerLimits, ListenerTimeouts, MAX_MAX_CONNECTIONS,
};
pub use load::{ConfigError, env_name, load};
pub use login_ui::{LoginUiConfig, SignInRateLimit};
pub use login_ui_branding::{Branding, is_colour};
pub use login_ui_providers::{
    ClaimMapper, FirstLogin, ID_TOKEN_ALGORITHMS, ProviderKind, UpstreamProvider,
};
pub use password_grant::{FailedAttemptsConfig, PasswordGrantConfig};
pub use profile::{FAPI2_MAX_CODE_LIFETIME_SECS, FAPI2_SIGNING_ALGORITHMS, SecurityProfile};
pub use rate_limit::{GroupLimit, RateLimitAllowList, RateLimitConfig, RateLimitGroups};
pub use return_domains::{MAX_RETURN_URL_LEN, ReturnDomain, ReturnDomainError, allowed_return_url};
pub use tls::{ListenerTlsConfig, PemSourceConfig, TlsConfig};
pub use traces::{OtlpConfig, OtlpSampling, TracingConfig, TracingProviders};
pub use webhook::{
    ApiKeyConfig, ApiKeyLocation, DEFAULT_HOOK_TIMEOUT_SECS, MAX_HOOK_TIMEOUT_SECS, WebhookAuth,
    WebhookAuthType, WebhookConfig,
};

use serde::{Deserialize, Serialize};

use crate::duration::GoDuration;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Data source name: `sqlite://path`, `postgres://…`, `mysql://…`.
    pub dsn: Option<String>,
    /// Timeouts for the database (`config/database.rs`).
    pub database: DatabaseConfig,
    pub serve: ServeConfig,
    pub urls: UrlsConfig,
    pub secrets: SecretsConfig,
    pub ttl: TtlConfig,
    pub log: LogConfig,
    pub oauth2: OAuth2Config,
    pub strategies: StrategiesConfig,
    pub oidc: OidcConfig,
    /// Outgoing HTTP calls made on behalf of clients (Hydra's `clients.*`).
    pub clients: ClientsConfig,
    /// Request budgets per endpoint group, on both listeners (docs/operations.md,
    /// "Rate limits").
    pub rate_limit: RateLimitConfig,
    /// The built-in login, consent and logout pages (docs/login-ui.md).
    pub login_ui: LoginUiConfig,
    /// The janitor `serve` runs in the background (docs/operations.md, "Janitor").
    pub janitor: JanitorConfig,
    /// Audit events through a transactional outbox (docs/operations.md, "Events").
    pub events: EventsConfig,
    /// OpenTelemetry traces over OTLP/HTTP (docs/operations.md, "Tracing").
    pub tracing: TracingConfig,
    /// Set by `serve --dev`, never by a file or the environment.
    #[serde(skip)]
    pub dev: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    pub public: PublicListenerConfig,
    pub admin: AdminListenerConfig,
    pub cookies: CookiesConfig,
    /// Largest request body accepted on either listener, in bytes.
    pub request_body_limit: usize,
    /// Hydra's `serve.tls`; only `allow_termination_from` is read.
    pub tls: TlsConfig,
    /// Prometheus metrics (docs/operations.md, "Metrics").
    pub metrics: MetricsConfig,
    /// After a shutdown signal (and the drain delay), in-flight requests have this long
    /// to finish before their connections are closed.
    pub shutdown_timeout: GoDuration,
    /// After a shutdown signal, readiness answers 503 for this long while both
    /// listeners keep serving, so load balancers take the node out before it stops
    /// accepting connections.
    pub shutdown_drain_delay: GoDuration,
}

/// `serve.metrics`: Prometheus metrics at `GET /admin/metrics/prometheus`, and
/// optionally at `GET /metrics` on a listener of their own.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Record metrics and serve them (on by default, as Hydra's endpoint is).
    pub enabled: bool,
    /// A third listener serving only `GET /metrics`, without the admin API key, so a
    /// scraper needs no admin access (oauth2-proxy's `metrics-address`). `0`, the
    /// default, means none.
    pub port: u16,
    /// Its bind host; as the other listeners' when unset.
    pub host: Option<String>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            port: 0,
            host: None,
        }
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            public: PublicListenerConfig::default(),
            admin: AdminListenerConfig::default(),
            cookies: CookiesConfig::default(),
            request_body_limit: 1024 * 1024,
            tls: TlsConfig::default(),
            metrics: MetricsConfig::default(),
            shutdown_timeout: GoDuration::from_secs(30),
            shutdown_drain_delay: GoDuration::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PublicListenerConfig {
    /// Bind address; 127.0.0.1 in dev mode, 0.0.0.0 otherwise.
    pub host: Option<String>,
    pub port: u16,
    pub request_log: RequestLogConfig,
    /// CIDR ranges of reverse proxies whose `Forwarded` / `X-Forwarded-For` /
    /// `X-Forwarded-Proto` headers are believed (client address in the access log,
    /// `Secure` cookies). Empty: no forwarded header counts. URLs never come from them.
    pub trusted_proxies: Vec<String>,
    /// Hydra's `serve.public.cors` (docs/operations.md, "CORS").
    pub cors: CorsConfig,
    /// Read and keep-alive timeouts (`config/listener_limits.rs`).
    pub timeout: ListenerTimeouts,
    /// Connections served at once; more wait in the operating system's backlog.
    pub max_connections: usize,
    /// This listener's own certificate (Hydra's `serve.public.tls`).
    pub tls: ListenerTlsConfig,
}

impl Default for PublicListenerConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 4444,
            request_log: RequestLogConfig::default(),
            trusted_proxies: Vec::new(),
            cors: CorsConfig::default(),
            timeout: ListenerTimeouts::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tls: ListenerTlsConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AdminListenerConfig {
    /// Bind address; 127.0.0.1 in dev mode, 0.0.0.0 otherwise.
    pub host: Option<String>,
    pub port: u16,
    pub request_log: RequestLogConfig,
    /// When set, every admin call but health and the API documentation (`/swagger-ui/`,
    /// `/openapi.json`) needs `Authorization: Bearer <api_key>`.
    pub api_key: Option<String>,
    /// As `serve.public.trusted_proxies`, for the admin listener.
    pub trusted_proxies: Vec<String>,
    /// Hydra's `serve.admin.cors`: configured origins only.
    pub cors: CorsConfig,
    /// As `serve.public.timeout`, for the admin listener.
    pub timeout: ListenerTimeouts,
    /// As `serve.public.max_connections`: the admin listener's own budget, so a flood
    /// on one listener never starves the other.
    pub max_connections: usize,
    /// This listener's own certificate (Hydra's `serve.admin.tls`).
    pub tls: ListenerTlsConfig,
}

impl Default for AdminListenerConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 4445,
            request_log: RequestLogConfig::default(),
            api_key: None,
            trusted_proxies: Vec::new(),
            cors: CorsConfig::default(),
            timeout: ListenerTimeouts::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tls: ListenerTlsConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RequestLogConfig {
    /// Leave `/health/*` probes out of the access log.
    pub disable_for_health: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum SameSiteMode {
    Strict,
    #[default]
    Lax,
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CookiesConfig {
    pub same_site_mode: SameSiteMode,
    pub domain: Option<String>,
    /// Send cookies with `Secure`; always on outside dev mode.
    pub secure: bool,
    pub names: CookieNames,
}

impl Default for CookiesConfig {
    fn default() -> Self {
        Self {
            same_site_mode: SameSiteMode::Lax,
            domain: None,
            secure: false,
            names: CookieNames::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CookieNames {
    pub login_csrf: String,
    pub consent_csrf: String,
    pub logout_csrf: String,
    pub session: String,
    /// Binds a device verification (RFC 8628 §3.3) to the browser that started it.
    pub device_csrf: String,
}

impl Default for CookieNames {
    fn default() -> Self {
        Self {
            login_csrf: "portunus_login_csrf".into(),
            consent_csrf: "portunus_consent_csrf".into(),
            logout_csrf: "portunus_logout_csrf".into(),
            session: "portunus_session".into(),
            device_csrf: "portunus_device_csrf".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct UrlsConfig {
    #[serde(rename = "self")]
    pub self_: SelfUrls,
    /// The operator's login app.
    pub login: Option<String>,
    /// The operator's consent app.
    pub consent: Option<String>,
    /// The operator's logout app.
    pub logout: Option<String>,
    /// Where users see errors that cannot go back to the client.
    pub error: Option<String>,
    /// Where users land after logout when the client named no URI.
    pub post_logout_redirect: Option<String>,
    /// Hosts `/oauth2/sign_out?rd=` may return to (`config/return_domains.rs`); any
    /// other `rd` goes to `post_logout_redirect` or the logged-out page.
    pub allowed_return_domains: Vec<String>,
    /// The operator's device verification app and the page after it (RFC 8628).
    pub device: DeviceUrls,
}

/// Hydra's `urls.device`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceUrls {
    /// The app that asks the user for the user code; it receives `device_challenge`.
    pub verification: Option<String>,
    /// Where the browser lands once the device is authorized.
    pub success: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SelfUrls {
    /// The `iss` of every token; defaults to the public URL.
    pub issuer: Option<String>,
    /// Base URL of the public listener as clients reach it.
    pub public: Option<String>,
    /// Base URL of the admin listener as the operator's apps reach it.
    pub admin: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// The first secret encrypts and signs; the others still verify and decrypt.
    pub system: Vec<String>,
    /// Secrets for cookies; default to `system`.
    pub cookie: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TtlConfig {
    pub login_consent_request: GoDuration,
    pub authentication_session: GoDuration,
    pub access_token: GoDuration,
    pub refresh_token: GoDuration,
    pub id_token: GoDuration,
    pub auth_code: GoDuration,
    /// How long a pushed authorization request's `request_uri` stays usable (RFC 9126
    /// §2.2 `expires_in`); 1s to 10m.
    pub par: GoDuration,
    /// Hydra's `ttl.vc_nonce`: how long a verifiable-credential `c_nonce` is valid;
    /// 1s to 24h.
    pub vc_nonce: GoDuration,
    /// How long device and user codes stay valid (RFC 8628 §3.2 `expires_in`); 1m to 1h.
    pub device_user_code: GoDuration,
}

impl Default for TtlConfig {
    fn default() -> Self {
        Self {
            login_consent_request: GoDuration::from_secs(30 * 60),
            authentication_session: GoDuration::from_secs(720 * 3600),
            access_token: GoDuration::from_secs(3600),
            refresh_token: GoDuration::from_secs(720 * 3600),
            id_token: GoDuration::from_secs(3600),
            auth_code: GoDuration::from_secs(10 * 60),
            par: GoDuration::from_secs(60),
            vc_nonce: GoDuration::from_secs(3600),
            device_user_code: GoDuration::from_secs(10 * 60),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Panic,
    Fatal,
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
    JsonPretty,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub level: LogLevel,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct OAuth2Config {
    /// Add `error_hint` and `error_debug` to error responses.
    pub expose_internal_errors: bool,
    pub pkce: PkceConfig,
    pub grant: GrantConfig,
    /// Serve `response_type=token` (the OAuth 2.0 implicit grant without OpenID
    /// Connect, RFC 6749 §4.2); off by default, as RFC 9700 §2.1.2 advises. The
    /// OpenID Connect implicit and hybrid types need no switch.
    pub allow_token_response_type: bool,
    /// Accept `http` redirect URIs (and front-channel logout URIs) for any host, not
    /// only loopback ones (RFC 9700 §2.1 asks for https). For development only; on in
    /// dev mode.
    pub allow_insecure_redirect_uris: bool,
    pub client_secret_verification: ClientSecretVerificationConfig,
    /// Client secret rotation (`POST /admin/clients/{id}/secret/rotate`).
    pub client_secret_rotation: ClientSecretRotationConfig,
    pub dpop: DpopConfig,
    pub par: ParConfig,
    /// The device authorization grant (RFC 8628), Hydra's `oauth2.device_authorization`.
    pub device_authorization: DeviceAuthorizationConfig,
    /// The security profile every client is held to (`none`, or `fapi2` for the FAPI
    /// 2.0 Security Profile, docs/fapi2.md); a client can opt in alone with its
    /// `fapi_profile`.
    pub profile: SecurityProfile,
    pub request_object: RequestObjectConfig,
    /// RFC 9396 rich authorization requests (`oauth2::authorization_details`).
    pub authorization_details: AuthorizationDetailsConfig,
    /// Hydra's `oauth2.token_hook`: called before tokens are issued for any grant, to
    /// add or change the tokens' extra claims or deny the grant (`oauth2::token_hook`).
    pub token_hook: Option<WebhookConfig>,
    /// Hydra's `oauth2.refresh_token_hook`: as `token_hook`, for the refresh grant only
    /// (called before `token_hook` when both are set).
    pub refresh_token_hook: Option<WebhookConfig>,
    /// `GET /oauth2/forward-auth` for reverse proxies (docs/forward-auth.md).
    pub forward_auth: ForwardAuthConfig,
    /// Clients identified by the URL of their metadata document (`oauth2.client_id_metadata_document`).
    pub client_id_metadata_document: ClientIdMetadataDocumentConfig,
}

/// Forward authentication for reverse proxies (`forward_auth`, docs/forward-auth.md):
/// nginx `auth_request`, Traefik `forwardAuth` and Caddy `forward_auth` ask
/// `GET /oauth2/forward-auth` whether a request may pass.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ForwardAuthConfig {
    /// Serve the endpoint; off by default (404), as it answers for any proxy that can
    /// reach the public listener.
    pub enabled: bool,
    /// Copy the presented access token into `X-Auth-Request-Access-Token` of the answer,
    /// for upstreams that call APIs with it. Off by default: the proxy then hands the
    /// token to every upstream it protects.
    pub pass_access_token: bool,
}

/// Rich authorization requests (RFC 9396, `oauth2::authorization_details`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AuthorizationDetailsConfig {
    /// The `authorization_details` types this server accepts, published as
    /// `authorization_details_types_supported` (RFC 9396 §10.1); a client may register
    /// only these as its `authorization_details_types`. Empty (the default): rich
    /// authorization requests are off and any `authorization_details` is refused.
    pub types_supported: Vec<String>,
}

/// Request objects (RFC 9101, `oauth2::authorize::request_object`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RequestObjectConfig {
    /// Require `jti` and `exp` in every request object and accept each `jti` once per
    /// client until its `exp` (RFC 9101 §10.8 replay; the replay table every node
    /// shares). Off by default: RFC 9101 does not require `jti`.
    pub jti_required: bool,
}

/// DPoP proofs (RFC 9449) at the token and UserInfo endpoints (`oauth2::dpop`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DpopConfig {
    /// The `alg` values a proof may use (RFC 9449 §5.1
    /// `dpop_signing_alg_values_supported`): asymmetric JWS algorithms only.
    pub signing_algorithms: Vec<String>,
    /// How old a proof's `iat` may be (RFC 9449 §11.1); its `jti` is remembered as long.
    pub proof_max_age: GoDuration,
    /// How far in the future a proof's `iat` may lie (clients' clocks run ahead).
    pub clock_skew: GoDuration,
    /// Require a server nonce in every proof (RFC 9449 §8): `use_dpop_nonce` and a
    /// `DPoP-Nonce` header until the client sends one.
    pub nonce: bool,
    /// How long a server nonce stays valid; nonces are a MAC over a time slot of this
    /// length, so every node verifies them without shared state.
    pub nonce_lifespan: GoDuration,
}

impl Default for DpopConfig {
    fn default() -> Self {
        Self {
            signing_algorithms: ["ES256", "PS256", "RS256", "EdDSA"]
                .map(str::to_owned)
                .to_vec(),
            proof_max_age: GoDuration::from_secs(60),
            clock_skew: GoDuration::from_secs(5),
            nonce: false,
            nonce_lifespan: GoDuration::from_secs(300),
        }
    }
}

/// Pushed authorization requests (RFC 9126).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ParConfig {
    /// RFC 9126 §5 `require_pushed_authorization_requests` for every client: the
    /// authorization endpoint accepts only `request_uri`s from `/oauth2/par`.
    pub required: bool,
}

/// Slow (Argon2id) client secret verifications at the token and revocation endpoints:
/// the bounded queue in front of them and the cache of recent failures
/// (`oauth2::client_auth::admission`, `oauth2::secret_cache`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClientSecretVerificationConfig {
    /// Verifications queued (waiting or running) at most; more get 503.
    pub max_waiting: std::num::NonZeroUsize,
    /// Verifications of one client queued at most; more get 503.
    pub max_waiting_per_client: std::num::NonZeroUsize,
    /// How long a wrong secret is remembered as wrong; `0s` turns this off.
    pub failure_cache_ttl: GoDuration,
}

impl Default for ClientSecretVerificationConfig {
    fn default() -> Self {
        Self {
            max_waiting: std::num::NonZeroUsize::new(32).unwrap_or(std::num::NonZeroUsize::MIN),
            max_waiting_per_client: std::num::NonZeroUsize::new(4)
                .unwrap_or(std::num::NonZeroUsize::MIN),
            failure_cache_ttl: GoDuration::from_secs(5),
        }
    }
}

/// Client secret rotation without downtime (`client::admin::rotate_secret`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClientSecretRotationConfig {
    /// How long the replaced secret keeps authenticating after a rotation, unless the
    /// rotation request names another period; at most [`MAX_SECRET_GRACE_PERIOD_SECS`].
    pub grace_period: GoDuration,
}

/// The longest a replaced client secret may keep working: 30 days.
pub const MAX_SECRET_GRACE_PERIOD_SECS: u64 = 30 * 24 * 3600;

impl Default for ClientSecretRotationConfig {
    fn default() -> Self {
        Self {
            grace_period: GoDuration::from_secs(24 * 3600),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PkceConfig {
    /// Require PKCE from every client.
    pub enforced: bool,
    /// Require PKCE from public clients (RFC 9700 §2.1.1: always on).
    pub enforced_for_public_clients: bool,
    /// Accept `code_challenge_method=plain` (RFC 7636 §4.2); off by default.
    pub allow_plain: bool,
}

impl Default for PkceConfig {
    fn default() -> Self {
        Self {
            enforced: false,
            enforced_for_public_clients: true,
            allow_plain: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GrantConfig {
    pub refresh_token: RefreshTokenGrantConfig,
    pub jwt: JwtGrantConfig,
    /// The resource owner password credentials grant (RFC 6749 §4.3), off by default.
    pub password: PasswordGrantConfig,
}

/// The JWT bearer grant (RFC 7523 §2.1, `oauth2::grants::jwt_bearer`), with Hydra's
/// keys (`oauth2.grant.jwt.*`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct JwtGrantConfig {
    /// Accept assertions without `jti` (then they cannot be checked for replay).
    pub jti_optional: bool,
    /// Accept assertions without `iat` (then `max_ttl` counts from now).
    pub iat_optional: bool,
    /// The longest an assertion may be valid: `exp` − `iat` (or − now) at most.
    pub max_ttl: GoDuration,
    /// Hydra's switch: `true` (the default) grants none of the assertion's `aud`
    /// values to the access token; `false` copies them (Hydra's legacy behaviour).
    pub omit_assertion_audience: bool,
}

impl Default for JwtGrantConfig {
    fn default() -> Self {
        Self {
            jti_optional: false,
            iat_optional: false,
            max_ttl: GoDuration::from_secs(720 * 3600),
            omit_assertion_audience: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RefreshTokenGrantConfig {
    /// How long a used refresh token still works (concurrent clients); max 5m.
    pub rotation_grace_period: GoDuration,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ScopeStrategy {
    Exact,
    #[default]
    Wildcard,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccessTokenStrategyConfig {
    #[default]
    Opaque,
    Jwt,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StrategiesConfig {
    pub scope: ScopeStrategy,
    pub access_token: AccessTokenStrategyConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    pub jwks: JwksConfig,
    pub subject_identifiers: SubjectIdentifiersConfig,
    pub dynamic_client_registration: DynamicClientRegistrationConfig,
}

/// Hydra's `oidc.dynamic_client_registration` (RFC 7591, RFC 7592, OIDC Dynamic Client
/// Registration 1.0): `POST /oauth2/register` on the public listener. Off by default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DynamicClientRegistrationConfig {
    pub enabled: bool,
    /// The scope a client gets when its registration names none (Hydra's key).
    pub default_scope: Vec<String>,
    /// RFC 7591 §3 initial access tokens (a Portunus addition): when any is set, a
    /// registration must present one as `Authorization: Bearer`; when none is, anyone
    /// may register (Hydra's behaviour).
    pub initial_access_tokens: Vec<String>,
    /// Registration requires an initial access token even when none is configured:
    /// then only tokens an operator created over the admin API
    /// (`/admin/oauth2/register/initial-access-tokens`) let a client register.
    pub require_initial_access_token: bool,
}

/// Hydra's `oidc.subject_identifiers` (OIDC Core §8): which `subject_type`s clients may
/// register, and the salt of pairwise identifiers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SubjectIdentifiersConfig {
    /// `public` and/or `pairwise`; default `[public]`.
    pub supported_types: Vec<String>,
    pub pairwise: PairwiseConfig,
}

impl Default for SubjectIdentifiersConfig {
    fn default() -> Self {
        Self {
            supported_types: vec!["public".to_owned()],
            pairwise: PairwiseConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PairwiseConfig {
    /// Mixed into every pairwise `sub` (OIDC Core §8.1); required when `pairwise` is
    /// supported, and must never change (it would change every pairwise `sub`).
    pub salt: String,
}

/// Signing keys (a Portunus extension; Hydra has no such keys).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct JwksConfig {
    /// How long a key added to a set that already has keys is published before it
    /// signs, so verifiers caching the JWKS learn it first; default `0s`.
    pub publish_before_use: GoDuration,
}

/// Hydra's `clients`: how the server calls URLs that clients registered (their
/// `jwks_uri`, for `private_key_jwt`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ClientsConfig {
    pub http: ClientsHttpConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClientsHttpConfig {
    /// Refuse to call loopback, private, link-local and other non-public addresses
    /// (SSRF protection). On by default (Hydra: off).
    pub disallow_private_ip_ranges: bool,
    /// URLs called even when they resolve to such an address: exact, case-sensitive.
    pub private_ip_exception_urls: Vec<String>,
}

impl Default for ClientsHttpConfig {
    fn default() -> Self {
        Self {
            disallow_private_ip_ranges: true,
            private_ip_exception_urls: Vec::new(),
        }
    }
}

//! Cross-origin resource sharing (Fetch Standard §3.2) as Hydra configures it
//! (`serve.{public,admin}.cors`), decided per request by `middleware/cors.rs`.
//!
//! Which responses may be read cross-origin, on the public listener:
//! - the discovery documents and the JWKS ([`Route::Open`]): by any origin, since they
//!   are public documents fetched before a client knows anything;
//! - the endpoints a browser client calls with its own credentials — token,
//!   revocation, userinfo, pushed authorization requests, device authorization,
//!   credentials ([`Route::Client`]): by the
//!   configured `allowed_origins` and by the origins in the `allowed_cors_origins` of the
//!   client that authenticated in that very request (the token's client at userinfo);
//!   a preflight, which carries no credentials, is answered for an origin that the
//!   configuration or any client allows;
//! - nothing else: authorization, logout and the flow pages are navigations, never
//!   fetched cross-origin (as in Hydra).
//!
//! On the admin listener every path is [`Route::Configured`]: the configured origins
//! only. An origin allowed by no rule gets no CORS header at all.

pub mod client_origins;

use actix_web::http::header::HeaderValue;

use crate::config::CorsConfig;

/// The client authenticated by a request (its `client_id`), recorded by the handler
/// in the request's extensions for [`Route::Client`] responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedClient(pub String);

/// How a path takes part in CORS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Any origin may read it.
    Open,
    /// The configured origins and the authenticated client's.
    Client,
    /// The configured origins.
    Configured,
    /// No CORS.
    None,
}

/// The public listener's CORS routes, by exact path.
pub fn public_route(path: &str) -> Route {
    match path {
        "/.well-known/openid-configuration"
        | "/.well-known/oauth-authorization-server"
        | "/.well-known/jwks.json" => Route::Open,
        "/oauth2/token"
        | "/oauth2/revoke"
        | "/oauth/token"
        | "/oauth/revoke"
        | "/oauth/introspect"
        | "/userinfo"
        | "/oauth2/par"
        | "/oauth2/device/auth"
        | "/credentials" => Route::Client,
        _ => Route::None,
    }
}

/// One configured origin: any, exact, or any subdomain of a host.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OriginPattern {
    Any,
    Exact(String),
    /// `scheme://*.rest`: the origin starts with `scheme://`, ends with `.rest`, and has
    /// a non-empty label sequence between.
    Subdomain {
        scheme: String,
        suffix: String,
    },
}

impl OriginPattern {
    fn parse(pattern: &str) -> Self {
        if pattern == "*" {
            return Self::Any;
        }
        match pattern.split_once("://*.") {
            Some((scheme, rest)) => Self::Subdomain {
                scheme: format!("{scheme}://"),
                suffix: format!(".{rest}"),
            },
            None => Self::Exact(pattern.to_owned()),
        }
    }

    fn matches(&self, origin: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(exact) => exact == origin,
            Self::Subdomain { scheme, suffix } => origin
                .strip_prefix(scheme.as_str())
                .and_then(|rest| rest.strip_suffix(suffix.as_str()))
                .is_some_and(|labels| {
                    !labels.is_empty()
                        && labels
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                        && !labels.starts_with('.')
                        && !labels.ends_with('.')
                }),
        }
    }
}

/// One listener's CORS policy, parsed from its configuration once.
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    pub enabled: bool,
    origins: Vec<OriginPattern>,
    methods: Option<HeaderValue>,
    headers: Option<HeaderValue>,
    exposed: Option<HeaderValue>,
    pub allow_credentials: bool,
    max_age: Option<HeaderValue>,
}

fn joined(list: &[String]) -> Option<HeaderValue> {
    if list.is_empty() {
        return None;
    }
    HeaderValue::from_str(&list.join(", ")).ok()
}

impl CorsPolicy {
    /// The policy of `config` (validated at startup, so every value is well formed).
    pub fn new(config: &CorsConfig) -> Self {
        Self {
            enabled: config.enabled,
            origins: config
                .allowed_origins
                .iter()
                .map(|p| OriginPattern::parse(p))
                .collect(),
            methods: joined(&config.allowed_methods),
            headers: joined(&config.allowed_headers),
            exposed: joined(&config.exposed_headers),
            allow_credentials: config.allow_credentials,
            max_age: (config.max_age > 0).then(|| HeaderValue::from(config.max_age)),
        }
    }

    /// Whether the configuration allows `origin` (the `Origin` header, as sent).
    pub fn configured(&self, origin: &str) -> bool {
        self.origins.iter().any(|p| p.matches(origin))
    }

    /// `Access-Control-Allow-Methods` of a preflight answer.
    pub fn methods(&self) -> Option<&HeaderValue> {
        self.methods.as_ref()
    }

    /// `Access-Control-Allow-Headers` of a preflight answer.
    pub fn headers(&self) -> Option<&HeaderValue> {
        self.headers.as_ref()
    }

    /// `Access-Control-Expose-Headers` of an actual response.
    pub fn exposed(&self) -> Option<&HeaderValue> {
        self.exposed.as_ref()
    }

    /// `Access-Control-Max-Age` of a preflight answer.
    pub fn max_age(&self) -> Option<&HeaderValue> {
        self.max_age.as_ref()
    }
}

/// An `Origin` header value in the form origins are compared in: the ASCII
/// serialization of a tuple origin (RFC 6454 §6.2), or `None` (`null`, garbage).
pub fn normalized_origin(value: &str) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(origins: &[&str]) -> CorsPolicy {
        CorsPolicy::new(&CorsConfig {
            enabled: true,
            allowed_origins: origins.iter().map(|s| (*s).to_owned()).collect(),
            ..CorsConfig::default()
        })
    }

    #[test]
    fn exact_wildcard_and_any_origins() {
        let p = policy(&["https://app.example", "https://*.example.com"]);
        assert!(p.configured("https://app.example"));
        assert!(!p.configured("http://app.example"));
        assert!(!p.configured("https://app.example:8443"));
        assert!(p.configured("https://a.example.com"));
        assert!(p.configured("https://a.b.example.com"));
        assert!(!p.configured("https://example.com"));
        assert!(!p.configured("https://evil.com/.example.com"));
        assert!(!p.configured("https://a.example.com.evil"));
        assert!(!p.configured("https://a_b.example.com"));
        assert!(!p.configured("http://a.example.com"));
        assert!(policy(&["*"]).configured("http://anything.test:1"));
        assert!(!policy(&[]).configured("https://app.example"));
    }

    #[test]
    fn routes() {
        assert_eq!(public_route("/oauth2/token"), Route::Client);
        assert_eq!(public_route("/.well-known/jwks.json"), Route::Open);
        assert_eq!(public_route("/oauth2/auth"), Route::None);
        assert_eq!(public_route("/oauth2/token/"), Route::None);
    }

    #[test]
    fn origins_are_normalized() {
        assert_eq!(
            normalized_origin("HTTPS://App.Example:443").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(normalized_origin("null"), None);
        assert_eq!(normalized_origin("data:text/plain,x"), None);
    }
}

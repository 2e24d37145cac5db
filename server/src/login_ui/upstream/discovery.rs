//! Where a provider's endpoints are. OpenID Connect providers (the generic type,
//! Google, Microsoft) publish them in their discovery document (OIDC Discovery 1.0
//! §4), kept between sign-ins (`cache.rs`); GitHub's are fixed paths under the
//! configured base URLs.

use serde_json::Value;

use super::Upstreams;
use super::http::{ClientAuth, ProviderHttp};
use crate::config::{ProviderKind, UpstreamProvider};

/// A provider's endpoints for one flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The `iss` its ID tokens carry (OIDC only; Microsoft's multi-tenant issuer holds
    /// `{tenantid}`).
    pub issuer: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// The JWK Set of its ID-token keys (OIDC only).
    pub jwks_uri: Option<String>,
    /// Its UserInfo endpoint (OIDC Core §5.3), when the document names one: asked for
    /// the claims the ID token lacks.
    pub userinfo_endpoint: Option<String>,
    pub auth: ClientAuth,
}

/// Whether `value` is https, or http on a loopback host (as `login_ui.providers`
/// validation allows for the configured URLs).
fn acceptable(value: &str) -> bool {
    let Ok(url) = url::Url::parse(value) else {
        return false;
    };
    match (url.scheme(), url.host()) {
        ("https", Some(_)) => true,
        ("http", Some(url::Host::Domain(host))) => host == "localhost",
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        _ => false,
    }
}

fn member(document: &Value, name: &str) -> Result<String, String> {
    let value = document
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the discovery document has no {name}"))?;
    if !acceptable(value) {
        return Err(format!(
            "the discovery document's {name} is not an https URL"
        ));
    }
    Ok(value.to_owned())
}

/// The endpoints of `provider`.
pub async fn endpoints(
    http: &ProviderHttp,
    provider: &UpstreamProvider,
) -> Result<Endpoints, String> {
    if provider.kind == ProviderKind::Github {
        let base = provider.github_base();
        return Ok(Endpoints {
            issuer: None,
            authorization_endpoint: format!("{base}/login/oauth/authorize"),
            token_endpoint: format!("{base}/login/oauth/access_token"),
            jwks_uri: None,
            userinfo_endpoint: None,
            auth: ClientAuth::Post,
        });
    }
    let url = provider
        .discovery_document_url()
        .ok_or("the provider has no issuer")?;
    let document = http.get_json(&url, None).await?;
    let issuer = member(&document, "issuer")?;
    let expected = provider.effective_issuer().unwrap_or_default();
    // OIDC Discovery 1.0 §4.3: the issuer MUST be identical to the one the document was
    // looked up for. Microsoft's multi-tenant documents name `{tenantid}` instead.
    let templated = provider.kind == ProviderKind::Microsoft && issuer.contains("{tenantid}");
    if issuer != expected && !templated {
        return Err(format!(
            "the discovery document names issuer {issuer:?}, not the configured {expected:?}"
        ));
    }
    let methods: Vec<&str> = document
        .get("token_endpoint_auth_methods_supported")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    // OIDC Discovery 1.0 §3: the default is client_secret_basic.
    let auth = if methods.is_empty() || methods.contains(&"client_secret_basic") {
        ClientAuth::Basic
    } else {
        ClientAuth::Post
    };
    Ok(Endpoints {
        issuer: Some(issuer),
        authorization_endpoint: member(&document, "authorization_endpoint")?,
        token_endpoint: member(&document, "token_endpoint")?,
        jwks_uri: Some(member(&document, "jwks_uri")?),
        userinfo_endpoint: match document.get("userinfo_endpoint") {
            None | Some(Value::Null) => None,
            Some(_) => Some(member(&document, "userinfo_endpoint")?),
        },
        auth,
    })
}

/// The endpoints of `provider`, kept from an earlier sign-in when read less than
/// `cache::ENDPOINTS_TTL` ago, else read now and kept.
pub async fn kept_endpoints(
    upstreams: &Upstreams,
    provider: &UpstreamProvider,
) -> Result<Endpoints, String> {
    let now = std::time::Instant::now();
    if let Some(kept) = upstreams.cache.endpoints(&provider.id, now) {
        return Ok(kept);
    }
    let read = endpoints(&upstreams.http, provider).await?;
    upstreams
        .cache
        .keep_endpoints(&provider.id, read.clone(), std::time::Instant::now());
    Ok(read)
}

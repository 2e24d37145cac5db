//! The URLs of client metadata. Redirection endpoints (RFC 6749 §3.1.2) and the
//! front-channel logout URI are where the server sends the user agent — the form_post
//! page submits to a redirect URI from the server's origin, the front-channel logout
//! page embeds its URI in an iframe — so their scheme decides what runs there:
//!
//! - `https` always;
//! - `http` for loopback hosts (RFC 8252 §7.3, §8.3: native apps on `127.0.0.1`,
//!   `[::1]`, `localhost`), and for any host only when `oauth2.allow_insecure_redirect_uris`
//!   or dev mode allows it (RFC 9700 §2.1: "the redirect URI ... MUST NOT use http"
//!   except loopback);
//! - for redirect URIs only, private-use schemes of the form RFC 8252 §7.1 prescribes: a
//!   reverse domain name such as `com.example.app`;
//! - never `javascript`, `data`, `vbscript`, `file` and the other schemes that run script
//!   or read local content, whatever the configuration says.
//!
//! Web pages and documents (`client_uri`, `jwks_uri`, …) must be `http` or `https`.

use url::{Host, Url};

use crate::config::Config;
use crate::error::{ErrorKind, OAuth2Error, quoted};

/// What the configuration allows of redirect URIs beyond the secure default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UriPolicy {
    /// `http` for any host, not only loopback ones.
    pub allow_insecure_http: bool,
}

impl UriPolicy {
    /// `oauth2.allow_insecure_redirect_uris`, always on in dev mode.
    pub fn from_config(config: &Config) -> Self {
        Self {
            allow_insecure_http: config.oauth2.allow_insecure_redirect_uris || config.dev,
        }
    }
}

/// Schemes that run script in, or read content of, the page or machine that opens them;
/// never a redirect or logout URI.
const FORBIDDEN_SCHEMES: [&str; 7] = [
    "javascript",
    "data",
    "vbscript",
    "file",
    "blob",
    "filesystem",
    "about",
];

/// What a URI the user agent is sent to is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Navigation {
    /// A redirection endpoint (`redirect_uris`, `post_logout_redirect_uris`): native
    /// apps may use private-use schemes.
    Redirect,
    /// A page the server embeds in an iframe (`frontchannel_logout_uri`): web only.
    Frame,
}

/// RFC 8252 §7.3, §8.3: loopback IP literals, and `localhost` (and its subdomains, RFC
/// 6761 §6.3), which resolve to the machine itself.
pub fn is_loopback(uri: &Url) -> bool {
    match uri.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
        None => false,
    }
}

/// RFC 8252 §7.1: "a URI scheme based on a domain name under their control, expressed in
/// reverse order" — at least two dot-separated labels of letters, digits and hyphens.
fn is_reverse_domain(scheme: &str) -> bool {
    let mut labels = scheme.split('.');
    let valid = |label: &str| {
        !label.is_empty()
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    scheme.contains('.') && labels.all(valid)
}

/// Why the user agent may not be sent to `uri` for `use_`, if it may not.
pub fn check_navigation(uri: &Url, use_: Navigation, policy: UriPolicy) -> Result<(), String> {
    let scheme = uri.scheme();
    if FORBIDDEN_SCHEMES.contains(&scheme) {
        return Err(format!("uses the scheme {scheme}, which is never allowed"));
    }
    match scheme {
        "https" => Ok(()),
        "http" if is_loopback(uri) || policy.allow_insecure_http => Ok(()),
        "http" => Err(
            "uses http for a host that is not loopback: use https (RFC 9700 Section 2.1); http is allowed for 127.0.0.1, [::1] and localhost, and for other hosts only with oauth2.allow_insecure_redirect_uris".to_owned(),
        ),
        _ if use_ == Navigation::Frame => Err(format!(
            "uses the scheme {scheme}; only https (or http for loopback hosts) can be embedded"
        )),
        _ if is_reverse_domain(scheme) => Ok(()),
        _ => Err(format!(
            "uses the private-use scheme {scheme}, which must be a reverse domain name such as com.example.app (RFC 8252 Section 7.1)"
        )),
    }
}

pub(super) fn parse_absolute(
    field: &str,
    value: &str,
    kind: ErrorKind,
) -> Result<Url, OAuth2Error> {
    Url::parse(value).map_err(|e| {
        OAuth2Error::new(kind).with_hint(format!(
            "Field {field} must be an absolute URL: {} ({e}).",
            quoted(value)
        ))
    })
}

/// RFC 6749 §3.1.2: redirection endpoints are absolute URIs without a fragment, and
/// their scheme passes [`check_navigation`]. Errors are `invalid_redirect_uri`.
pub fn redirect_uris(
    field: &str,
    values: Option<Vec<String>>,
    policy: UriPolicy,
) -> Result<Vec<String>, OAuth2Error> {
    let values = values.unwrap_or_default();
    for (i, value) in values.iter().enumerate() {
        let field = format!("{field}[{i}]");
        let bad = |why: String| {
            OAuth2Error::new(ErrorKind::InvalidRedirectUri)
                .with_hint(format!("Field {field} {why}: {}.", quoted(value)))
        };
        let parsed = parse_absolute(&field, value, ErrorKind::InvalidRedirectUri)?;
        if parsed.fragment().is_some() {
            return Err(bad(
                "must not contain a fragment (RFC 6749 Section 3.1.2)".to_owned()
            ));
        }
        check_navigation(&parsed, Navigation::Redirect, policy).map_err(bad)?;
    }
    Ok(values)
}

/// Front-Channel Logout 1.0 §2: the URI the OP renders in an iframe; web schemes only.
/// Errors are `invalid_client_metadata`.
pub fn frontchannel_logout_uri(
    value: Option<String>,
    policy: UriPolicy,
) -> Result<String, OAuth2Error> {
    let field = "frontchannel_logout_uri";
    let value = value.unwrap_or_default();
    if !value.is_empty() {
        let parsed = parse_absolute(field, &value, ErrorKind::InvalidClientMetadata)?;
        check_navigation(&parsed, Navigation::Frame, policy).map_err(|why| {
            OAuth2Error::invalid_client_metadata(format!(
                "Field {field} {why}: {}.",
                quoted(&value)
            ))
        })?;
    }
    Ok(value)
}

/// A web page or document of the client (`client_uri`, `jwks_uri`, …): absolute, `http`
/// or `https`. Consent apps show these as links, so no other scheme is accepted.
pub fn web_url(field: &str, value: &str) -> Result<Url, OAuth2Error> {
    let parsed = parse_absolute(field, value, ErrorKind::InvalidClientMetadata)?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(OAuth2Error::invalid_client_metadata(format!(
            "Field {field} must be an http or https URL: {}.",
            quoted(value)
        )));
    }
    Ok(parsed)
}

/// [`web_url`] for an optional field; empty means unset.
pub fn optional_web_url(field: &str, value: Option<String>) -> Result<String, OAuth2Error> {
    let value = value.unwrap_or_default();
    if !value.is_empty() {
        web_url(field, &value)?;
    }
    Ok(value)
}

/// [`web_url`] for each of a list.
pub fn web_url_list(field: &str, values: Option<Vec<String>>) -> Result<Vec<String>, OAuth2Error> {
    let values = values.unwrap_or_default();
    for (i, value) in values.iter().enumerate() {
        web_url(&format!("{field}[{i}]"), value)?;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(uri: &str, use_: Navigation, insecure: bool) -> Result<(), String> {
        let policy = UriPolicy {
            allow_insecure_http: insecure,
        };
        check_navigation(&Url::parse(uri).unwrap(), use_, policy)
    }

    #[test]
    fn schemes_by_use_and_policy() {
        use Navigation::{Frame, Redirect};
        let cases = [
            ("https://app.example.com/cb", Redirect, false, true),
            ("http://127.0.0.1:8080/cb", Redirect, false, true),
            ("http://127.1.2.3/cb", Redirect, false, true),
            ("http://[::1]/cb", Redirect, false, true),
            ("http://localhost:3000/cb", Redirect, false, true),
            ("http://app.localhost/cb", Redirect, false, true),
            ("http://app.example.com/cb", Redirect, false, false),
            ("http://app.example.com/cb", Redirect, true, true),
            ("http://localhost.example.com/cb", Redirect, false, false),
            ("com.example.app:/oauth2redirect", Redirect, false, true),
            ("com.example.app://cb", Redirect, false, true),
            ("com.example.app:/cb", Frame, false, false),
            ("myapp://cb", Redirect, false, false),
            ("myapp://cb", Redirect, true, false),
            ("com..app:/cb", Redirect, false, false),
            ("com.example+app:/cb", Redirect, false, false),
            ("https://rp.example.com/fc", Frame, false, true),
            ("http://rp.example.com/fc", Frame, false, false),
            ("http://rp.example.com/fc", Frame, true, true),
            ("javascript:alert(1)", Redirect, true, false),
            ("data:text/html,x", Redirect, true, false),
            ("vbscript:x", Redirect, true, false),
            ("file:///etc/passwd", Redirect, true, false),
            ("blob:https://a.example/1", Redirect, true, false),
            ("about:blank", Frame, true, false),
        ];
        for (uri, use_, insecure, allowed) in cases {
            assert_eq!(
                check(uri, use_, insecure).is_ok(),
                allowed,
                "{uri} as {use_:?}, insecure {insecure}: {:?}",
                check(uri, use_, insecure)
            );
        }
    }

    #[test]
    fn dev_mode_allows_insecure_http() {
        let mut config = Config::default();
        assert!(!UriPolicy::from_config(&config).allow_insecure_http);
        config.dev = true;
        assert!(UriPolicy::from_config(&config).allow_insecure_http);
        config.dev = false;
        config.oauth2.allow_insecure_redirect_uris = true;
        assert!(UriPolicy::from_config(&config).allow_insecure_http);
    }

    #[test]
    fn web_urls_are_http_or_https() {
        assert!(web_url("client_uri", "https://app.example.com").is_ok());
        assert!(web_url("client_uri", "http://app.example.com").is_ok());
        let err = web_url("client_uri", "javascript:alert(1)").unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidClientMetadata);
        assert!(
            err.description()
                .contains("Field client_uri must be an http or https URL")
        );
        assert!(web_url_list("request_uris", Some(vec!["data:,x".into()])).is_err());
    }
}

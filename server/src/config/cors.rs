//! Hydra's `serve.public.cors` and `serve.admin.cors`: cross-origin resource sharing
//! (Fetch Standard §3.2) for browser applications. Off by default on both listeners.

use serde::{Deserialize, Serialize};

use super::load::ConfigError;

/// The most origins one listener's configuration may name.
pub const MAX_ALLOWED_ORIGINS: usize = 1000;

/// One listener's CORS settings, with Hydra's names and defaults (its `cors-config`),
/// except that the default allowed request headers add `DPoP` and the default exposed
/// headers add `DPoP-Nonce` and `WWW-Authenticate`, which a browser client of RFC 9449
/// and RFC 6750 must read (docs/hydra-differences.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CorsConfig {
    pub enabled: bool,
    /// Origins (`scheme://host[:port]`) allowed everywhere CORS applies; `*` allows
    /// any origin, and one `*` as the first label of the host (`https://*.example.com`)
    /// any subdomain. On the public listener clients add their `allowed_cors_origins`.
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    /// Sends `Access-Control-Allow-Credentials: true`.
    pub allow_credentials: bool,
    /// How long a browser may cache a preflight answer, in seconds (0: not sent).
    pub max_age: u32,
    /// Hydra's key; accepted and unused (requests are never passed on to handlers as
    /// preflights).
    pub options_passthrough: bool,
    /// Hydra's key; accepted and unused (CORS decisions are logged at debug level).
    pub debug: bool,
}

impl Default for CorsConfig {
    fn default() -> Self {
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        Self {
            enabled: false,
            allowed_origins: Vec::new(),
            allowed_methods: strings(&["POST", "GET", "PUT", "PATCH", "DELETE"]),
            allowed_headers: strings(&[
                "Accept",
                "Content-Type",
                "Content-Length",
                "Accept-Language",
                "Content-Language",
                "Authorization",
                "DPoP",
            ]),
            exposed_headers: strings(&[
                "Cache-Control",
                "Expires",
                "Last-Modified",
                "Pragma",
                "Content-Length",
                "Content-Language",
                "Content-Type",
                "DPoP-Nonce",
                "WWW-Authenticate",
            ]),
            allow_credentials: true,
            max_age: 0,
            options_passthrough: false,
            debug: false,
        }
    }
}

/// Why `pattern` is not an allowed origin, if it is not one: `*`, or an origin with
/// scheme `http`/`https`, a host, an optional port, no path, and at most one `*`,
/// which must be the host's whole first label.
pub fn origin_pattern_error(pattern: &str) -> Option<String> {
    if pattern == "*" {
        return None;
    }
    let Some((scheme, rest)) = pattern.split_once("://") else {
        return Some("is not an origin (scheme://host[:port])".into());
    };
    if scheme != "http" && scheme != "https" {
        return Some("must use the http or https scheme".into());
    }
    let wildcard = rest.strip_prefix("*.");
    let host_and_port = wildcard.unwrap_or(rest);
    if host_and_port.contains('*') {
        return Some("may contain one * only, as the first label of the host".into());
    }
    let probe = format!("{scheme}://{host_and_port}");
    match url::Url::parse(&probe) {
        Ok(url)
            if url.host_str().is_some()
                && url.path() == "/"
                && !probe.ends_with('/')
                && url.query().is_none()
                && url.fragment().is_none()
                && url.username().is_empty()
                && url.origin().ascii_serialization() == probe =>
        {
            None
        }
        _ => Some("is not an origin (scheme://host[:port], lower case, no path)".into()),
    }
}

impl CorsConfig {
    /// Every problem of this listener's settings, under `key` (`serve.public.cors`).
    pub fn validate(&self, key: &str, errors: &mut Vec<ConfigError>) {
        if self.allowed_origins.len() > MAX_ALLOWED_ORIGINS {
            errors.push(ConfigError::Invalid {
                key: format!("{key}.allowed_origins"),
                message: format!("names more than {MAX_ALLOWED_ORIGINS} origins"),
            });
        }
        for (index, origin) in self.allowed_origins.iter().enumerate() {
            if let Some(message) = origin_pattern_error(origin) {
                errors.push(ConfigError::Invalid {
                    key: format!("{key}.allowed_origins[{index}]"),
                    message: format!("{origin:?} {message}"),
                });
            }
        }
        for (name, list) in [
            ("allowed_methods", &self.allowed_methods),
            ("allowed_headers", &self.allowed_headers),
            ("exposed_headers", &self.exposed_headers),
        ] {
            let token = |s: &String| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
            };
            if let Some(index) = list.iter().position(|s| !token(s)) {
                errors.push(ConfigError::Invalid {
                    key: format!("{key}.{name}[{index}]"),
                    message: "must be an HTTP token (RFC 9110 Section 5.6.2)".into(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_patterns() {
        for good in [
            "*",
            "https://app.example",
            "http://127.0.0.1:8080",
            "https://*.example.com",
            "https://*.example.com:8443",
        ] {
            assert_eq!(origin_pattern_error(good), None, "{good}");
        }
        for bad in [
            "app.example",
            "ftp://app.example",
            "https://app.example/",
            "https://app.example/path",
            "https://a.*.example",
            "https://*",
            "https://*.*.example",
            "https://App.example",
            "https://user@app.example",
            "https://app.example?x",
            "https://app.example:443",
        ] {
            assert!(origin_pattern_error(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn headers_and_methods_must_be_tokens() {
        let mut config = CorsConfig {
            allowed_headers: vec!["X-Ok".into(), "bad header".into()],
            allowed_origins: vec!["nope".into()],
            ..CorsConfig::default()
        };
        let mut errors = Vec::new();
        config.validate("serve.public.cors", &mut errors);
        assert_eq!(errors.len(), 2, "{errors:?}");
        config.allowed_headers.pop();
        config.allowed_origins.clear();
        errors.clear();
        config.validate("serve.public.cors", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
    }
}

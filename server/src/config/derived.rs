//! Values derived from the keys: bind addresses, the issuer and public base URL (the
//! only source of the server's own URLs; never a request header), trusted proxies.

use super::{Cidr, Config};

impl Config {
    /// The bind host of a listener: the configured one, else loopback in dev mode and
    /// all interfaces otherwise.
    pub fn bind_host(&self, configured: &Option<String>) -> String {
        match configured {
            Some(host) => host.clone(),
            None if self.dev => "127.0.0.1".into(),
            None => "0.0.0.0".into(),
        }
    }

    /// The issuer URL: `urls.self.issuer`, else `urls.self.public`, else (dev mode;
    /// outside it one of the two is required) `http://127.0.0.1:<public port>/`, the
    /// address the dev server listens on.
    pub fn issuer(&self) -> String {
        self.urls
            .self_
            .issuer
            .clone()
            .or_else(|| self.urls.self_.public.clone())
            .unwrap_or_else(|| {
                // Dev mode's default: the public listener's own scheme.
                let tls = self.serve.public.tls.cert.is_set() || self.serve.tls.cert.is_set();
                let scheme = if tls { "https" } else { "http" };
                format!("{scheme}://127.0.0.1:{}/", self.serve.public.port)
            })
    }

    /// The public base URL, with no trailing slash: `urls.self.public`, else the
    /// issuer. Every URL the server hands out for its public listener starts with it;
    /// it never comes from a request's `Host` or forwarded headers.
    pub fn public_url(&self) -> String {
        self.urls
            .self_
            .public
            .clone()
            .unwrap_or_else(|| self.issuer())
            .trim_end_matches('/')
            .to_owned()
    }

    /// Whether `url` is on the public base URL (same origin, under its path): the
    /// check a URL must pass before it is handed to the login, consent or logout app.
    pub fn is_public_url(&self, url: &str) -> bool {
        let base = self.public_url();
        url.strip_prefix(base.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
    }

    /// The trusted proxy ranges of the public (`admin == false`) or admin listener:
    /// `serve.<listener>.trusted_proxies` plus `serve.tls.allow_termination_from`.
    /// Entries that do not parse are left out; `validate` refuses them at startup.
    pub fn trusted_proxies(&self, admin: bool) -> Vec<Cidr> {
        let own = if admin {
            &self.serve.admin.trusted_proxies
        } else {
            &self.serve.public.trusted_proxies
        };
        own.iter()
            .chain(&self.serve.tls.allow_termination_from)
            .filter_map(|text| text.parse().ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_recognised_by_origin_and_path() {
        let mut config = Config::default();
        config.urls.self_.public = Some("https://auth.example.com/".into());
        assert!(config.is_public_url("https://auth.example.com/oauth2/auth?x=1"));
        assert!(config.is_public_url("https://auth.example.com"));
        for foreign in [
            "https://auth.example.com.evil.example/oauth2/auth",
            "https://auth.example.com:8443/oauth2/auth",
            "http://auth.example.com/oauth2/auth",
            "javascript://auth.example.com/%0Aalert(1)",
            "https://evil.example/oauth2/auth",
            "https://auth.example.com@evil.example/",
        ] {
            assert!(!config.is_public_url(foreign), "{foreign}");
        }
    }
}

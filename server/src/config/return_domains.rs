//! `urls.allowed_return_domains`: the hosts `/oauth2/sign_out` may send a browser back
//! to (the reverse-proxy service's `--whitelist-domain`). An entry is a host
//! (`app.example.com`), a host and all its subdomains (`.example.com`), optionally with
//! a port (`app.example.com:8443`) or any port (`app.example.com:*`). Without a port an
//! entry allows only the scheme's default port, so an allowed host does not open every
//! service on it.

use std::fmt;
use std::str::FromStr;

/// The longest return URL considered; longer ones are refused, not parsed.
pub const MAX_RETURN_URL_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Port {
    /// The URL must not name a port other than its scheme's default.
    Default,
    Exactly(u16),
    Any,
}

/// One parsed entry of `urls.allowed_return_domains`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnDomain {
    /// Lower-case host without the leading dot.
    host: String,
    subdomains: bool,
    port: Port,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnDomainError(String);

impl fmt::Display for ReturnDomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ReturnDomain {
    type Err = ReturnDomainError;

    fn from_str(entry: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| ReturnDomainError(format!("{entry:?}: {why}"));
        let (subdomains, rest) = match entry.strip_prefix('.') {
            Some(rest) => (true, rest),
            None => (false, entry),
        };
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, "*")) => (host, Port::Any),
            Some((host, port)) => (
                host,
                Port::Exactly(
                    port.parse()
                        .map_err(|_| invalid("the port is not a number from 0 to 65535"))?,
                ),
            ),
            None => (rest, Port::Default),
        };
        let valid_label = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if host.is_empty() || host.len() > 253 || !host.split('.').all(valid_label) {
            return Err(invalid(
                "not a host name (letters, digits, hyphens and dots; e.g. app.example.com or .example.com)",
            ));
        }
        Ok(Self {
            host: host.to_ascii_lowercase(),
            subdomains,
            port,
        })
    }
}

impl ReturnDomain {
    fn allows(&self, url: &url::Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host_ok = host == self.host
            || (self.subdomains
                && host
                    .strip_suffix(self.host.as_str())
                    .is_some_and(|prefix| prefix.ends_with('.')));
        let port_ok = match self.port {
            // `Url::port` is `None` when the URL names its scheme's default port.
            Port::Default => url.port().is_none(),
            Port::Exactly(port) => url.port_or_known_default() == Some(port),
            Port::Any => true,
        };
        host_ok && port_ok
    }
}

/// The return URL `candidate` if it is an absolute `http`/`https` URL without
/// credentials whose host one of `domains` allows; `None` otherwise (the caller then
/// uses its default page). Never an open redirect: relative and protocol-relative
/// URLs, other schemes and over-long values are all refused.
pub fn allowed_return_url(domains: &[ReturnDomain], candidate: &str) -> Option<String> {
    if candidate.len() > MAX_RETURN_URL_LEN {
        return None;
    }
    let url = url::Url::parse(candidate).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none();
    (plain && domains.iter().any(|d| d.allows(&url))).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains(entries: &[&str]) -> Vec<ReturnDomain> {
        entries.iter().map(|e| e.parse().unwrap()).collect()
    }

    #[test]
    fn exact_hosts_and_subdomains() {
        let d = domains(&["app.example.com", ".corp.example"]);
        let ok = |u: &str| allowed_return_url(&d, u).is_some();
        assert!(ok("https://app.example.com/after"));
        assert!(ok("https://APP.example.com/after"));
        assert!(!ok("https://evil.app.example.com/"));
        assert!(!ok("https://app.example.com.evil.test/"));
        assert!(ok("https://corp.example/"));
        assert!(ok("https://a.b.corp.example/x?y=1"));
        assert!(!ok("https://xcorp.example/"));
        assert!(!ok("https://corp.example.evil/"));
    }

    #[test]
    fn ports_follow_the_entry() {
        let d = domains(&["a.test", "b.test:8443", "c.test:*"]);
        let ok = |u: &str| allowed_return_url(&d, u).is_some();
        assert!(ok("https://a.test/"));
        assert!(ok("https://a.test:443/"), "the default port, spelled out");
        assert!(!ok("https://a.test:8443/"));
        assert!(ok("https://b.test:8443/"));
        assert!(!ok("https://b.test/"));
        assert!(ok("http://c.test:1/"));
    }

    #[test]
    fn never_an_open_redirect() {
        let d = domains(&["app.example.com"]);
        for bad in [
            "/relative",
            "//app.example.com/",
            "javascript:alert(1)",
            "ftp://app.example.com/",
            "https://user:pw@app.example.com/",
            "https://evil.test\\@app.example.com/",
            "",
        ] {
            assert_eq!(allowed_return_url(&d, bad), None, "{bad}");
        }
        let long = format!("https://app.example.com/{}", "a".repeat(MAX_RETURN_URL_LEN));
        assert_eq!(allowed_return_url(&d, &long), None);
        assert_eq!(allowed_return_url(&[], "https://app.example.com/"), None);
    }

    #[test]
    fn entries_are_validated() {
        for bad in [
            "",
            ".",
            "https://a.test",
            "a.test:http",
            "a test",
            "a..test",
            "*.a.test",
        ] {
            assert!(bad.parse::<ReturnDomain>().is_err(), "{bad}");
        }
        assert!("a.test:70000".parse::<ReturnDomain>().is_err());
    }
}

//! `login_ui.branding` (issue 22 §1, docs/login-ui.md): the product name, logo and
//! primary colour every page of the login UI shows. Each value ends up in HTML, a URL
//! attribute, the `Content-Security-Policy` or the stylesheet, so each is checked here
//! strictly: the pages escape on output as well, but a colour is written into CSS,
//! where escaping does not help.

use serde::{Deserialize, Serialize};

/// `login_ui.branding`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Branding {
    /// The name in every page's title and header; default `Portunus`.
    pub product_name: Option<String>,
    /// An image shown at the top of every page: `https://`, or `http://` on a loopback
    /// host (development). Its origin is added to the pages' `img-src`.
    pub logo_url: Option<String>,
    /// The buttons' colour: `#rgb` or `#rrggbb`; default `#2456d6`.
    pub primary_color: Option<String>,
}

/// Longest accepted `product_name`, in characters.
pub const MAX_PRODUCT_NAME_CHARS: usize = 64;
/// Longest accepted `logo_url`, in bytes.
pub const MAX_LOGO_URL_BYTES: usize = 2048;

impl Branding {
    /// The problems of this configuration, as (key suffix under `login_ui.`, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if let Some(name) = &self.product_name
            && !is_product_name(name)
        {
            problems.push((
                "branding.product_name".into(),
                format!(
                    "must be 1 to {MAX_PRODUCT_NAME_CHARS} characters without control characters"
                ),
            ));
        }
        if let Some(url) = &self.logo_url
            && !is_logo_url(url)
        {
            problems.push((
                "branding.logo_url".into(),
                format!(
                    "must be an https URL (or http on a loopback host) without credentials, at most {MAX_LOGO_URL_BYTES} bytes"
                ),
            ));
        }
        if let Some(colour) = &self.primary_color
            && !is_colour(colour)
        {
            problems.push((
                "branding.primary_color".into(),
                "must be a hex colour: #rgb or #rrggbb".into(),
            ));
        }
        problems
    }
}

fn is_product_name(name: &str) -> bool {
    let count = name.chars().count();
    (1..=MAX_PRODUCT_NAME_CHARS).contains(&count)
        && !name.trim().is_empty()
        && !name.chars().any(char::is_control)
}

/// `https://`, or `http://` on `localhost` / a loopback address; no user info.
fn is_logo_url(url: &str) -> bool {
    if url.len() > MAX_LOGO_URL_BYTES {
        return false;
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return false;
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return false,
    };
    let scheme_ok = match parsed.scheme() {
        "https" => true,
        "http" => loopback,
        _ => false,
    };
    // A host a CSP source expression can hold as is (as `html::origin_source` wants).
    scheme_ok
        && parsed.host_str().is_some_and(|host| {
            host.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b))
        })
}

/// `#rgb` or `#rrggbb`, nothing else: the value is written into the stylesheet.
pub fn is_colour(colour: &str) -> bool {
    colour
        .strip_prefix('#')
        .is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_strict_hex() {
        for good in ["#fff", "#2456D6", "#000000"] {
            assert!(is_colour(good), "{good}");
        }
        for bad in [
            "red",
            "#ffff",
            "#12345g",
            "#fff;}body{display:none",
            "#fff</style>",
            "",
            "#",
            "rgb(1,2,3)",
        ] {
            assert!(!is_colour(bad), "{bad}");
        }
    }

    #[test]
    fn logo_urls_are_https_or_loopback_http() {
        for good in [
            "https://cdn.example/logo.svg",
            "http://127.0.0.1:8080/logo.png",
            "http://localhost/logo.png",
            "http://[::1]/logo.png",
        ] {
            assert!(is_logo_url(good), "{good}");
        }
        let long = format!("https://cdn.example/{}", "a".repeat(MAX_LOGO_URL_BYTES));
        for bad in [
            "http://cdn.example/logo.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "https://user:pw@cdn.example/logo.png",
            "/logo.png",
            long.as_str(),
        ] {
            assert!(!is_logo_url(bad), "{bad}");
        }
    }

    #[test]
    fn problems_name_each_bad_value() {
        assert!(Branding::default().problems().is_empty());
        let branding = Branding {
            product_name: Some("a\u{7}b".into()),
            logo_url: Some("http://cdn.example/x.png".into()),
            primary_color: Some("#fff;x".into()),
        };
        let keys: Vec<String> = branding.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "branding.product_name",
                "branding.logo_url",
                "branding.primary_color"
            ]
        );
    }
}

//! HTML pages the server renders itself (form_post, error pages, front-channel logout,
//! later the login UI), HTTP-free: each page carries the `Content-Security-Policy` it
//! needs, and the HTTP layer sends it with the other security headers
//! (`http/middleware/security_headers.rs`). Every value put into a page goes through
//! [`html_escape`].

use crate::error::OAuth2Error;

/// An HTML page with the `Content-Security-Policy` it needs: its inline script is
/// allowed by hash, whatever it loads or submits to by origin, nothing else. The HTTP
/// layer sends `csp` as the header (and adds the other security headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlPage {
    pub body: String,
    pub csp: String,
}

/// The policy of pages with nothing to load, run, submit or frame (error pages): also
/// what the HTTP layer gives any HTML response that brings no policy of its own.
pub const DEFAULT_HTML_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// CSP Level 3 §2.3.1 hash-source for an inline `<script>` whose text is `script`.
pub fn script_hash_source(script: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(script.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// CSP Level 3 §2.3.1 source expression for `url`'s origin (`https://rp.example:8443`),
/// or its scheme (`com.example.app:`) when it has no host. `None` when the URL does not
/// parse; a host with characters a source expression cannot hold also falls back to the
/// scheme, so no URL can add a directive.
pub fn origin_source(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let scheme = parsed.scheme();
    let plain = |text: &str| {
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b))
    };
    Some(match parsed.host_str() {
        Some(host) if plain(host) => match parsed.port() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        },
        _ => format!("{scheme}:"),
    })
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// The page shown when an error cannot be sent to the client.
pub fn error_page(err: &OAuth2Error) -> String {
    error_page_of(err.kind.code(), &err.description())
}

/// The error page for an error `code` and its `description` (both escaped here).
pub fn error_page_of(code: &str, description: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>Error</title></head><body>\
         <h1>{}</h1><p>{}</p></body></html>",
        html_escape(code),
        html_escape(description)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_expressions_are_origins_or_schemes() {
        assert_eq!(
            origin_source("https://rp.example:8443/cb?x=1").as_deref(),
            Some("https://rp.example:8443")
        );
        assert_eq!(
            origin_source("http://[::1]:9000/cb").as_deref(),
            Some("http://[::1]:9000")
        );
        assert_eq!(
            origin_source("com.example.app:/callback").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(
            origin_source("myapp://a;script-src%20*/cb").as_deref(),
            Some("myapp:"),
            "a host that could add a directive is cut to the scheme"
        );
        assert_eq!(origin_source("not a url"), None);
        // RFC 4648 base64 of the SHA-256 of the empty string.
        assert_eq!(
            script_hash_source(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }
}

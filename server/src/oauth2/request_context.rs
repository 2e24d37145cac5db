//! What the token and revocation endpoints see of an HTTP request besides its form: the
//! method, the endpoint's URL, the headers the protocol reads, the client's address and
//! (with mutual TLS) its certificate. DPoP (RFC 9449 §4.3) checks a proof in the `DPoP`
//! header against `htm` and `htu`; certificate-bound tokens (RFC 8705 §3) need the
//! certificate. The HTTP layer builds it (`http/request_context.rs`) and hands it to
//! client authentication and to every grant, so protocol code never sees actix types.

use std::net::IpAddr;
use std::sync::OnceLock;

use crate::error::OAuth2Error;

/// The request headers the OAuth 2.0 layer reads, by lower-case name, with the name
/// errors use. Only these are copied out of the HTTP request.
pub const PROTOCOL_HEADERS: [(&str, &str); 2] =
    [("authorization", "Authorization"), ("dpop", "DPoP")];

/// One request to the token or revocation endpoint, as protocol code sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The HTTP method, as sent (`POST`).
    pub method: String,
    /// The endpoint's URL as this server publishes it: `urls.self.public` (or the
    /// issuer) and the path, never `Host` or a forwarded header (RFC 9449 §4.3 compares
    /// `htu` with it).
    pub url: String,
    /// The client's address, as far as trusted proxies vouch for it
    /// (`http/forwarded.rs`).
    pub peer: Option<IpAddr>,
    /// The TLS client certificate (DER) for RFC 8705. The listeners speak plain HTTP and
    /// no trusted-proxy header carries a certificate yet, so it is `None` until
    /// certificate-bound tokens are served.
    pub client_certificate: Option<Vec<u8>>,
    /// Values of [`PROTOCOL_HEADERS`] in the order received, by lower-case name; raw
    /// bytes, checked when read.
    headers: Vec<(&'static str, Vec<u8>)>,
    /// The client the request turned out to act for: the one that authenticated, or
    /// the access token's client at userinfo. Set once by protocol code, read by the
    /// HTTP layer afterwards (CORS checks the client's `allowed_cors_origins`).
    client: OnceLock<String>,
}

impl RequestContext {
    pub fn new(method: &str, url: String, peer: Option<IpAddr>) -> Self {
        Self {
            method: method.to_owned(),
            url,
            peer,
            client_certificate: None,
            headers: Vec::new(),
            client: OnceLock::new(),
        }
    }

    /// Adds one value of a header named in [`PROTOCOL_HEADERS`]; other names are
    /// ignored, since nothing would read them.
    pub fn with_header(mut self, name: &str, value: &[u8]) -> Self {
        if let Some((known, _)) = PROTOCOL_HEADERS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            self.headers.push((known, value.to_vec()));
        }
        self
    }

    /// The first value of header `name` (lower case), which must be visible ASCII (RFC
    /// 9110 §5.5: other bytes are opaque, and no header the protocol reads uses them).
    pub fn header(&self, name: &str) -> Result<Option<&str>, OAuth2Error> {
        let Some((_, value)) = self.headers.iter().find(|(n, _)| *n == name) else {
            return Ok(None);
        };
        let display = PROTOCOL_HEADERS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(name, |(_, display)| display);
        std::str::from_utf8(value)
            .ok()
            .filter(|text| {
                text.bytes()
                    .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
            })
            .map(Some)
            .ok_or_else(|| {
                OAuth2Error::invalid_request(format!("The {display} header is not valid ASCII."))
            })
    }

    /// How many values of header `name` (lower case) were received.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(n, _)| *n == name).count()
    }

    /// Records the client the request acts for (the first call wins).
    pub fn record_client(&self, client_id: &str) {
        let _ = self.client.set(client_id.to_owned());
    }

    /// The client recorded by [`Self::record_client`].
    pub fn client_id(&self) -> Option<&str> {
        self.client.get().map(String::as_str)
    }

    /// The `Authorization` header (RFC 6749 §2.3.1 client credentials).
    pub fn authorization(&self) -> Result<Option<&str>, OAuth2Error> {
        self.header("authorization")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn token_endpoint() -> RequestContext {
        RequestContext::new("POST", "https://auth.example.com/oauth2/token".into(), None)
    }

    #[test]
    fn protocol_headers_are_kept_and_others_dropped() {
        let ctx = token_endpoint()
            .with_header("Authorization", b"Basic YTpi")
            .with_header("DPoP", b"eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig")
            .with_header("X-Forwarded-Host", b"evil.example");
        assert_eq!(ctx.authorization().unwrap(), Some("Basic YTpi"));
        assert_eq!(
            ctx.header("dpop").unwrap(),
            Some("eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig")
        );
        assert_eq!(ctx.header("x-forwarded-host").unwrap(), None);
        assert_eq!(token_endpoint().authorization().unwrap(), None);
    }

    #[test]
    fn the_first_value_of_a_repeated_header_counts() {
        let ctx = token_endpoint()
            .with_header("authorization", b"Basic Zmlyc3Q6MQ==")
            .with_header("authorization", b"Basic c2Vjb25kOjI=");
        assert_eq!(ctx.authorization().unwrap(), Some("Basic Zmlyc3Q6MQ=="));
    }

    #[test]
    fn a_header_that_is_not_visible_ascii_is_invalid_request_naming_it() {
        let ctx = token_endpoint()
            .with_header("authorization", "Basic ü".as_bytes())
            .with_header("dpop", b"a\x01b");
        let err = ctx.authorization().unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest);
        assert!(
            err.description().contains("Authorization header"),
            "{err:?}"
        );
        let err = ctx.header("dpop").unwrap_err();
        assert!(err.description().contains("DPoP header"), "{err:?}");
    }
}

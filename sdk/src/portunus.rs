//! The one entry point: [`Portunus::builder`] configures both listeners once and hands
//! out a [`Client`] for each.
//!
//! One OpenAPI document, and so one generated [`Client`] type, covers both of the
//! server's listeners: the admin API (every path starts with `/admin`, as in Hydra) and
//! the public API (`/oauth2/…`, `/.well-known/…`, `/userinfo`, …). A `Client` sends every
//! request to its one base URL, so [`Portunus`] holds two of them, built from one
//! configuration: the same timeouts, TLS roots, proxy and user agent, with the admin API
//! key only on the admin one.

use std::fmt;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, InvalidHeaderValue};

use crate::Client;

/// Connect and request timeout unless [`PortunusBuilder::timeout`] says otherwise; the
/// one progenitor's `Client::new` uses.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The public listener's URL unless [`PortunusBuilder::public_url`] is called: the
/// server's default `serve.public.port` on the loopback interface.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:4444";

/// The admin listener's URL unless [`PortunusBuilder::admin_url`] is called: the
/// server's default `serve.admin.port` on the loopback interface.
pub const DEFAULT_ADMIN_URL: &str = "http://127.0.0.1:4445";

/// The `User-Agent` of every request: `portunus-sdk/<crate version>`, so that server
/// logs tell SDK traffic and its version apart.
pub const USER_AGENT: &str = concat!("portunus-sdk/", env!("CARGO_PKG_VERSION"));

/// Clients for both listeners of one Portunus deployment.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use portunus_sdk::Portunus;
///
/// let portunus = Portunus::builder()
///     .public_url("https://auth.example.com")
///     .admin_url("http://portunus-admin.internal:4445")
///     .admin_api_key("s3cret")
///     .timeout(std::time::Duration::from_secs(5))
///     .build()?;
/// let version = portunus.admin().get_version().send().await?;
/// let discovery = portunus.public().discover_oidc_configuration().send().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Portunus {
    public: Client,
    admin: Client,
}

impl Portunus {
    /// Starts the configuration; see [`PortunusBuilder`] for the defaults.
    pub fn builder() -> PortunusBuilder {
        PortunusBuilder::default()
    }

    /// The client of the public listener (`/oauth2/…`, `/.well-known/…`, `/userinfo`).
    pub fn public(&self) -> &Client {
        &self.public
    }

    /// The client of the admin listener (`/admin/…`); it carries the API key when one
    /// was configured.
    pub fn admin(&self) -> &Client {
        &self.admin
    }
}

/// Configuration of a [`Portunus`].
///
/// Defaults: [`DEFAULT_PUBLIC_URL`], [`DEFAULT_ADMIN_URL`], no API key, 15 s connect
/// and request timeouts, the TLS roots and proxy settings of reqwest (the bundled
/// roots; the `HTTP(S)_PROXY` environment variables).
#[derive(Default)]
pub struct PortunusBuilder {
    public_url: Option<String>,
    admin_url: Option<String>,
    admin_api_key: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    root_certificates: Vec<reqwest::Certificate>,
    proxy: Option<reqwest::Proxy>,
    no_proxy: bool,
}

impl fmt::Debug for PortunusBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortunusBuilder")
            .field("public_url", &self.public_url)
            .field("admin_url", &self.admin_url)
            // Never print the key itself.
            .field(
                "admin_api_key",
                &self.admin_api_key.as_ref().map(|_| "<set>"),
            )
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("root_certificates", &self.root_certificates.len())
            .field("proxy", &self.proxy)
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl PortunusBuilder {
    /// Base URL of the public listener: scheme, host, port and any path prefix, e.g.
    /// `https://auth.example.com`. A trailing slash is removed.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// Base URL of the admin listener, e.g. `http://127.0.0.1:4445`. A trailing slash
    /// is removed.
    pub fn admin_url(mut self, url: impl Into<String>) -> Self {
        self.admin_url = Some(url.into());
        self
    }

    /// The admin API key (`serve.admin.api_key`): sent as `Authorization: Bearer <key>`
    /// on every admin request, never on public ones. progenitor ignores the document's
    /// security schemes, so the header is a default header of the admin HTTP client.
    pub fn admin_api_key(mut self, key: impl Into<String>) -> Self {
        self.admin_api_key = Some(key.into());
        self
    }

    /// Total time allowed for one request (connect, send, read the response); also the
    /// connect timeout unless [`connect_timeout`](Self::connect_timeout) is set.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Time allowed to establish a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Trusts `certificate` as a TLS root in addition to the bundled ones (a private
    /// CA in front of the server, for example).
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Sends every request through `proxy`.
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Ignores the proxy environment variables (`HTTP_PROXY`, `HTTPS_PROXY`, …).
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// Builds both clients.
    ///
    /// # Errors
    ///
    /// [`ClientBuildError::InvalidUrl`] when a base URL is not an absolute `http` or
    /// `https` URL; [`ClientBuildError::InvalidApiKey`] when the key cannot be sent in
    /// a header (it contains control characters); [`ClientBuildError::Http`] when
    /// reqwest cannot build its client (the TLS backend fails to initialise).
    pub fn build(self) -> Result<Portunus, ClientBuildError> {
        let public_url = base_url(self.public_url.as_deref().unwrap_or(DEFAULT_PUBLIC_URL))?;
        let admin_url = base_url(self.admin_url.as_deref().unwrap_or(DEFAULT_ADMIN_URL))?;
        let mut admin_headers = HeaderMap::new();
        if let Some(key) = &self.admin_api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
                .map_err(ClientBuildError::InvalidApiKey)?;
            // Keeps the key out of reqwest's and our Debug output.
            value.set_sensitive(true);
            admin_headers.insert(AUTHORIZATION, value);
        }
        let public = self.http(HeaderMap::new())?;
        let admin = self.http(admin_headers)?;
        Ok(Portunus {
            public: Client::new_with_client(&public_url, public),
            admin: Client::new_with_client(&admin_url, admin),
        })
    }

    fn http(&self, headers: HeaderMap) -> Result<reqwest::Client, ClientBuildError> {
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(self.connect_timeout.unwrap_or(timeout));
        for certificate in &self.root_certificates {
            builder = builder.add_root_certificate(certificate.clone());
        }
        if let Some(proxy) = &self.proxy {
            builder = builder.proxy(proxy.clone());
        }
        if self.no_proxy {
            builder = builder.no_proxy();
        }
        builder.build().map_err(ClientBuildError::Http)
    }
}

/// `url` without a trailing slash, after checking it is an absolute http(s) URL
/// (progenitor appends the operation's path, which starts with `/`).
fn base_url(url: &str) -> Result<String, ClientBuildError> {
    let invalid = || ClientBuildError::InvalidUrl(url.to_owned());
    let parsed = reqwest::Url::parse(url).map_err(|_| invalid())?;
    let usable = matches!(parsed.scheme(), "http" | "https")
        && parsed.host().is_some()
        && parsed.query().is_none()
        && parsed.fragment().is_none();
    if !usable {
        return Err(invalid());
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// Why [`PortunusBuilder::build`] could not build the clients.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientBuildError {
    /// A base URL is not an absolute `http`/`https` URL without query or fragment.
    InvalidUrl(String),
    /// The API key is not a valid HTTP header value.
    InvalidApiKey(InvalidHeaderValue),
    /// reqwest could not build its HTTP client.
    Http(reqwest::Error),
}

impl fmt::Display for ClientBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(url) => write!(
                f,
                "{url:?} is not a usable base URL (an absolute http or https URL \
                 without query or fragment, e.g. http://127.0.0.1:4445)"
            ),
            // Never print the key itself.
            Self::InvalidApiKey(_) => f.write_str(
                "the admin API key cannot be sent in an Authorization header \
                 (it contains control characters)",
            ),
            Self::Http(_) => f.write_str("cannot build the HTTP client"),
        }
    }
}

impl std::error::Error for ClientBuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidUrl(_) => None,
            Self::InvalidApiKey(e) => Some(e),
            Self::Http(e) => Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClientInfo;

    /// Serves one HTTP request on a local port with `body` as a JSON 200 response and
    /// returns the raw request head the client sent.
    fn serve_once(body: &'static str) -> (String, std::thread::JoinHandle<String>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                assert!(n > 0, "connection closed before the request head ended");
                head.extend_from_slice(&buf[..n]);
            }
            write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            String::from_utf8(head).unwrap().to_ascii_lowercase()
        });
        (url, handle)
    }

    const VERSION: &str = r#"{"version":"v0.0.0"}"#;

    #[tokio::test]
    async fn admin_requests_carry_the_key_and_the_user_agent() {
        let (admin_url, admin_server) = serve_once(VERSION);
        let portunus = Portunus::builder()
            .admin_url(format!("{admin_url}/"))
            .admin_api_key("s3cret")
            .build()
            .unwrap();
        assert_eq!(portunus.admin().baseurl(), &admin_url);
        portunus.admin().get_version().send().await.unwrap();
        let head = admin_server.join().unwrap();
        assert!(head.starts_with("get /admin/version "), "{head}");
        assert!(
            head.contains("\r\nauthorization: bearer s3cret\r\n"),
            "{head}"
        );
        let agent = format!(
            "\r\nuser-agent: portunus-sdk/{}\r\n",
            env!("CARGO_PKG_VERSION")
        );
        assert!(head.contains(&agent), "{head}");
    }

    #[tokio::test]
    async fn public_requests_never_carry_the_admin_key() {
        let (public_url, public_server) = serve_once(r#"{"status":"ok"}"#);
        let portunus = Portunus::builder()
            .public_url(&public_url)
            .admin_api_key("s3cret")
            .build()
            .unwrap();
        portunus.public().is_alive().send().await.unwrap();
        let head = public_server.join().unwrap();
        assert!(head.starts_with("get /health/alive "), "{head}");
        assert!(!head.contains("authorization:"), "{head}");
        assert!(head.contains("\r\nuser-agent: portunus-sdk/"), "{head}");
    }

    #[test]
    fn defaults_are_the_default_listeners() {
        let portunus = Portunus::builder().build().unwrap();
        assert_eq!(portunus.public().baseurl(), DEFAULT_PUBLIC_URL);
        assert_eq!(portunus.admin().baseurl(), DEFAULT_ADMIN_URL);
    }

    #[test]
    fn api_key_with_control_characters_is_rejected_without_echoing_it() {
        let err = Portunus::builder()
            .admin_api_key("s3cret\nx")
            .build()
            .err()
            .unwrap();
        assert!(matches!(err, ClientBuildError::InvalidApiKey(_)));
        assert!(!err.to_string().contains("s3cret"));
        assert!(!format!("{:?}", Portunus::builder().admin_api_key("s3cret")).contains("s3cret"));
    }

    #[test]
    fn unusable_base_urls_are_rejected() {
        for url in [
            "127.0.0.1:4445",
            "ftp://x",
            "http://x/?a=b",
            "not a url",
            "",
        ] {
            let err = Portunus::builder().admin_url(url).build().err();
            assert!(
                matches!(err, Some(ClientBuildError::InvalidUrl(_))),
                "{url}: {err:?}"
            );
        }
    }

    #[tokio::test]
    async fn the_timeout_applies() {
        // A listener that accepts and never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let portunus = Portunus::builder()
            .admin_url(url)
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let err = portunus.admin().get_version().send().await.unwrap_err();
        assert!(
            matches!(err, crate::Error::CommunicationError(ref e) if e.is_timeout()),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(listener);
    }
}

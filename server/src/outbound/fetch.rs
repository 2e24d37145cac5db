//! Fetching a JSON document from a URL a client registered: its JWK Set at `jwks_uri`
//! (RFC 7591 §2, OIDC Core §10.1.1), its `sector_identifier_uri` (OIDC Core §8.1). One
//! GET with a timeout and a size cap, no proxy, at most a few redirects, and the SSRF
//! guard of `ssrf.rs` unless `clients.http.disallow_private_ip_ranges` is off or the URL
//! is listed in `clients.http.private_ip_exception_urls`.

use std::sync::Arc;
use std::time::Duration;

use reqwest::redirect;

use super::ssrf::{self, GuardedResolver};
use crate::config::ClientsHttpConfig;

/// How long one fetch may take, connection included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 3;

/// The HTTP clients for registered URLs: one guarded, one for the exempt URLs.
#[derive(Debug, Clone)]
pub struct GuardedFetcher {
    guarded: Option<reqwest::Client>,
    open: reqwest::Client,
    exceptions: Arc<[String]>,
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .no_proxy()
        .user_agent(concat!("portunus/", env!("CARGO_PKG_VERSION")))
}

impl GuardedFetcher {
    pub fn new(config: &ClientsHttpConfig) -> Result<Self, reqwest::Error> {
        let guarded = if config.disallow_private_ip_ranges {
            let policy = redirect::Policy::custom(|attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if let Err(why) = ssrf::check_url(attempt.url()) {
                    attempt.error(why)
                } else {
                    attempt.follow()
                }
            });
            Some(
                builder()
                    .dns_resolver(GuardedResolver)
                    .redirect(policy)
                    .build()?,
            )
        } else {
            None
        };
        Ok(Self {
            guarded,
            open: builder()
                .redirect(redirect::Policy::limited(MAX_REDIRECTS))
                .build()?,
            exceptions: config.private_ip_exception_urls.clone().into(),
        })
    }

    /// GETs `uri` and returns the body; the error says why, for the client's hint.
    pub async fn fetch(&self, uri: &str) -> Result<String, String> {
        let url = url::Url::parse(uri).map_err(|e| format!("it is not a URL: {e}"))?;
        let client = match &self.guarded {
            Some(guarded) if !self.exceptions.iter().any(|e| e == uri) => {
                ssrf::check_url(&url)?;
                guarded
            }
            _ => &self.open,
        };
        let mut response = client
            .get(url)
            .header(
                reqwest::header::ACCEPT,
                "application/jwk-set+json, application/json",
            )
            .send()
            .await
            .map_err(|e| describe(&e))?;
        if !response.status().is_success() {
            return Err(format!("it answered HTTP {}", response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_DOCUMENT_BYTES as u64)
        {
            return Err(format!(
                "the document is larger than {MAX_DOCUMENT_BYTES} bytes"
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(format!(
                    "the document is larger than {MAX_DOCUMENT_BYTES} bytes"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| "the document is not UTF-8".to_owned())
    }
}

/// reqwest's error with its causes (the resolver's refusal sits a few levels down);
/// also used for back-channel logout deliveries.
pub fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "the request timed out".to_owned()
    } else {
        err.to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

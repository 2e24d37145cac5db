//! Fetching a JSON document from a URL a client registered: its JWK Set at `jwks_uri`
//! (RFC 7591 §2, OIDC Core §10.1.1), its `sector_identifier_uri` (OIDC Core §8.1). One
//! GET with a timeout and a size cap, no proxy, at most a few redirects, and the SSRF
//! guard of `ssrf.rs` unless `clients.http.disallow_private_ip_ranges` is off or the URL
//! is listed in `clients.http.private_ip_exception_urls`.

use std::time::Duration;

use super::clients::{GuardedClients, Redirects};
use crate::config::ClientsHttpConfig;

/// How long one fetch may take, connection included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 3;

/// Fetches documents from registered URLs through [`GuardedClients`].
#[derive(Debug, Clone)]
pub struct GuardedFetcher {
    clients: GuardedClients,
}

impl GuardedFetcher {
    pub fn new(config: &ClientsHttpConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            clients: GuardedClients::new(config, FETCH_TIMEOUT, Redirects::Checked(MAX_REDIRECTS))?,
        })
    }

    /// GETs `uri` and returns the body; the error says why, for the client's hint.
    pub async fn fetch(&self, uri: &str) -> Result<String, String> {
        let (url, client) = self.clients.for_uri(uri)?;
        let mut response = super::send(client.get(url).header(
            reqwest::header::ACCEPT,
            "application/jwk-set+json, application/json",
        ))
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

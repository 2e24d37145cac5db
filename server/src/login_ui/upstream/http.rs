//! Calls to an upstream provider: its discovery document, JWK Set, token endpoint and
//! (GitHub) REST API. Through the outbound module's client (no proxy, bounded time, no
//! redirects) without its SSRF guard: these URLs are the operator's configuration, not
//! a client's registration, and may be on a private network. Bodies are capped; errors
//! say why without the request's secrets (they carry the URL and status only).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::config::ClientsHttpConfig;
use crate::outbound::{GuardedClients, Redirects, describe};

/// How long one call may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest body read, in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// The HTTP client for providers.
#[derive(Debug, Clone)]
pub struct ProviderHttp {
    clients: GuardedClients,
}

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic`: HTTP Basic with form-encoded id and secret.
    Basic,
    /// `client_secret_post`: both in the form.
    Post,
}

impl ProviderHttp {
    pub fn new() -> Result<Self, String> {
        let open = ClientsHttpConfig {
            disallow_private_ip_ranges: false,
            private_ip_exception_urls: Vec::new(),
        };
        Ok(Self {
            clients: GuardedClients::new(&open, TIMEOUT, Redirects::None)
                .map_err(|e| describe(&e))?,
        })
    }

    /// GETs `url` (with a bearer token for an API) and parses the JSON body.
    pub async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Value, String> {
        let (parsed, client) = self.clients.for_uri(url)?;
        let mut request = client
            .get(parsed)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = crate::outbound::send(request)
            .await
            .map_err(|e| describe(&e))?;
        let (status, body) = read(response).await?;
        if !(200..300).contains(&status) {
            return Err(format!("{url} answered HTTP {status}"));
        }
        Ok(body)
    }

    /// POSTs the form to the token endpoint `url` with the client's credentials
    /// (RFC 6749 §4.1.3) and returns the status and the JSON body.
    pub async fn post_token(
        &self,
        url: &str,
        form: &[(&str, &str)],
        client_id: &str,
        client_secret: &str,
        auth: ClientAuth,
    ) -> Result<(u16, Value), String> {
        let (parsed, client) = self.clients.for_uri(url)?;
        let mut pairs: Vec<(&str, &str)> = form.to_vec();
        let mut request = client
            .post(parsed)
            .header(reqwest::header::ACCEPT, "application/json");
        match auth {
            ClientAuth::Basic => {
                // RFC 6749 §2.3.1: both form-urlencoded before Basic.
                let id: String =
                    url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
                let secret: String =
                    url::form_urlencoded::byte_serialize(client_secret.as_bytes()).collect();
                let credentials = STANDARD.encode(format!("{id}:{secret}"));
                request = request.header(
                    reqwest::header::AUTHORIZATION,
                    format!("Basic {credentials}"),
                );
            }
            ClientAuth::Post => {
                pairs.push(("client_id", client_id));
                pairs.push(("client_secret", client_secret));
            }
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let response = crate::outbound::send(
            request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body),
        )
        .await
        .map_err(|e| describe(&e))?;
        read(response).await
    }
}

/// The status and JSON body of `response`, at most [`MAX_BODY_BYTES`].
async fn read(mut response: reqwest::Response) -> Result<(u16, Value), String> {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!("the answer is larger than {MAX_BODY_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let json = serde_json::from_slice(&body)
        .map_err(|_| format!("the answer (HTTP {status}) is not JSON"))?;
    Ok((status, json))
}

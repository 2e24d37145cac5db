//! The HTTP side of the operator's webhooks (`webhook_config`: the token hooks,
//! `oauth2::token_hook`, and the password grant's credential hook,
//! `oauth2::grants::password`): one pooled keep-alive client per hook, the API key in a
//! header or cookie, a JSON POST bounded in time and answer size.
//!
//! The URL is the operator's configuration, not a client's, so calls do not pass the
//! SSRF guard of `outbound/` (hooks usually live on a private network); they follow no
//! redirect and use no proxy.

use std::time::Duration;

use serde::Serialize;

use crate::config::{ApiKeyLocation, WebhookConfig};

/// The largest answer body accepted from a hook, in bytes: a hook's claims are sealed
/// into every token row of the family.
pub const MAX_HOOK_RESPONSE_BYTES: usize = 64 * 1024;

/// One configured webhook and its HTTP client.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The configuration key (`oauth2.token_hook`, …), for logs and `error_debug`.
    pub key: &'static str,
    config: WebhookConfig,
    client: reqwest::Client,
}

/// What a hook answered: its status and (bounded) body.
#[derive(Debug)]
pub struct WebhookAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Webhook {
    /// A client for `config`, its connection and whole call bounded by the hook's
    /// timeout.
    pub fn new(key: &'static str, config: WebhookConfig) -> Result<Self, reqwest::Error> {
        let timeout = config.timeout();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("portunus/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            key,
            config,
            client,
        })
    }

    /// POSTs `body` as JSON. `Err` is the reason the call failed (transport error,
    /// timeout, an answer over [`MAX_HOOK_RESPONSE_BYTES`]), for the log only: it may
    /// name internal hosts.
    pub async fn post(&self, body: &impl Serialize) -> Result<WebhookAnswer, String> {
        let mut call = self.client.post(&self.config.url).json(body);
        if let Some(auth) = &self.config.auth {
            let key = &auth.config;
            call = match key.location {
                ApiKeyLocation::Header => call.header(key.name.as_str(), key.value.as_str()),
                ApiKeyLocation::Cookie => call.header(
                    reqwest::header::COOKIE,
                    format!("{}={}", key.name, key.value),
                ),
            };
        }
        let mut response = crate::outbound::send(call)
            .await
            .map_err(|e| crate::outbound::describe(&e))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| crate::outbound::describe(&e))?
        {
            if body.len().saturating_add(chunk.len()) > MAX_HOOK_RESPONSE_BYTES {
                return Err(format!(
                    "its answer is larger than {MAX_HOOK_RESPONSE_BYTES} bytes"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(WebhookAnswer { status, body })
    }
}

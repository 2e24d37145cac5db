//! Delivering Back-Channel Logout tokens (Back-Channel Logout 1.0 §2.5): "The OP sends
//! an HTTP POST request to the RP's back-channel logout URI … application/x-www-form-
//! urlencoded … logout_token". Deliveries run concurrently, in the background (the user
//! agent does not wait, §2.8 asks only that the OP "make a best effort"), each with a
//! timeout and a few retries with exponential backoff on transport errors, 5xx and 429.
//!
//! The URIs are registered by clients, so calls go through the SSRF guard of
//! `clients.http.disallow_private_ip_ranges` (shared with `jwks_uri` fetching): IP
//! literals are checked before the call, names are resolved by our own resolver that
//! checks every resolved address, and redirects are not followed (§2.5 expects 200).

use std::time::Duration;

use super::token;
use crate::client::model::Client;
use crate::config::ClientsHttpConfig;
use crate::oidc::OidcContext;
use crate::outbound::{GuardedClients, Redirects, describe};

/// How long one delivery attempt may take, connection included.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts per client, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
/// The wait before the second attempt; doubled for each later one.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// Delivers logout tokens through [`GuardedClients`], following no redirect: the token
/// goes to the registered URI or nowhere.
#[derive(Debug, Clone)]
pub struct BackChannel {
    clients: GuardedClients,
}

/// Why one attempt failed, and whether another may succeed.
struct Failure {
    reason: String,
    retry: bool,
}

impl BackChannel {
    pub fn new(config: &ClientsHttpConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            clients: GuardedClients::new(config, DELIVERY_TIMEOUT, Redirects::None)?,
        })
    }

    /// POSTs `logout_token` to `uri`, retrying; the error says why it was given up.
    pub async fn deliver(&self, uri: &str, logout_token: &str) -> Result<(), String> {
        let (url, client) = self.clients.for_uri(uri)?;
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            match Self::attempt(client, &url, logout_token).await {
                Ok(()) => return Ok(()),
                Err(failure) if failure.retry && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(uri, attempt, reason = %failure.reason, "back-channel logout attempt failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
                Err(failure) => return Err(failure.reason),
            }
        }
    }

    async fn attempt(
        client: &reqwest::Client,
        url: &url::Url,
        logout_token: &str,
    ) -> Result<(), Failure> {
        let response = crate::outbound::send(
            client
                .post(url.clone())
                .form(&[("logout_token", logout_token)]),
        )
        .await
        .map_err(|e| Failure {
            reason: describe(&e),
            retry: true,
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(Failure {
            reason: format!("it answered HTTP {}", status.as_u16()),
            retry: status.is_server_error() || status.as_u16() == 429,
        })
    }
}

/// Signs and delivers a logout token to every client with a `backchannel_logout_uri`,
/// concurrently, on a background task; returns at once. Outcomes are logged.
pub fn notify(ctx: &OidcContext, clients: Vec<Client>, subject: String, sid: String) {
    let clients: Vec<Client> = clients
        .into_iter()
        .filter(|c| !c.backchannel_logout_uri.is_empty())
        .collect();
    if clients.is_empty() {
        return;
    }
    let ctx = ctx.clone();
    let span = crate::telemetry::spans::background("oidc.backchannel_logout");
    let work = async move {
        let deliveries = clients.iter().map(|client| {
            let (ctx, subject, sid) = (&ctx, &subject, &sid);
            async move {
                let uri = &client.backchannel_logout_uri;
                let result = match token::sign(ctx, client, subject, sid).await {
                    Ok(token) => ctx.backchannel.deliver(uri, &token).await,
                    Err(err) => Err(format!("the logout token cannot be signed: {err}")),
                };
                match result {
                    Ok(()) => tracing::info!(client_id = %client.client_id, uri, "back-channel logout delivered"),
                    Err(reason) => tracing::warn!(client_id = %client.client_id, uri, %reason, "back-channel logout failed"),
                }
            }
        });
        futures::future::join_all(deliveries).await;
    };
    tokio::spawn(tracing::Instrument::instrument(work, span));
}

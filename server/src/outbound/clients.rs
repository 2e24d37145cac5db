//! The two HTTP clients every call to a URL a client registered chooses between: one
//! behind the SSRF guard (`ssrf.rs`: addresses checked in the DNS resolver, IP-literal
//! hosts and every redirect hop checked before the request), and one without it for the
//! URLs listed in `clients.http.private_ip_exception_urls` or when
//! `clients.http.disallow_private_ip_ranges` is off. No proxy, bounded time.

use std::sync::Arc;
use std::time::Duration;

use reqwest::redirect;

use super::ssrf::{self, GuardedResolver};
use crate::config::ClientsHttpConfig;

/// The redirects a call may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// None: the destination is exactly the registered URL (back-channel logout).
    None,
    /// At most this many, each hop passing the guard like the first URL.
    Checked(usize),
}

/// The guarded and the open client, and the exempt URLs.
#[derive(Debug, Clone)]
pub struct GuardedClients {
    guarded: Option<reqwest::Client>,
    open: reqwest::Client,
    exceptions: Arc<[String]>,
}

fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .no_proxy()
        .user_agent(concat!("portunus/", env!("CARGO_PKG_VERSION")))
}

impl GuardedClients {
    /// `timeout` bounds each request, connection included.
    pub fn new(
        config: &ClientsHttpConfig,
        timeout: Duration,
        redirects: Redirects,
    ) -> Result<Self, reqwest::Error> {
        let guarded_policy = |max: usize| {
            redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= max {
                    attempt.error("too many redirects")
                } else if let Err(why) = ssrf::check_url(attempt.url()) {
                    attempt.error(why)
                } else {
                    attempt.follow()
                }
            })
        };
        let (guarded_redirects, open_redirects) = match redirects {
            Redirects::None => (redirect::Policy::none(), redirect::Policy::none()),
            Redirects::Checked(max) => (guarded_policy(max), redirect::Policy::limited(max)),
        };
        let guarded = if config.disallow_private_ip_ranges {
            Some(
                builder(timeout)
                    .dns_resolver(GuardedResolver)
                    .redirect(guarded_redirects)
                    .build()?,
            )
        } else {
            None
        };
        Ok(Self {
            guarded,
            open: builder(timeout).redirect(open_redirects).build()?,
            exceptions: config.private_ip_exception_urls.clone().into(),
        })
    }

    /// `uri` parsed, and the client to call it with: the guarded one (after checking an
    /// IP-literal host, which never reaches the resolver) unless the guard is off or
    /// `uri` is exempt. The error says why, for the client's hint or the log.
    pub fn for_uri(&self, uri: &str) -> Result<(url::Url, &reqwest::Client), String> {
        let url = url::Url::parse(uri).map_err(|e| format!("it is not a URL: {e}"))?;
        let client = match &self.guarded {
            Some(guarded) if !self.exceptions.iter().any(|e| e == uri) => {
                ssrf::check_url(&url)?;
                guarded
            }
            _ => &self.open,
        };
        Ok((url, client))
    }
}

//! Sign-out for reverse proxies (the reverse-proxy service's `/oauth2/sign_out`): ends
//! the browser's Portunus session at once — no logout app, no relying party asking —
//! notifies the session's relying parties as RP-Initiated Logout does (Back-Channel
//! Logout §2.5, Front-Channel Logout §2), and sends the browser to `rd` only when
//! `urls.allowed_return_domains` allows its host, else to `urls.post_logout_redirect`
//! or the logged-out page.
//!
//! Skipping the logout app's confirmation is what the proxy's sign-out does; a forged
//! cross-site sign-out can only log a user out (with the default `SameSite=Lax` session
//! cookie it needs a top-level navigation), never log anyone in or leak anything.

use std::collections::HashMap;

use super::browser::{LogoutOutcome, LogoutResult};
use super::session_end::end_browser_session;
use crate::config::{ReturnDomain, allowed_return_url};
use crate::error::OAuth2Error;
use crate::flow::context::FlowContext;

/// Signs the browser whose cookies are `cookies` out and says where it goes next. `rd`
/// is the requested return URL (`rd` parameter or `X-Auth-Request-Redirect` header).
/// Served with forward-auth (`oauth2.forward_auth.enabled`), else a 404 page.
pub async fn sign_out(
    ctx: &FlowContext,
    cookies: &HashMap<String, String>,
    rd: Option<&str>,
    request_url: &str,
) -> LogoutResult {
    if !ctx.config.oauth2.forward_auth.enabled {
        return LogoutResult {
            outcome: LogoutOutcome::ErrorPage(OAuth2Error::not_found(
                "Sign-out is served with forward-auth (oauth2.forward_auth.enabled).",
            )),
            cookies: Vec::new(),
        };
    }
    let domains: Vec<ReturnDomain> = ctx
        .config
        .urls
        .allowed_return_domains
        .iter()
        .filter_map(|entry| entry.parse().ok())
        .collect();
    let target = rd.and_then(|rd| allowed_return_url(&domains, rd));
    // No logout app round trip: the same end as the login UI's `POST /auth/logout`.
    end_browser_session(ctx, cookies, target, request_url).await
}

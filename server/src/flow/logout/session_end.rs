//! Ending the browser's session at its own request, for the built-in login UI's
//! `POST /auth/logout` (issue 22 §1) and the reverse proxies' `/oauth2/sign_out`
//! (`sign_out.rs`): the same end as an accepted logout
//! (`end::end_session`: the session deleted, its relying parties notified by back- and
//! front-channel logout, the session cookie cleared), without a relying party asking.
//! The caller has checked the form's CSRF token.

use std::collections::HashMap;

use super::browser::{LogoutResult, current_session, ended, finish_without_notifications};
use super::challenge_state::LogoutChallengeState;
use super::end::end_session;
use crate::events::SessionEnd;
use crate::flow::context::FlowContext;

/// Ends the session of the browser with `cookies`; then on to `target` (else
/// `urls.post_logout_redirect`, else the logged-out page).
pub async fn end_browser_session(
    ctx: &FlowContext,
    cookies: &HashMap<String, String>,
    target: Option<String>,
    request_url: &str,
) -> LogoutResult {
    let now = ctx.clock.now();
    let session = match current_session(ctx, cookies, now).await {
        Ok(session) => session,
        Err(err) => return LogoutResult::error(err),
    };
    let Some(session) = session else {
        // Nothing to end; a stale cookie is cleared all the same.
        return ended(ctx, Ok(finish_without_notifications(ctx, target)), false);
    };
    let challenge = LogoutChallengeState {
        flow_id: crate::flow::new_flow_id(),
        subject: session.subject,
        sid: session.id,
        client_id: None,
        post_logout_uri: target,
        request_url: request_url.to_owned(),
        csrf_hash: String::new(),
        issued_at: now,
    };
    ended(
        ctx,
        end_session(ctx, challenge, SessionEnd::SignOut).await,
        false,
    )
}

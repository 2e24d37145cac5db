//! The authentication session a user agent's session cookie names, if it is still
//! valid: the cookie opens under the cookie keys, the session exists (logout and the
//! admin API's revocation delete it) and has not expired. Used where the flow skips a
//! login and where forward-auth accepts a browser without a token.

use chrono::{DateTime, Utc};

use super::challenge_state::SessionCookie;
use super::context::FlowContext;
use super::sealed::{self, SealedKind};
use crate::error::OAuth2Error;
use crate::storage::flows::LoginSession;

/// The remembered, unexpired session the sealed cookie value `cookie` names. A cookie
/// that does not open, or names no such session, is `Ok(None)`; storage failures are
/// errors, so an outage never reads as "logged out" to a caller that must tell them
/// apart.
pub async fn valid_session(
    ctx: &FlowContext,
    cookie: &str,
    now: DateTime<Utc>,
) -> Result<Option<LoginSession>, OAuth2Error> {
    let Some(content) =
        sealed::open::<SessionCookie>(&ctx.cookie_keys, SealedKind::SessionCookie, cookie)
    else {
        return Ok(None);
    };
    let Some(session) = ctx.login_sessions.get_login_session(&content.sid).await? else {
        return Ok(None);
    };
    Ok((session.remember && session.expires_at > now).then_some(session))
}

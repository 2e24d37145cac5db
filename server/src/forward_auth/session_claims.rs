//! The identity of a request authenticated by the Portunus session cookie
//! (docs/forward-auth.md, "Who is authenticated"). An authentication session row holds
//! only its subject, so the claims are read, never written, from two places:
//!
//! 1. the local user record when the subject is a local user (the built-in login UI's
//!    accounts, `users`): `username` as `preferred_username`, and `email` only while
//!    `email_verified` is true. The record is current: an address marked unverified
//!    or a renamed user shows at the next request. A disabled account's session is
//!    refused, since disabling does not end the sessions it already has;
//! 2. the newest consent granted within this session (`consent_grants.login_session_id`):
//!    its `session.id_token` claims within the scopes it granted (OIDC Core §5.4),
//!    then its `session.access_token` claims — the headers an access token of that
//!    consent would get. This is where `groups` comes from, and everything for
//!    subjects a headless login app owns.
//!
//! The first source that has a claim wins, per claim (`Identity::from_claims`).

use serde_json::{Map, Value};

use super::identity::Identity;
use crate::error::OAuth2Error;
use crate::flow::challenge_state::ConsentDetails;
use crate::flow::context::FlowContext;
use crate::flow::sealed::{self, SealedKind};
use crate::oidc::scope_claims;
use crate::storage::flows::{ConsentGrant, ConsentListQuery, LoginSession};
use crate::users::{User, UserStore};

/// At most this many consents of one session are read to find the newest. A session
/// gathers one per authorization it completed; beyond this many, the newest of the
/// first ones (by id) is used.
pub const MAX_SESSION_CONSENTS: usize = 256;

/// Why a session's user is refused although the session is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The local account was disabled after the session began.
    Disabled,
}

/// The identity of `session`, or why its user is refused.
pub async fn session_identity(
    ctx: &FlowContext,
    users: &dyn UserStore,
    session: &LoginSession,
) -> Result<Result<Identity, Refusal>, OAuth2Error> {
    let user = users.get_user(&session.subject).await?;
    if user.as_ref().is_some_and(|u| u.disabled) {
        return Ok(Err(Refusal::Disabled));
    }
    let record = user.as_ref().map(user_claims).unwrap_or_default();
    let (id_token, access) = match newest_consent(ctx, session).await? {
        Some(grant) => consent_claims(ctx, &grant),
        None => (Map::new(), Map::new()),
    };
    Ok(Ok(Identity::from_claims(
        session.subject.clone(),
        &[&record, &id_token, &access],
        None,
    )))
}

/// The local user's claims. `email_verified` travels with the address, so an
/// unverified address also hides any address the consents hold.
fn user_claims(user: &User) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert(
        "preferred_username".into(),
        Value::String(user.username.clone()),
    );
    if !user.email.is_empty() {
        claims.insert("email".into(), Value::String(user.email.clone()));
        claims.insert("email_verified".into(), Value::Bool(user.email_verified));
    }
    claims
}

/// The consent of this session handled last (ties: the greater id, so the choice is
/// the same on every backend).
async fn newest_consent(
    ctx: &FlowContext,
    session: &LoginSession,
) -> Result<Option<ConsentGrant>, OAuth2Error> {
    let grants = ctx
        .consents
        .list_consents(&ConsentListQuery {
            subject: session.subject.clone(),
            login_session_id: Some(session.id.clone()),
            after: None,
            limit: MAX_SESSION_CONSENTS,
        })
        .await?;
    Ok(grants
        .into_iter()
        .max_by(|a, b| (a.handled_at, &a.id).cmp(&(b.handled_at, &b.id))))
}

/// The consent's ID-token claims within its granted scopes, and its access-token
/// claims. A consent sealed under keys no longer configured gives none (logged):
/// the session then has the user record's claims only, and claim filters refuse it.
fn consent_claims(
    ctx: &FlowContext,
    grant: &ConsentGrant,
) -> (Map<String, Value>, Map<String, Value>) {
    let Some(details) = sealed::open::<ConsentDetails>(
        &ctx.keys,
        SealedKind::ConsentChallenge,
        &grant.sealed_details,
    ) else {
        tracing::warn!(
            consent = %grant.id,
            "forward-auth: the session's consent cannot be unsealed with the configured secrets"
        );
        return (Map::new(), Map::new());
    };
    let object = |value: Option<Value>| match value {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let granted: Vec<&str> = grant
        .granted_scope
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let id_token = scope_claims::filter(&object(details.session.id_token), &granted);
    (id_token, object(details.session.access_token))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn user(email_verified: bool) -> User {
        let at = Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).unwrap();
        User {
            id: "u1".into(),
            username: "ada".into(),
            email: "ada@example.com".into(),
            email_verified,
            name: None,
            password_hash: None,
            disabled: false,
            created_at: at,
            updated_at: at,
        }
    }

    /// The record wins over a consent's claims, including when it says the address is
    /// unverified; groups come from the consent.
    #[test]
    fn the_user_record_comes_first() {
        let consent = serde_json::json!({
            "email": "other@example.org", "email_verified": true,
            "preferred_username": "someone", "groups": ["staff"],
        });
        let consent = consent.as_object().unwrap();
        let verified =
            Identity::from_claims("u1".into(), &[&user_claims(&user(true)), consent], None);
        assert_eq!(verified.email.as_deref(), Some("ada@example.com"));
        assert_eq!(verified.preferred_username.as_deref(), Some("ada"));
        assert_eq!(verified.groups, ["staff"]);
        let unverified =
            Identity::from_claims("u1".into(), &[&user_claims(&user(false)), consent], None);
        assert_eq!(unverified.email, None);
        assert_eq!(unverified.preferred_username.as_deref(), Some("ada"));
    }
}

//! The events of the login/consent flow and of login sessions: `login.accepted`,
//! `login.rejected`, `consent.accepted`, `consent.rejected` (a decision of the login or
//! consent app through the admin API, the built-in login UI included) and
//! `session.logged_out`. Built as `report.rs` builds the token events: none when
//! `events.enabled` is off, else rows the caller hands to the storage write of the
//! change. The app's `context`, session claims and rejection texts never appear: they
//! are the app's data, possibly personal; only ids, scopes and codes do.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::envelope::{Actor, Event};
use super::report::{fields, report};
use crate::config::Config;
use crate::storage::{OutboxEvent, StorageError};

/// The login or consent request a decision is about. Its events are keyed by the
/// request id (the login request's flow id; for consent Hydra's `consent_request_id`).
#[derive(Debug, Clone, Copy)]
pub struct FlowRequest<'a> {
    /// The flow id.
    pub request_id: &'a str,
    pub client_id: &'a str,
}

/// `login.accepted`: the login app authenticated `subject`.
pub fn login_accepted(
    config: &Config,
    at: DateTime<Utc>,
    request: FlowRequest<'_>,
    subject: &str,
    remember: bool,
    acr: Option<&str>,
    amr: &[String],
) -> Result<Vec<OutboxEvent>, StorageError> {
    report(config, at, || Event {
        event_type: "login.accepted",
        aggregate_key: request.request_id.to_owned(),
        actor: Actor::Admin,
        fields: fields(json!({
            "request_id": request.request_id,
            "client_id": request.client_id,
            "subject": subject,
            "remember": remember,
            "acr": acr,
            "amr": amr,
        })),
    })
}

/// `login.rejected`: the login app refused with the OAuth 2.0 error code `error`;
/// `subject` only when the user agent's session named one (a skipped login).
pub fn login_rejected(
    config: &Config,
    at: DateTime<Utc>,
    request: FlowRequest<'_>,
    subject: Option<&str>,
    error: &str,
) -> Result<Vec<OutboxEvent>, StorageError> {
    rejected(config, at, "login.rejected", request, subject, error)
}

/// `consent.accepted`: `subject` granted `scopes` and `audience` to the client.
pub fn consent_accepted(
    config: &Config,
    at: DateTime<Utc>,
    request: FlowRequest<'_>,
    subject: &str,
    scopes: &[String],
    audience: &[String],
    remember: bool,
) -> Result<Vec<OutboxEvent>, StorageError> {
    report(config, at, || Event {
        event_type: "consent.accepted",
        aggregate_key: request.request_id.to_owned(),
        actor: Actor::Admin,
        fields: fields(json!({
            "request_id": request.request_id,
            "client_id": request.client_id,
            "subject": subject,
            "granted_scopes": scopes,
            "granted_audience": audience,
            "remember": remember,
        })),
    })
}

/// `consent.rejected`: the consent app refused with `error`.
pub fn consent_rejected(
    config: &Config,
    at: DateTime<Utc>,
    request: FlowRequest<'_>,
    subject: &str,
    error: &str,
) -> Result<Vec<OutboxEvent>, StorageError> {
    rejected(
        config,
        at,
        "consent.rejected",
        request,
        Some(subject),
        error,
    )
}

fn rejected(
    config: &Config,
    at: DateTime<Utc>,
    event_type: &'static str,
    request: FlowRequest<'_>,
    subject: Option<&str>,
    error: &str,
) -> Result<Vec<OutboxEvent>, StorageError> {
    report(config, at, || Event {
        event_type,
        aggregate_key: request.request_id.to_owned(),
        actor: Actor::Admin,
        fields: fields(json!({
            "request_id": request.request_id,
            "client_id": request.client_id,
            "subject": subject,
            "error": error,
        })),
    })
}

/// How a login session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// RP-Initiated Logout at `/oauth2/sessions/logout`, after the logout app (or the
    /// client's `skip_logout_consent`).
    Logout,
    /// The browser's own sign-out: the login UI's `/auth/logout`, forward-auth's
    /// `/oauth2/sign_out`.
    SignOut,
    /// `DELETE /admin/oauth2/auth/sessions/login`.
    AdminRevocation,
}

impl SessionEnd {
    fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::SignOut => "sign_out",
            Self::AdminRevocation => "admin_revocation",
        }
    }
}

/// What a session's end reports (`session.logged_out`).
#[derive(Debug, Clone, Copy)]
pub struct LoggedOut<'a> {
    pub subject: &'a str,
    /// The session (`sid`); `None` when every session of the subject ended.
    pub session_id: Option<&'a str>,
    /// The relying party that asked for the logout, if one did.
    pub client_id: Option<&'a str>,
    pub why: SessionEnd,
}

/// `session.logged_out`, keyed by the subject: the user ended it, or the admin API.
pub fn session_logged_out(
    config: &Config,
    at: DateTime<Utc>,
    ended: LoggedOut<'_>,
) -> Result<Vec<OutboxEvent>, StorageError> {
    report(config, at, || Event {
        event_type: "session.logged_out",
        aggregate_key: ended.subject.to_owned(),
        actor: match ended.why {
            SessionEnd::AdminRevocation => Actor::Admin,
            SessionEnd::Logout | SessionEnd::SignOut => Actor::Subject(ended.subject.to_owned()),
        },
        fields: fields(json!({
            "subject": ended.subject,
            "session_id": ended.session_id,
            "client_id": ended.client_id,
            "reason": ended.why.as_str(),
        })),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn config(enabled: bool) -> Config {
        let mut config = Config::default();
        config.events.enabled = enabled;
        config
    }

    fn data(rows: &[OutboxEvent]) -> Value {
        let envelope: Value = serde_json::from_str(&rows[0].envelope).unwrap();
        envelope["data"].clone()
    }

    const REQUEST: FlowRequest<'static> = FlowRequest {
        request_id: "flow-1",
        client_id: "c1",
    };

    #[test]
    fn nothing_is_built_when_events_are_off() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let off = config(false);
        assert!(
            login_rejected(&off, at, REQUEST, None, "x")
                .unwrap()
                .is_empty()
        );
        let ended = LoggedOut {
            subject: "alice",
            session_id: Some("sid"),
            client_id: None,
            why: SessionEnd::SignOut,
        };
        assert!(session_logged_out(&off, at, ended).unwrap().is_empty());
    }

    #[test]
    fn decisions_are_the_admins_and_keyed_by_the_request() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let on = config(true);
        let rows = login_accepted(&on, at, REQUEST, "alice", true, None, &["pwd".into()]);
        let rows = rows.unwrap();
        assert_eq!(rows[0].event_type, "login.accepted");
        assert_eq!(rows[0].aggregate_key, "flow-1");
        let data = data(&rows);
        assert_eq!(data["actor"], json!({"type": "admin"}));
        assert_eq!(data["amr"], json!(["pwd"]));
        let rows = consent_rejected(&on, at, REQUEST, "alice", "access_denied").unwrap();
        assert_eq!(data_of(&rows, "error"), "access_denied");
    }

    fn data_of(rows: &[OutboxEvent], field: &str) -> Value {
        data(rows)[field].clone()
    }

    #[test]
    fn a_users_logout_is_the_subjects_an_admin_revocation_the_admins() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let on = config(true);
        let ended = |why| LoggedOut {
            subject: "alice",
            session_id: None,
            client_id: None,
            why,
        };
        let rows = session_logged_out(&on, at, ended(SessionEnd::Logout)).unwrap();
        assert_eq!(rows[0].aggregate_key, "alice");
        assert_eq!(
            data_of(&rows, "actor"),
            json!({"type": "subject", "id": "alice"})
        );
        let rows = session_logged_out(&on, at, ended(SessionEnd::AdminRevocation)).unwrap();
        assert_eq!(data_of(&rows, "reason"), "admin_revocation");
        assert_eq!(data_of(&rows, "session_id"), Value::Null);
    }
}

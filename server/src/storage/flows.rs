//! Ports of the login/consent flow: single-use markers for flow steps, authentication
//! (login) sessions, and granted consents. Flow state itself travels sealed in challenges
//! and verifiers (`flow::sealed`); only these facts need the database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StorageError;
use super::outbox::{OutboxEvent, no_outbox};

/// A step of a flow that may happen once: handling a login request, using its verifier…
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowStep {
    LoginHandled,
    LoginVerified,
    ConsentHandled,
    ConsentVerified,
    LogoutHandled,
    LogoutVerified,
    /// A device challenge's user code was accepted (RFC 8628 §3.3).
    DeviceHandled,
    /// The device verifier was taken at `/oauth2/device/verify`.
    DeviceVerified,
}

impl FlowStep {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginHandled => "login_handled",
            Self::LoginVerified => "login_verified",
            Self::ConsentHandled => "consent_handled",
            Self::ConsentVerified => "consent_verified",
            Self::LogoutHandled => "logout_handled",
            Self::LogoutVerified => "logout_verified",
            Self::DeviceHandled => "device_handled",
            Self::DeviceVerified => "device_verified",
        }
    }
}

/// How long the record of a step outlives the flow (or device authorization) it belongs
/// to. Each node refuses a flow's challenges and verifiers once its own clock passes the
/// flow's expiry, so the record that makes them single-use has to outlast that on every
/// node: this is the difference between nodes' clocks it tolerates. NTP keeps them within
/// milliseconds, and client assertions are allowed 60 s. Longer is not safer, only
/// larger: `oauth2_flow_steps` holds every flow of the lifetime plus this (it was an hour,
/// and the table twice and a half its size at the default 30-minute flows).
pub const STEP_RECORD_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// When the record of a step may be deleted: `flow_expires_at` plus
/// [`STEP_RECORD_MARGIN`] (the latest time chrono holds when that overflows).
pub fn step_record_expiry(flow_expires_at: DateTime<Utc>) -> DateTime<Utc> {
    crate::duration::later(flow_expires_at, STEP_RECORD_MARGIN)
}

/// Single-use flow steps.
#[async_trait]
pub trait FlowStepStore: Send + Sync {
    /// Records `step` of `flow_id` unless it was recorded before. Returns `None` when this
    /// call recorded it, or `Some(redirect_to)` of the earlier record. Exactly one of any
    /// number of concurrent calls for the same step gets `None`.
    async fn record_step(
        &self,
        flow_id: &str,
        step: FlowStep,
        redirect_to: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<String>, StorageError>;

    /// The `redirect_to` recorded for the step, if it was recorded.
    async fn get_step(&self, flow_id: &str, step: FlowStep)
    -> Result<Option<String>, StorageError>;

    /// [`record_step`](Self::record_step), writing `events` to the outbox in the same
    /// transaction when this call recorded the step (it returns `None`): a decision
    /// reported once, by the call that made it. A store without an outbox fails,
    /// writing nothing, when `events` is not empty.
    async fn record_step_reporting(
        &self,
        flow_id: &str,
        step: FlowStep,
        redirect_to: &str,
        expires_at: DateTime<Utc>,
        events: &[OutboxEvent],
    ) -> Result<Option<String>, StorageError> {
        no_outbox(events)?;
        self.record_step(flow_id, step, redirect_to, expires_at)
            .await
    }
}

/// An authentication session: the user agent's remembered login (the OIDC `sid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSession {
    pub id: String,
    pub subject: String,
    pub authenticated_at: DateTime<Utc>,
    /// Whether a cookie remembers it; unremembered sessions exist for `sid` and logout.
    pub remember: bool,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait LoginSessionStore: Send + Sync {
    /// Inserts the session, or replaces the one with the same id.
    async fn upsert_login_session(&self, session: &LoginSession) -> Result<(), StorageError>;

    async fn get_login_session(&self, id: &str) -> Result<Option<LoginSession>, StorageError>;

    /// Deletes one session; returns whether it existed.
    async fn delete_login_session(&self, id: &str) -> Result<bool, StorageError>;

    /// Deletes every session of the subject; returns how many.
    async fn delete_login_sessions_of_subject(&self, subject: &str) -> Result<u64, StorageError>;

    /// [`delete_login_session`](Self::delete_login_session), writing `events` to the
    /// outbox in the same transaction when the session existed (a logout that ended
    /// nothing reports nothing). A store without an outbox fails, writing nothing, when
    /// `events` is not empty.
    async fn delete_login_session_reporting(
        &self,
        id: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        no_outbox(events)?;
        self.delete_login_session(id).await
    }

    /// [`delete_login_sessions_of_subject`](Self::delete_login_sessions_of_subject),
    /// writing `events` to the outbox in the same transaction when at least one session
    /// was deleted.
    async fn delete_login_sessions_of_subject_reporting(
        &self,
        subject: &str,
        events: &[OutboxEvent],
    ) -> Result<u64, StorageError> {
        no_outbox(events)?;
        self.delete_login_sessions_of_subject(subject).await
    }
}

/// A consent the user granted to a client.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentGrant {
    /// The consent request id (the flow id).
    pub id: String,
    pub subject: String,
    pub client_id: String,
    pub login_session_id: Option<String>,
    pub granted_scope: Vec<String>,
    pub granted_audience: Vec<String>,
    pub remember: bool,
    /// Until when a remembered consent skips the consent screen; `None`: forever.
    pub remember_until: Option<DateTime<Utc>>,
    pub handled_at: DateTime<Utc>,
    /// Sealed details (session data, context, the request) — opaque to storage.
    pub sealed_details: String,
}

/// One page of consents, keyset-paginated by id.
#[derive(Debug, Clone, Default)]
pub struct ConsentListQuery {
    pub subject: String,
    pub login_session_id: Option<String>,
    pub after: Option<String>,
    pub limit: usize,
}

#[async_trait]
pub trait ConsentStore: Send + Sync {
    async fn insert_consent(&self, grant: &ConsentGrant) -> Result<(), StorageError>;

    /// The newest remembered consent of the subject for the client that is still valid at
    /// `now`.
    async fn find_remembered_consent(
        &self,
        subject: &str,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ConsentGrant>, StorageError>;

    /// Consents of a subject ordered by id, ids after `after`, at most `limit`.
    async fn list_consents(
        &self,
        query: &ConsentListQuery,
    ) -> Result<Vec<ConsentGrant>, StorageError>;

    /// Deletes the subject's consents, for one client or all (`client_id = None`).
    /// Returns the client ids whose consents were deleted, so their tokens can be revoked.
    async fn delete_consents(
        &self,
        subject: &str,
        client_id: Option<&str>,
    ) -> Result<Vec<String>, StorageError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The margin is added to the flow's expiry, and an expiry at chrono's end stays
    /// there rather than overflowing (times from configuration: "never").
    #[test]
    fn a_step_record_outlives_its_flow_by_the_margin() {
        let flow_expires_at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(
            step_record_expiry(flow_expires_at) - flow_expires_at,
            chrono::TimeDelta::minutes(5)
        );
        assert_eq!(
            step_record_expiry(DateTime::<Utc>::MAX_UTC),
            DateTime::<Utc>::MAX_UTC
        );
    }
}

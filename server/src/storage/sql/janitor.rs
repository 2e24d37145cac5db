//! Batched deletion of expired rows for the janitor (`portunus janitor` and the one
//! `serve` runs, `crate::janitor`): tokens, used flow steps, authentication sessions,
//! client-assertion and DPoP proof ids, consents, device codes, pushed requests, trust
//! relationships and initial access tokens past their expiry (the rule for each table:
//! `docs/architecture.md`, "Retention").
//!
//! Each batch selects at most `batch` keys of expired rows and deletes them by key, in
//! its own statement, so a janitor run over millions of rows never holds one huge write
//! transaction (SQLite has one writer; PostgreSQL and MySQL would hold row locks and
//! bloat the undo/WAL). Selecting keys first, rather than `DELETE … LIMIT` or
//! `IN (SELECT … LIMIT)`, is the form all three backends accept.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamp};

use super::connection::DbConnection;
use super::schema::{
    authentication_sessions, consent_grants, event_idempotency_keys, event_outbox,
    oauth2_device_attempts, oauth2_device_codes, oauth2_flow_steps, oauth2_initial_access_tokens,
    oauth2_jti, oauth2_pushed_requests, oauth2_tokens, oauth2_trusted_jwt_issuers,
};
use super::{SqlStore, count, map_diesel, to_column};
use crate::storage::StorageError;

/// What the janitor can clean: one variant per table that grows.
///
/// Extension point: a new growing table (the event outbox, idempotency keys) is one more
/// variant here, with its place in [`ExpiredKind::ALL`], its [`ExpiredGroup`], its
/// table name, and a branch of `delete_batch` that selects at most `n` keys of rows
/// expired before the cut-off and deletes them by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiredKind {
    /// Opaque tokens (access, refresh, authorization codes) past `expires_at`.
    Tokens,
    /// Recorded single-use login/consent/logout steps past their flow's expiry.
    FlowSteps,
    /// Authentication (login) sessions past `expires_at`.
    LoginSessions,
    /// Used client-assertion, request-object and DPoP proof ids past the `exp` (or proof
    /// age) for which they are remembered: the one replay table (`storage::jti`).
    Jti,
    /// Pushed authorization requests (RFC 9126) past their expiry, used or not.
    PushedRequests,
    /// Granted consents nothing needs any more: not remembered (or remembered until a
    /// time before the cut-off), handled before the cut-off, their authentication
    /// session gone or expired, and no unexpired token of the same subject and client.
    Consents,
    /// Device authorizations (RFC 8628) past their expiry, redeemed or not.
    DeviceCodes,
    /// User-code attempt counts of device challenges past their expiry.
    DeviceAttempts,
    /// Trusted JWT grant issuers (RFC 7523 §2.1) past `expires_at` (Hydra's `--grants`).
    TrustRelationships,
    /// Initial access tokens (RFC 7591 §3) past `expires_at`, or created before the
    /// cut-off and used up (`uses` reached `max_uses`).
    InitialAccessTokens,
    /// Audit events delivered before the cut-off (the janitor moves the cut-off back by
    /// `events.retention`); an undelivered event is never deleted.
    DeliveredEvents,
    /// `POST /admin/events/ingest` idempotency keys recorded before the cut-off (moved
    /// back by `events.retention`, as for the events they guard).
    IdempotencyKeys,
}

/// Hydra's janitor selections: `--tokens`, `--requests`, `--grants`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiredGroup {
    /// Token data: tokens, replay records, device codes.
    Tokens,
    /// Login, consent and authorization request data.
    Requests,
    /// Admin-made grants: trust relationships and initial access tokens.
    Grants,
    /// Delivered audit events and ingest idempotency keys past `events.retention`.
    Events,
}

impl ExpiredKind {
    /// In the order a run cleans them: tokens and sessions before the consents whose
    /// retention depends on them.
    pub const ALL: [Self; 12] = [
        Self::Tokens,
        Self::FlowSteps,
        Self::LoginSessions,
        Self::Jti,
        Self::PushedRequests,
        Self::Consents,
        Self::DeviceCodes,
        Self::DeviceAttempts,
        Self::TrustRelationships,
        Self::InitialAccessTokens,
        Self::DeliveredEvents,
        Self::IdempotencyKeys,
    ];

    /// What the rows are, for people (`Deleted 3 expired <this>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tokens => "tokens",
            Self::FlowSteps => "flow steps",
            Self::LoginSessions => "authentication sessions",
            Self::Jti => "client assertion ids",
            Self::PushedRequests => "pushed authorization requests",
            Self::Consents => "consents",
            Self::DeviceCodes => "device codes",
            Self::DeviceAttempts => "device user code attempts",
            Self::TrustRelationships => "trust relationships",
            Self::InitialAccessTokens => "initial access tokens",
            Self::DeliveredEvents => "delivered events",
            Self::IdempotencyKeys => "event idempotency keys",
        }
    }

    /// The table the rows are in: a bounded label for metrics.
    pub fn table(self) -> &'static str {
        match self {
            Self::Tokens => "oauth2_tokens",
            Self::FlowSteps => "oauth2_flow_steps",
            Self::LoginSessions => "authentication_sessions",
            Self::Jti => "oauth2_jti",
            Self::PushedRequests => "oauth2_pushed_requests",
            Self::Consents => "consent_grants",
            Self::DeviceCodes => "oauth2_device_codes",
            Self::DeviceAttempts => "oauth2_device_attempts",
            Self::TrustRelationships => "oauth2_trusted_jwt_issuers",
            Self::InitialAccessTokens => "oauth2_initial_access_tokens",
            Self::DeliveredEvents => "event_outbox",
            Self::IdempotencyKeys => "event_idempotency_keys",
        }
    }

    /// Which of Hydra's selections cleans it.
    pub fn group(self) -> ExpiredGroup {
        match self {
            Self::Tokens | Self::Jti | Self::DeviceCodes => ExpiredGroup::Tokens,
            Self::FlowSteps
            | Self::LoginSessions
            | Self::PushedRequests
            | Self::Consents
            | Self::DeviceAttempts => ExpiredGroup::Requests,
            Self::TrustRelationships | Self::InitialAccessTokens => ExpiredGroup::Grants,
            Self::DeliveredEvents | Self::IdempotencyKeys => ExpiredGroup::Events,
        }
    }
}

/// The janitor's cut-off (Hydra's `--keep-if-younger`): rows must have expired before
/// `now - keep_if_younger` to go; `None` when that lies before chrono's range.
pub fn cutoff(now: DateTime<Utc>, keep_if_younger: std::time::Duration) -> Option<DateTime<Utc>> {
    let keep = chrono::Duration::from_std(keep_if_younger).ok()?;
    now.checked_sub_signed(keep)
}

/// The largest batch: the keys of a batch are bound as parameters of one `DELETE`, and
/// SQLite binds at most 32,766 per statement (PostgreSQL and MySQL 65,535).
pub const MAX_BATCH: usize = 30_000;

fn limit(batch: usize) -> i64 {
    i64::try_from(batch.clamp(1, MAX_BATCH)).unwrap_or(1)
}

impl SqlStore {
    /// Deletes at most `batch` rows of `kind` that expired strictly before
    /// `now - keep_if_younger` (Hydra's `--keep-if-younger`, [`cutoff`]); returns how
    /// many it deleted. Call it until it returns 0 (for flow steps a batch is `batch`
    /// flows, which may hold a few steps each). `batch` is cut to [`MAX_BATCH`].
    ///
    /// The keys are found on a read connection and deleted by key on the writer, in
    /// slices of [`SLICE`], each slice its own write with the selection's conditions
    /// checked again (a row that became needed since stays). Why: finding them may scan
    /// (a consent is checked against the sessions and tokens tables), and on SQLite
    /// every write of the process waits while the writer thread works; with the
    /// consents' scan inside the writer, the soak's token endpoint stalled for seconds
    /// once a minute (docs/benchmarks.md, "The soak"). A slice of 100 token rows takes a
    /// few milliseconds of the writer, and the request writes queued meanwhile go in
    /// the same group commit or the next one. Elsewhere a slice bounds how long a
    /// statement holds its row locks the same way.
    pub async fn delete_expired_batch(
        &self,
        kind: ExpiredKind,
        now: DateTime<Utc>,
        keep_if_younger: std::time::Duration,
        batch: usize,
    ) -> Result<u64, StorageError> {
        let before = cutoff(now, keep_if_younger).ok_or_else(|| {
            StorageError::Database(
                "keep_if_younger reaches before the earliest time the database holds".to_owned(),
            )
        })?;
        let before = to_column(before);
        let n = limit(batch);
        let found = self
            .run(move |conn| expired_keys(conn, kind, before, n).map_err(map_diesel))
            .await?;
        let mut deleted = 0u64;
        for slice in found.slices() {
            let rows = self
                .write(move |conn| delete_keys(conn, kind, before, &slice).map_err(map_diesel))
                .await?;
            deleted = deleted.saturating_add(count(rows));
        }
        Ok(deleted)
    }
}

/// Keys one write of a janitor batch deletes at most: a few milliseconds of the
/// writer at SQLite's ~60 µs per token row under load.
const SLICE: usize = 100;

/// The keys of one batch's expired rows, found by [`expired_keys`], and of each of its
/// writes ([`ExpiredKeys::slices`]).
#[derive(Debug, Default)]
pub(super) struct ExpiredKeys {
    /// Deletable by the kind's own condition, checked again when deleted.
    keys: Vec<String>,
    /// Consents only: unremembered consents that a newer consent of the same subject
    /// and client supersedes (checked again without that clause: see
    /// [`delete_consents`]).
    superseded: Vec<String>,
}

impl ExpiredKeys {
    fn plain(keys: Vec<String>) -> Self {
        Self {
            keys,
            superseded: Vec::new(),
        }
    }

    /// The keys in slices of at most [`SLICE`], in the order they were found.
    fn slices(self) -> Vec<Self> {
        let plain = self
            .keys
            .chunks(SLICE)
            .map(|keys| Self::plain(keys.to_vec()));
        let superseded = self.superseded.chunks(SLICE).map(|keys| Self {
            keys: Vec::new(),
            superseded: keys.to_vec(),
        });
        plain.chain(superseded).collect()
    }
}

/// The keys of at most `n` rows of `kind` past `before` (the reads of
/// [`SqlStore::delete_expired_batch`]).
pub(super) fn expired_keys(
    conn: &mut DbConnection,
    kind: ExpiredKind,
    before: NaiveDateTime,
    n: i64,
) -> QueryResult<ExpiredKeys> {
    let keys: Vec<String> = match kind {
        ExpiredKind::Tokens => oauth2_tokens::table
            .select(oauth2_tokens::signature_hash)
            .filter(oauth2_tokens::expires_at.lt(before))
            .limit(n)
            .load(conn)?,
        ExpiredKind::FlowSteps => oauth2_flow_steps::table
            .select(oauth2_flow_steps::flow_id)
            .filter(oauth2_flow_steps::expires_at.lt(before))
            .limit(n)
            .load(conn)?,
        ExpiredKind::LoginSessions => authentication_sessions::table
            .select(authentication_sessions::id)
            .filter(authentication_sessions::expires_at.lt(before))
            .limit(n)
            .load(conn)?,
        ExpiredKind::Jti => oauth2_jti::table
            .select(oauth2_jti::id)
            .filter(oauth2_jti::expires_at.lt(before))
            .limit(n)
            .load(conn)?,
        ExpiredKind::PushedRequests => oauth2_pushed_requests::table
            .select(oauth2_pushed_requests::id)
            .filter(oauth2_pushed_requests::expires_at.lt(before))
            .limit(n)
            .load(conn)?,
        ExpiredKind::Consents => return expired_consents(conn, before, n),
        ExpiredKind::DeviceCodes => oauth2_device_codes::table
            .select(oauth2_device_codes::device_code_key)
            .filter(oauth2_device_codes::expires_at.lt(before))
            .limit(n)
            .load(conn)?,
        ExpiredKind::DeviceAttempts => oauth2_device_attempts::table
            .select(oauth2_device_attempts::challenge_id)
            .filter(oauth2_device_attempts::expires_at.lt(before))
            .limit(n)
            .load(conn)?,
        ExpiredKind::TrustRelationships => oauth2_trusted_jwt_issuers::table
            .select(oauth2_trusted_jwt_issuers::id)
            .filter(oauth2_trusted_jwt_issuers::expires_at.lt(before))
            .limit(n)
            .load(conn)?,
        ExpiredKind::InitialAccessTokens => oauth2_initial_access_tokens::table
            .select(oauth2_initial_access_tokens::id)
            .filter(initial_access_token_deletable!(before))
            .limit(n)
            .load(conn)?,
        // `delivered_at` is NULL until delivery: NULL < x is never true.
        ExpiredKind::DeliveredEvents => event_outbox::table
            .select(event_outbox::id)
            .filter(event_outbox::delivered_at.lt(before))
            .limit(n)
            .load(conn)?,
        ExpiredKind::IdempotencyKeys => event_idempotency_keys::table
            .select(event_idempotency_keys::idempotency_key)
            .filter(event_idempotency_keys::created_at.lt(before))
            .limit(n)
            .load(conn)?,
    };
    Ok(ExpiredKeys::plain(keys))
}

/// Deletes the rows of `slice` that are still past `before` (the writes of
/// [`SqlStore::delete_expired_batch`]); each statement repeats the condition that
/// selected them.
pub(super) fn delete_keys(
    conn: &mut DbConnection,
    kind: ExpiredKind,
    before: NaiveDateTime,
    slice: &ExpiredKeys,
) -> QueryResult<usize> {
    let keys = &slice.keys;
    match kind {
        ExpiredKind::Consents => delete_consents(conn, before, slice),
        _ if keys.is_empty() => Ok(0),
        ExpiredKind::Tokens => diesel::delete(
            oauth2_tokens::table
                .filter(oauth2_tokens::signature_hash.eq_any(keys))
                .filter(oauth2_tokens::expires_at.lt(before)),
        )
        .execute(conn),
        ExpiredKind::FlowSteps => diesel::delete(
            oauth2_flow_steps::table
                .filter(oauth2_flow_steps::flow_id.eq_any(keys))
                .filter(oauth2_flow_steps::expires_at.lt(before)),
        )
        .execute(conn),
        ExpiredKind::LoginSessions => diesel::delete(
            authentication_sessions::table
                .filter(authentication_sessions::id.eq_any(keys))
                .filter(authentication_sessions::expires_at.lt(before)),
        )
        .execute(conn),
        ExpiredKind::Jti => diesel::delete(
            oauth2_jti::table
                .filter(oauth2_jti::id.eq_any(keys))
                .filter(oauth2_jti::expires_at.lt(before)),
        )
        .execute(conn),
        ExpiredKind::PushedRequests => diesel::delete(
            oauth2_pushed_requests::table
                .filter(oauth2_pushed_requests::id.eq_any(keys))
                .filter(oauth2_pushed_requests::expires_at.lt(before)),
        )
        .execute(conn),
        ExpiredKind::DeviceCodes => diesel::delete(
            oauth2_device_codes::table
                .filter(oauth2_device_codes::device_code_key.eq_any(keys))
                .filter(oauth2_device_codes::expires_at.lt(before)),
        )
        .execute(conn),
        ExpiredKind::DeviceAttempts => diesel::delete(
            oauth2_device_attempts::table
                .filter(oauth2_device_attempts::challenge_id.eq_any(keys))
                .filter(oauth2_device_attempts::expires_at.lt(before)),
        )
        .execute(conn),
        ExpiredKind::TrustRelationships => diesel::delete(
            oauth2_trusted_jwt_issuers::table
                .filter(oauth2_trusted_jwt_issuers::id.eq_any(keys))
                .filter(oauth2_trusted_jwt_issuers::expires_at.lt(before)),
        )
        .execute(conn),
        ExpiredKind::InitialAccessTokens => diesel::delete(
            oauth2_initial_access_tokens::table
                .filter(oauth2_initial_access_tokens::id.eq_any(keys))
                .filter(initial_access_token_deletable!(before)),
        )
        .execute(conn),
        ExpiredKind::DeliveredEvents => diesel::delete(
            event_outbox::table
                .filter(event_outbox::id.eq_any(keys))
                .filter(event_outbox::delivered_at.lt(before)),
        )
        .execute(conn),
        ExpiredKind::IdempotencyKeys => diesel::delete(
            event_idempotency_keys::table
                .filter(event_idempotency_keys::idempotency_key.eq_any(keys))
                .filter(event_idempotency_keys::created_at.lt(before)),
        )
        .execute(conn),
    }
}

/// Initial access tokens that can register no client any more: expired before the
/// cut-off, or created before it and used up. A used-up token whose registration fails
/// afterwards gets its use back (`return_initial_access_token_use`); one the janitor
/// took meanwhile stays gone, and the operator creates another. (A macro: the
/// expression's diesel type is long, and the SELECT and the DELETE both need it.)
macro_rules! initial_access_token_deletable {
    ($before:expr) => {{
        use oauth2_initial_access_tokens as iat;
        let before = $before;
        let used_up = iat::max_uses
            .is_not_null()
            .and(iat::uses.nullable().ge(iat::max_uses))
            .and(iat::created_at.lt(before));
        iat::expires_at.lt(before).or(used_up)
    }};
}
use initial_access_token_deletable;

/// The consents' retention clauses, correlated with the `consent_grants` row:
/// diesel's typed DSL has no correlated subqueries. The same text runs on all three
/// backends; the joined columns share type and collation. (Macros for the reason of
/// [`initial_access_token_deletable`].)
///
/// No live session: the row's authentication session is gone or expired before the
/// cut-off.
macro_rules! no_live_session {
    ($before:expr) => {
        sql::<Bool>(
            "NOT EXISTS (SELECT 1 FROM authentication_sessions \
             WHERE authentication_sessions.id = consent_grants.login_session_id \
             AND authentication_sessions.expires_at >= ",
        )
        .bind::<Timestamp, _>($before)
        .sql(")")
    };
}

/// No live token: the subject holds no token of the client that expires after the
/// cut-off.
macro_rules! no_live_token {
    ($before:expr) => {
        sql::<Bool>(
            "NOT EXISTS (SELECT 1 FROM oauth2_tokens \
             WHERE oauth2_tokens.client_id = consent_grants.client_id \
             AND oauth2_tokens.subject = consent_grants.subject \
             AND oauth2_tokens.expires_at >= ",
        )
        .bind::<Timestamp, _>($before)
        .sql(")")
    };
}

/// Superseded: a consent of the same subject and client was handled later (a range of
/// `consent_grants_subject_client_idx`). Only in a SELECT: MySQL refuses a DELETE whose
/// subquery reads the table it deletes from (error 1093).
const SUPERSEDED: &str = "EXISTS (SELECT 1 FROM consent_grants newer \
     WHERE newer.subject = consent_grants.subject \
     AND newer.client_id = consent_grants.client_id \
     AND newer.handled_at > consent_grants.handled_at)";

/// A consent row is kept while anything can still use it:
/// - a remembered consent until `remember_until` (forever when `remember_for` was 0:
///   it skips the consent screen until revoked, as in Hydra);
/// - any consent while its authentication session lives: logout finds the relying
///   parties to notify (back- and front-channel) through the consents naming the `sid`;
/// - the subject's latest consent to a client while the subject holds an unexpired
///   token of that client: revoking the subject's consents revokes the tokens of the
///   clients it finds there, and one row per subject and client is enough to find
///   them. An unremembered consent superseded by a later one of the same subject and
///   client goes once its session has: without that, a user who signs in to the same
///   client every day keeps every day's row for as long as they hold a token, and the
///   janitor's scan over them grows with them.
///
/// Three passes, each a range of `consent_grants_retention_idx` (oldest first):
/// superseded unremembered consents, unremembered ones without a live token, then
/// remembered ones whose `remember_until` passed.
fn expired_consents(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    n: i64,
) -> QueryResult<ExpiredKeys> {
    let superseded: Vec<String> = consent_grants::table
        .select(consent_grants::id)
        .filter(consent_grants::remember.eq(false))
        .filter(consent_grants::handled_at.lt(before))
        .filter(no_live_session!(before))
        .filter(sql::<Bool>(SUPERSEDED))
        .limit(n)
        .load(conn)?;
    let mut left = n - i64::try_from(superseded.len()).unwrap_or(n);
    let mut keys: Vec<String> = Vec::new();
    if left > 0 {
        let mut found: Vec<String> = consent_grants::table
            .select(consent_grants::id)
            .filter(consent_grants::remember.eq(false))
            .filter(consent_grants::handled_at.lt(before))
            .filter(no_live_session!(before))
            .filter(no_live_token!(before))
            .limit(n)
            .load(conn)?;
        // A row may be both: it goes once, with the superseded ones (a set: a batch
        // holds up to MAX_BATCH keys).
        let taken: std::collections::HashSet<&str> =
            superseded.iter().map(String::as_str).collect();
        found.retain(|id| !taken.contains(id.as_str()));
        found.truncate(usize::try_from(left).unwrap_or(0));
        left -= i64::try_from(found.len()).unwrap_or(left);
        keys = found;
    }
    if left > 0 {
        keys.extend(
            consent_grants::table
                .select(consent_grants::id)
                .filter(consent_grants::remember.eq(true))
                .filter(consent_grants::remember_until.lt(before))
                .filter(consent_grants::handled_at.lt(before))
                .filter(no_live_session!(before))
                .filter(no_live_token!(before))
                .limit(left)
                .load::<String>(conn)?,
        );
    }
    Ok(ExpiredKeys { keys, superseded })
}

/// The consents of `slice` that are still unneeded: the conditions again, so a row that
/// became needed since the SELECT stays. A superseded row stays superseded (the later
/// consent goes only by a revocation that takes it as well, or by this janitor once
/// nothing needs the pair), so its check is the session's alone.
fn delete_consents(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    slice: &ExpiredKeys,
) -> QueryResult<usize> {
    let mut deleted = 0;
    if !slice.keys.is_empty() {
        deleted += diesel::delete(
            consent_grants::table
                .filter(consent_grants::id.eq_any(&slice.keys))
                .filter(no_live_session!(before))
                .filter(no_live_token!(before)),
        )
        .execute(conn)?;
    }
    if !slice.superseded.is_empty() {
        deleted += diesel::delete(
            consent_grants::table
                .filter(consent_grants::id.eq_any(&slice.superseded))
                .filter(consent_grants::remember.eq(false))
                .filter(no_live_session!(before)),
        )
        .execute(conn)?;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, SubsecRound};

    use super::*;
    use crate::client::model::Client;
    use crate::clock::{Clock, SystemClock};
    use crate::storage::flows::{ConsentGrant, ConsentStore};
    use crate::storage::{ClientStore, StoredToken, TokenKind, TokenStore};

    fn consent(id: &str, handled_at: DateTime<Utc>) -> ConsentGrant {
        ConsentGrant {
            id: id.to_owned(),
            subject: "alice".to_owned(),
            client_id: "c".to_owned(),
            login_session_id: None,
            granted_scope: Vec::new(),
            granted_audience: Vec::new(),
            remember: false,
            remember_until: None,
            handled_at: handled_at.trunc_subsecs(6),
            sealed_details: "sealed".to_owned(),
        }
    }

    fn live_token(now: DateTime<Utc>) -> StoredToken {
        StoredToken {
            signature_hash: format!("{:064x}", 1),
            kind: TokenKind::RefreshToken,
            family_id: "family".to_owned(),
            client_id: "c".to_owned(),
            subject: "alice".to_owned(),
            granted_scope: Vec::new(),
            granted_audience: Vec::new(),
            session: "sealed".to_owned(),
            request_data: None,
            issued_at: now,
            expires_at: now + Duration::hours(1),
            active: true,
            used_at: None,
            parent_family_id: None,
        }
    }

    /// The keys are found on a read connection and deleted by a later write: a consent
    /// that a new token made needed in between stays (the DELETE checks again), and one
    /// that a later consent supersedes goes all the same (superseded stays superseded).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_consent_needed_again_after_it_was_found_stays() {
        let dir = tempfile::tempdir().unwrap();
        let dsn = format!("sqlite://{}", dir.path().join("janitor.sqlite").display());
        let store = tokio::task::spawn_blocking(move || SqlStore::connect(&dsn))
            .await
            .unwrap()
            .unwrap();
        store.migrate_up().await.unwrap();
        let client = Client {
            client_id: "c".to_owned(),
            ..Client::default()
        };
        store.create_client(&client).await.unwrap();
        let now = SystemClock.now();
        store
            .insert_consent(&consent("older", now - Duration::hours(3)))
            .await
            .unwrap();
        store
            .insert_consent(&consent("latest", now - Duration::hours(2)))
            .await
            .unwrap();
        let before = to_column(now);

        let found = store
            .run(move |conn| {
                expired_keys(conn, ExpiredKind::Consents, before, 10).map_err(map_diesel)
            })
            .await
            .unwrap();
        assert_eq!(found.superseded, ["older"]);
        assert_eq!(found.keys, ["latest"]);

        store.insert_tokens(&[live_token(now)]).await.unwrap();
        let mut deleted = 0;
        for slice in found.slices() {
            deleted += store
                .write(move |conn| {
                    delete_keys(conn, ExpiredKind::Consents, before, &slice).map_err(map_diesel)
                })
                .await
                .unwrap();
        }
        assert_eq!(deleted, 1, "only the superseded consent goes");
        let left = store
            .run(|conn| {
                consent_grants::table
                    .select(consent_grants::id)
                    .load::<String>(conn)
                    .map_err(map_diesel)
            })
            .await
            .unwrap();
        assert_eq!(left, ["latest"]);
    }
}

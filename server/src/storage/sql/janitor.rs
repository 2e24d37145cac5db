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

use std::time::{Duration, Instant};

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
    /// flows, which may hold a few steps each). `batch` is cut to [`MAX_BATCH`]. On an
    /// SQLite server it queues behind the request writes on the writer thread, so a
    /// batch never waits for SQLite's file lock against them.
    ///
    /// A batch deletes in slices of [`SLICE`] keys and stops after the slice that
    /// reaches [`HOLD`], so it may return fewer than `batch` rows with more left. Why:
    /// on SQLite the batch runs inside the writer's group commit, and every request
    /// write of that group waits for it; 1,000 token rows took ~60 ms under load, and
    /// the soak's janitor runs each minute lifted the token endpoint's p99 with them
    /// (docs/benchmarks.md, "The soak"). Elsewhere it bounds how long a batch holds its
    /// row locks the same way.
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
        self.write(move |conn| {
            let started = Instant::now();
            let mut deleted = 0i64;
            while deleted < n {
                let slice = (n - deleted).min(SLICE);
                let rows = delete_batch(conn, kind, before, slice).map_err(map_diesel)?;
                let rows = i64::try_from(rows).unwrap_or(i64::MAX);
                deleted = deleted.saturating_add(rows);
                // Fewer than asked: nothing left (flow steps count rows, not flows, so a
                // slice may also return more; the next batch then finds nothing).
                if rows < slice || started.elapsed() >= HOLD {
                    break;
                }
            }
            Ok(count(usize::try_from(deleted).unwrap_or(usize::MAX)))
        })
        .await
    }
}

/// Keys one statement of a janitor batch deletes at most: a few milliseconds of the
/// writer at SQLite's ~60 µs per token row under load.
const SLICE: i64 = 100;

/// How long a janitor batch goes on taking slices: past it, the batch ends after the
/// slice under way, and the request writes waiting behind it go first.
const HOLD: Duration = Duration::from_millis(5);

/// One batch of `kind` (the statements of [`SqlStore::delete_expired_batch`]).
pub(super) fn delete_batch(
    conn: &mut DbConnection,
    kind: ExpiredKind,
    before: NaiveDateTime,
    n: i64,
) -> QueryResult<usize> {
    match kind {
        ExpiredKind::Tokens => {
            let keys: Vec<String> = oauth2_tokens::table
                .select(oauth2_tokens::signature_hash)
                .filter(oauth2_tokens::expires_at.lt(before))
                .limit(n)
                .load(conn)?;
            if keys.is_empty() {
                return Ok(0);
            }
            diesel::delete(oauth2_tokens::table.filter(oauth2_tokens::signature_hash.eq_any(&keys)))
                .execute(conn)
        }
        ExpiredKind::FlowSteps => {
            let keys: Vec<String> = oauth2_flow_steps::table
                .select(oauth2_flow_steps::flow_id)
                .filter(oauth2_flow_steps::expires_at.lt(before))
                .limit(n)
                .load(conn)?;
            if keys.is_empty() {
                return Ok(0);
            }
            diesel::delete(
                oauth2_flow_steps::table
                    .filter(oauth2_flow_steps::flow_id.eq_any(&keys))
                    .filter(oauth2_flow_steps::expires_at.lt(before)),
            )
            .execute(conn)
        }
        ExpiredKind::LoginSessions => {
            let keys: Vec<String> = authentication_sessions::table
                .select(authentication_sessions::id)
                .filter(authentication_sessions::expires_at.lt(before))
                .limit(n)
                .load(conn)?;
            if keys.is_empty() {
                return Ok(0);
            }
            diesel::delete(
                authentication_sessions::table.filter(authentication_sessions::id.eq_any(&keys)),
            )
            .execute(conn)
        }
        ExpiredKind::Jti => {
            let keys: Vec<String> = oauth2_jti::table
                .select(oauth2_jti::id)
                .filter(oauth2_jti::expires_at.lt(before))
                .limit(n)
                .load(conn)?;
            if keys.is_empty() {
                return Ok(0);
            }
            diesel::delete(oauth2_jti::table.filter(oauth2_jti::id.eq_any(&keys))).execute(conn)
        }
        ExpiredKind::PushedRequests => {
            let keys: Vec<String> = oauth2_pushed_requests::table
                .select(oauth2_pushed_requests::id)
                .filter(oauth2_pushed_requests::expires_at.lt(before))
                .limit(n)
                .load(conn)?;
            if keys.is_empty() {
                return Ok(0);
            }
            diesel::delete(
                oauth2_pushed_requests::table.filter(oauth2_pushed_requests::id.eq_any(&keys)),
            )
            .execute(conn)
        }
        ExpiredKind::Consents => delete_consent_batch(conn, before, n),
        ExpiredKind::DeviceCodes => {
            let keys: Vec<String> = oauth2_device_codes::table
                .select(oauth2_device_codes::device_code_key)
                .filter(oauth2_device_codes::expires_at.lt(before))
                .limit(n)
                .load(conn)?;
            if keys.is_empty() {
                return Ok(0);
            }
            diesel::delete(
                oauth2_device_codes::table
                    .filter(oauth2_device_codes::device_code_key.eq_any(&keys)),
            )
            .execute(conn)
        }
        ExpiredKind::DeviceAttempts => {
            let keys: Vec<String> = oauth2_device_attempts::table
                .select(oauth2_device_attempts::challenge_id)
                .filter(oauth2_device_attempts::expires_at.lt(before))
                .limit(n)
                .load(conn)?;
            if keys.is_empty() {
                return Ok(0);
            }
            diesel::delete(
                oauth2_device_attempts::table
                    .filter(oauth2_device_attempts::challenge_id.eq_any(&keys)),
            )
            .execute(conn)
        }
        ExpiredKind::TrustRelationships => {
            use oauth2_trusted_jwt_issuers as trusts;
            let keys: Vec<String> = trusts::table
                .select(trusts::id)
                .filter(trusts::expires_at.lt(before))
                .limit(n)
                .load(conn)?;
            if keys.is_empty() {
                return Ok(0);
            }
            diesel::delete(trusts::table.filter(trusts::id.eq_any(&keys))).execute(conn)
        }
        ExpiredKind::InitialAccessTokens => delete_initial_access_token_batch(conn, before, n),
        ExpiredKind::DeliveredEvents => {
            // `delivered_at` is NULL until delivery: NULL < x is never true.
            let ids: Vec<String> = event_outbox::table
                .select(event_outbox::id)
                .filter(event_outbox::delivered_at.lt(before))
                .limit(n)
                .load(conn)?;
            if ids.is_empty() {
                return Ok(0);
            }
            diesel::delete(event_outbox::table.filter(event_outbox::id.eq_any(&ids))).execute(conn)
        }
        ExpiredKind::IdempotencyKeys => {
            use event_idempotency_keys as keys_table;
            let keys: Vec<String> = keys_table::table
                .select(keys_table::idempotency_key)
                .filter(keys_table::created_at.lt(before))
                .limit(n)
                .load(conn)?;
            if keys.is_empty() {
                return Ok(0);
            }
            diesel::delete(keys_table::table.filter(keys_table::idempotency_key.eq_any(&keys)))
                .execute(conn)
        }
    }
}

/// Initial access tokens that can register no client any more: expired before the
/// cut-off, or created before it and used up. A used-up token whose registration fails
/// afterwards gets its use back (`return_initial_access_token_use`); one the janitor
/// took meanwhile stays gone, and the operator creates another.
fn delete_initial_access_token_batch(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    n: i64,
) -> QueryResult<usize> {
    use oauth2_initial_access_tokens as iat;
    let used_up = iat::max_uses
        .is_not_null()
        .and(iat::uses.nullable().ge(iat::max_uses))
        .and(iat::created_at.lt(before));
    let deletable = iat::expires_at.lt(before).or(used_up);
    let keys: Vec<String> = iat::table
        .select(iat::id)
        .filter(deletable)
        .limit(n)
        .load(conn)?;
    if keys.is_empty() {
        return Ok(0);
    }
    diesel::delete(iat::table.filter(iat::id.eq_any(&keys))).execute(conn)
}

/// A consent row is kept while anything can still use it:
/// - a remembered consent until `remember_until` (forever when `remember_for` was 0:
///   it skips the consent screen until revoked, as in Hydra);
/// - any consent while its authentication session lives: logout finds the relying
///   parties to notify (back- and front-channel) through the consents naming the `sid`;
/// - any consent while the subject holds an unexpired token of the client: revoking the
///   subject's consents to all clients revokes the tokens of the clients it finds here.
///
/// Two passes, each a range of `consent_grants_retention_idx`: unremembered consents
/// (oldest first), then remembered ones whose `remember_until` passed.
fn delete_consent_batch(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    n: i64,
) -> QueryResult<usize> {
    // Correlated NOT EXISTS: diesel's typed DSL has no correlated subqueries. The same
    // text runs on all three backends; the joined columns share type and collation.
    let no_live_session = || {
        sql::<Bool>(
            "NOT EXISTS (SELECT 1 FROM authentication_sessions \
             WHERE authentication_sessions.id = consent_grants.login_session_id \
             AND authentication_sessions.expires_at >= ",
        )
        .bind::<Timestamp, _>(before)
        .sql(")")
    };
    let no_live_token = || {
        sql::<Bool>(
            "NOT EXISTS (SELECT 1 FROM oauth2_tokens \
             WHERE oauth2_tokens.client_id = consent_grants.client_id \
             AND oauth2_tokens.subject = consent_grants.subject \
             AND oauth2_tokens.expires_at >= ",
        )
        .bind::<Timestamp, _>(before)
        .sql(")")
    };
    let mut keys: Vec<String> = consent_grants::table
        .select(consent_grants::id)
        .filter(consent_grants::remember.eq(false))
        .filter(consent_grants::handled_at.lt(before))
        .filter(no_live_session())
        .filter(no_live_token())
        .limit(n)
        .load(conn)?;
    let left = n - i64::try_from(keys.len()).unwrap_or(n);
    if left > 0 {
        keys.extend(
            consent_grants::table
                .select(consent_grants::id)
                .filter(consent_grants::remember.eq(true))
                .filter(consent_grants::remember_until.lt(before))
                .filter(consent_grants::handled_at.lt(before))
                .filter(no_live_session())
                .filter(no_live_token())
                .limit(left)
                .load::<String>(conn)?,
        );
    }
    if keys.is_empty() {
        return Ok(0);
    }
    // The conditions again: a row that became needed since the SELECT stays.
    diesel::delete(
        consent_grants::table
            .filter(consent_grants::id.eq_any(&keys))
            .filter(no_live_session())
            .filter(no_live_token()),
    )
    .execute(conn)
}

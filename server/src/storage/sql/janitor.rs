//! Batched deletion of expired rows for `portunus janitor`: tokens, used flow steps,
//! authentication sessions and client-assertion ids past their expiry.
//!
//! Each batch selects at most `batch` keys of expired rows and deletes them by key, in
//! its own statement, so a janitor run over millions of rows never holds one huge write
//! transaction (SQLite has one writer; PostgreSQL and MySQL would hold row locks and
//! bloat the undo/WAL). Selecting keys first, rather than `DELETE … LIMIT` or
//! `IN (SELECT … LIMIT)`, is the form all three backends accept.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{authentication_sessions, oauth2_flow_steps, oauth2_jti, oauth2_tokens};
use super::{SqlStore, count, map_diesel, to_column};
use crate::storage::StorageError;

/// What the janitor can clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiredKind {
    /// Opaque tokens (access, refresh, authorization codes) past `expires_at`.
    Tokens,
    /// Recorded single-use login/consent/logout steps past their flow's expiry.
    FlowSteps,
    /// Authentication (login) sessions past `expires_at`.
    LoginSessions,
    /// Used client-assertion ids past the assertion's `exp`.
    Jti,
}

impl ExpiredKind {
    pub const ALL: [Self; 4] = [
        Self::Tokens,
        Self::FlowSteps,
        Self::LoginSessions,
        Self::Jti,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tokens => "tokens",
            Self::FlowSteps => "flow steps",
            Self::LoginSessions => "authentication sessions",
            Self::Jti => "client assertion ids",
        }
    }
}

/// The largest batch: the keys of a batch are bound as parameters of one `DELETE`, and
/// SQLite binds at most 32,766 per statement (PostgreSQL and MySQL 65,535).
pub const MAX_BATCH: usize = 30_000;

fn limit(batch: usize) -> i64 {
    i64::try_from(batch.clamp(1, MAX_BATCH)).unwrap_or(1)
}

impl SqlStore {
    /// Deletes at most `batch` rows of `kind` that expired strictly before `before`;
    /// returns how many it deleted. Call it until it returns 0 (for flow steps a batch
    /// is `batch` flows, which may hold a few steps each). `batch` is cut to
    /// [`MAX_BATCH`].
    pub async fn delete_expired_batch(
        &self,
        kind: ExpiredKind,
        before: DateTime<Utc>,
        batch: usize,
    ) -> Result<u64, StorageError> {
        let before = to_column(before);
        let n = limit(batch);
        self.run(move |conn| {
            delete_batch(conn, kind, before, n)
                .map(count)
                .map_err(map_diesel)
        })
        .await
    }
}

fn delete_batch(
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
    }
}

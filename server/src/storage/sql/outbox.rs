//! `EventOutbox` on SQL, and the outbox insert the reporting writes share
//! ([`insert_outbox`], [`reporting_change`]).
//!
//! A claim is one transaction: select the due heads of their aggregates (no older
//! undelivered event of the same `aggregate_key`), lease them, read them back.
//! PostgreSQL and MySQL select with `FOR UPDATE SKIP LOCKED`, so nodes claiming at once
//! take different rows instead of waiting for each other; SQLite has one writer (the
//! claim runs on the writer thread, `writer.rs`). A lease that expires (a node killed
//! mid-delivery) makes its events due again: delivery is at least once.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Bool;

use super::connection::DbConnection;
use super::schema::{event_idempotency_keys, event_outbox};
use super::{ExpiredKind, SqlStore, map_diesel, to_column};
use crate::storage::StorageError;
use crate::storage::outbox::{ClaimedEvent, Enqueued, EventOutbox, OutboxEvent};

/// Rows one purge batch deletes at most.
const MAX_PURGE_BATCH: usize = 10_000;

/// No older event of the row's aggregate is undelivered: the per-aggregate order.
/// Written as SQL since diesel's DSL has no correlated subquery; the outer table is
/// named unquoted, which all three backends accept.
const HEAD_OF_AGGREGATE: &str = "NOT EXISTS (SELECT 1 FROM event_outbox older \
     WHERE older.aggregate_key = event_outbox.aggregate_key \
     AND older.delivered_at IS NULL AND older.id < event_outbox.id)";

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = event_outbox)]
#[diesel(treat_none_as_default_value = false)]
pub(super) struct OutboxRow {
    pub(super) id: String,
    pub(super) aggregate_key: String,
    pub(super) event_type: String,
    pub(super) envelope: String,
    pub(super) created_at: NaiveDateTime,
    pub(super) attempts: i32,
    pub(super) next_attempt_at: NaiveDateTime,
    pub(super) lease_owner: Option<String>,
    pub(super) lease_until: Option<NaiveDateTime>,
    pub(super) delivered_at: Option<NaiveDateTime>,
}

impl OutboxRow {
    /// A new row, due at once.
    pub(super) fn new(event: &OutboxEvent) -> Self {
        let created_at = to_column(event.created_at);
        Self {
            id: event.id.clone(),
            aggregate_key: event.aggregate_key.clone(),
            event_type: event.event_type.clone(),
            envelope: event.envelope.clone(),
            created_at,
            attempts: 0,
            next_attempt_at: created_at,
            lease_owner: None,
            lease_until: None,
            delivered_at: None,
        }
    }

    fn into_claimed(self) -> ClaimedEvent {
        ClaimedEvent {
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            event: self.into_event(),
        }
    }

    fn into_event(self) -> OutboxEvent {
        OutboxEvent {
            id: self.id,
            aggregate_key: self.aggregate_key,
            event_type: self.event_type,
            envelope: self.envelope,
            created_at: self.created_at.and_utc(),
        }
    }
}

/// Rows for `events`.
pub(super) fn outbox_rows(events: &[OutboxEvent]) -> Vec<OutboxRow> {
    events.iter().map(OutboxRow::new).collect()
}

/// Inserts outbox rows one statement each (a multi-row `INSERT` is not one form on all
/// backends) with the caller's connection, so inside its transaction; a native
/// connection or `DbConnection` alike (see `on_native!`). Returns the rows inserted.
macro_rules! insert_outbox {
    ($conn:expr, $rows:expr) => {
        $rows.iter().try_fold(0_usize, |n, row| {
            diesel::insert_into($crate::storage::sql::schema::event_outbox::table)
                .values(row)
                .execute(&mut *$conn)
                .map(|one| n.saturating_add(one))
        })
    };
}
pub(super) use insert_outbox;

/// Runs `change`, which returns how many rows it changed, and inserts `events` in the
/// same transaction when it changed any: a reporting write that changed nothing
/// reports nothing, and a failed one rolls its events back. Without events `change`
/// runs alone, as the write did before events existed (one statement is atomic).
pub(super) fn reporting_change(
    conn: &mut DbConnection,
    events: &[OutboxRow],
    change: impl FnOnce(&mut DbConnection) -> QueryResult<usize>,
) -> QueryResult<usize> {
    if events.is_empty() {
        return change(conn);
    }
    conn.transaction(|conn| change_then_report(conn, events, change))
}

/// The body of [`reporting_change`]'s transaction, for a caller that opens it itself:
/// `change`, then `events` when it changed any row.
pub(super) fn change_then_report(
    conn: &mut DbConnection,
    events: &[OutboxRow],
    change: impl FnOnce(&mut DbConnection) -> QueryResult<usize>,
) -> QueryResult<usize> {
    let changed = change(conn)?;
    if changed > 0 && !events.is_empty() {
        insert_outbox!(conn, events)?;
    }
    Ok(changed)
}

/// The ids of at most `n` due heads of their aggregates, oldest first.
macro_rules! due_heads {
    ($now:expr, $n:expr) => {
        event_outbox::table
            .select(event_outbox::id)
            .filter(event_outbox::delivered_at.is_null())
            .filter(event_outbox::next_attempt_at.le($now))
            .filter(
                event_outbox::lease_until
                    .is_null()
                    .or(event_outbox::lease_until.lt($now)),
            )
            .filter(sql::<Bool>(HEAD_OF_AGGREGATE))
            .order(event_outbox::id.asc())
            .limit($n)
    };
}

fn claim(
    conn: &mut DbConnection,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
    n: i64,
) -> QueryResult<Vec<OutboxRow>> {
    conn.transaction(|conn| {
        let ids: Vec<String> = match conn {
            DbConnection::Postgresql(c) => due_heads!(now, n).for_update().skip_locked().load(c)?,
            DbConnection::Mysql(c) => due_heads!(now, n).for_update().skip_locked().load(c)?,
            DbConnection::Sqlite(c) => due_heads!(now, n).load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(event_outbox::table.filter(event_outbox::id.eq_any(&ids)))
            .set((
                event_outbox::lease_owner.eq(Some(owner)),
                event_outbox::lease_until.eq(Some(until)),
            ))
            .execute(conn)?;
        event_outbox::table
            .filter(event_outbox::id.eq_any(&ids))
            .order(event_outbox::id.asc())
            .select(OutboxRow::as_select())
            .load(conn)
    })
}

/// Event `id` while `owner` holds its lease and it is undelivered: the only row a
/// delivery's outcome (delivered, or retry later) may change, so that an outcome that
/// arrives after the lease expired and another node took the event changes nothing.
#[diesel::dsl::auto_type]
fn leased_undelivered(id: String, owner: String) -> _ {
    event_outbox::table
        .find(id)
        .filter(event_outbox::lease_owner.eq(owner))
        .filter(event_outbox::delivered_at.is_null())
}

#[async_trait]
impl EventOutbox for SqlStore {
    async fn enqueue(&self, event: &OutboxEvent) -> Result<(), StorageError> {
        let row = OutboxRow::new(event);
        self.write(move |conn| {
            diesel::insert_into(event_outbox::table)
                .values(&row)
                .execute(conn)
                .map(drop)
                .map_err(map_diesel)
        })
        .await
    }

    async fn enqueue_idempotent(
        &self,
        key: &str,
        event: &OutboxEvent,
    ) -> Result<Enqueued, StorageError> {
        let key = key.to_owned();
        let row = OutboxRow::new(event);
        let recorded = (
            event_idempotency_keys::idempotency_key.eq(key.clone()),
            event_idempotency_keys::event_id.eq(event.id.clone()),
            event_idempotency_keys::created_at.eq(row.created_at),
        );
        self.write(move |conn| {
            let queued = conn.transaction(|conn| {
                diesel::insert_into(event_idempotency_keys::table)
                    .values(recorded.clone())
                    .execute(conn)?;
                diesel::insert_into(event_outbox::table)
                    .values(&row)
                    .execute(conn)
            });
            match queued {
                Ok(_) => Ok(Enqueued::Queued),
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                    let seen: Vec<String> = event_idempotency_keys::table
                        .find(key.clone())
                        .select(event_idempotency_keys::event_id)
                        .load(conn)
                        .map_err(map_diesel)?;
                    seen.into_iter()
                        .next()
                        .map(Enqueued::Duplicate)
                        .ok_or_else(|| {
                            StorageError::Conflict(
                                "an event with this id already exists".to_owned(),
                            )
                        })
                }
                Err(other) => Err(map_diesel(other)),
            }
        })
        .await
    }

    async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ClaimedEvent>, StorageError> {
        let owner = owner.to_owned();
        let (now, until) = (to_column(now), to_column(lease_until));
        let n = i64::try_from(limit.max(1)).unwrap_or(1);
        let rows = self
            .write(move |conn| claim(conn, &owner, now, until, n).map_err(map_diesel))
            .await?;
        Ok(rows.into_iter().map(OutboxRow::into_claimed).collect())
    }

    async fn mark_delivered(
        &self,
        id: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let (id, owner, at) = (id.to_owned(), owner.to_owned(), to_column(at));
        self.write(move |conn| {
            diesel::update(leased_undelivered(id.clone(), owner.clone()))
                .set((
                    event_outbox::delivered_at.eq(Some(at)),
                    event_outbox::lease_owner.eq(None::<String>),
                    event_outbox::lease_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)
                .map(|changed| changed == 1)
                .map_err(map_diesel)
        })
        .await
    }

    async fn mark_all_delivered(
        &self,
        ids: &[String],
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, StorageError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let (ids, owner, at) = (ids.to_vec(), owner.to_owned(), to_column(at));
        self.write(move |conn| {
            diesel::update(
                event_outbox::table
                    .filter(event_outbox::id.eq_any(&ids))
                    .filter(event_outbox::lease_owner.eq(&owner))
                    .filter(event_outbox::delivered_at.is_null()),
            )
            .set((
                event_outbox::delivered_at.eq(Some(at)),
                event_outbox::lease_owner.eq(None::<String>),
                event_outbox::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
            .map_err(map_diesel)
        })
        .await
    }

    async fn retry_later(
        &self,
        id: &str,
        owner: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let (id, owner, next) = (id.to_owned(), owner.to_owned(), to_column(next_attempt_at));
        self.write(move |conn| {
            diesel::update(leased_undelivered(id.clone(), owner.clone()))
                .set((
                    event_outbox::attempts.eq(event_outbox::attempts + 1),
                    event_outbox::next_attempt_at.eq(next),
                    event_outbox::lease_owner.eq(None::<String>),
                    event_outbox::lease_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)
                .map(|changed| changed == 1)
                .map_err(map_diesel)
        })
        .await
    }

    async fn pending_count(&self) -> Result<u64, StorageError> {
        self.run(|conn| {
            event_outbox::table
                .filter(event_outbox::delivered_at.is_null())
                .count()
                .get_result::<i64>(conn)
                .map(|n| u64::try_from(n).unwrap_or(0))
                .map_err(map_diesel)
        })
        .await
    }

    async fn recent(&self, limit: usize) -> Result<Vec<OutboxEvent>, StorageError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |conn| {
            // Ids are UUIDv7: descending id order is newest first.
            event_outbox::table
                .order(event_outbox::id.desc())
                .limit(limit)
                .select(OutboxRow::as_select())
                .load::<OutboxRow>(conn)
                .map(|rows| rows.into_iter().map(OutboxRow::into_event).collect())
                .map_err(map_diesel)
        })
        .await
    }
}

impl SqlStore {
    /// Deletes at most `batch` events delivered strictly before `before` (the janitor,
    /// after `events.retention`); returns how many. Call it until it returns 0.
    /// Undelivered events are never deleted.
    pub async fn delete_delivered_events_batch(
        &self,
        before: DateTime<Utc>,
        batch: usize,
    ) -> Result<u64, StorageError> {
        self.purge_batch(ExpiredKind::DeliveredEvents, before, batch)
            .await
    }

    /// Deletes at most `batch` ingest idempotency keys recorded strictly before
    /// `before`; returns how many. Call it until it returns 0.
    pub async fn delete_idempotency_keys_batch(
        &self,
        before: DateTime<Utc>,
        batch: usize,
    ) -> Result<u64, StorageError> {
        self.purge_batch(ExpiredKind::IdempotencyKeys, before, batch)
            .await
    }

    /// The janitor's batch for the two event tables, with `before` as the cut-off.
    async fn purge_batch(
        &self,
        kind: ExpiredKind,
        before: DateTime<Utc>,
        batch: usize,
    ) -> Result<u64, StorageError> {
        self.delete_expired_batch(
            kind,
            before,
            std::time::Duration::ZERO,
            batch.clamp(1, MAX_PURGE_BATCH),
        )
        .await
    }
}

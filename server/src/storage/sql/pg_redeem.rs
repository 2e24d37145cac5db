//! A code exchange on PostgreSQL as one statement (issue 20, "fewer commits per flow").
//!
//! `redeem` in `tokens.rs` is a transaction of six round trips on PostgreSQL: `BEGIN`,
//! the families' advisory locks, the claim (`UPDATE … WHERE active`), one `INSERT` per
//! token, `COMMIT`. Where it has no grace period and revokes no access tokens (the
//! authorization code grant, RFC 6749 §4.1.3), the same steps fit one statement of
//! data-modifying `WITH` queries, run as its own transaction:
//!
//! 1. `locked` takes the families' transaction-scoped advisory locks, in the caller's
//!    sorted order. `claimed`'s condition counts its rows, an uncorrelated subquery
//!    that PostgreSQL evaluates once (an InitPlan) before its `UPDATE` locks a row, so
//!    the locks are held before the claim, as in the transaction.
//! 2. `claimed` is the compare-and-set. Its snapshot may predate the wait for a lock;
//!    a row changed since by a committed transaction (a revocation that held the lock)
//!    is re-read at its latest version and its condition checked again (READ
//!    COMMITTED's re-check of an `UPDATE`), so a token revoked meanwhile is not claimed.
//! 3. The tokens and the outbox rows are inserted only `WHERE EXISTS (SELECT 1 FROM
//!    claimed)`. A conflict fails the whole statement, which rolls back the claim too.
//!
//! The statement reads nothing else, so its early snapshot cannot hide a row it needed
//! (the refresh grant, whose revocation of the family's access tokens must see rows a
//! rotation committed while it waited for the lock, keeps the transaction). Its text is
//! fixed whatever the number of rows (the rows travel as arrays), so diesel prepares it
//! once per connection. `SELECT 1 FROM claimed` makes the affected-row count the
//! claim's: 1 when this call redeemed the token, 0 when it did not.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text, Timestamp};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

use chrono::NaiveDateTime;

use super::outbox::OutboxRow;
use super::tokens::{FAMILY_LOCK_SPACE, TokenRow};

/// The tokens' columns, one array each, in the order of the `INSERT`'s column list.
#[derive(Default)]
struct TokenColumns {
    signature_hash: Vec<String>,
    kind: Vec<String>,
    family_id: Vec<String>,
    client_id: Vec<String>,
    subject: Vec<String>,
    granted_scope: Vec<String>,
    granted_audience: Vec<String>,
    session: Vec<String>,
    request_data: Vec<Option<String>>,
    issued_at: Vec<NaiveDateTime>,
    expires_at: Vec<NaiveDateTime>,
    active: Vec<bool>,
    used_at: Vec<Option<NaiveDateTime>>,
    parent_family_id: Vec<Option<String>>,
}

/// The outbox rows' columns, one array each, in the order of the `INSERT`'s column list.
#[derive(Default)]
struct EventColumns {
    id: Vec<String>,
    aggregate_key: Vec<String>,
    event_type: Vec<String>,
    envelope: Vec<String>,
    created_at: Vec<NaiveDateTime>,
    attempts: Vec<i32>,
    next_attempt_at: Vec<NaiveDateTime>,
    lease_owner: Vec<Option<String>>,
    lease_until: Vec<Option<NaiveDateTime>>,
    delivered_at: Vec<Option<NaiveDateTime>>,
}

/// The statement; see the module's comment.
pub(super) struct RedeemStatement<'a> {
    /// Sorted and without duplicates: two statements lock shared families in one order.
    families: &'a [String],
    at: NaiveDateTime,
    signature_hash: &'a str,
    kind: &'a str,
    tokens: TokenColumns,
    events: EventColumns,
}

impl<'a> RedeemStatement<'a> {
    pub(super) fn new(
        families: &'a [String],
        kind: &'a str,
        signature_hash: &'a str,
        at: NaiveDateTime,
        rows: &[TokenRow],
        events: &[OutboxRow],
    ) -> Self {
        let mut tokens = TokenColumns::default();
        for row in rows {
            tokens.signature_hash.push(row.signature_hash.clone());
            tokens.kind.push(row.kind.clone());
            tokens.family_id.push(row.family_id.clone());
            tokens.client_id.push(row.client_id.clone());
            tokens.subject.push(row.subject.clone());
            tokens.granted_scope.push(row.granted_scope.clone());
            tokens.granted_audience.push(row.granted_audience.clone());
            tokens.session.push(row.session.clone());
            tokens.request_data.push(row.request_data.clone());
            tokens.issued_at.push(row.issued_at);
            tokens.expires_at.push(row.expires_at);
            tokens.active.push(row.active);
            tokens.used_at.push(row.used_at);
            tokens.parent_family_id.push(row.parent_family_id.clone());
        }
        let mut columns = EventColumns::default();
        for event in events {
            columns.id.push(event.id.clone());
            columns.aggregate_key.push(event.aggregate_key.clone());
            columns.event_type.push(event.event_type.clone());
            columns.envelope.push(event.envelope.clone());
            columns.created_at.push(event.created_at);
            columns.attempts.push(event.attempts);
            columns.next_attempt_at.push(event.next_attempt_at);
            columns.lease_owner.push(event.lease_owner.clone());
            columns.lease_until.push(event.lease_until);
            columns.delivered_at.push(event.delivered_at);
        }
        Self {
            families,
            at,
            signature_hash,
            kind,
            tokens,
            events: columns,
        }
    }

    /// Runs the statement; `true` when this call redeemed the token (and stored the
    /// rows).
    pub(super) fn run(self, conn: &mut PgConnection) -> QueryResult<bool> {
        self.execute(conn).map(|claimed| claimed == 1)
    }
}

/// Binds `values` as one array parameter, then `after` (its cast and a separator).
fn array<'b, T, U>(out: &mut AstPass<'_, 'b, Pg>, values: &'b U, after: &str) -> QueryResult<()>
where
    Pg: HasSqlType<T>,
    U: ToSql<T, Pg> + ?Sized,
{
    out.push_bind_param::<T, U>(values)?;
    out.push_sql(after);
    Ok(())
}

impl QueryId for RedeemStatement<'_> {
    type QueryId = RedeemStatement<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Conn> RunQueryDsl<Conn> for RedeemStatement<'_> {}

impl QueryFragment<Pg> for RedeemStatement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let t = &self.tokens;
        let e = &self.events;
        // The key of `tokens.rs`'s `LOCK_FAMILY_SQL`, so that this statement and a
        // revocation of the family exclude each other.
        out.push_sql("WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(");
        out.push_bind_param::<Integer, _>(&FAMILY_LOCK_SPACE)?;
        out.push_sql(", hashtext(family)) FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(self.families)?;
        out.push_sql(
            "::text[]) AS family), claimed AS (UPDATE oauth2_tokens SET active = false, used_at = ",
        );
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(" WHERE signature_hash = ");
        out.push_bind_param::<Text, _>(self.signature_hash)?;
        out.push_sql(" AND kind = ");
        out.push_bind_param::<Text, _>(self.kind)?;
        // count(*) reads every row of `locked`, so every family is locked (an EXISTS
        // would stop after the first); > 0 holds since the caller locks at least one.
        out.push_sql(
            " AND active AND (SELECT count(*) FROM locked) > 0 RETURNING 1), \
             tokens AS (INSERT INTO oauth2_tokens (signature_hash, kind, family_id, \
             client_id, subject, granted_scope, granted_audience, session, request_data, \
             issued_at, expires_at, active, used_at, parent_family_id) SELECT * FROM unnest(",
        );
        array::<Array<Text>, _>(&mut out, &t.signature_hash, "::text[], ")?;
        array::<Array<Text>, _>(&mut out, &t.kind, "::text[], ")?;
        array::<Array<Text>, _>(&mut out, &t.family_id, "::text[], ")?;
        array::<Array<Text>, _>(&mut out, &t.client_id, "::text[], ")?;
        array::<Array<Text>, _>(&mut out, &t.subject, "::text[], ")?;
        array::<Array<Text>, _>(&mut out, &t.granted_scope, "::text[], ")?;
        array::<Array<Text>, _>(&mut out, &t.granted_audience, "::text[], ")?;
        array::<Array<Text>, _>(&mut out, &t.session, "::text[], ")?;
        array::<Array<Nullable<Text>>, _>(&mut out, &t.request_data, "::text[], ")?;
        array::<Array<Timestamp>, _>(&mut out, &t.issued_at, "::timestamp[], ")?;
        array::<Array<Timestamp>, _>(&mut out, &t.expires_at, "::timestamp[], ")?;
        array::<Array<Bool>, _>(&mut out, &t.active, "::bool[], ")?;
        array::<Array<Nullable<Timestamp>>, _>(&mut out, &t.used_at, "::timestamp[], ")?;
        out.push_bind_param::<Array<Nullable<Text>>, _>(&t.parent_family_id)?;
        out.push_sql(
            "::text[]) WHERE EXISTS (SELECT 1 FROM claimed) RETURNING 1), \
             events AS (INSERT INTO event_outbox (id, aggregate_key, event_type, envelope, \
             created_at, attempts, next_attempt_at, lease_owner, lease_until, delivered_at) \
             SELECT * FROM unnest(",
        );
        array::<Array<Text>, _>(&mut out, &e.id, "::text[], ")?;
        array::<Array<Text>, _>(&mut out, &e.aggregate_key, "::text[], ")?;
        array::<Array<Text>, _>(&mut out, &e.event_type, "::text[], ")?;
        array::<Array<Text>, _>(&mut out, &e.envelope, "::text[], ")?;
        array::<Array<Timestamp>, _>(&mut out, &e.created_at, "::timestamp[], ")?;
        array::<Array<Integer>, _>(&mut out, &e.attempts, "::int[], ")?;
        array::<Array<Timestamp>, _>(&mut out, &e.next_attempt_at, "::timestamp[], ")?;
        array::<Array<Nullable<Text>>, _>(&mut out, &e.lease_owner, "::text[], ")?;
        array::<Array<Nullable<Timestamp>>, _>(&mut out, &e.lease_until, "::timestamp[], ")?;
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&e.delivered_at)?;
        out.push_sql(
            "::timestamp[]) WHERE EXISTS (SELECT 1 FROM claimed) RETURNING 1) \
             SELECT 1 FROM claimed",
        );
        Ok(())
    }
}

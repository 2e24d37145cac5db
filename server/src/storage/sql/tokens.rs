//! `TokenStore` on SQL. Multi-row writes run in one transaction; the compare-and-set of
//! `mark_used` is one `UPDATE … WHERE active` whose affected-row count says who won:
//! PostgreSQL and MySQL re-check the condition after waiting for a concurrent writer's
//! row lock, SQLite has one writer at a time. (MySQL reports matched rather than changed
//! rows, see `clients.rs`; the `active` condition makes the two the same here.)
//!
//! Revocation and rotation of one family serialise on PostgreSQL through a
//! transaction-scoped advisory lock on the family ([`lock_families`]).

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Integer, Text};

use std::sync::LazyLock;

use tracing::Instrument;

use super::connection::{DbConnection, on_native};
use super::outbox::{insert_outbox, outbox_rows};
use super::pg_reads::column;
use super::pg_redeem::RedeemStatement;
use super::schema::oauth2_tokens;
use super::{SqlStore, by_key, count, map_diesel, to_column};
use crate::storage::{OutboxEvent, StorageError, StoredToken, TokenKind, TokenStore};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth2_tokens)]
// NULL is bound rather than written as DEFAULT, so the INSERT's text never varies and
// diesel keeps it prepared (it re-parsed it on every insert before).
#[diesel(treat_none_as_default_value = false)]
pub(super) struct TokenRow {
    pub(super) signature_hash: String,
    pub(super) kind: String,
    pub(super) family_id: String,
    pub(super) client_id: String,
    pub(super) subject: String,
    pub(super) granted_scope: String,
    pub(super) granted_audience: String,
    pub(super) session: String,
    pub(super) request_data: Option<String>,
    pub(super) issued_at: NaiveDateTime,
    pub(super) expires_at: NaiveDateTime,
    pub(super) active: bool,
    pub(super) used_at: Option<NaiveDateTime>,
    pub(super) parent_family_id: Option<String>,
}

impl TokenRow {
    fn from_token(token: &StoredToken) -> Result<Self, StorageError> {
        let audience = serde_json::to_string(&token.granted_audience).map_err(|e| {
            StorageError::Database(format!("token audience cannot be encoded: {e}"))
        })?;
        Ok(Self {
            signature_hash: token.signature_hash.clone(),
            kind: token.kind.as_str().to_owned(),
            family_id: token.family_id.clone(),
            client_id: token.client_id.clone(),
            subject: token.subject.clone(),
            granted_scope: token.granted_scope.join(" "),
            granted_audience: audience,
            session: token.session.clone(),
            request_data: token.request_data.clone(),
            issued_at: to_column(token.issued_at),
            expires_at: to_column(token.expires_at),
            active: token.active,
            used_at: token.used_at.map(to_column),
            parent_family_id: token.parent_family_id.clone(),
        })
    }

    /// The row `get_token_sql` selected on PostgreSQL's own protocol (`pg_reads.rs`):
    /// its columns in the order of this struct's fields, which `as_select` follows.
    fn from_pg_row(row: &tokio_postgres::Row) -> Result<Self, StorageError> {
        Ok(Self {
            signature_hash: column(row, 0, "signature_hash")?,
            kind: column(row, 1, "kind")?,
            family_id: column(row, 2, "family_id")?,
            client_id: column(row, 3, "client_id")?,
            subject: column(row, 4, "subject")?,
            granted_scope: column(row, 5, "granted_scope")?,
            granted_audience: column(row, 6, "granted_audience")?,
            session: column(row, 7, "session")?,
            request_data: column(row, 8, "request_data")?,
            issued_at: column(row, 9, "issued_at")?,
            expires_at: column(row, 10, "expires_at")?,
            active: column(row, 11, "active")?,
            used_at: column(row, 12, "used_at")?,
            parent_family_id: column(row, 13, "parent_family_id")?,
        })
    }

    fn into_token(self) -> Result<StoredToken, StorageError> {
        let corrupt = |what: String| StorageError::Corrupt(format!("token: {what}"));
        let kind = TokenKind::parse(&self.kind)
            .ok_or_else(|| corrupt(format!("unknown kind {:?}", self.kind)))?;
        let granted_audience = serde_json::from_str(&self.granted_audience)
            .map_err(|e| corrupt(format!("granted_audience: {e}")))?;
        Ok(StoredToken {
            signature_hash: self.signature_hash,
            kind,
            family_id: self.family_id,
            client_id: self.client_id,
            subject: self.subject,
            granted_scope: self
                .granted_scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            granted_audience,
            session: self.session,
            request_data: self.request_data,
            issued_at: self.issued_at.and_utc(),
            expires_at: self.expires_at.and_utc(),
            active: self.active,
            used_at: self.used_at.map(|at| at.and_utc()),
            parent_family_id: self.parent_family_id,
        })
    }
}

/// A token by its key and kind, as `get_token` loads it.
macro_rules! token_by_key {
    ($hash:expr, $kind:expr) => {
        token_by_key!($hash, $kind, TokenRow::as_select())
    };
    ($hash:expr, $kind:expr, $select:expr) => {
        oauth2_tokens::table
            .find($hash)
            .filter(oauth2_tokens::kind.eq($kind))
            .select($select)
    };
}

/// [`token_by_key!`] as PostgreSQL's SQL text (`$1` the hash, `$2` the kind), for the
/// reads in the runtime (`pg_reads.rs`): rendered once from the same diesel query, so
/// the two paths cannot select different columns.
fn get_token_sql() -> Result<&'static str, StorageError> {
    static SQL: LazyLock<Result<String, String>> = LazyLock::new(|| {
        use diesel::query_builder::{QueryBuilder, QueryFragment};
        let mut builder = diesel::pg::PgQueryBuilder::new();
        let select = <TokenRow as SelectableHelper<diesel::pg::Pg>>::as_select();
        let query = token_by_key!(String::new(), "", select);
        QueryFragment::<diesel::pg::Pg>::to_sql(&query, &mut builder, &diesel::pg::Pg)
            .map_err(|e| e.to_string())?;
        Ok(builder.finish())
    });
    SQL.as_deref()
        .map_err(|e| StorageError::Database(format!("the token query cannot be rendered: {e}")))
}

/// The `INSERT` of one row (or of a slice of rows, as one statement), written once for
/// each native connection type (`on_native!`).
macro_rules! insert_row {
    ($conn:expr, $row:expr) => {
        diesel::insert_into($crate::storage::sql::schema::oauth2_tokens::table)
            .values($row)
            .execute($conn)
    };
}
pub(super) use insert_row;

pub(super) fn insert_error(err: DieselError) -> StorageError {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            StorageError::Conflict("the token's client does not exist".to_owned())
        }
        other => match map_diesel(other) {
            StorageError::Conflict(_) => {
                StorageError::Conflict("a token with this signature already exists".to_owned())
            }
            mapped => mapped,
        },
    }
}

/// The first key of the advisory locks on token families (the second is the family id's
/// hash), so they cannot collide with advisory locks taken for anything else.
pub(super) const FAMILY_LOCK_SPACE: i32 = 0x746f_6b66; // "tokf"

/// The statement that takes one family's lock until the transaction ends. Its key,
/// `(FAMILY_LOCK_SPACE, hashtext(family))`, is the one `pg_redeem.rs` locks too: the
/// two must stay the same for a revocation and a code exchange to exclude each other.
const LOCK_FAMILY_SQL: &str = "SELECT pg_advisory_xact_lock($1, hashtext($2))";

/// PostgreSQL: takes the advisory locks of `families` (sorted, so two transactions
/// locking several take them in one order) until the transaction ends. Under READ
/// COMMITTED a revocation's `UPDATE … WHERE family_id = …` sees only the rows committed
/// when it started, so it missed the tokens a concurrent rotation of the family was
/// inserting (issue 23); with both holding the family's lock, one waits for the other's
/// commit and its next statement sees it. MySQL needs none: InnoDB's locking reads take
/// next-key locks on the family index, so such an insert waits for the revocation, and a
/// row inserted earlier is read at its latest version. SQLite has one writer.
fn lock_families(conn: &mut DbConnection, families: &[String]) -> Result<(), DieselError> {
    if let DbConnection::Postgresql(conn) = conn {
        let mut families: Vec<&String> = families.iter().collect();
        families.sort();
        families.dedup();
        for family in families {
            diesel::sql_query(LOCK_FAMILY_SQL)
                .bind::<Integer, _>(FAMILY_LOCK_SPACE)
                .bind::<Text, _>(family)
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The families whose tokens name one of `families` as their parent (RFC 8693).
fn children_of(conn: &mut DbConnection, families: &[String]) -> Result<Vec<String>, DieselError> {
    if families.is_empty() {
        return Ok(Vec::new());
    }
    oauth2_tokens::table
        .filter(oauth2_tokens::parent_family_id.eq_any(families))
        .select(oauth2_tokens::family_id)
        .distinct()
        .load(conn)
}

/// Deactivates the tokens of `families` and, level by level, of the families exchanged
/// from them (the caller's transaction makes it one step); returns how many were
/// active. `seen` ends the walk even if a link pointed back.
fn revoke_families(conn: &mut DbConnection, mut families: Vec<String>) -> Result<u64, DieselError> {
    let mut seen = std::collections::HashSet::new();
    let mut revoked: u64 = 0;
    loop {
        families.retain(|f| seen.insert(f.clone()));
        if families.is_empty() {
            return Ok(revoked);
        }
        lock_families(conn, &families)?;
        let changed = diesel::update(
            oauth2_tokens::table
                .filter(oauth2_tokens::family_id.eq_any(&families))
                .filter(oauth2_tokens::active.eq(true)),
        )
        .set(oauth2_tokens::active.eq(false))
        .execute(conn)?;
        revoked = revoked.saturating_add(count(changed));
        families = children_of(conn, &families)?;
    }
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_tokens(&self, tokens: &[StoredToken]) -> Result<(), StorageError> {
        self.insert_tokens_reporting(tokens, &[]).await
    }

    async fn insert_tokens_reporting(
        &self,
        tokens: &[StoredToken],
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        let mut rows = tokens
            .iter()
            .map(TokenRow::from_token)
            .collect::<Result<Vec<_>, _>>()?;
        let events = outbox_rows(events);
        // One token (client_credentials, a code) rides the batched insert, with the
        // events that report it in the same transaction (`token_batch.rs`).
        if let (Some(batch), 1) = (&self.token_batch, rows.len())
            && let Some(row) = rows.pop()
        {
            return batch.insert(row, events).await;
        }
        self.write(move |conn| {
            on_native!(conn, |conn| match (rows.as_slice(), events.is_empty()) {
                // One statement is atomic by itself: no savepoint round trips.
                ([row], true) => insert_row!(conn, row).map(drop),
                (rows, _) => conn.transaction(|conn| {
                    rows.iter()
                        .try_for_each(|row| insert_row!(conn, row).map(drop))?;
                    insert_outbox!(conn, &events).map(drop)
                }),
            })
            .map_err(insert_error)
        })
        .await
    }

    async fn get_token(
        &self,
        kind: TokenKind,
        signature_hash: &str,
    ) -> Result<Option<StoredToken>, StorageError> {
        if let Some(reads) = &self.pg_reads {
            let here = || ();
            let span = self.span_of(&here);
            let row = reads
                .query_opt(get_token_sql()?, &[&signature_hash, &kind.as_str()])
                .instrument(span.clone())
                .await;
            let row = super::traced(&span, row)?;
            return row
                .map(|row| TokenRow::from_pg_row(&row).and_then(TokenRow::into_token))
                .transpose();
        }
        let hash = signature_hash.to_owned();
        let row = self
            .read(move |conn| {
                on_native!(conn, |conn| token_by_key!(hash.clone(), kind.as_str())
                    .load(conn))
                .map(by_key)
                .map_err(map_diesel)
            })
            .await?;
        row.map(TokenRow::into_token).transpose()
    }

    async fn revoke_family(&self, family_id: &str) -> Result<u64, StorageError> {
        self.revoke_family_reporting(family_id, &[]).await
    }

    async fn revoke_family_reporting(
        &self,
        family_id: &str,
        events: &[OutboxEvent],
    ) -> Result<u64, StorageError> {
        let family = family_id.to_owned();
        let events = outbox_rows(events);
        self.write(move |conn| {
            conn.transaction(|conn| {
                let revoked = revoke_families(conn, vec![family.clone()])?;
                if revoked > 0 {
                    insert_outbox!(conn, &events)?;
                }
                Ok::<_, DieselError>(revoked)
            })
            .map_err(map_diesel)
        })
        .await
    }

    async fn revoke_subject_tokens(
        &self,
        subject: &str,
        client_id: &str,
    ) -> Result<u64, StorageError> {
        let (subject, client) = (subject.to_owned(), client_id.to_owned());
        self.write(move |conn| {
            conn.transaction(|conn| {
                let issued = || {
                    oauth2_tokens::table
                        .filter(oauth2_tokens::client_id.eq(client.clone()))
                        .filter(oauth2_tokens::subject.eq(subject.clone()))
                        .filter(oauth2_tokens::active.eq(true))
                };
                let families: Vec<String> = issued()
                    .select(oauth2_tokens::family_id)
                    .distinct()
                    .load(conn)?;
                // The UPDATE below, a later statement, then sees what a rotation that
                // held a lock committed.
                lock_families(conn, &families)?;
                let revoked = diesel::update(issued())
                    .set(oauth2_tokens::active.eq(false))
                    .execute(conn)?;
                let children = children_of(conn, &families)?;
                Ok::<_, DieselError>(
                    count(revoked).saturating_add(revoke_families(conn, children)?),
                )
            })
            .map_err(map_diesel)
        })
        .await
    }

    async fn delete_client_access_tokens(&self, client_id: &str) -> Result<u64, StorageError> {
        let client = client_id.to_owned();
        self.write(move |conn| {
            diesel::delete(
                oauth2_tokens::table
                    .filter(oauth2_tokens::client_id.eq(client.clone()))
                    .filter(oauth2_tokens::kind.eq(TokenKind::AccessToken.as_str())),
            )
            .execute(conn)
            .map(count)
            .map_err(map_diesel)
        })
        .await
    }

    async fn mark_used(
        &self,
        kind: TokenKind,
        signature_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let hash = signature_hash.to_owned();
        let at = to_column(at);
        self.write(move |conn| {
            on_native!(conn, |conn| {
                diesel::update(
                    oauth2_tokens::table
                        .find(hash.clone())
                        .filter(oauth2_tokens::kind.eq(kind.as_str()))
                        .filter(oauth2_tokens::active.eq(true)),
                )
                .set((
                    oauth2_tokens::active.eq(false),
                    oauth2_tokens::used_at.eq(Some(at)),
                ))
                .execute(conn)
                .map(|changed| changed == 1)
                .map_err(map_diesel)
            })
        })
        .await
    }

    /// One transaction: a conditional `UPDATE` claims the token (its affected-row count
    /// says whether this call won, as in `mark_used`), then the new rows go in. With a
    /// grace period the second `UPDATE` changes nothing but matches (and locks) a token
    /// still inside its window; MySQL counts matched rows, so it reports 1 too.
    async fn redeem(
        &self,
        kind: TokenKind,
        signature_hash: &str,
        at: DateTime<Utc>,
        grace: Duration,
        revoke_access_of_family: Option<&str>,
        tokens: &[StoredToken],
    ) -> Result<bool, StorageError> {
        self.redeem_reporting(
            kind,
            signature_hash,
            at,
            grace,
            revoke_access_of_family,
            tokens,
            &[],
        )
        .await
    }

    async fn redeem_reporting(
        &self,
        kind: TokenKind,
        signature_hash: &str,
        at: DateTime<Utc>,
        grace: Duration,
        revoke_access_of_family: Option<&str>,
        tokens: &[StoredToken],
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        let events = outbox_rows(events);
        let family = revoke_access_of_family.map(str::to_owned);
        let rows = tokens
            .iter()
            .map(TokenRow::from_token)
            .collect::<Result<Vec<_>, _>>()?;
        let hash = signature_hash.to_owned();
        let window_start = at
            .checked_sub_signed(grace)
            .map(to_column)
            .ok_or_else(|| StorageError::Database("grace period out of range".to_owned()))?;
        let at = to_column(at);
        let with_grace = grace > Duration::zero();
        // The families this redemption writes to, locked before the claim on PostgreSQL
        // so a concurrent revocation of one either finishes first (the claim then finds
        // the token inactive) or waits for this commit (`lock_families`).
        let mut families: Vec<String> = rows
            .iter()
            .map(|row| row.family_id.clone())
            .chain(family.iter().cloned())
            .collect();
        families.sort();
        families.dedup();
        // The code exchange on PostgreSQL: one statement instead of a transaction of
        // six round trips (`pg_redeem.rs`, which says why only this case).
        let one_statement = !with_grace && family.is_none() && !families.is_empty();
        self.write(move |conn| {
            if one_statement && let DbConnection::Postgresql(conn) = conn {
                return RedeemStatement::new(&families, kind.as_str(), &hash, at, &rows, &events)
                    .run(conn)
                    .map_err(insert_error);
            }
            // The transaction is the outer connection's, so the lock (PostgreSQL's own
            // statement) and the native statements below share it.
            conn.transaction::<bool, DieselError, _>(|conn| {
                lock_families(conn, &families)?;
                on_native!(conn, |conn| {
                    let token = || {
                        oauth2_tokens::table
                            .find(hash.clone())
                            .filter(oauth2_tokens::kind.eq(kind.as_str()))
                            .filter(oauth2_tokens::active.eq(true))
                    };
                    let claimed = if with_grace {
                        let first =
                            diesel::update(token().filter(oauth2_tokens::used_at.is_null()))
                                .set(oauth2_tokens::used_at.eq(Some(at)))
                                .execute(conn)?;
                        if first == 1 {
                            first
                        } else {
                            diesel::update(token().filter(oauth2_tokens::used_at.ge(window_start)))
                                .set(oauth2_tokens::active.eq(true))
                                .execute(conn)?
                        }
                    } else {
                        diesel::update(token())
                            .set((
                                oauth2_tokens::active.eq(false),
                                oauth2_tokens::used_at.eq(Some(at)),
                            ))
                            .execute(conn)?
                    };
                    if claimed != 1 {
                        return Ok(false);
                    }
                    if let Some(family) = &family {
                        diesel::update(
                            oauth2_tokens::table
                                .filter(oauth2_tokens::family_id.eq(family))
                                .filter(oauth2_tokens::kind.eq(TokenKind::AccessToken.as_str()))
                                .filter(oauth2_tokens::active.eq(true)),
                        )
                        .set(oauth2_tokens::active.eq(false))
                        .execute(conn)?;
                    }
                    for row in &rows {
                        insert_row!(conn, row)?;
                    }
                    insert_outbox!(conn, &events)?;
                    Ok(true)
                })
            })
            .map_err(insert_error)
        })
        .await
    }

    async fn delete_expired(&self, before: DateTime<Utc>) -> Result<u64, StorageError> {
        let before = to_column(before);
        self.run(move |conn| {
            diesel::delete(oauth2_tokens::table.filter(oauth2_tokens::expires_at.lt(before)))
                .execute(conn)
                .map(count)
                .map_err(map_diesel)
        })
        .await
    }
}
